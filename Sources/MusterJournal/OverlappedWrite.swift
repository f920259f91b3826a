#if canImport(Glibc)
@preconcurrency import Glibc
#endif
import Dispatch
import Synchronization
import MusterBasics
import MusterEngine

extension FileJournal {
    /// Appends `line` as `write(line:)` does, its `write` and `fsync` on
    /// another thread while `meanwhile` runs on this one, and returns once
    /// both are done: a shared run's put of the same line (the store's
    /// round trip) and the local fsync then cost the longer of the two, not
    /// their sum. `takeBack` undoes the line when the put says it must not
    /// stay (another machine wrote that place first).
    public func write(line: [UInt8], meanwhile: () -> Void) throws(JournalError) {
        let before = lseek(fd, 0, SEEK_END)
        let previous = link
        let outcome = Outcome()
        let done = DispatchSemaphore(value: 0)
        let fd = fd
        DispatchQueue.global(qos: .userInitiated).async {
            let failure = FileJournal.writeDurably(line, fd: fd, at: before)
            outcome.failure.withLock { $0 = failure }
            done.signal()
        }
        meanwhile()
        done.wait()
        if let failure = outcome.failure.withLock({ $0 }) {
            undo = nil
            throw failure.error(path)
        }
        link = JournalChain.link(of: line.dropLast())
        end = before + off_t(line.count)
        undo = before >= 0 ? (before, previous) : nil
    }

    /// Takes back the line `write(line:meanwhile:)` just appended: the file
    /// is cut where it began, and the cut made durable, so that the event
    /// written in that place next is the only one there.
    public func takeBack() throws(JournalError) {
        guard let undo else {
            throw JournalError(message: "cannot take back the last line of the journal \(path): where it began is not known; the line is not the store's, and `muster resume` takes it back")
        }
        try cut(to: undo.offset, what: "its last line")
        self.undo = nil
        link = undo.link
        end = undo.offset
    }

    /// Takes back `line` when it is the journal's last: a session that
    /// finds another machine's event in the store where this journal's
    /// last line should be (see MusterTeam's LocalTail). Anything else at
    /// the end is left as it is and is an error.
    public func takeBack(lastLine line: [UInt8]) throws(JournalError) {
        let size = lseek(fd, 0, SEEK_END)
        let start = size - off_t(line.count)
        var tail = [UInt8](repeating: 0, count: line.count)
        let reader = Glibc.open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        defer { if reader >= 0 { close(reader) } }
        let n = reader < 0 || start < 0 ? -1 : tail.withUnsafeMutableBytes { pread(reader, $0.baseAddress, $0.count, start) }
        guard n == line.count, tail == line else {
            throw JournalError(message: "cannot take back the last line of the journal \(path): the file no longer ends with it; nothing was changed")
        }
        try cut(to: start, what: "its last line")
        undo = nil
        // Re-read on the next write: the link before the cut line.
        end = -1
    }

    private func cut(to offset: off_t, what: String) throws(JournalError) {
        guard ftruncate(fd, offset) == 0, fsync(fd) == 0 else {
            throw JournalError(message: "cannot take back \(what) of the journal \(path): \(String(cString: strerror(errno))); the line is not the store's, and `muster resume` takes it back")
        }
    }
}

/// What the writing thread hands back; read once the semaphore says it is done.
private final class Outcome: Sendable {
    let failure = Mutex<FileJournal.WriteFailure?>(nil)
}
