import Foundation
@testable import MusterBasics
@testable import MusterFormat
@testable import MusterEngine
@testable import MusterJournal
@testable import MusterDrills
@testable import MusterTesting
import Testing

/// A journal line as the executor writes them, with `extra` fields spliced in.
private func line(_ seq: Int, _ event: String, t: String = "1", _ extra: String = "") -> String {
    #"{"at":"2026-11-27T09:00:00Z","event":"\#(event)","seq":\#(seq),"t":\#(t)\#(extra.isEmpty ? "" : "," + extra)}"#
}

private func parse(_ lines: [String]) throws(JournalError) -> (events: [JournalEvent], warning: String?) {
    try FileJournal.parse(Array((lines.joined(separator: "\n") + "\n").utf8), path: "j.jsonl")
}

private let runStarted = line(1, "run_started", t: "0", #""run":{"host":"h","operator":"o","params":{},"run_id":"r","runbook":"rb","runbook_hash":"x","runbook_path":"runbooks/rb.yaml","started_at":"2026-11-27T09:00:00Z","yes":false}"#)

/// Found by the journal fuzzer: hand-edited numbers that no executor writes
/// trapped the readers of a journal.
@Suite("Journal reader: hand-edited numbers")
struct JournalNumberTests {
    @Test("durations that are no clock reading are shown, not trapped on", arguments: [1e300, -1e300, 9.3e18, -9.3e17, Double.infinity, -Double.infinity, Double.nan])
    func absurdDurationsFormat(seconds: Double) {
        #expect(formatSeconds(seconds) == "?")
    }

    /// One spelling for every duration shown, measured or configured.
    @Test func ordinaryDurationsFormatInOneSpelling() {
        #expect(formatSeconds(5.25) == "5.2s")
        #expect(formatSeconds(42) == "42s")
        #expect(formatSeconds(42.7) == "42s")
        #expect(formatSeconds(75) == "1m15s")
        #expect(formatSeconds(900) == "15m")
        #expect(formatSeconds(3725) == "1h02m05s")
        #expect(formatSeconds(0) == "0s")
        #expect(formatSeconds(-5) == "-5s")
    }

    @Test func logLineOfAnAbsurdTime() throws {
        let read = try parse([runStarted, line(2, "note", t: "1e300", #""text":"x""#)])
        #expect(LogLine.render(read.events[1]).contains("+      ?  note"))
    }

    @Test("a counter no executor writes makes its line damaged", arguments: [
        (Int.max, nil, nil), (-1, nil, nil), (2, Int.max, nil), (2, nil, Int.max), (2, nil, -3), (2, -1, nil),
    ] as [(Int, Int?, Int?)])
    func absurdCounter(seq: Int, item: Int?, attempt: Int?) throws {
        let bad = line(seq, "step_started", #""step":"a""# + (item.map { ",\"item\":\($0)" } ?? "") + (attempt.map { ",\"attempt\":\($0)" } ?? ""))
        // In the middle: an error naming the line.
        #expect(throws: JournalError.self) { try parse([runStarted, bad, line(3, "note")]) }
        do {
            _ = try parse([runStarted, bad, line(3, "note")])
        } catch {
            #expect(error.message.hasPrefix("j.jsonl:2: "))
        }
        // Last and whole (its newline written): damage as well.
        #expect(throws: JournalError.self) { try parse([runStarted, bad]) }
        // Last with no newline, as a write cut short: dropped with a warning.
        let read = try FileJournal.parse(Array(([runStarted, bad].joined(separator: "\n")).utf8), path: "j.jsonl")
        #expect(read.events.count == 1)
        #expect(read.warning != nil)
    }

    @Test func countersUpToTwoToThe53AreRead() throws {
        let read = try parse([runStarted, line(9_007_199_254_740_992, "step_started", #""step":"a","attempt":9007199254740992,"item":9007199254740992"#)])
        #expect(read.events.count == 2)
        let state = RunState(replaying: read.events)
        #expect(state.lastSeq == 9_007_199_254_740_992)
        _ = LogLine.render(read.events[1])
    }

    @Test func aDrillRecordTakesOnlyClockReadings() throws {
        let read = try parse([
            runStarted,
            line(2, "step_started", t: "10", #""step":"a""#),
            line(3, "step_finished", t: "1e300", #""step":"a","outcome":"done""#),
            line(4, "escalated", t: "-5", #""contact":"Primary""#),
            line(5, "run_finished", t: "40", #""outcome":"completed""#),
            line(6, "note", t: "1e300"),
        ])
        let setup = DrillSetup(name: "d", mode: "live", rtoSeconds: 60, faults: [], expectEscalation: nil, recordsDir: "/tmp/unused", junit: nil)
        let record = try #require(DrillRecorder.record(events: read.events, drill: setup, steps: [("a", .init(kind: .manual, expect: nil))],
                                                       runbookCommit: nil, runbookDirty: false))
        // The broken readings count as the last good one before them.
        #expect(record.elapsedSeconds == 40)
        #expect(record.steps.map(\.seconds) == [0])
        #expect(record.escalations.map(\.atSeconds) == [10])
        #expect(record.rtoMet == true)
        _ = JUnit.render(record)
    }
}

/// A step's end held for the next step's start: one write and one fsync
/// for both, and the journal's rules as for events appended one by one.
@Suite("Journal: held events")
struct HeldEventTests {
    private func event(_ seq: Int, _ kind: JournalEvent.Kind, step: String? = nil) -> JournalEvent {
        var e = JournalEvent(seq: seq, at: "2026-12-06T09:00:00Z", t: Double(seq), event: kind)
        e.step = step
        return e
    }

    private func folder() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("held-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test func aHeldEventIsWrittenWithTheNextOneAndChained() throws {
        let path = try folder() + "/journal.jsonl"
        let journal = try FileJournal(path: path)
        try journal.append(event(1, .runStarted))
        var done = event(2, .stepFinished, step: "a")
        done.outcome = "done"
        try journal.hold(done)
        // Not written yet: nothing acts on it before the next event.
        #expect(try FileJournal.read(path: path).events.map(\.seq) == [1])
        try journal.append(event(3, .stepStarted, step: "b"))
        let read = try FileJournal.read(path: path)
        #expect(read.events.map(\.seq) == [1, 2, 3])
        #expect(read.events[1].stepOutcome == .done)
        let check = JournalVerifier.verify(try Paths.read(path))
        #expect(check.intact && check.lines == 3, "\(check)")
    }

    @Test func settleWritesWhatIsHeldAndAFreshJournalChainsOn() throws {
        let path = try folder() + "/journal.jsonl"
        do {
            let journal = try FileJournal(path: path)
            try journal.append(event(1, .runStarted))
            try journal.hold(event(2, .stepFinished, step: "a"))
            try journal.hold(event(3, .stepFinished, step: "b"))
            try journal.settle()
            #expect(try FileJournal.read(path: path).events.map(\.seq) == [1, 2, 3])
            try journal.settle()
        }
        let again = try FileJournal(path: path)
        try again.append(event(4, .runResumed))
        let check = JournalVerifier.verify(try Paths.read(path))
        #expect(check.intact && check.lines == 4, "\(check)")
    }

    @Test func aWriteTornAfterTheHeldLineIsTakenBackOnResume() throws {
        let path = try folder() + "/journal.jsonl"
        let journal = try FileJournal(path: path)
        try journal.append(event(1, .runStarted))
        try journal.hold(event(2, .stepFinished, step: "a"))
        try journal.append(event(3, .stepStarted, step: "b"))
        // A crash in the middle of that one write: the held line whole, the
        // next cut short. The reader keeps the first, and resume cuts the rest.
        var bytes = try Paths.read(path)
        bytes.removeLast(25)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let read = try FileJournal.read(path: path)
        #expect(read.events.map(\.seq) == [1, 2])
        #expect(read.warning != nil)
        try FileJournal.dropIncompleteTail(path: path)
        #expect(JournalVerifier.verify(try Paths.read(path)).intact)
    }
}
