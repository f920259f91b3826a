#if canImport(Glibc)
@preconcurrency import Glibc
#endif
import Synchronization

/// A script running beside others (a step of a branch or a loop item run
/// at once with its siblings), on a thread of its own. The executor's own
/// thread, which alone journals, shows and asks, takes what it printed and
/// its end from here, and asks it to stop; the script never sees a signal
/// meant for the executor.
public final class BackgroundCommand: Sendable {
    struct Box {
        var lines: [(stderr: Bool, line: String)] = []
        /// Lines not kept for the screen while nobody took them (a long
        /// question): the step's stdout for `outputs` is kept apart.
        var dropped = 0
        var stdout = ""
        var end: Result<CommandResult, CommandError>?
        var stop = false
    }
    private let box = Mutex(Box())
    /// Written once when the script ends: whoever waits for the end waits
    /// on it, with a limit, instead of looking again and again.
    private let bell: (read: Int32, write: Int32)

    /// Lines kept for the screen between two looks.
    static let maxPending = 10_000
    /// Stdout kept for `outputs`: the first 8 MiB, as a step run alone.
    static let maxCaptured = 8 << 20

    public init() {
        var fds: [Int32] = [-1, -1]
        if pipe(&fds) == 0 {
            for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        } else {
            fds = [-1, -1]
        }
        bell = (fds[0], fds[1])
    }

    deinit {
        for fd in [bell.read, bell.write] where fd >= 0 { close(fd) }
    }

    /// Waits up to `seconds` for the end (less when it came).
    public func awaitEnd(upTo seconds: Double) {
        guard end == nil, bell.read >= 0 else { return }
        var fd = pollfd(fd: bell.read, events: Int16(POLLIN), revents: 0)
        _ = Glibc.poll(&fd, 1, Int32(max(0, seconds) * 1000) + 1)
    }

    /// The runner's thread: a line the script printed.
    public func add(stderr: Bool, _ line: String) {
        box.withLock { b in
            if !stderr, b.stdout.utf8.count < Self.maxCaptured { b.stdout += line + "\n" }
            if b.lines.count < Self.maxPending { b.lines.append((stderr, line)) } else { b.dropped += 1 }
        }
    }

    /// The runner's thread: the script ended (or could not start).
    public func finish(_ end: Result<CommandResult, CommandError>) {
        box.withLock { $0.end = end }
        if bell.write >= 0 {
            var byte: UInt8 = 1
            _ = write(bell.write, &byte, 1)
        }
    }

    /// The runner's thread: whether the executor asked it to stop.
    public var stopRequested: Bool { box.withLock { $0.stop } }

    /// Asks the script's process group to stop, as `s` stops a step.
    public func stop() { box.withLock { $0.stop = true } }

    /// The lines printed since the last look, and how many were not kept.
    func takeLines() -> (lines: [(stderr: Bool, line: String)], dropped: Int) {
        box.withLock { b in
            defer { b.lines.removeAll(keepingCapacity: true); b.dropped = 0 }
            return (b.lines, b.dropped)
        }
    }

    /// Its end, once it ended, with what it printed on stdout.
    var end: (Result<CommandResult, CommandError>, stdout: String)? {
        box.withLock { b in b.end.map { ($0, b.stdout) } }
    }
}

extension CommandRunner {
    /// Runners that cannot run beside others (a test's fake) run the
    /// script at once, and hand back a command already ended.
    public func start(script: String, environment: [String: String], timeout: Double, keepLeftovers: Bool) -> BackgroundCommand {
        let command = BackgroundCommand()
        do {
            let r = try run(script: script, environment: environment, timeout: timeout, keepLeftovers: keepLeftovers,
                            onLine: { command.add(stderr: $0, $1) }, onSignal: { _ in false }, onTick: {})
            command.finish(.success(r))
        } catch {
            command.finish(.failure(error))
        }
        return command
    }
}
