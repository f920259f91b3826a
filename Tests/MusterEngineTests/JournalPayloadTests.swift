@testable import MusterBasics
@testable import MusterFormat
@testable import MusterEngine
import Testing

/// The flat journal line read as what its kind says: `value` is an option,
/// a request, a guard's key or a legacy pipeline id depending on the kind,
/// and each comes out under its own name; a line missing a field gets the
/// default the fold always gave it.
@Suite("journal events read as typed payloads")
struct JournalPayloadTests {
    static func event(_ kind: JournalEvent.Kind, _ fill: (inout JournalEvent) -> Void = { _ in }) -> JournalEvent {
        var e = JournalEvent(seq: 1, event: kind)
        e.step = "s"
        fill(&e)
        return e
    }

    @Test func valueMeansWhatItsKindSays() {
        #expect(Self.event(.decided) { $0.name = "go"; $0.value = "failover"; $0.text = "lag"; $0.by = "ann" }.payload
                == .decided(name: "go", option: "failover", reason: "lag", by: "ann", masked: false))
        #expect(Self.event(.guardBreached) { $0.value = "db/lag" }.payload == .guardBreached(guardKey: "db/lag", why: "breached"))
        guard case .approvalGiven(let a) = Self.event(.approvalGiven, { $0.value = "approve-1.json"; $0.by = "bob" }).payload else {
            Issue.record("an approval_given is an approval")
            return
        }
        #expect(a.request == "approve-1.json" && a.signer == "user:bob")
        guard case .handoff(let h) = Self.event(.handoff, { $0.value = "takeover-2.json"; $0.by = "carol"; $0.text = "shift" }).payload else {
            Issue.record("a handoff is a handoff")
            return
        }
        #expect(h.request == "takeover-2.json" && h.by == "carol" && h.reason == "shift")
        // A release before typed pipeline references kept the id in `value`.
        #expect(Self.event(.pipelineStarted) { $0.value = "1234"; $0.item = 2 }.payload
                == .pipelineStarted(nil, text: nil, legacy: .init(id: "1234", item: 2)))
        #expect(Self.event(.pipelineStarted) { $0.value = "" }.payload == .pipelineStarted(nil, text: nil, legacy: nil))
    }

    @Test func missingFieldsTakeTheFoldsDefaults() {
        #expect(Self.event(.runPaused).payload == .runPaused(why: "paused"))
        #expect(Self.event(.attemptStarted).payload == .attemptStarted(attempt: 1))
        guard case .conditionChecked(let check) = Self.event(.conditionChecked, { $0.value = "maybe" }).payload else {
            Issue.record("a condition_checked is a condition's check")
            return
        }
        #expect(check.result == .cannot("its condition could not be evaluated"))
        guard case .approvalDenied(let denial, let reason) = Self.event(.approvalDenied, { $0.by = "bob" }).payload else {
            Issue.record("an approval_denied is a denial")
            return
        }
        #expect(denial == .init(request: nil, by: "bob") && denial.signer == "user:bob" && reason == "no reason given")
        // An outcome this release does not know: finished, with nothing to undo.
        guard case .stepFinished(let end) = Self.event(.stepFinished, { $0.outcome = "exploded" }).payload else {
            Issue.record("a step_finished is a step's end")
            return
        }
        #expect(end.outcome == .skipped && end.masked.isEmpty)
    }

    @Test func anAttemptFailedByItsExitItsTimeOrItsWords() {
        func end(_ fill: (inout JournalEvent) -> Void) -> JournalEvent.AttemptEnd? {
            if case .attemptFinished(let a) = Self.event(.attemptFinished, fill).payload { return a }
            return nil
        }
        #expect(end { $0.exit = 0 }?.failed == false)
        #expect(end { $0.exit = 2 }?.failed == true)
        #expect(end { $0.exit = 0; $0.timedOut = true }?.failed == true)
        #expect(end { $0.text = "expected 200, got 503" }?.failed == true)
        #expect(end { $0.interrupted = true }?.interrupted == true)
        // A training drill's unavailable rung: called, not answered.
        #expect(Self.event(.escalated) { $0.contact = "IC"; $0.item = 2; $0.text = JournalEvent.noAnswer }.payload
                == .escalated(contact: "IC", rung: 2, answered: false))
    }
}
