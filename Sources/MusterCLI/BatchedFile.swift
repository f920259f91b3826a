#if canImport(Glibc)
@preconcurrency import Glibc
#endif
import Dispatch
import MusterCore
import MusterTerminal
import Synchronization

/// A file a session appends to in batches at most half a second old,
/// without fsync: a step that prints a million lines costs a few hundred
/// writes, not a million syscalls, and a crash loses at most the last half
/// second. For what helps people read a run (`output.log`, `screen.jsonl`),
/// never for what a resume decides from (the journal).
/// `@unchecked`: the descriptor never changes, the buffer is behind its
/// mutex, and a Dispatch source may be cancelled from any thread.
final class BatchedFile: @unchecked Sendable {
    private let fd: Int32
    private let buffer = Mutex<[UInt8]>([])
    private let timer: DispatchSourceTimer

    init?(path: String, label: String) {
        fd = Self.openOwn(path)
        guard fd >= 0 else {
            // What helps people read the run is left out, never the run.
            printError("muster: warning: cannot write \(path): \(StateModes.failure(path, errno)); the run goes on without it")
            return nil
        }
        timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: label))
        timer.schedule(deadline: .now() + 0.5, repeating: 0.5)
        timer.setEventHandler { [weak self] in self?.flush() }
        timer.resume()
    }

    /// The file at `path`, the group may read it and only its writer write
    /// it (`StateModes.readable`). Another operator's (after a takeover) is
    /// not appended to: a copy of it, ours, takes its place, so a follower
    /// reads on from the same offset (see `FileTail`).
    private static func openOwn(_ path: String) -> Int32 {
        let fd = StateModes.open(path, O_WRONLY | O_APPEND, mode: StateModes.readable)
        var st = stat()
        if fd >= 0, fstat(fd, &st) == 0, st.st_uid == geteuid() { return fd }
        if fd >= 0 { Glibc.close(fd) } else if errno != EACCES { return -1 }
        let old = Glibc.open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard old >= 0 else { return -1 }
        defer { Glibc.close(old) }
        let aside = path + ".\(getpid())"
        unlink(aside)
        let fd2 = Glibc.open(aside, O_RDWR | O_APPEND | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, StateModes.readable)
        guard fd2 >= 0 else { return -1 }
        fchmod(fd2, StateModes.readable)
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        var copied = true
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(old, $0.baseAddress, $0.count) }
            if n < 0, errno == EINTR { continue }
            if n < 0 { copied = false }
            guard n > 0 else { break }
            if chunk.withUnsafeBytes({ Glibc.write(fd2, $0.baseAddress, n) }) != n { copied = false; break }
        }
        guard copied, rename(aside, path) == 0 else {
            Glibc.close(fd2)
            unlink(aside)
            return -1
        }
        return fd2
    }

    /// Adds to the buffer with `fill`; written at once past 64 KiB.
    func append(_ fill: (inout [UInt8]) -> Void) {
        let full = buffer.withLock { b in
            fill(&b)
            return b.count >= 64 << 10
        }
        if full { flush() }
    }

    func flush() {
        buffer.withLock { b in
            guard !b.isEmpty else { return }
            b.withUnsafeBytes { raw in
                var at = 0
                while at < raw.count {
                    let n = write(fd, raw.baseAddress! + at, raw.count - at)
                    if n < 0, errno == EINTR { continue }
                    if n <= 0 { break }
                    at += n
                }
            }
            b.removeAll(keepingCapacity: true)
        }
    }

    func close() {
        timer.cancel()
        flush()
        _ = Glibc.close(fd)
    }
}
