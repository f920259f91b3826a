#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// A helper program run to its end, its output read whole: ssh-keygen for
/// signatures, an AWS profile's `credential_process`. Started without a
/// shell (the arguments are never parsed again), stdin from a file,
/// stdout and stderr read together so neither pipe fills and blocks it,
/// and the signal mask cleared (a session blocks its stop signals; a child
/// that inherited that would ignore Ctrl-C). Steps do not come here: they
/// go through ShellRunner, which streams, times out and stops whole
/// process groups. Not Foundation's Process, which would load all of
/// Foundation at every start of muster (docs/performance.md).
public enum ChildProcess {
    public struct Ran: Sendable {
        /// The exit status, or 128 + the signal that ended it, as a shell says.
        public var status: Int32
        public var stdout: [UInt8]
        public var stderr: [UInt8]
    }

    /// `posix_spawn`'s error: the program could not be started.
    public struct SpawnFailure: Error, Sendable {
        public var code: Int32
        public var message: String { String(cString: strerror(code)) }
    }

    /// Runs `program` (looked up on PATH when it has no `/`) with `argv`
    /// (its first word the program's name), `environment` (nil: this
    /// process's own) and stdin from `stdin`, until both of its outputs close.
    public static func run(_ program: String, argv: [String], environment: [String: String]? = nil, stdin: String = "/dev/null") throws(SpawnFailure) -> Ran {
        var out: [Int32] = [-1, -1], err: [Int32] = [-1, -1]
        guard pipe(&out) == 0 else { throw SpawnFailure(code: errno) }
        guard pipe(&err) == 0 else {
            let code = errno
            close(out[0]); close(out[1])
            throw SpawnFailure(code: code)
        }
        // Not inherited by anything else this process starts meanwhile.
        for fd in out + err { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, stdin, O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, out[1], 1)
        posix_spawn_file_actions_adddup2(&actions, err[1], 2)
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigmask(&attr, &none)
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETSIGMASK))
        let cArgs = argv.map { strdup($0) } + [nil]
        let cEnv = environment.map { env in env.map { strdup("\($0.key)=\($0.value)") } + [nil] }
        defer { for p in cArgs + (cEnv ?? []) { free(p) } }
        var pid: pid_t = 0
        func spawn(_ envp: UnsafePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
            program.contains("/") ? posix_spawn(&pid, program, &actions, &attr, cArgs, envp) : posix_spawnp(&pid, program, &actions, &attr, cArgs, envp)
        }
        let rc = cEnv.map { spawn($0) } ?? spawn(environ)
        close(out[1])
        close(err[1])
        guard rc == 0 else {
            close(out[0]); close(err[0])
            throw SpawnFailure(code: rc)
        }
        var ran = Ran(status: 0, stdout: [], stderr: [])
        var fds = [pollfd(fd: out[0], events: Int16(POLLIN), revents: 0), pollfd(fd: err[0], events: Int16(POLLIN), revents: 0)]
        var buffer = [UInt8](repeating: 0, count: 8192)
        while fds.contains(where: { $0.fd >= 0 }) {
            if poll(&fds, nfds_t(fds.count), -1) < 0 {
                if errno == EINTR { continue }
                break
            }
            for i in fds.indices where fds[i].fd >= 0 && fds[i].revents != 0 {
                let n = buffer.withUnsafeMutableBytes { read(fds[i].fd, $0.baseAddress, $0.count) }
                if n < 0, errno == EINTR { continue }
                if n <= 0 {
                    close(fds[i].fd)
                    fds[i].fd = -1
                } else if i == 0 {
                    ran.stdout += buffer[0..<n]
                } else {
                    ran.stderr += buffer[0..<n]
                }
            }
        }
        for f in fds where f.fd >= 0 { close(f.fd) }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0, errno == EINTR {}
        ran.status = status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return ran
    }
}
