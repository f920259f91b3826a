#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import MusterBasics
import MusterFormat
import MusterEngine
import MusterJournal
import MusterDrills

/// Fuzz target 3: the journal reader and what is built from a journal.
///
/// Input: a journal file's bytes (JSON Lines). They go through
/// `FileJournal.parse` (what `read` does after reading the file), and the
/// events through everything that consumes a read journal: `RunState`
/// (`resume`, `runs`), `LogLine` (`log`), `DrillRecorder` and `JUnit`
/// (drill records). Checked: the reader keeps its rules (every line an
/// event; a last line with no newline after it that is not an event dropped
/// with a warning; other damage an error naming a damaged line), and the
/// state leaves room for the next event.
public enum JournalTarget {
    static let path = "journal.jsonl"

    public static func check(_ data: [UInt8]) -> [String] {
        var problems: [String] = []
        func fail(_ message: String) { problems.append(message) }

        let lines = data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        let filled = lines.indices.filter { !lines[$0].isEmpty }
        let read: (events: [JournalEvent], warning: String?)
        do {
            read = try FileJournal.parse(data, path: path)
        } catch {
            // An error names a damaged line that is not the last.
            let prefix = "\(path):"
            guard error.message.hasPrefix(prefix),
                  let n = Int(error.message.dropFirst(prefix.count).prefix { $0 != ":" }),
                  let i = filled.firstIndex(of: n - 1) else {
                fail("the reader's error names no line of the journal: \(error.message)")
                return problems
            }
            if n - 1 == lines.count - 1 { fail("the reader refused the journal for its unterminated last line \(n), which it should drop with a warning") }
            _ = i
            return problems
        }
        let expected = filled.count - (read.warning == nil ? 0 : 1)
        if read.events.count != expected {
            fail("\(filled.count) non-empty lines gave \(read.events.count) events\(read.warning == nil ? "" : " and a warning")")
        }

        let state = RunState(replaying: read.events)
        // What resume and the executor compute from the state.
        if !(state.lastT.isFinite && state.lastT >= 0) { fail("elapsed time \(state.lastT) is not a clock reading") }
        // The next seq and attempt are one more, far from overflowing.
        if state.lastSeq > 1 << 53 { fail("the last seq is \(state.lastSeq): the next event's number is close to overflowing") }
        for (step, n) in state.attempts where n > 1 << 53 { fail("step '\(step)' has \(n) attempts: the next one's number is close to overflowing") }
        _ = formatSeconds(state.lastT)

        // `muster log`.
        for e in read.events { _ = LogLine.render(e) }

        // The writer can write what the reader read, and reads it back the same.
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let decoder = JSONDecoder()
        for e in read.events {
            guard let line = try? encoder.encode(e) else { continue }
            guard let back = try? decoder.decode(JournalEvent.self, from: line) else {
                fail("event seq \(e.seq) encodes to a line that does not decode: \(String(decoding: line, as: UTF8.self))")
                continue
            }
            if back != e { fail("event seq \(e.seq) does not survive writing and reading") }
        }

        // A drill's record from the same events.
        var keys: [String] = []
        var seen: Set<String> = []
        for e in read.events { if let s = e.step, seen.insert(s).inserted { keys.append(s) } }
        let kinds = StepKind.allCases
        let facts = keys.enumerated().map { i, k in (key: k, facts: DrillRecorder.StepFacts(kind: kinds[i % kinds.count], expect: i % 2 == 0 ? 60 : nil)) }
        let setup = DrillSetup(name: "fuzz", mode: "live", rtoSeconds: 1800, faults: [.init(step: keys.first ?? "x", fail: "boom", times: 1)],
                               expectEscalation: .init(withinSeconds: 300, contact: "Primary on-call"), recordsDir: "drills/records", junit: nil)
        if let record = DrillRecorder.record(events: read.events, drill: setup, steps: facts, runbookCommit: nil, runbookDirty: false) {
            // Every time in the record is a clock reading, as in the state.
            let times = [record.elapsedSeconds] + record.steps.map(\.seconds) + record.escalations.map(\.atSeconds) + record.faults.map(\.atSeconds)
                + (record.training?.escalatedAfterSeconds.map { [$0] } ?? [])
            for x in times where !(x.isFinite && x >= 0 && x < 1e9) { fail("the drill record holds \(x) seconds, which is no clock reading") }
            _ = record.json.serialized(pretty: true)
            _ = JUnit.render(record)
        }
        return problems
    }
}
