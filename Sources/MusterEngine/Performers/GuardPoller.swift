#if canImport(Glibc)
@preconcurrency import Glibc
#endif
import Synchronization
import MusterBasics
import MusterFormat

/// What one check of a guard found. A check that could not be made (it
/// timed out, the connection was refused, the command did not start) is a
/// breach: a guard nobody can read guards nothing.
public enum GuardVerdict: Sendable, Equatable {
    case holds
    case breached(String)
}

/// Polls the guards in force, each on a thread of its own, while the steps
/// of their scope run: the executor's thread, which alone journals, shows
/// and asks, learns of a breach through `wake` and takes it with
/// `takeBreaches`. A guard that stays breached is reported once, not at
/// every poll, until it held again or the executor `rearm`s it (the
/// operator chose to continue and wants to hear if it is still breached).
///
/// Every thread holds the poller until it sees `stop()`: call it when the
/// scope ends, or the threads poll on.
public final class GuardPoller: Sendable {
    private struct State {
        var stopped = false
        var breaches: [(id: String, why: String)] = []
        /// Reported and not held since: not reported again.
        var quiet: Set<String> = []
    }
    private let state = Mutex(State())
    private let check: @Sendable (Guard) -> GuardVerdict
    private let wake: @Sendable () -> Void
    /// Seconds on a clock that never goes back: the session's port to it.
    private let now: @Sendable () -> Double
    /// A pipe `stop()` writes to: a thread resting between two checks
    /// wakes at once rather than at its next turn.
    private let bell: (read: Int32, write: Int32)

    /// Starts polling at once: each guard is checked now, then `every`
    /// seconds after its last check began (at once, if that one took longer).
    public init(guards: [Guard], check: @escaping @Sendable (Guard) -> GuardVerdict, wake: @escaping @Sendable () -> Void,
                now: @escaping @Sendable () -> Double) {
        self.check = check
        self.wake = wake
        self.now = now
        var fds: [Int32] = [-1, -1]
        if pipe(&fds) == 0 {
            // Not inherited by the checks' commands.
            for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        } else {
            fds = [-1, -1]
        }
        bell = (fds[0], fds[1])
        for g in guards { detachThread { [self] in poll(g) } }
    }

    deinit {
        for fd in [bell.read, bell.write] where fd >= 0 { close(fd) }
    }

    /// Ends polling: no breach is recorded and `wake` is not called after
    /// this returns; a check under way finishes in the background.
    public func stop() {
        let first = state.withLock { s in
            defer { s.stopped = true }
            return !s.stopped
        }
        if first, bell.write >= 0 {
            var byte: UInt8 = 1
            _ = write(bell.write, &byte, 1)
        }
    }

    public var isStopped: Bool { state.withLock { $0.stopped } }

    /// The breaches found since the last call, oldest first.
    public func takeBreaches() -> [(id: String, why: String)] {
        state.withLock { s in
            defer { s.breaches.removeAll() }
            return s.breaches
        }
    }

    /// Guard `id`'s next breach is reported even if it never held since the last.
    public func rearm(_ id: String) {
        _ = state.withLock { $0.quiet.remove(id) }
    }

    private func poll(_ g: Guard) {
        while !isStopped {
            let began = now()
            let verdict = check(g)
            if record(g.id, verdict) { wake() }
            if rest(Double(g.every) - (now() - began), g.id) { return }
        }
    }

    /// True when the executor should hear of it now.
    private func record(_ id: String, _ verdict: GuardVerdict) -> Bool {
        state.withLock { s in
            guard !s.stopped else { return false }
            switch verdict {
            case .holds:
                s.quiet.remove(id)
                return false
            case .breached(let why):
                guard s.quiet.insert(id).inserted else { return false }
                s.breaches.append((id, why))
                return true
            }
        }
    }

    /// Waits `seconds` or until `stop()` rings the bell; true when stopped.
    /// Without a bell (no descriptor was left) the guard cannot wait, so
    /// it says so once, as a breach, and stops polling.
    private func rest(_ seconds: Double, _ id: String) -> Bool {
        let until = now() + max(0, seconds)
        guard bell.read >= 0 else {
            if record(id, .breached("cannot poll: no file descriptor was left for the guards' bell")) { wake() }
            return true
        }
        while true {
            if isStopped { return true }
            let left = until - now()
            if left <= 0 { return false }
            var fd = pollfd(fd: bell.read, events: Int16(POLLIN), revents: 0)
            _ = Glibc.poll(&fd, 1, Int32(min(left, 3600) * 1000) + 1)
        }
    }
}

/// One check of one guard, through the same paths a step takes: a `run`
/// check's values reach bash as variables, never as script text, and its
/// command runs in a process group of its own (`runner.start`) with the
/// guard's timeout; an `http` check is sent as an http step's request is
/// (fields encoded, secret-bearing parts never following a redirect) and
/// matched as one (status, `body_contains`). Nothing is shown or journaled
/// here, and every reason is masked: the executor journals what it gets.
public struct GuardChecker: Sendable {
    /// Made on the guard's thread, for that check alone.
    public var makeRunner: @Sendable () -> any CommandRunner
    /// Made on the guard's thread, for that check alone. It must not take
    /// the executor's signals (see `CurlTransport`, which reads SignalWatch).
    public var makeHTTP: @Sendable () -> any HTTPTransport
    /// The environment a step of the run gets (parameters, `env`, secrets,
    /// MUSTER_RUN_ID): `StepEnvironment.make`.
    public var environment: [String: String]
    /// Template values known when the guard's scope began.
    public var values: [String: String]
    /// Declared secrets by name: `${NAME}` in request fields, and masked
    /// out of every reason.
    public var secrets: [String: String]
    /// Seconds on a clock that never goes back: the session's port to it.
    public var now: @Sendable () -> Double

    public init(makeRunner: @escaping @Sendable () -> any CommandRunner, makeHTTP: @escaping @Sendable () -> any HTTPTransport,
                environment: [String: String], values: [String: String], secrets: [String: String], now: @escaping @Sendable () -> Double) {
        self.now = now
        self.makeRunner = makeRunner
        self.makeHTTP = makeHTTP
        self.environment = environment
        self.values = values
        self.secrets = secrets
    }

    /// Checks `g` once. `stopped`: looked at while a command runs; when it
    /// turns true the command's process group is stopped (the verdict is
    /// then a breach nobody reads).
    public func check(_ g: Guard, stopped: @escaping @Sendable () -> Bool = { false }) -> GuardVerdict {
        let host = GuardCheckHost(secrets: secrets, now: now)
        let timeout = Double(g.effectiveTimeout)
        switch g.check {
        case .run(let t):
            return run(t, host: host, timeout: timeout, stopped: stopped)
        case .http(let h):
            do {
                let a = try HTTPPerformer(host: host, http: makeHTTP()).check(h, values: values, timeout: timeout, quiet: true)
                return a.ok ? .holds : .breached(host.masker.mask(a.problem ?? "the check failed", limit: 400))
            } catch {
                return .breached("the check was stopped")
            }
        }
    }

    private func run(_ t: Template, host: GuardCheckHost, timeout: Double, stopped: @Sendable () -> Bool) -> GuardVerdict {
        let runner = makeRunner()
        let script: String, env: [String: String]
        switch ShellPerformer(host: host, runner: runner).prepare(t, values: values, env: environment, quiet: true, remote: nil) {
        case .refused(let a): return .breached(a.problem ?? "cannot run")
        case .ready(let c, let e): (script, env) = (c, e)
        }
        let command = runner.start(script: script, environment: env, timeout: timeout, keepLeftovers: false)
        // The runner stops the command at its timeout; the margin only
        // guards against a runner that never reports an end.
        let giveUp = now() + timeout + 10
        var lines: [String] = []
        while true {
            let ended = command.end
            for (_, line) in command.takeLines().lines {
                lines.append(line)
                if lines.count > 3 { lines.removeFirst() }
            }
            if let (end, _) = ended {
                let last = host.masker.mask(lines.joined(separator: " | "), limit: 300)
                switch end {
                case .success(let r) where r.timedOut:
                    return .breached("did not answer within \(DurationFormat.format(Int(timeout))); a guard that cannot be checked counts as breached")
                case .success(let r) where r.interrupted:
                    return .breached("the check was stopped")
                case .success(let r) where r.status == 0:
                    return .holds
                case .success(let r):
                    return .breached("exited with status \(r.status)" + (last.isEmpty ? "" : ": " + last))
                case .failure(let e):
                    return .breached(host.masker.mask("cannot run: \(e.message)", limit: 400))
                }
            }
            if stopped() { command.stop() }
            if now() > giveUp {
                command.stop()
                return .breached("did not end within \(DurationFormat.format(Int(timeout))); a guard that cannot be checked counts as breached")
            }
            command.awaitEnd(upTo: 0.1)
        }
    }
}

/// What the performers need, for a check made out of sight: nothing is
/// shown or asked, and a signal is the executor's, never a guard's.
private final class GuardCheckHost: PerformHost {
    let console: RunConsole = QuietConsole()
    let masker: Masker
    let secrets: [String: String]
    let clock: RunClock

    init(secrets: [String: String], now: @escaping @Sendable () -> Double) {
        self.secrets = secrets
        clock = GuardClock(now: now)
        masker = Masker(secrets: Array(secrets.values))
    }

    func checkSignals() throws(Stop) {}
    func verdict(_ sig: Signal) -> SignalVerdict { .keepWaiting }
    func commandSignal(_ sig: Signal, key: String, deadline: Double, keepable: Bool) -> SignalVerdict { .keepWaiting }
    func pauseFor(_ seconds: Double) throws(Stop) { throw .fail("a guard's check does not wait") }
    func tick() {}
    func signalName(_ sig: Signal) -> String { sig.shortName }
    func arrivedSignal() -> Signal? { nil }
}

private final class GuardClock: RunClock {
    let read: @Sendable () -> Double
    init(now: @escaping @Sendable () -> Double) { read = now }
    var now: Double { read() }
    func stamp() -> String { "" }
    func sleep(upTo seconds: Double) -> Signal? { nil }
}

private final class QuietConsole: RunConsole {
    var isInteractive: Bool { false }
    func show(_ message: ConsoleMessage) {}
    func ask(_ question: String, hint: String, status: String) -> AnswerRead { .eof }
}
