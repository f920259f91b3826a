#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import MusterBasics
import MusterFormat
import MusterEngine
import MusterJournal

/// The protocol's intervals: settings, so that a test (or an operator, for
/// the lease through `MUSTER_STORE_LEASE`) sets them, never constants.
public struct TeamSettings: Sendable, Equatable {
    /// How long a session may be silent (no heartbeat) before a takeover
    /// stops waiting for it.
    public var lease: Duration = .seconds(45)
    /// How often an unreachable store is tried again while going on alone.
    public var retryEvery: Duration = .seconds(15)
    /// How often the session looks for requests from other machines.
    public var pollEvery: Duration = .seconds(2)
    /// A takeover request from another machine counts this long after it was made.
    public var takeoverLife: Duration = .seconds(600)

    public init() {}

    /// The session says it lives every third of the lease, at most every 10 s.
    public var beat: Duration { min(.seconds(10), lease / 3) }

    /// The lease as `MUSTER_STORE_LEASE` sets it: seconds, 3 to 3600, else 45.
    public static func lease(fromEnvironment value: String?) -> Duration {
        .seconds(value.flatMap(Double.init).map { min(max($0, 3), 3600) } ?? 45)
    }
}

extension Duration {
    /// In seconds, for messages and for comparing with wall-time differences.
    public var seconds: Double {
        let (s, atto) = components
        return Double(s) + Double(atto) / 1e18
    }
}

/// Seconds since 1970, by the wall clock: the time a heartbeat or a request
/// says it was made, read on another machine. The protocol never reads the
/// clock itself: the CLI passes the system's, a test one it sets.
public typealias WallTime = @Sendable () -> Double

/// The UTC stamp the journal writes, at `seconds` since 1970.
func utcStamp(_ seconds: Double) -> String { UTCTime.format(Date(timeIntervalSince1970: seconds)) }

/// Time elapsed on a clock given as `any Clock<Duration>`: its instants are
/// of a type only the clock knows, so the start is kept inside a closure.
struct Stopwatch: Sendable {
    let elapsed: @Sendable () -> Duration

    init(_ clock: any Clock<Duration>) { elapsed = Self.start(clock) }

    private static func start<C: Clock<Duration>>(_ clock: C) -> @Sendable () -> Duration {
        let start = clock.now
        return { start.duration(to: clock.now) }
    }
}
