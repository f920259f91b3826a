import MusterBasics
import MusterEngine
import MusterJournal

/// A shared run's local journal may end one line ahead of the store: the
/// line's fsync and its put go at once (SharedJournal), and a crash can come
/// after the fsync and before the put's answer. Before a session goes on
/// from that journal (a resume, a takeover on this machine), the line is
/// settled: put when the store has nothing in its place (as the backlog is),
/// kept when the store has these very bytes, taken back when another
/// machine's event is there (it won the place; the store's events are
/// then taken in after the line before).
public struct LocalTail {
    public let events: StoreEvents
    public let runID: String

    public init(store: any StoreClient, runID: String) {
        events = StoreEvents(store: store)
        self.runID = runID
    }

    public enum Settled: Sendable, Equatable {
        /// The store had the line already, or has it now.
        case inStore
        /// Another machine's event had its place: the line is gone from the journal.
        case takenBack(seq: Int)
    }

    /// Settles the last line of the journal at `path` (whole lines only,
    /// `muster resume` drops a torn one first). Nil when there is nothing
    /// to settle: no line, a run going on alone (its backlog is put in
    /// order by the session's catch-up), or a journal that differs from
    /// the store before its last line too (that is no crash's doing, and
    /// is left to the session to find). A local failure comes as `.failed`.
    public func settle(journal path: String) throws(StoreFailure) -> Settled? {
        let bytes: [UInt8]
        do { bytes = try Paths.read(path) } catch { throw StoreFailure(.failed, "cannot read the journal \(path): \(error)") }
        let lines = Self.lines(bytes)
        guard let line = lines.last, let last = Self.event(line) else { return nil }
        let alone = lines.lazy.compactMap(Self.event).last { $0.event == .runUnshared || $0.event == .runShared }
        guard alone?.event != .runUnshared else { return nil }
        let there = try events.store.get(try events.eventKey(runID: runID, seq: last.seq))
        if there == line { return .inStore }
        if lines.count > 1, let before = Self.event(lines[lines.count - 2]) {
            guard try events.store.get(try events.eventKey(runID: runID, seq: before.seq)) == lines[lines.count - 2] else { return nil }
        }
        if there == nil, case .written = try events.append(runID: runID, seq: last.seq, bytes: line) { return .inStore }
        do {
            try FileJournal(path: path).takeBack(lastLine: line)
        } catch {
            throw StoreFailure(.failed, error.message)
        }
        return .takenBack(seq: last.seq)
    }

    /// The last complete line of a journal's bytes, newline included.
    public static func lastLine(_ bytes: [UInt8]) -> [UInt8]? { lines(bytes).last }

    private static func lines(_ bytes: [UInt8]) -> [[UInt8]] {
        let whole = bytes[..<((bytes.lastIndex(of: UInt8(ascii: "\n")) ?? -1) + 1)]
        return whole.split(separator: UInt8(ascii: "\n")).map { Array($0) + [UInt8(ascii: "\n")] }
    }

    private static func event(_ line: [UInt8]) -> JournalEvent? {
        try? FileJournal.parse(line, path: "").events.first
    }
}
