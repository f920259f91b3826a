#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// Turns SIGINT, SIGTERM, SIGHUP and SIGQUIT into bytes on a pipe (the
/// self-pipe trick), so the executor notices them in its `poll` loop or
/// between reads and decides calmly: stop a step, or pause the run with
/// everything journaled. SIGQUIT is one more way to say "stop": left to the
/// runtime it is reported as a crash while the executor holds its lock.
public enum SignalWatch {
    /// The signals that stop a step or pause the run.
    public static let stopping: [Int32] = [SIGINT, SIGTERM, SIGHUP, SIGQUIT]

    nonisolated(unsafe) private static var fds: [Int32] = [-1, -1]
    nonisolated(unsafe) private static var installed = false

    public static var readFD: Int32 { fds[0] }

    nonisolated(unsafe) private static var childFDs: [Int32] = [-1, -1]
    nonisolated(unsafe) static var childWriteFD: Int32 = -1

    /// Readable when a child process has ended (SIGCHLD), so the runner
    /// reaps a finished step at once instead of polling for it.
    public static var childFD: Int32 { childFDs[0] }

    /// Empties the child-ended pipe.
    static func drainChildren() {
        var b = [UInt8](repeating: 0, count: 64)
        while childFDs[0] >= 0, read(childFDs[0], &b, b.count) > 0 {}
    }

    /// Installs the handlers once. Reads interrupted by a signal return EINTR
    /// (no SA_RESTART), so a blocked prompt wakes up too.
    public static func install() {
        guard !installed else { return }
        installed = true
        var p: [Int32] = [-1, -1]
        guard makePipe(&p, nonBlocking: true) else { return }
        fds = p
        writeFD = p[1]
        for sig in stopping {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { sig in
                let saved = errno
                if sig != SIGINT { SignalWatch.endings &+= 1 }
                var b = UInt8(truncatingIfNeeded: sig)
                _ = write(SignalWatch.writeFD, &b, 1)
                errno = saved
            }
            sigemptyset(&action.sa_mask)
            action.sa_flags = 0
            sigaction(sig, &action, nil)
        }
        var c: [Int32] = [-1, -1]
        if makePipe(&c, nonBlocking: true) {
            childFDs = c
            childWriteFD = c[1]
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { _ in
                let saved = errno
                var b: UInt8 = 1
                _ = write(SignalWatch.childWriteFD, &b, 1)
                errno = saved
            }
            sigemptyset(&action.sa_mask)
            action.sa_flags = SA_NOCLDSTOP | SA_RESTART
            sigaction(SIGCHLD, &action, nil)
        }
        signal(SIGPIPE, SIG_IGN)
        // A parent may have started us with these blocked (test runners and
        // some CI agents do); Ctrl-C, a hang-up, Ctrl-Z and the end of a step
        // must still reach us.
        var set = sigset_t()
        sigemptyset(&set)
        for sig in stopping + [SIGTSTP, SIGCHLD] { sigaddset(&set, sig) }
        sigprocmask(SIG_UNBLOCK, &set, nil)
    }

    nonisolated(unsafe) static var writeFD: Int32 = -1

    /// How many SIGTERM, SIGHUP and SIGQUIT arrived: those always end the
    /// session, so waits that would outlast it (a stalled store) are cut
    /// short. Ctrl-C is not counted: at a terminal it asks first.
    nonisolated(unsafe) static var endings: Int32 = 0

    /// True once the session is sure to stop (see `endings`).
    public static var ending: Bool { endings > 0 }

    /// The signal `take` returned last.
    nonisolated(unsafe) public private(set) static var lastTaken: Int32?

    /// Puts `sig` back for the next `take`: for a signal taken where it
    /// could not be acted on, so that it still reaches the executor.
    public static func repost(_ sig: Int32) {
        var b = UInt8(truncatingIfNeeded: sig)
        _ = write(writeFD, &b, 1)
    }

    /// The next pending signal, if any.
    public static func take() -> Int32? {
        guard fds[0] >= 0 else { return nil }
        var b: UInt8 = 0
        guard read(fds[0], &b, 1) == 1 else { return nil }
        lastTaken = Int32(b)
        return lastTaken
    }
}
