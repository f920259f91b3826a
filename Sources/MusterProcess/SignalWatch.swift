#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// Turns SIGINT, SIGTERM and SIGHUP into bytes on a pipe (the self-pipe
/// trick), so the executor notices them in its `poll` loop or between reads
/// and decides calmly: stop a step, or pause the run with everything journaled.
public enum SignalWatch {
    nonisolated(unsafe) private static var fds: [Int32] = [-1, -1]
    nonisolated(unsafe) private static var installed = false

    public static var readFD: Int32 { fds[0] }

    /// Installs the handlers once. Reads interrupted by a signal return EINTR
    /// (no SA_RESTART), so a blocked prompt wakes up too.
    public static func install() {
        guard !installed else { return }
        installed = true
        var p: [Int32] = [-1, -1]
        guard makePipe(&p, nonBlocking: true) else { return }
        fds = p
        writeFD = p[1]
        for sig in [SIGINT, SIGTERM, SIGHUP] {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { sig in
                var b = UInt8(truncatingIfNeeded: sig)
                _ = write(SignalWatch.writeFD, &b, 1)
            }
            sigemptyset(&action.sa_mask)
            action.sa_flags = 0
            sigaction(sig, &action, nil)
        }
        signal(SIGPIPE, SIG_IGN)
        // A parent may have started us with these blocked (test runners and
        // some CI agents do); Ctrl-C and a hang-up must still reach us.
        var set = sigset_t()
        sigemptyset(&set)
        for sig in [SIGINT, SIGTERM, SIGHUP] { sigaddset(&set, sig) }
        sigprocmask(SIG_UNBLOCK, &set, nil)
    }

    nonisolated(unsafe) static var writeFD: Int32 = -1

    /// The next pending signal, if any.
    public static func take() -> Int32? {
        guard fds[0] >= 0 else { return nil }
        var b: UInt8 = 0
        return read(fds[0], &b, 1) == 1 ? Int32(b) : nil
    }
}
