@testable import MusterBasics
@testable import MusterFormat
@testable import MusterEngine
@testable import MusterTesting
import Testing

/// A `decide` step as the machine sees it, from events alone: begun, then
/// asked until a decision event holds its option, which the conditions of
/// later steps read under the step's id; replay re-derives the question.
@Suite("the machine asks a decision and follows its option")
struct DecisionMachineTests {
    static let runbook = """
    muster: 1
    name: t
    title: Decide
    steps:
      - id: go-no-go
        title: Go?
        decide:
          options: [failover, wait]
      - id: switch
        title: Switch
        when: go-no-go == "failover"
        run: switch
    """

    typealias Events = RunMachineTests.Events

    @Test func aDecisionIsAskedUntilItsEventThenItsOptionIsAValue() throws {
        let m = RunMachine(plan: FlatPlan(try loadRunbook(Self.runbook), includes: [:]), yes: false)
        var ev = Events()
        #expect(m.next(ev.state) == .begin("go-no-go"))
        ev.add(.stepStarted, "go-no-go")
        #expect(m.next(ev.state) == .decide("go-no-go"))
        // An escalation meanwhile decides nothing.
        ev.add(.escalated, "go-no-go") { $0.contact = "IC" }
        #expect(m.next(ev.state) == .decide("go-no-go"))
        ev.add(.decided, "go-no-go") { $0.name = "go-no-go"; $0.value = "wait"; $0.text = "lag" }
        #expect(ev.state.values["go-no-go"]?["go-no-go"] == "wait")
        #expect(m.next(ev.state) == .finishStep("go-no-go"))
        ev.done("go-no-go")
        #expect(m.next(ev.state) == .checkCondition("switch"))
    }

    /// `--yes` answers for nobody at a decision: the machine pauses the
    /// session there, and a session without `--yes` is asked; replay holds
    /// each session to its own `--yes`.
    @Test func yesPausesAtADecisionAndTheNextSessionDecides() throws {
        let plan = FlatPlan(try loadRunbook(Self.runbook), includes: [:])
        let yes = RunMachine(plan: plan, yes: true)
        var ev = Events()
        ev.add(.runStarted, nil) {
            $0.run = JournalEvent.RunInfo(runID: "r", runbook: "t", runbookPath: "runbooks/t.yaml", runbookHash: "", operatorName: "alice", host: "h",
                                          params: [:], yes: true, startedAt: "2026-12-06T09:00:00Z")
        }
        ev.add(.stepStarted, "go-no-go")
        guard case .pause(let key, let because) = yes.next(ev.state) else {
            Issue.record("--yes should pause at the decision, not \(yes.next(ev.state))")
            return
        }
        #expect(key == "go-no-go" && because.contains("--yes never decides"))
        ev.add(.runPaused, nil) { $0.text = because }
        ev.add(.runResumed, nil) { $0.auto = false }
        #expect(RunMachine(plan: plan, yes: false).next(ev.state) == .decide("go-no-go"))
        ev.add(.decided, "go-no-go") { $0.name = "go-no-go"; $0.value = "wait"; $0.text = "lag" }
        #expect(ReplayCheck.check(ev.events, plan: plan).isEmpty)
    }

    @Test func yesTicksChecklistItemsAndAsksNothing() throws {
        let plan = FlatPlan(try loadRunbook("""
            muster: 1
            name: t
            title: Tick
            steps:
              - id: prep
                title: Prep
                manual: [one, two]
            """), includes: [:])
        var ev = Events()
        ev.add(.stepStarted, "prep")
        #expect(RunMachine(plan: plan, yes: true).next(ev.state) == .tickItem("prep", 0))
        #expect(RunMachine(plan: plan, yes: false).next(ev.state) == .askItem("prep", 0))
        var ticked = JournalEvent(seq: 2, event: .itemAnswered)
        ticked.step = "prep"
        ticked.item = 0
        #expect(ReplayCheck.matches(ticked, .tickItem("prep", 0)) && !ReplayCheck.matches(ticked, .tickItem("prep", 1)))
    }

    @Test func replayMatchesTheDecisionToTheQuestionAsked() {
        var e = JournalEvent(seq: 3, event: .decided)
        e.step = "go-no-go"
        #expect(ReplayCheck.matches(e, .decide("go-no-go")))
        #expect(!ReplayCheck.matches(e, .decide("other")))
        #expect(ReplayCheck.isDecided(.decided))
    }
}
