#if canImport(Glibc)
@preconcurrency import Glibc
#endif

extension StateModes {
    /// `path` opened for appending, a file of the caller's own. What the
    /// operator alone writes (the journal, the screen log, the transcript:
    /// `mode` lets the group read, never write) is another's after a
    /// takeover; the new operator cannot append to it, and should not be
    /// able to. A copy of it, theirs, takes its place: the same bytes
    /// first, so a reader goes on at the same offset and the journal's
    /// chain is unbroken. Root appends to the file as it is: a copy would
    /// be root's, and its user could no longer read their own run.
    /// `durable`: the copy and its name are fsynced before and after the
    /// rename. -1 with errno set when it cannot be had.
    public static func openOwned(_ path: String, mode: mode_t, durable: Bool) -> Int32 {
        let fd = open(path, O_WRONLY | O_APPEND, mode: mode)
        var st = stat()
        if fd >= 0, fstat(fd, &st) == 0, st.st_uid == geteuid() || geteuid() == 0 { return fd }
        if fd >= 0 { Glibc.close(fd) } else if errno != EACCES { return -1 }
        let old = Glibc.open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard old >= 0 else { return -1 }
        defer { Glibc.close(old) }
        let aside = path + ".\(getpid())"
        unlink(aside)
        let copy = Glibc.open(aside, O_RDWR | O_APPEND | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
        guard copy >= 0 else { return -1 }
        fchmod(copy, mode)
        var done: off_t = 0
        guard copyRest(from: old, at: &done, to: copy), !durable || fsync(copy) == 0, rename(aside, path) == 0 else {
            let failure = errno
            Glibc.close(copy)
            unlink(aside)
            errno = failure
            return -1
        }
        // What its writer appended to the old file while it was copied.
        _ = copyRest(from: old, at: &done, to: copy)
        if durable {
            fsync(copy)
            let dir = Glibc.open(Paths.dirname(path), O_RDONLY | O_CLOEXEC)
            if dir >= 0 {
                fsync(dir)
                Glibc.close(dir)
            }
        }
        return copy
    }

    private static func copyRest(from old: Int32, at offset: inout off_t, to copy: Int32) -> Bool {
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { pread(old, $0.baseAddress, $0.count, offset) }
            if n < 0, errno == EINTR { continue }
            if n < 0 { return false }
            if n == 0 { return true }
            var at = 0
            while at < n {
                let w = chunk.withUnsafeBytes { Glibc.write(copy, $0.baseAddress! + at, n - at) }
                if w < 0, errno == EINTR { continue }
                if w <= 0 { return false }
                at += w
            }
            offset += off_t(n)
        }
    }
}
