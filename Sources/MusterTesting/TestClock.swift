import Synchronization

/// A clock that moves only when the test says (`advance(by:)`), so that a
/// lease, a heartbeat or a retry interval is tested without waiting for it.
///
/// Written here rather than taken from pointfreeco/swift-clocks: the
/// mirror's 1.1.1 declares swift-tools-version 6.4 (this toolchain is
/// 6.3.1) and depends on swift-issue-reporting, which the mirror does not
/// hold under that name; so the package does not resolve here.
public final class TestClock: Clock, Sendable {
    public struct Instant: InstantProtocol {
        public var offset: Duration
        public init(offset: Duration = .zero) { self.offset = offset }
        public func advanced(by duration: Duration) -> Instant { Instant(offset: offset + duration) }
        public func duration(to other: Instant) -> Duration { other.offset - offset }
        public static func < (a: Instant, b: Instant) -> Bool { a.offset < b.offset }
    }

    private struct Sleeper {
        var id: Int
        var deadline: Instant
        var continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var now = Instant()
        var sleepers: [Sleeper] = []
        var nextID = 0
        /// Sleeps cancelled before they were registered.
        var cancelled: Set<Int> = []
        /// Who waits until this many tasks sleep on the clock.
        var waiting: [(count: Int, continuation: CheckedContinuation<Void, Never>)] = []
    }

    private let state = Mutex(State())

    public init() {}

    public var now: Instant { state.withLock { $0.now } }
    public var minimumResolution: Duration { .zero }

    public func sleep(until deadline: Instant, tolerance: Duration? = nil) async throws {
        try Task.checkCancellation()
        let id = state.withLock { s -> Int in
            s.nextID += 1
            return s.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
                let (resume, woken) = state.withLock { s -> (Result<Void, any Error>?, [CheckedContinuation<Void, Never>]) in
                    if s.cancelled.remove(id) != nil { return (.failure(CancellationError()), []) }
                    if deadline <= s.now { return (.success(()), []) }
                    s.sleepers.append(Sleeper(id: id, deadline: deadline, continuation: c))
                    return (nil, Self.takeWaiting(&s))
                }
                if let resume { c.resume(with: resume) }
                for w in woken { w.resume() }
            }
        } onCancel: {
            let sleeper = state.withLock { s -> Sleeper? in
                guard let i = s.sleepers.firstIndex(where: { $0.id == id }) else {
                    s.cancelled.insert(id)
                    return nil
                }
                return s.sleepers.remove(at: i)
            }
            sleeper?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Moves the clock on and wakes, in deadline order, every sleep that is due.
    public func advance(by duration: Duration) {
        let due = state.withLock { s -> [Sleeper] in
            s.now = s.now.advanced(by: duration)
            let now = s.now
            let due = s.sleepers.filter { $0.deadline <= now }.sorted { $0.deadline < $1.deadline }
            s.sleepers.removeAll { $0.deadline <= now }
            return due
        }
        for d in due { d.continuation.resume() }
    }

    /// How many tasks sleep on the clock now.
    public var sleeping: Int { state.withLock { $0.sleepers.count } }

    /// Returns once `count` tasks sleep on the clock: a loop that went back
    /// to sleep has done what its wake-up was for. The event, not a delay.
    public func untilSleeping(_ count: Int = 1) async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let ready = state.withLock { s -> Bool in
                if s.sleepers.count >= count { return true }
                s.waiting.append((count, c))
                return false
            }
            if ready { c.resume() }
        }
    }

    private static func takeWaiting(_ s: inout State) -> [CheckedContinuation<Void, Never>] {
        let n = s.sleepers.count
        let ready = s.waiting.filter { $0.count <= n }.map(\.continuation)
        s.waiting.removeAll { $0.count <= n }
        return ready
    }
}
