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
