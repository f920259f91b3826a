#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// Runs one step's script with `bash -euo pipefail -c`, in its own session
/// and process group, streaming stdout and stderr line by line.
///
/// Written on `posix_spawn` rather than swift-subprocess because the executor
/// is a synchronous loop that journals (and fsyncs) between actions, and this
/// needs exactly four things that spawn attributes give directly: a new session,
/// so a new process group (a timeout or Ctrl-C reaches the whole pipeline, and
/// what a step keeps running is no part of the operator's terminal, whose
/// hang-up must not reach it), a reset signal
/// mask and dispositions (children started from a thread that blocks signals
/// otherwise ignore SIGTERM), stdin from /dev/null (a child must never eat the
/// operator's answers), and one `poll` loop that also watches for signals.
public struct ShellRunner: Sendable {
    public enum Stream: Sendable { case stdout, stderr }

    public struct Result: Sendable, Equatable {
        /// Exit status, or 128 + signal number when killed by a signal.
        public var status: Int32
        public var timedOut: Bool
        /// True when the operator stopped the step.
        public var interrupted: Bool
        public var seconds: Double
        /// Processes left in the step's process group when its shell exited.
        public var leftovers: [Leftover] = []
        /// True when they were kept running; otherwise they were stopped.
        public var keptLeftovers = false
    }

    /// A process a step's shell left behind.
    public struct Leftover: Sendable, Equatable {
        public var pid: Int32
        /// Its command line, arguments joined by spaces.
        public var command: String
        /// The program's name alone (`python3`).
        public var name: String
    }

    /// What the caller wants when a signal arrives during the step.
    public enum SignalDecision: Sendable { case keepWaiting, stop }

    public var bash: String

    /// The longest line delivered whole.
    public static let maxLine = 1 << 20

    public init(bash: String = "/bin/bash") {
        self.bash = bash
    }

    /// Runs `script`. `onLine` gets each complete line (without its newline);
    /// `onSignal` decides what a SIGINT means while the step runs; `onTick`
    /// is called about once a second (for escalation banners).
    /// `keepLeftovers`: processes the script leaves running in its group are
    /// kept when it succeeds (`keep_running`); otherwise they are stopped.
    /// Either way they are named in the result. `onStart` gets the shell's
    /// pid (its session and group id), for whoever must name it later.
    /// `watchSignals: false`: a step run beside others on a thread of its
    /// own leaves the signals to the executor's thread, which stops it
    /// through `stopRequested` (looked at every tenth of a second).
    public func run(
        script: String,
        environment: [String: String],
        timeout: Double,
        keepLeftovers: Bool = false,
        watchSignals: Bool = true,
        stopRequested: () -> Bool = { false },
        onStart: (pid_t) -> Void = { _ in },
        onLine: (Stream, String) -> Void,
        onSignal: (Int32) -> SignalDecision,
        onTick: () -> Void = {}
    ) throws(SpawnError) -> Result {
        let start = monotonicSeconds()
        var outPipe: [Int32] = [-1, -1], errPipe: [Int32] = [-1, -1]
        guard makePipe(&outPipe), makePipe(&errPipe) else {
            throw SpawnError(message: "cannot create pipes: \(String(cString: strerror(errno)))")
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        // The descriptor opened once, not a path opened in every child: the
        // child runs while the executor waits (vfork), so this is its time too.
        if Self.devNull > 2 {
            posix_spawn_file_actions_adddup2(&actions, Self.devNull, 0)
        } else {
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        }
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)

        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for s in [SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE, SIGCHLD] { sigaddset(&defaults, s) }
        posix_spawnattr_setsigmask(&attr, &noSignals)
        posix_spawnattr_setsigdefault(&attr, &defaults)
        // A new session is a new process group too (the session leader's
        // pid is its id), so `kill(-pid, ...)` reaches the whole step.
        posix_spawnattr_setflags(&attr, Int16(Self.spawnSetSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let argv = [bash, "-euo", "pipefail", "-c", script]
        var pid: pid_t = 0
        let rc = withCStrings(argv) { cargv in
            withCEnvironment(environment) { cenv in
                posix_spawn(&pid, bash, &actions, &attr, cargv, cenv)
            }
        }
        close(outPipe[1])
        close(errPipe[1])
        guard rc == 0 else {
            close(outPipe[0])
            close(errPipe[0])
            throw SpawnError(message: "cannot start \(bash): \(String(cString: strerror(rc))) (steps run in bash: install it, or set MUSTER_BASH to where it is)")
        }
        onStart(pid)

        var buffers: [[UInt8]] = [[], []]
        var open = [true, true]
        var timedOut = false, interrupted = false
        var lateInterrupt = false
        var killDeadline: Double?
        let deadline = start + timeout
        var lastTick = start

        // A line longer than `maxLine` is delivered cut, and the rest of it
        // is dropped unseen: memory stays bounded whatever a step prints.
        var dropping = [false, false]
        func flush(_ i: Int, all: Bool) {
            while let nl = buffers[i].firstIndex(of: UInt8(ascii: "\n")) {
                if dropping[i] {
                    dropping[i] = false
                } else {
                    onLine(i == 0 ? .stdout : .stderr, String(decoding: buffers[i][..<nl], as: UTF8.self))
                }
                buffers[i].removeSubrange(...nl)
            }
            if buffers[i].count > Self.maxLine {
                if !dropping[i] {
                    onLine(i == 0 ? .stdout : .stderr, String(decoding: buffers[i][..<Self.maxLine], as: UTF8.self) + " [line cut at \(Self.maxLine / 1024) KiB]")
                    dropping[i] = true
                }
                buffers[i].removeAll(keepingCapacity: true)
            }
            if all, !buffers[i].isEmpty, !dropping[i] {
                onLine(i == 0 ? .stdout : .stderr, String(decoding: buffers[i], as: UTF8.self))
                buffers[i].removeAll()
            }
        }
        func terminate() {
            kill(-pid, SIGTERM)
            kill(-pid, SIGCONT)
            killDeadline = monotonicSeconds() + 5
        }

        // Not zeroed: `read` fills what is used of it, and 64 KiB set at
        // every step showed in its profile.
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 65536, alignment: 1)
        defer { chunk.deallocate() }
        var status: Int32 = 0
        var exited = false
        var drainUntil = 0.0
        var backoff = 1
        // The loop ends when the shell has exited and its output is read, not
        // when the pipes close: a script may redirect its own output
        // (`exec >log`) and keep running, or leave a background child that
        // holds the pipes open after the shell is done.
        while true {
            if !exited {
                var rc: pid_t
                repeat { rc = waitpid(pid, &status, WNOHANG) } while rc < 0 && errno == EINTR
                if rc == pid || rc < 0 {
                    exited = true
                    drainUntil = monotonicSeconds() + 0.2
                }
            }
            let now = monotonicSeconds()
            if exited, (!open[0] && !open[1]) || now >= drainUntil { break }
            var fds = [pollfd(fd: open[0] ? outPipe[0] : -1, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: open[1] ? errPipe[0] : -1, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: exited || !watchSignals ? -1 : SignalWatch.readFD, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: exited || !watchSignals ? -1 : SignalWatch.childFD, events: Int16(POLLIN), revents: 0)]
            var waitMs: Int32
            if exited {
                waitMs = Int32(max(0, drainUntil - now) * 1000) + 1
            } else if !open[0] && !open[1] {
                // Output closed, shell not yet reaped: SIGCHLD wakes the poll
                // (without the signal watch, look again soon, then less often).
                waitMs = SignalWatch.childFD >= 0 && watchSignals ? Int32(min(0.1, max(0, (killDeadline ?? deadline) - now)) * 1000) + 1 : Int32(backoff)
                backoff = min(backoff * 2, 100)
            } else {
                waitMs = Int32(min(0.1, max(0, (killDeadline ?? deadline) - now)) * 1000) + 1
            }
            let n = poll(&fds, 4, waitMs)
            if fds[3].revents != 0 { SignalWatch.drainChildren() }
            if n < 0, errno != EINTR { break }
            for i in 0..<2 where fds[i].revents != 0 {
                let got = read(i == 0 ? outPipe[0] : errPipe[0], chunk.baseAddress, chunk.count)
                if got > 0 {
                    buffers[i].append(contentsOf: UnsafeRawBufferPointer(rebasing: chunk[0..<got]))
                    flush(i, all: false)
                } else if got == 0 || (errno != EINTR && errno != EAGAIN) {
                    open[i] = false
                    flush(i, all: true)
                }
            }
            if exited { continue }
            if killDeadline == nil, stopRequested() {
                interrupted = true
                terminate()
            }
            if fds[2].revents != 0, killDeadline == nil, let sig = SignalWatch.take() {
                if onSignal(sig) == .stop {
                    interrupted = true
                    terminate()
                }
            } else if fds[2].revents != 0, killDeadline != nil, let sig = SignalWatch.take() {
                // A signal while the group is already being stopped (after a
                // timeout): the step still ends. SIGTERM, SIGHUP or SIGQUIT:
                // the caller must know, so the run pauses. Ctrl-C has nothing
                // left to ask here; it is handed on to the next prompt or step.
                if sig == SIGINT {
                    lateInterrupt = true
                } else {
                    _ = onSignal(sig)
                    interrupted = true
                }
            }
            let t = monotonicSeconds()
            if killDeadline == nil, t >= deadline {
                timedOut = true
                terminate()
            } else if let k = killDeadline, t >= k {
                kill(-pid, SIGKILL)
                killDeadline = t + 1
            }
            if t - lastTick >= 1 {
                lastTick = t
                onTick()
            }
        }
        if !exited {
            kill(-pid, SIGKILL)
            while waitpid(pid, &status, 0) < 0, errno == EINTR {}
        }
        // The shell's own SIGCHLD, written after the poll that saw its
        // output close: left there, it wakes the next step's first poll
        // for nothing.
        if watchSignals { SignalWatch.drainChildren() }
        let code: Int32 = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        // What the shell left behind in its group: kept when asked and the
        // step succeeded (a failed one leaves nothing for its retry to trip
        // over), otherwise stopped; named either way, never silently.
        // (Once the shell is reaped its group id could in principle be
        // reused; a group with members left keeps it.)
        let leftovers = Self.members(ofGroup: pid)
        let keep = keepLeftovers && !leftovers.isEmpty && code == 0 && !timedOut && !interrupted
        if keep {
            // They may still write to the step's output: once nobody reads
            // it they would die of SIGPIPE, so a reader of their own takes over.
            drain(outPipe[0], errPipe[0])
        } else if !leftovers.isEmpty {
            // Those a timeout or stop already asked to end get no second chance.
            Self.stop(group: pid, grace: timedOut || interrupted ? 0 : 2)
        }
        for i in 0..<2 where open[i] { flush(i, all: true) }
        if lateInterrupt { SignalWatch.repost(SIGINT) }
        close(outPipe[0])
        close(errPipe[0])
        return Result(status: code, timedOut: timedOut, interrupted: interrupted, seconds: monotonicSeconds() - start,
                      leftovers: leftovers, keptLeftovers: keep)
    }

    /// /dev/null for the steps' standard input, read-only and closed on
    /// exec (the child's dup of it is not); -1 if it cannot be opened, and
    /// then each child opens the path.
    static let devNull: Int32 = open("/dev/null", O_RDONLY | O_CLOEXEC)

    /// `POSIX_SPAWN_SETSID` (glibc 2.26), which Swift's Glibc module does not export.
    static let spawnSetSID: Int32 = 0x80

    /// Stops process group `group`: SIGTERM, up to `grace` seconds to end,
    /// then SIGKILL for whatever is left.
    static func stop(group: pid_t, grace: Double) {
        if grace > 0 {
            kill(-group, SIGTERM)
            kill(-group, SIGCONT)
            let end = monotonicSeconds() + grace
            while monotonicSeconds() < end, !members(ofGroup: group).isEmpty { usleep(20_000) }
        }
        kill(-group, SIGKILL)
    }

    /// Hands the step's output pipes to a reader in a session of its own,
    /// which discards what kept processes print and ends when they all have.
    func drain(_ out: Int32, _ err: Int32) {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, out, 0)
        posix_spawn_file_actions_adddup2(&actions, err, 3)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attr, &noSignals)
        posix_spawnattr_setflags(&attr, Int16(Self.spawnSetSID | POSIX_SPAWN_SETSIGMASK))
        let script = "cat <&3 >/dev/null 3<&- & exec cat >/dev/null 3<&-"
        var pid: pid_t = 0
        _ = withCStrings([bash, "-c", script]) { argv in
            withCStrings(["PATH=/usr/local/bin:/usr/bin:/bin"]) { env in posix_spawn(&pid, bash, &actions, &attr, argv, env) }
        }
    }

    /// The live processes of process group `group` (zombies left out), from /proc.
    static func members(ofGroup group: pid_t) -> [Leftover] {
        // The usual case, a group with nobody left, costs one syscall
        // rather than a walk over every process on the machine.
        if kill(-group, 0) != 0, errno == ESRCH { return [] }
        guard let dir = opendir("/proc") else { return [] }
        defer { closedir(dir) }
        var found: [Leftover] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            guard let pid = Int32(name), let stat = readProc("/proc/\(name)/stat"),
                  let close = stat.lastIndex(of: UInt8(ascii: ")")) else { continue }
            // `pid (comm) state ppid pgrp ...`; comm may hold spaces and parentheses.
            let fields = stat[(close + 1)...].split(separator: UInt8(ascii: " "))
            guard fields.count > 3, let pgrp = Int32(String(decoding: fields[fields.startIndex + 2], as: UTF8.self)), pgrp == group else { continue }
            let state = fields[fields.startIndex].first
            if state == UInt8(ascii: "Z") || state == UInt8(ascii: "X") { continue }
            let open = stat.firstIndex(of: UInt8(ascii: "(")).map { $0 + 1 } ?? close
            let comm = String(decoding: stat[open..<close], as: UTF8.self)
            let args = (readProc("/proc/\(name)/cmdline") ?? []).split(separator: 0, omittingEmptySubsequences: false)
                .map { String(decoding: $0, as: UTF8.self) }
            var words = args
            while words.last == "" { words.removeLast() }
            let command = words.isEmpty ? "[\(comm)]" : words.joined(separator: " ")
            let program = words.first.map { String($0.split(separator: "/").last ?? Substring($0)) }
            found.append(Leftover(pid: pid, command: command, name: program.flatMap { $0.isEmpty ? nil : $0 } ?? comm))
        }
        return found.sorted { $0.pid < $1.pid }
    }

    private static func readProc(_ path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { Glibc.close(fd) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while out.count < 1 << 16 {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            out.append(contentsOf: chunk[0..<n])
        }
        return out
    }
}

public struct SpawnError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}

/// Marks every descriptor above 2 close-on-exec, so nothing the executor
/// inherited (a parent's pipes, say) leaks into steps. Otherwise a step's
/// stray background process keeps such a pipe open after the executor ends.
public func closeInheritedDescriptorsOnExec() {
    guard let dir = opendir("/proc/self/fd") else { return }
    defer { closedir(dir) }
    let own = dirfd(dir)
    while let entry = readdir(dir) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        if let fd = Int32(name), fd > 2, fd != own {
            _ = fcntl(fd, F_SETFD, fcntl(fd, F_GETFD) | FD_CLOEXEC)
        }
    }
}

/// A pipe whose ends close on exec (pipe2 is not visible from Swift's Glibc).
func makePipe(_ fds: inout [Int32], nonBlocking: Bool = false) -> Bool {
    guard pipe(&fds) == 0 else { return false }
    for fd in fds {
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        if nonBlocking { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) }
    }
    return true
}

/// Seconds on a monotonic clock, immune to wall-clock changes. The boot
/// clock, not CLOCK_MONOTONIC: that one stands still while the machine is
/// suspended (a laptop closed mid-incident), and a step's timeout, the RTO
/// and the escalation ladder are about real time, as the remote systems a
/// step works on keep going. (A stopped executor, Ctrl-Z, is a different
/// matter: both clocks run on, so a timeout that passed meanwhile is
/// enforced the moment it continues.)
public func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_BOOTTIME, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

/// `NAME=value` strings for `environment` in one buffer, NUL-terminated,
/// with the pointer array `posix_spawn` takes: one allocation for them all
/// instead of a string and a copy of it per variable, at every step.
private func withCEnvironment<R>(_ environment: [String: String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> R) -> R {
    var size = 0
    for (k, v) in environment { size += k.utf8.count + v.utf8.count + 2 }
    let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: max(size, 1))
    defer { buffer.deallocate() }
    var ptrs: [UnsafeMutablePointer<CChar>?] = []
    ptrs.reserveCapacity(environment.count + 1)
    var at = 0
    func put(_ s: String) {
        let copied: Bool? = s.utf8.withContiguousStorageIfAvailable { bytes in
            if let from = bytes.baseAddress, bytes.count > 0 {
                UnsafeMutableRawPointer(buffer + at).copyMemory(from: from, byteCount: bytes.count)
                at += bytes.count
            }
            return true
        }
        if copied == nil {
            for byte in s.utf8 {
                buffer[at] = CChar(bitPattern: byte)
                at += 1
            }
        }
    }
    for (k, v) in environment {
        ptrs.append(buffer + at)
        put(k)
        buffer[at] = CChar(UInt8(ascii: "="))
        at += 1
        put(v)
        buffer[at] = 0
        at += 1
    }
    ptrs.append(nil)
    return ptrs.withUnsafeBufferPointer { body($0.baseAddress!) }
}

private func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> R) -> R {
    var ptrs: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
    ptrs.append(nil)
    defer { for p in ptrs { free(p) } }
    return ptrs.withUnsafeBufferPointer { body($0.baseAddress!) }
}
