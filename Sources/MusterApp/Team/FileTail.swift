#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// Reads the whole lines appended to a file since the last read, opened
/// read-only: `muster follow` never writes where it reads. A file that does
/// not exist yet (a session that has not begun its screen log) reads as
/// empty until it does.
package final class FileTail {
    package let path: String
    private var fd: Int32 = -1
    private var offset: off_t = 0
    private var partial: [UInt8] = []
    /// The last whole line returned, and where it began: a shared run takes
    /// back its last line when another machine wrote that event first
    /// (SharedJournal), and the lines written in its place are read from there.
    private var lastLine: (at: off_t, bytes: [UInt8])?

    package init(path: String) { self.path = path }

    deinit { if fd >= 0 { close(fd) } }

    /// Starts at the last `bytes` of the file, at a line's start, when it is
    /// longer; returns how many bytes were passed over.
    package func skip(toLast bytes: off_t) -> off_t {
        guard open() else { return 0 }
        let size = lseek(fd, 0, SEEK_END)
        guard size > bytes else { return 0 }
        offset = size - bytes
        // The rest of the line cut in the middle is dropped below.
        var skipped = offset
        let rest = read()
        if let nl = rest.firstIndex(of: 10) {
            skipped += off_t(nl + 1)
            partial = Array(rest[(nl + 1)...])
        }
        return skipped
    }

    /// The complete lines appended since the last call.
    package func lines() -> [ArraySlice<UInt8>] {
        guard open() else { return [] }
        if let line = lastLine, !still(line) {
            (offset, partial, lastLine) = (line.at, [], nil)
        }
        partial += read()
        if replaced() {
            // A new operator's copy took the file's place (see BatchedFile):
            // the same bytes first, so reading goes on at the same offset.
            close(fd)
            fd = -1
            if open() { partial += read() }
        }
        guard let last = partial.lastIndex(of: 10) else { return [] }
        let whole = Array(partial[...last])
        partial.removeSubrange(...last)
        let lines = whole.split(separator: 10)
        if let end = lines.last {
            let bytes = Array(end) + [10]
            lastLine = (offset - off_t(partial.count) - off_t(bytes.count), bytes)
        }
        return lines
    }

    /// Whether the file still holds `line` where it was read.
    private func still(_ line: (at: off_t, bytes: [UInt8])) -> Bool {
        var now = [UInt8](repeating: 0, count: line.bytes.count)
        let n = now.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, line.at) }
        return n == now.count && now == line.bytes
    }

    /// Whether another file now has this one's name.
    private func replaced() -> Bool {
        var here = stat(), named = stat()
        guard fstat(fd, &here) == 0, stat(path, &named) == 0 else { return false }
        return here.st_ino != named.st_ino || here.st_dev != named.st_dev
    }

    private func open() -> Bool {
        if fd < 0 { fd = Glibc.open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC) }
        return fd >= 0
    }

    private func read() -> [UInt8] {
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, offset) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { return out }
            out += chunk[0..<n]
            offset += off_t(n)
        }
    }
}

/// Wakes when something in a folder changes (inotify), or after `interval`
/// at the latest: what inotify cannot see (a lock released by a process that
/// died) is noticed then. Without inotify it is a plain poll at `interval`.
package final class FolderWatch {
    private let fd: Int32
    private let interval: Int32

    package init(_ folder: String, intervalMilliseconds: Int32 = 200) {
        interval = intervalMilliseconds
        let fd = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        if fd >= 0, inotify_add_watch(fd, folder, UInt32(IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_CLOSE_WRITE)) < 0 {
            close(fd)
            self.fd = -1
        } else {
            self.fd = fd
        }
    }

    deinit { if fd >= 0 { close(fd) } }

    /// Waits for a change or the interval, then drains the events: the
    /// caller reads every file to its end anyway. `other` (a signal's
    /// self-pipe) ends the wait too.
    package func wait(orReadable other: Int32 = -1) {
        guard fd >= 0 else {
            var o = pollfd(fd: other, events: Int16(POLLIN), revents: 0)
            _ = poll(&o, other >= 0 ? 1 : 0, interval)
            return
        }
        var p = [pollfd(fd: fd, events: Int16(POLLIN), revents: 0), pollfd(fd: other, events: Int16(POLLIN), revents: 0)]
        if poll(&p, other >= 0 ? 2 : 1, interval) > 0, p[0].revents != 0 {
            // A busy run writes many times a second: gather a few writes
            // into one read rather than wake for each.
            usleep(20_000)
        }
        var buf = [UInt8](repeating: 0, count: 4096)
        while buf.withUnsafeMutableBytes({ Glibc.read(fd, $0.baseAddress, $0.count) }) > 0 {}
    }
}
