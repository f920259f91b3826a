#if canImport(Glibc)
@preconcurrency import Glibc
#endif
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import MusterBasics
import MusterEngine

/// A JSON Lines file, each event written with one `write` and `fsync`ed
/// before `append` returns (with the events `hold` took before it, in the
/// same `write`), and chained to the line before it by its `hash` (see
/// JournalChain).
public final class FileJournal: JournalSink {
    public let path: String
    let fd: Int32
    private let encoder: JSONEncoder
    /// The link of the last line, and the file's size after it: another
    /// writer (`muster abandon`) moving the end makes the link be re-read.
    var link = ""
    var end: off_t = -1
    /// Where the line `write(line:meanwhile:)` appended last begins, and
    /// the link before it: what `takeBack` restores.
    var undo: (offset: off_t, link: String)?
    /// Events taken by `hold`, encoded, not written yet.
    private var held: [[UInt8]] = []

    public init(path: String) throws(JournalError) {
        self.path = path
        // Only the run's operator writes it; a new operator's session
        // writes on in a copy of its own (see StateModes.openOwned).
        fd = StateModes.openOwned(path, mode: StateModes.readable, durable: true)
        guard fd >= 0 else { throw JournalError(message: "cannot open the journal \(path): \(StateModes.failure(path, errno))") }
        // The file's directory entry must be durable too, or a power loss
        // can lose the journal whole however often its lines were fsynced.
        let dir = open(Paths.dirname(path), O_RDONLY | O_CLOEXEC)
        if dir >= 0 {
            fsync(dir)
            close(dir)
        }
        encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    }

    private func chainOn(at offset: off_t) {
        guard offset != end else { return }
        link = (try? Paths.read(path)).map(JournalChain.lastLink) ?? ""
        end = offset
    }

    deinit {
        // A backstop: the executor settles what it held before it ends.
        try? settle()
        close(fd)
    }

    public func append(_ event: JournalEvent) throws(JournalError) {
        let before = held.count
        held.append(try body(of: event))
        do {
            try settle()
        } catch {
            // The event was not journaled; those held before it still wait
            // for the next write (the executor counts them as journaled).
            held.removeSubrange(before...)
            throw error
        }
    }

    public func hold(_ event: JournalEvent) throws(JournalError) {
        held.append(try body(of: event))
    }

    /// Writes the held events, each chained on the one before, in one
    /// `write` and one `fsync`.
    public func settle() throws(JournalError) {
        guard !held.isEmpty else { return }
        let fileEnd = lseek(fd, 0, SEEK_END)
        chainOn(at: fileEnd)
        var lines: [UInt8] = []
        var last = link
        for body in held {
            let sealed = JournalChain.seal(body: body, previous: last)
            lines += sealed.line
            lines.append(UInt8(ascii: "\n"))
            last = sealed.hash
        }
        try write(lines, link: last, at: fileEnd)
        held.removeAll()
    }

    /// The exact line (newline included) `append` would write for `event`
    /// now, chained on the journal's last line; `write(line:)` appends it.
    /// A shared journal puts these bytes in the store first (it holds none).
    public func sealed(_ event: JournalEvent) throws(JournalError) -> [UInt8] {
        let body = try body(of: event)
        chainOn(at: lseek(fd, 0, SEEK_END))
        var line = JournalChain.seal(body: body, previous: link).line
        line.append(UInt8(ascii: "\n"))
        return line
    }

    private func body(of event: JournalEvent) throws(JournalError) -> [UInt8] {
        var event = event
        event.hash = nil
        if let line = JournalLine.body(event) { return line }
        do {
            return Array(try encoder.encode(event))
        } catch {
            throw JournalError(message: "cannot encode a journal event: \(error)")
        }
    }

    /// Appends one whole line as it is (one `write`, then `fsync`): a line
    /// `sealed` made, or another machine's line from the shared store.
    public func write(line: [UInt8]) throws(JournalError) {
        try write(line, link: JournalChain.link(of: line.dropLast()))
    }

    /// Appends whole lines with one `write`, then `fsync`; `link` is the
    /// last one's. `at`: the file's end, when the caller has just asked.
    private func write(_ lines: [UInt8], link: String, at fileEnd: off_t? = nil) throws(JournalError) {
        let before = fileEnd ?? lseek(fd, 0, SEEK_END)
        undo = nil
        if let failure = Self.writeDurably(lines, fd: fd, at: before) { throw failure.error(path) }
        self.link = link
        end = before + off_t(lines.count)
    }

    /// One `write` of `lines` at the end of `fd`, then `fsync`; on failure
    /// they are taken back (to `before`). Touches nothing but the
    /// descriptor, so another thread may do it.
    static func writeDurably(_ lines: [UInt8], fd: Int32, at before: off_t) -> WriteFailure? {
        var failure: Int32?
        lines.withUnsafeBytes { bytes in
            var done = 0
            while done < bytes.count {
                let n = Glibc.write(fd, bytes.baseAddress! + done, bytes.count - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = errno
                    return
                }
                done += n
            }
        }
        if let failure {
            // A half-written line is taken back at once (a full disk often
            // takes part of a line): the journal stays whole lines only.
            if before >= 0 { _ = ftruncate(fd, before) }
            return WriteFailure(errno: failure, flushing: false)
        }
        guard fsync(fd) == 0 else {
            let failure = errno
            // Lines not known to be on disk are not journaled: taken back,
            // so that held ones written again later are not there twice.
            if before >= 0 { _ = ftruncate(fd, before) }
            return WriteFailure(errno: failure, flushing: true)
        }
        return nil
    }

    struct WriteFailure: Sendable {
        let errno: Int32
        let flushing: Bool

        func error(_ path: String) -> JournalError {
            JournalError(message: flushing ? "cannot flush the journal \(path) to disk: \(String(cString: strerror(errno)))"
                : "cannot write to the journal \(path): \(String(cString: strerror(errno))); the run stops here so that nothing happens unrecorded")
        }
    }

    /// Events of a journal file. A last line cut short by a crash (no
    /// newline after it) is dropped with a warning; damage anywhere else,
    /// a complete last line included, is an error naming the line.
    public static func read(path: String) throws(JournalError) -> (events: [JournalEvent], warning: String?) {
        let bytes: [UInt8]
        do {
            bytes = try Paths.read(path)
        } catch {
            throw JournalError(message: "cannot read the journal \(path): \(error)")
        }
        return try parse(bytes, path: path)
    }

    /// Events of a journal's bytes, by `read`'s rules; `path` only names the
    /// journal in messages.
    public static func parse(_ bytes: [UInt8], path: String) throws(JournalError) -> (events: [JournalEvent], warning: String?) {
        let decoder = JSONDecoder()
        var events: [JournalEvent] = []
        var warning: String?
        let lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        for (i, line) in lines.enumerated() where !line.isEmpty {
            // Counters no executor writes (a seq of 2^63-1 would overflow the
            // next one) are damage like a line that does not decode.
            if var event = try? decoder.decode(JournalEvent.self, from: Data(line)), event.countersInRange {
                // The chain is `muster verify`'s business, over the bytes;
                // an event read back equals the event written.
                event.hash = nil
                events.append(event)
                continue
            }
            // Each event is one write ending in its newline: only a last
            // line without one can be a write a crash cut short. A whole
            // line that is not an event was written so, or edited.
            if i == lines.count - 1 {
                warning = "the journal's last line (line \(i + 1)) is incomplete, probably cut off by a crash; resuming from the event before it"
            } else {
                throw JournalError(message: "\(path):\(i + 1): this journal line is not a valid event; the journal was edited or damaged. Move the file aside to start over, or repair that line")
            }
        }
        return (events, warning)
    }
}


extension FileJournal {
    /// Cuts a half-written last line off, so the next event starts on a
    /// line of its own.
    public static func dropIncompleteTail(path: String) throws(JournalError) {
        let bytes: [UInt8]
        do { bytes = try Paths.read(path) } catch { throw JournalError(message: "cannot read the journal \(path): \(error)") }
        let keep = (bytes.lastIndex(of: UInt8(ascii: "\n")) ?? -1) + 1
        guard keep < bytes.count else { return }
        // Through a descriptor opened without following a link: `truncate`
        // on a planted link would cut whatever file it points at.
        var fd = Glibc.open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC)
        // Another operator's: cut in a copy of our own.
        if fd < 0, errno == EACCES { fd = StateModes.openOwned(path, mode: StateModes.readable, durable: true) }
        defer { if fd >= 0 { close(fd) } }
        guard fd >= 0, ftruncate(fd, off_t(keep)) == 0 else {
            throw JournalError(message: "cannot repair the journal \(path): \(StateModes.failure(path, errno))")
        }
    }
}
