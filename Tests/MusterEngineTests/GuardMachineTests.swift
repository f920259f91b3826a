@testable import MusterBasics
@testable import MusterFormat
@testable import MusterEngine
@testable import MusterTesting
import Testing

/// Guards as the machine decides them, from events alone: a breach is
/// answered before anything new starts; `continue` goes on where the run
/// was; `rollback` and `abort` stop the steps in flight first, then roll
/// back or end the run failed (its `finally` still runs).
@Suite("the machine answers guards' breaches")
struct GuardMachineTests {
    typealias Events = RunMachineTests.Events

    static let runbook = """
    muster: 1
    name: t
    title: Guarded
    guards:
      - {id: health, title: Health holds, run: "true", every: 5s}
    steps:
      - {id: a, title: A, run: a, rollback: undo-a}
      - id: rebuild
        title: Rebuild
        guards:
          - {id: errors, title: Errors stay low, run: "true", on_breach: rollback}
        parallel:
          branches:
            - {id: x, title: X, run: x}
            - {id: y, title: Y, run: y}
      - {id: b, title: B, run: b}
    finally:
      - {id: tell, title: Tell, run: tell}
    """

    func machine(yes: Bool = false) throws -> RunMachine {
        RunMachine(plan: FlatPlan(try loadRunbook(Self.runbook), includes: [:]), yes: yes)
    }

    @Test func guardsAreKeyedByTheirScope() throws {
        let m = try machine()
        #expect(Set(m.plan.guards.keys) == ["health", "rebuild/errors"])
        #expect(m.plan.guards["rebuild/errors"]?.scope == "rebuild")
        #expect(m.plan.guards["health"]?.scope == nil)
    }

    @Test func aBreachIsAnsweredFirstAndContinueGoesOnWhereTheRunWas() throws {
        let m = try machine()
        var ev = Events()
        ev.done("a")
        ev.add(.guardBreached) { $0.value = "health"; $0.text = "exited with status 1" }
        #expect(m.actions(ev.state) == [.answerBreach("health", because: "exited with status 1")])
        ev.add(.guardAnswered) { $0.value = "health"; $0.answer = "continue" }
        #expect(m.actions(ev.state) == [.begin("rebuild")])
    }

    @Test func abortStopsTheStepsInFlightThenEndsTheRunFailedWithItsFinally() throws {
        let m = try machine()
        var ev = Events()
        ev.done("a")
        ev.add(.stepStarted, "rebuild")
        ev.add(.stepStarted, "rebuild/x") { $0.attempt = 1 }
        ev.add(.stepStarted, "rebuild/y") { $0.attempt = 1 }
        ev.add(.guardBreached) { $0.value = "health"; $0.text = "down" }
        ev.add(.guardAnswered) { $0.value = "health"; $0.answer = "abort" }
        #expect(m.actions(ev.state, busy: ["rebuild/x", "rebuild/y"]) == [.cancel(["rebuild/x", "rebuild/y"], because: "guard 'health' was breached: down")])
        ev.add(.attemptFinished, "rebuild/x") { $0.attempt = 1; $0.exit = 143; $0.text = "stopped by the operator" }
        ev.add(.attemptFinished, "rebuild/y") { $0.attempt = 1; $0.exit = 143; $0.text = "stopped by the operator" }
        #expect(m.actions(ev.state) == [.attempt("tell", 1)])
        ev.done("tell")
        #expect(m.actions(ev.state) == [.finish(.failed)])
        #expect(m.failedBecause(ev.state) == "guard 'health' was breached: down")
    }

    @Test func aGroupsGuardThatRollsBackStartsTheRollback() throws {
        let m = try machine()
        var ev = Events()
        ev.done("a")
        ev.add(.stepStarted, "rebuild")
        ev.add(.guardBreached) { $0.value = "rebuild/errors"; $0.text = "errors at 5%" }
        ev.add(.guardAnswered) { $0.value = "rebuild/errors"; $0.answer = "rollback"; $0.auto = true }
        #expect(m.actions(ev.state) == [.rollBack(reason: "guard 'rebuild/errors' was breached: errors at 5%", unfinished: nil)])
        ev.add(.rollbackStarted) { $0.text = "guard 'rebuild/errors' was breached: errors at 5%" }
        #expect(m.actions(ev.state) == [.rollBackStep("a")])
    }

    @Test func theRunbooksGuardsHoldUntilItsLastStepAndAGroupsWhileTheGroupRuns() throws {
        let m = try machine()
        var ev = Events()
        #expect(m.guardScopes(ev.state) == [""])
        ev.done("a")
        ev.add(.stepStarted, "rebuild")
        #expect(m.guardScopes(ev.state) == ["", "rebuild"])
        ev.done("rebuild/x")
        ev.done("rebuild/y")
        ev.done("rebuild")
        #expect(m.guardScopes(ev.state) == [""])
        ev.done("b")
        #expect(m.guardScopes(ev.state) == [], "the finally steps run unguarded")
    }

    @Test func noGuardIsPolledOnceTheRunIsEnding() throws {
        let m = try machine()
        var ev = Events()
        ev.add(.guardBreached) { $0.value = "health"; $0.text = "down" }
        #expect(m.guardScopes(ev.state) == [""])
        #expect(!m.takesBreach("health", ev.state), "an open breach is not taken twice")
        #expect(m.takesBreach("rebuild/errors", ev.state))
        ev.add(.guardAnswered) { $0.value = "health"; $0.answer = "abort" }
        #expect(m.guardScopes(ev.state) == [])
        #expect(!m.takesBreach("rebuild/errors", ev.state), "the run's end by a guard is decided")
    }

    @Test func onBreachOrYesAnswersWithoutAskingAndStopsTheStepAtWork() throws {
        let asked = try machine()
        #expect(asked.breachAnswer("health") == nil)
        #expect(asked.breachAnswer("rebuild/errors") == "rollback")
        #expect(try machine(yes: true).breachAnswer("health") == "abort")
        var ev = Events()
        ev.add(.guardBreached) { $0.value = "health"; $0.text = "down" }
        #expect(!asked.breachStopsStep(ev.state), "asked while the step goes on")
        #expect(try machine(yes: true).breachStopsStep(ev.state))
        ev.add(.guardAnswered) { $0.value = "health"; $0.answer = "continue" }
        ev.add(.guardBreached) { $0.value = "rebuild/errors"; $0.text = "5%" }
        #expect(asked.breachStopsStep(ev.state))
    }

    @Test func replayChecksTheAnswerAgainstTheBreach() throws {
        let m = try machine()
        var events: [JournalEvent] = []
        func add(_ kind: JournalEvent.Kind, _ step: String? = nil, _ fill: (inout JournalEvent) -> Void = { _ in }) {
            var e = JournalEvent(seq: events.count + 1, event: kind)
            e.step = step
            fill(&e)
            events.append(e)
        }
        add(.stepStarted, "a") { $0.attempt = 1 }
        add(.stepFinished, "a") { $0.outcome = "done"; $0.attempt = 1 }
        add(.guardBreached) { $0.value = "health"; $0.text = "down" }
        add(.guardAnswered) { $0.value = "health"; $0.answer = "continue" }
        #expect(ReplayCheck.check(events, plan: m.plan) == [])
        add(.guardAnswered) { $0.value = "rebuild/errors"; $0.answer = "abort" }
        #expect(ReplayCheck.check(events, plan: m.plan).map(\.seq) == [5], "no breach of that guard was open")
    }
}
