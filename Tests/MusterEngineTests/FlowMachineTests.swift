@testable import MusterBasics
@testable import MusterFormat
@testable import MusterEngine
@testable import MusterTesting
import Testing

/// Groups and `finally` as the machine walks them, from events alone: a
/// group's steps are keyed under it and run in order, a finished group's
/// steps are never visited, and `finally` runs however the run ends
/// without changing how it ended.
@Suite("the machine walks groups and finally")
struct FlowMachineTests {
    static let runbook = """
    muster: 1
    name: t
    title: Flow
    steps:
      - id: a
        title: A
        run: a
        rollback: undo-a
      - id: rebuild
        title: Rebuild
        steps:
          - {id: create, title: Create, run: create}
          - {id: check, title: Check, run: check, on_failure: continue}
      - id: b
        title: B
        run: b
    finally:
      - id: cleanup
        title: Clean up
        run: cleanup
      - id: post
        title: Post
        manual: [Post the status]
    """

    typealias Events = RunMachineTests.Events

    func machine(yes: Bool = false) throws -> RunMachine {
        RunMachine(plan: FlatPlan(try loadRunbook(Self.runbook), includes: [:]), yes: yes)
    }

    @Test func aGroupsStepsAreKeyedUnderItAndRunInOrderThenItFinishes() throws {
        let m = try machine()
        #expect(m.plan.entries.map(\.key) == ["a", "rebuild", "rebuild/create", "rebuild/check", "b", "cleanup", "post"])
        #expect(m.plan["rebuild/check"]?.parent == "rebuild")
        #expect(m.plan["rebuild/check"]?.scope == nil, "a group shares its runbook's values")
        #expect(m.plan["cleanup"]?.isFinally == true)
        var ev = Events()
        ev.done("a")
        #expect(m.next(ev.state) == .begin("rebuild"))
        ev.add(.stepStarted, "rebuild")
        #expect(m.next(ev.state) == .attempt("rebuild/create", 1))
        ev.done("rebuild/create")
        #expect(m.next(ev.state) == .attempt("rebuild/check", 1))
        ev.done("rebuild/check")
        #expect(m.next(ev.state) == .finishStep("rebuild"))
        ev.done("rebuild")
        #expect(m.next(ev.state) == .attempt("b", 1))
    }

    @Test func aFinishedGroupsStepsAreNeverVisited() throws {
        let m = try machine()
        var ev = Events()
        ev.done("a")
        // Skipped as a whole (by its condition, or `s` at its gate).
        ev.add(.stepFinished, "rebuild") { $0.outcome = "skipped" }
        #expect(m.next(ev.state) == .attempt("b", 1))
    }

    @Test func finallyRunsAfterTheLastStepAndDoesNotChangeTheEnd() throws {
        let m = try machine()
        var ev = Events()
        for k in ["a", "rebuild/create", "rebuild/check", "rebuild", "b"] { ev.done(k) }
        #expect(m.next(ev.state) == .attempt("cleanup", 1))
        // A finally step that fails is its own: the run still completed.
        ev.failed("cleanup", "exited with status 2")
        #expect(m.next(ev.state) == .begin("post"))
        ev.add(.stepStarted, "post")
        ev.done("post")
        #expect(m.next(ev.state) == .finish(.completed))
    }

    @Test func finallyRunsAfterAFailureThatAbortedTheRunAndItStaysFailed() throws {
        let m = try machine(yes: true)
        var ev = Events()
        ev.failed("a", "exited with status 1")
        #expect(m.next(ev.state) == .attempt("cleanup", 1), "the abort ends the steps, not the run's cleanup")
        ev.done("cleanup")
        ev.add(.stepStarted, "post")
        ev.done("post")
        #expect(m.next(ev.state) == .finish(.failed))
        #expect(m.failedBecause(ev.state) == "step 'a' exited with status 1")
    }

    @Test func finallyRunsAfterARollback() throws {
        let m = try machine()
        var ev = Events()
        ev.done("a")
        ev.failed("rebuild/create", "exited with status 1")
        ev.add(.failureChoice, "rebuild/create") { $0.answer = "rollback" }
        ev.add(.rollbackStarted) { $0.text = "operator chose to roll back" }
        #expect(m.next(ev.state) == .rollBackStep("a"))
        ev.add(.rollbackFinished, "a") { $0.exit = 0 }
        #expect(m.next(ev.state) == .attempt("cleanup", 1))
        ev.done("cleanup")
        ev.add(.stepStarted, "post")
        ev.done("post")
        #expect(m.next(ev.state) == .finish(.rolledBack))
    }

    @Test func abandonedWithItsFinallyFirstOnlyFinallyRunsThenTheRunIsAbandoned() throws {
        let m = try machine()
        var ev = Events()
        ev.done("a")
        ev.add(.runClosing) { $0.by = "bob"; $0.text = "superseded" }
        #expect(m.next(ev.state) == .attempt("cleanup", 1), "the group and b never run")
        ev.done("cleanup")
        ev.add(.stepStarted, "post")
        ev.done("post")
        #expect(m.next(ev.state) == .finish(.abandoned))
    }

    @Test func aGroupWhoseStepFailedAndWentOnFailsWithoutAbortingTheRun() throws {
        let m = try machine()
        var ev = Events()
        ev.done("a")
        ev.add(.stepStarted, "rebuild")
        ev.done("rebuild/create")
        ev.failed("rebuild/check", "exited with status 1")
        #expect(m.next(ev.state) == .finishStep("rebuild"))
        ev.add(.stepFinished, "rebuild") { $0.outcome = "failed"; $0.text = "a step in the group failed" }
        #expect(m.next(ev.state) == .attempt("b", 1), "on_failure: continue inside the group lets the run go on")
        ev.done("b")
        ev.done("cleanup")
        ev.add(.stepStarted, "post")
        ev.done("post")
        #expect(m.next(ev.state) == .finish(.failed))
        #expect(m.failedBecause(ev.state) == nil, "no single step ended the run")
    }
}

/// `for_each` as the machine walks it: the items its start journaled, one
/// at a time, keyed `id[item]`; no new item once too many failed; a
/// rollback undoes them item by item, newest first.
@Suite("the machine walks for_each")
struct LoopMachineTests {
    static let runbook = """
    muster: 1
    name: t
    title: Loops
    params:
      services: {default: "api"}
    steps:
      - id: redeploy
        title: Redeploy {{ service }}
        for_each: {in: services, as: service, max_failures: 1}
        run: deploy {{ service }}
        rollback: undeploy {{ service }}
        on_failure: continue
      - id: after
        title: After
        run: after
    """

    typealias Events = RunMachineTests.Events

    @Test func itemsComeFromTheStartAndRunInOrderKeyedByItem() throws {
        let m = RunMachine(plan: FlatPlan(try loadRunbook(Self.runbook), includes: [:]), yes: false)
        var ev = Events()
        #expect(m.next(ev.state) == .begin("redeploy"))
        ev.add(.stepStarted, "redeploy") { $0.items = ["api", "web", "worker"] }
        #expect(m.next(ev.state) == .attempt("redeploy[api]", 1))
        let item = try #require(m.plan["redeploy[web]"])
        #expect(item.parent == "redeploy" && item.item?.name == "service" && item.item?.value == "web")
        #expect(item.step.forEach == nil, "an item is the step itself, once")
        #expect(m.plan["redeploy[no such]"] == nil && m.plan["after[x]"] == nil, "only a loop's items, only names")
        #expect(m.plan.index(of: "redeploy[web]") == m.plan.index(of: "redeploy"))
        ev.done("redeploy[api]")
        #expect(m.next(ev.state) == .attempt("redeploy[web]", 1))
        ev.done("redeploy[web]")
        ev.done("redeploy[worker]")
        #expect(m.next(ev.state) == .finishStep("redeploy"))
        ev.done("redeploy")
        #expect(m.next(ev.state) == .attempt("after", 1))
    }

    @Test func onceMoreItemsFailedThanAllowedNoNewOneStarts() throws {
        let m = RunMachine(plan: FlatPlan(try loadRunbook(Self.runbook), includes: [:]), yes: false)
        var ev = Events()
        ev.add(.stepStarted, "redeploy") { $0.items = ["a", "b", "c", "d"] }
        ev.failed("redeploy[a]", "exited with status 1")
        #expect(m.next(ev.state) == .attempt("redeploy[b]", 1), "max_failures: 1 lets one fail")
        ev.failed("redeploy[b]", "exited with status 1")
        #expect(m.next(ev.state) == .finishStep("redeploy"), "the second failure is one too many")
        ev.add(.stepFinished, "redeploy") { $0.outcome = "failed"; $0.text = "2 of 4 items failed" }
        #expect(m.next(ev.state) == .attempt("after", 1), "the loop's on_failure: continue lets the run go on")
    }

    @Test func aRollbackUndoesItemsNewestFirstNotTheLoopAsAWhole() throws {
        let m = RunMachine(plan: FlatPlan(try loadRunbook(Self.runbook), includes: [:]), yes: true)
        var ev = Events()
        ev.add(.stepStarted, "redeploy") { $0.items = ["a", "b"] }
        ev.done("redeploy[a]")
        ev.done("redeploy[b]")
        ev.done("redeploy")
        ev.add(.rollbackStarted) { $0.text = "operator chose to roll back" }
        #expect(m.undo(ev.state, offerOwn: false) == ["redeploy[b]", "redeploy[a]"])
    }
}

/// `when:` as the machine decides it: evaluated once before the step
/// begins, a false one skips the step (a group with all its steps), one
/// that could not be evaluated fails into the usual choices, and `r`
/// evaluates it again.
@Suite("the machine decides on conditions")
struct ConditionMachineTests {
    static let runbook = """
    muster: 1
    name: t
    title: Conditions
    steps:
      - id: measure
        title: Measure
        run: measure
        outputs: {lag: {regex: 'lag=(\\\\d+)'}}
      - id: promote
        title: Promote
        when: lag < 30
        run: promote
      - id: rebuild
        title: Rebuild
        when: steps.promote.outcome == "skipped"
        steps:
          - {id: restore, title: Restore, run: restore}
      - id: check
        title: Check
        when: lag < 100
        manual: [Look]
    """

    typealias Events = RunMachineTests.Events

    @Test func aConditionIsCheckedOnceThenTheStepRunsOrIsSkipped() throws {
        let m = RunMachine(plan: FlatPlan(try loadRunbook(Self.runbook), includes: [:]), yes: false)
        var ev = Events()
        ev.done("measure")
        #expect(m.next(ev.state) == .checkCondition("promote"))
        ev.add(.conditionChecked, "promote") { $0.value = "false"; $0.text = "lag < 30 is false (lag = 42)" }
        #expect(m.next(ev.state) == .skip("promote", because: "lag < 30 is false (lag = 42)"))
        ev.add(.stepFinished, "promote") { $0.outcome = "skipped" }
        #expect(m.next(ev.state) == .checkCondition("rebuild"))
        ev.add(.conditionChecked, "rebuild") { $0.value = "true" }
        #expect(m.next(ev.state) == .begin("rebuild"), "a condition that holds is not checked again")
        ev.add(.stepStarted, "rebuild")
        #expect(m.next(ev.state) == .attempt("rebuild/restore", 1))
    }

    @Test func aFalseConditionOnAGroupSkipsEveryStepInIt() throws {
        let m = RunMachine(plan: FlatPlan(try loadRunbook(Self.runbook), includes: [:]), yes: false)
        var ev = Events()
        ev.done("measure")
        ev.done("promote")
        ev.add(.conditionChecked, "rebuild") { $0.value = "false"; $0.text = "steps.promote.outcome == \"skipped\" is false" }
        #expect(m.next(ev.state) == .skip("rebuild", because: "steps.promote.outcome == \"skipped\" is false"))
        ev.add(.stepFinished, "rebuild") { $0.outcome = "skipped" }
        #expect(m.next(ev.state) == .checkCondition("check"), "rebuild/restore is never visited")
    }

    @Test func aConditionThatCannotBeEvaluatedFailsIntoTheChoicesAndRetriesEvaluateAgain() throws {
        let ask = RunMachine(plan: FlatPlan(try loadRunbook(Self.runbook), includes: [:]), yes: false)
        var ev = Events()
        ev.done("measure")
        ev.done("promote")
        ev.add(.stepFinished, "rebuild") { $0.outcome = "skipped" }
        ev.add(.conditionChecked, "check") { $0.text = "its condition could not be evaluated: lag has no value" }
        #expect(ask.next(ev.state) == .onFailure("check", .ask))
        ev.add(.failureChoice, "check") { $0.answer = "retry" }
        #expect(ask.next(ev.state) == .checkCondition("check"))
        ev.add(.conditionChecked, "check") { $0.value = "true" }
        #expect(ask.next(ev.state) == .begin("check"))

        // With --yes a checklist whose condition cannot be decided aborts the run.
        let yes = RunMachine(plan: ask.plan, yes: true)
        var aborted = Events()
        aborted.done("measure")
        aborted.done("promote")
        aborted.add(.stepFinished, "rebuild") { $0.outcome = "skipped" }
        aborted.add(.conditionChecked, "check") { $0.text = "its condition could not be evaluated: lag has no value" }
        #expect(yes.next(aborted.state) == .onFailure("check", .abort))
        aborted.failed("check", "its condition could not be evaluated: lag has no value")
        #expect(yes.next(aborted.state) == .finish(.failed))
        #expect(yes.failedBecause(aborted.state) == "step 'check' its condition could not be evaluated: lag has no value")
    }
}

/// `RunMachine.settle` lets the walk start past the finished steps; what
/// the machine says must not change for it.
@Suite("the machine's walk from the settled place")
struct SettledWalkTests {
    static let runbook = """
    muster: 1
    name: t
    title: Settled
    steps:
      - {id: a, title: A, run: a}
      - id: maybe
        title: Maybe
        when: "false"
        run: maybe
      - id: rebuild
        title: Rebuild
        steps:
          - {id: create, title: Create, run: create}
          - {id: flaky, title: Flaky, run: flaky, on_failure: continue}
      - id: both
        title: Both
        parallel:
          branches:
            - {id: left, title: Left, run: left}
            - {id: right, title: Right, run: right}
      - id: redeploy
        title: Redeploy {{ service }}
        for_each: {in: [api, web, worker], as: service, max_parallel: 2}
        run: deploy {{ service }}
      - id: check
        title: Check
        manual: [Look]
      - {id: b, title: B, run: b}
    finally:
      - {id: cleanup, title: Clean up, run: cleanup}
    """

    @Test func everyActionIsTheSameAsFromTheTopOfThePlan() throws {
        let m = RunMachine(plan: FlatPlan(try loadRunbook(Self.runbook), includes: [:]), yes: true)
        var ev = RunMachineTests.Events()
        var finished = false
        for _ in 0..<200 {
            m.settle(&ev.state)
            var fromTop = ev.state
            fromTop.settled = 0
            let actions = m.actions(ev.state)
            #expect(actions == m.actions(fromTop), "settled at \(ev.state.settled)")
            guard let action = actions.first else { break }
            switch action {
            case .begin(let k):
                ev.add(.stepStarted, k) { if m.plan[k]?.step.forEach != nil { $0.items = ["api", "web", "worker"] } }
            case .attempt(let k, let n) where k == "rebuild/flaky":
                ev.failedAttempt(k, n)
            case .attempt(let k, let n):
                ev.add(n == 1 ? .stepStarted : .attemptStarted, k) { $0.attempt = n }
                ev.done(k)
            case .onFailure(let k, _):
                ev.add(.stepFinished, k) { $0.outcome = "failed"; $0.text = "failed" }
            case .checkCondition(let k):
                ev.add(.conditionChecked, k) { $0.value = "false"; $0.text = "its condition is false" }
            case .skip(let k, let because):
                ev.add(.stepFinished, k) { $0.outcome = "skipped"; $0.text = because }
            case .finishStep(let k):
                ev.done(k)
            case .tickItem(let k, let i):
                ev.add(.itemAnswered, k) { $0.item = i; $0.answer = "done"; $0.auto = true }
            case .finish:
                finished = true
            default:
                Issue.record("unexpected \(action)")
            }
            if finished { break }
        }
        #expect(finished)
        #expect(ev.state.finished["maybe"] == .skipped && ev.state.finished["rebuild/flaky"] == .failed)
        #expect(ev.state.finished["redeploy[worker]"] == .done && ev.state.finished["cleanup"] == .done)
        m.settle(&ev.state)
        #expect(ev.state.settled == m.plan.entries.count)
    }
}
