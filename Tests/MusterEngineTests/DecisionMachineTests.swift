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

    @Test func replayMatchesTheDecisionToTheQuestionAsked() {
        var e = JournalEvent(seq: 3, event: .decided)
        e.step = "go-no-go"
        #expect(ReplayCheck.matches(e, .decide("go-no-go")))
        #expect(!ReplayCheck.matches(e, .decide("other")))
        #expect(ReplayCheck.isDecided(.decided))
    }
}
