import Foundation
@testable import MusterBasics
@testable import MusterFormat
@testable import MusterEngine
@testable import MusterJournal
@testable import MusterDrills
import Testing

/// A run's report from its events: the numbers are the drill record's, the
/// rest (guard breaches, denials, hand-offs, notes) read in journal order.
@Suite("run report")
struct RunReportModelTests {
    func event(_ seq: Int, _ t: Double, _ kind: JournalEvent.Kind, step: String? = nil, _ fill: (inout JournalEvent) -> Void = { _ in }) -> JournalEvent {
        var e = JournalEvent(seq: seq, at: UTCTime.format(Date(timeIntervalSince1970: 1_796_000_000 + t)), t: t, event: kind)
        e.step = step
        fill(&e)
        return e
    }

    var events: [JournalEvent] {
        let info = JournalEvent.RunInfo(runID: "20261206T090000Z-db", runbook: "db", runbookPath: "runbooks/db.yaml", runbookHash: "", operatorName: "alice",
                                        host: "bastion", params: [:], yes: false, startedAt: UTCTime.format(Date(timeIntervalSince1970: 1_796_000_000)))
        return [
            event(1, 0, .runStarted) { $0.run = info },
            event(2, 0, .stepStarted, step: "check") { $0.text = "manual" },
            event(3, 20, .note, step: "check") { $0.item = 0; $0.text = "replica lag 3s" },
            event(4, 40, .itemAnswered, step: "check") { $0.item = 0; $0.answer = "done" },
            event(5, 40, .stepFinished, step: "check") { $0.outcome = "done" },
            event(6, 40, .stepStarted, step: "promote") { $0.text = "run" },
            event(7, 40, .approvalRequested, step: "promote") { $0.value = "1 of ic, sec" },
            event(8, 70, .approvalDenied, step: "promote") { $0.by = "ic"; $0.text = "wrong region" },
            event(9, 80, .approvalRequested, step: "promote") { $0.value = "1 of ic, sec" },
            event(10, 100, .approvalGiven, step: "promote") { $0.by = "sec" },
            event(11, 105, .guardBreached) { $0.value = "error-rate"; $0.text = "5xx at 12%" },
            event(12, 110, .guardAnswered) { $0.value = "error-rate"; $0.answer = "continue" },
            event(13, 120, .handoff) { $0.by = "bob"; $0.value = "a request"; $0.text = "shift change" },
            event(14, 130, .stepFinished, step: "promote") { $0.outcome = "done" },
            event(15, 130, .runFinished) { $0.outcome = "completed" },
        ]
    }

    @Test func theTimelineSplitsPeopleFromMachinesAndListsWhatHappenedInOrder() throws {
        let r = try #require(RunReport.build(events: events, steps: nil, rtoSeconds: 600))
        #expect(r.kind == .incident && r.state == "completed" && r.recovered && !r.runbookKnown)
        // Without the runbook each step's kind is the one it journaled.
        #expect(r.steps.map(\.id) == ["check", "promote"] && r.steps.map(\.kind) == ["manual", "run"])
        let check = r.steps[0], promote = r.steps[1]
        #expect(check.seconds == 40 && check.peopleSeconds == 40 && check.machineSeconds == 0)
        // The denial, the approval and the hand-off were people's time; the rest the machines'.
        #expect(promote.seconds == 90 && promote.peopleSeconds == 50, "\(promote)")
        #expect(r.record.rtoMet == true && r.record.rtoSeconds == 600)
        #expect(r.guardBreaches == [.init(guardKey: "error-rate", atSeconds: 105, why: "5xx at 12%", answer: "continue")])
        #expect(r.denials == [.init(step: "promote", by: "ic", atSeconds: 70, reason: "wrong region")])
        #expect(r.record.approvals?.map(\.by) == ["sec"] && r.record.approvals?.first?.waitedSeconds == 20)
        #expect(r.record.handoffs?.first?.to == "bob" && r.record.handoffs?.first?.reason == "shift change")
        #expect(r.decisions.isEmpty)
        #expect(r.moments.map(\.kind) == [.started, .step, .note, .step, .approvalRequested, .denial, .approvalRequested, .approval,
                                          .guardBreach, .guardAnswer, .handoff, .finished])
        #expect(r.moments.contains { $0.text == "note on item 1: replica lag 3s" })
        #expect(r.moments.contains { $0.text == "handed over from alice to bob: shift change" })
    }

    @Test func anUnfinishedRunSaysSo() throws {
        let paused = Array(events.prefix(9)) + [event(16, 85, .runPaused) { $0.text = "operator aborted" }]
        let r = try #require(RunReport.build(events: paused, steps: nil, rtoSeconds: 600))
        #expect(r.state == "paused" && !r.finished)
        // The step it paused in is on the timeline, unfinished.
        #expect(r.moments.contains { $0.kind == .step && $0.text == "promote: started, not finished" }, "\(r.moments)")
        #expect(r.steps.map(\.id) == ["check"])
        #expect(r.record.rtoMet == false)
        #expect(RunReport.state(paused + [event(17, 90, .runResumed)]) == "running")
        #expect(RunReport.state(paused + [event(17, 90, .runAbandoned)]) == "abandoned")
    }

    @Test func aTrainingScoreReadsTheSameEverywhere() {
        let t = DrillRecord.Training(escalatedWithin: true, contactOK: false, escalatedAfterSeconds: 130)
        #expect(t.score == "escalated 2m10s after the first fault: in time, not to the expected rung")
        #expect(!t.passed)
        #expect(DrillRecord.Training(escalatedWithin: false, contactOK: false, escalatedAfterSeconds: nil).score
                == "never escalated: not in time, not to the expected rung")
    }
}
