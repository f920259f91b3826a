@testable import MusterBasics
@testable import MusterFormat
@testable import MusterEngine
@testable import MusterJournal
@testable import MusterApp
@testable import MusterTesting
import Testing

/// The machine alone: given these events, the next action is this. No
/// executor, no journal file, no clock, no process.
@Suite("the run machine decides what is next from the plan and the events")
struct RunMachineTests {
    static let runbook = """
    muster: 1
    name: t
    title: Machine
    steps:
      - id: prep
        title: Prepare
        manual: [Announce, Freeze deploys]
        ask:
          ticket: Ticket?
      - id: db
        title: Database
        runbook: child
      - id: promote
        title: Promote
        confirm: true
        run: promote
        retries: 1
      - id: verify
        title: Verify
        run: verify
        on_failure: continue
    """
    static let child = """
    muster: 1
    name: child
    title: Child
    steps:
      - id: snap
        title: Snapshot
        run: snapshot
      - id: check
        title: Check
        wait:
          run: check
          timeout: 1m
          every: 5s
    """

    func machine(yes: Bool = false) throws -> RunMachine {
        let rb = try loadRunbook(Self.runbook)
        let child = try loadRunbook(Self.child, name: "child")
        return RunMachine(plan: FlatPlan(rb, includes: ["child": child]), yes: yes)
    }

    /// Folds events as the journal would hold them.
    struct Events {
        var state = RunState()
        /// Every event added, for ReplayCheck.
        var events: [JournalEvent] = []
        mutating func add(_ kind: JournalEvent.Kind, _ step: String? = nil, _ fill: (inout JournalEvent) -> Void = { _ in }) {
            var e = JournalEvent(seq: state.lastSeq + 1, event: kind)
            e.step = step
            fill(&e)
            state.apply(e)
            events.append(e)
        }
        mutating func done(_ step: String) { add(.stepFinished, step) { $0.outcome = "done" } }
        mutating func failedAttempt(_ step: String, _ n: Int, text: String = "exited with status 1") {
            add(n == 1 ? .stepStarted : .attemptStarted, step) { $0.attempt = n }
            add(.attemptFinished, step) { $0.attempt = n; $0.exit = 1; $0.text = text }
        }
    }

    @Test func theFlatPlanKeysIncludedStepsUnderTheirParent() throws {
        let m = try machine()
        #expect(m.plan.entries.map(\.key) == ["prep", "db", "db/snap", "db/check", "promote", "verify"])
        #expect(m.plan["db/snap"]?.parent == "db")
        #expect(m.plan.index(of: "promote") == 4)
    }

    @Test func aChecklistIsBegunThenEachItemThenEachQuestionThenFinished() throws {
        let m = try machine()
        var ev = Events()
        #expect(m.next(ev.state) == .begin("prep"))
        ev.add(.stepStarted, "prep")
        #expect(m.next(ev.state) == .askItem("prep", 0))
        ev.add(.note, "prep") { $0.item = 0; $0.text = "a note answers nothing" }
        #expect(m.next(ev.state) == .askItem("prep", 0))
        ev.add(.itemAnswered, "prep") { $0.item = 0; $0.answer = "done" }
        #expect(m.next(ev.state) == .askItem("prep", 1))
        ev.add(.itemAnswered, "prep") { $0.item = 1; $0.answer = "skipped" }
        #expect(m.next(ev.state) == .askQuestion("prep", "ticket"))
        ev.add(.answered, "prep") { $0.name = "ticket"; $0.value = "T-1" }
        #expect(m.next(ev.state) == .finishStep("prep"))
    }

    @Test func anIncludeIsBegunRunsItsStepsAndFinishesAfterThem() throws {
        let m = try machine()
        var ev = Events()
        ev.done("prep")
        #expect(m.next(ev.state) == .begin("db"))
        ev.add(.stepStarted, "db")
        #expect(m.next(ev.state) == .attempt("db/snap", 1))
        ev.add(.stepStarted, "db/snap") { $0.attempt = 1 }
        // The session ended while it ran: not idempotent, so ask.
        #expect(m.next(ev.state) == .resumeInterrupted("db/snap"))
        // --yes answers for nobody there: the session pauses, naming the step.
        guard case .pause("db/snap", let why) = try machine(yes: true).next(ev.state) else {
            Issue.record("--yes should pause at an interrupted step that is not idempotent")
            return
        }
        #expect(why.contains("not idempotent; resume without --yes"))
        ev.add(.failureChoice, "db/snap") { $0.answer = "retry" }
        #expect(m.next(ev.state) == .attempt("db/snap", 2))
        ev.add(.attemptStarted, "db/snap") { $0.attempt = 2 }
        ev.done("db/snap")
        ev.add(.stepStarted, "db/check") { $0.attempt = 1 }
        // A wait only reads: it runs again unasked.
        #expect(m.next(ev.state) == .attempt("db/check", 2))
        ev.done("db/check")
        #expect(m.next(ev.state) == .finishStep("db"))
    }

    @Test func aGateComesFirstThenRetriesThenTheFailurePolicy() throws {
        var ev = Events()
        for k in ["prep", "db/snap", "db/check", "db"] { ev.done(k) }
        #expect(try machine().next(ev.state) == .gate("promote"))
        // --yes passes the gate for the operator (journaled as automatic).
        #expect(try machine(yes: true).next(ev.state) == .passGate("promote"))
        ev.add(.gateAnswered, "promote") { $0.answer = "run" }
        #expect(try machine().next(ev.state) == .attempt("promote", 1))
        ev.failedAttempt("promote", 1)
        #expect(try machine().next(ev.state) == .attempt("promote", 2))
        ev.failedAttempt("promote", 2)
        #expect(try machine().next(ev.state) == .onFailure("promote", .ask))
        #expect(try machine(yes: true).next(ev.state) == .onFailure("promote", .abort))
        ev.add(.failureChoice, "promote") { $0.answer = "retry" }
        #expect(try machine().next(ev.state) == .attempt("promote", 3))
    }

    @Test func anAutomaticRetryWaitsItsDelayFromTheFailedAttemptsEnd() throws {
        let rb = try loadRunbook("""
        muster: 1
        name: t
        title: Retry
        steps:
          - id: flaky
            title: Flaky
            run: flaky
            retries: 1
            retry_delay: 30s
        """)
        let m = RunMachine(plan: FlatPlan(rb, includes: [:]), yes: false)
        var ev = Events()
        ev.add(.stepStarted, "flaky") { $0.attempt = 1; $0.t = 10 }
        ev.add(.attemptFinished, "flaky") { $0.attempt = 1; $0.exit = 1; $0.text = "exited with status 1"; $0.t = 12 }
        #expect(m.next(ev.state, now: 12) == .sleepUntil("flaky", 42))
        // A session resumed 18 s later waits what is left, until the same time.
        #expect(m.next(ev.state, now: 30) == .sleepUntil("flaky", 42))
        #expect(m.next(ev.state, now: 42) == .attempt("flaky", 2))
        #expect(m.next(ev.state) == .attempt("flaky", 2))
        // `r` answered at the menu retries at once.
        ev.add(.failureChoice, "flaky") { $0.answer = "retry"; $0.t = 13 }
        #expect(m.next(ev.state, now: 13) == .attempt("flaky", 2))
    }

    @Test func anAttemptTheOperatorStoppedIsNeverRetriedUnasked() throws {
        var ev = Events()
        for k in ["prep", "db/snap", "db/check", "db"] { ev.done(k) }
        ev.add(.gateAnswered, "promote") { $0.answer = "run" }
        ev.failedAttempt("promote", 1, text: RunState.stoppedByOperator)
        #expect(try machine().next(ev.state) == .onFailure("promote", .ask))
    }

    @Test func aFailureThatGoesOnEndsTheRunFailed() throws {
        let m = try machine()
        var ev = Events()
        for k in ["prep", "db/snap", "db/check", "db", "promote"] { ev.done(k) }
        ev.failedAttempt("verify", 1)
        #expect(m.next(ev.state) == .onFailure("verify", .continue))
        ev.add(.stepFinished, "verify") { $0.outcome = "failed" }
        #expect(m.next(ev.state) == .finish(.failed))
        ev.state.finished["verify"] = .skipped
        #expect(m.next(ev.state) == .finish(.completed))
    }

    @Test func aRollbackChosenInAnEarlierSessionGoesOn() throws {
        let m = try machine()
        var ev = Events()
        ev.done("prep")
        ev.add(.stepStarted, "db")
        ev.failedAttempt("db/snap", 1)
        ev.add(.failureChoice, "db/snap") { $0.answer = "rollback" }
        #expect(m.next(ev.state) == .rollBack(reason: "operator chose to roll back at 'db/snap'", unfinished: "db/snap"))
        ev.add(.stepFinished, "db/snap") { $0.outcome = "failed" }
        ev.add(.rollbackStarted) { $0.text = "why" }
        // Nothing here has a rollback command: the rollback is over at once.
        #expect(m.next(ev.state) == .finish(.rolledBack))
        #expect(m.rollbackDue(ev.state))
        #expect(m.rollbackReason(ev.state) == "why")
    }

    @Test func aFailureWhosePolicyIsRollbackRollsBackEvenIfTheSessionEndedFirst() throws {
        let rb = try loadRunbook("""
        muster: 1
        name: t
        title: Rollback
        steps:
          - id: a
            title: A
            run: a
            rollback: undo-a
          - id: b
            title: B
            run: b
            rollback: undo-b
            on_failure: rollback
        """)
        let m = RunMachine(plan: FlatPlan(rb, includes: [:]), yes: true)
        var ev = Events()
        ev.done("a")
        ev.failedAttempt("b", 1)
        #expect(m.next(ev.state) == .onFailure("b", .rollback))
        ev.add(.stepFinished, "b") { $0.outcome = "failed" }
        #expect(m.next(ev.state) == .rollBack(reason: "step 'b' failed", unfinished: nil))
    }

    @Test func aRollbackUndoesCompletedStepsNewestFirstAndTheFailedOneFirstWhenOffered() throws {
        let rb = try loadRunbook("""
        muster: 1
        name: t
        title: Undo
        steps:
          - id: a
            title: A
            run: a
            rollback: undo-a
          - id: plain
            title: No rollback
            run: plain
          - id: c
            title: C
            run: c
            rollback: undo-c
          - id: skipped
            title: Skipped
            run: s
            rollback: undo-s
          - id: d
            title: D
            run: d
            rollback: undo-d
        """)
        let m = RunMachine(plan: FlatPlan(rb, includes: [:]), yes: false)
        var ev = Events()
        for k in ["a", "plain", "c"] { ev.done(k) }
        ev.add(.stepFinished, "skipped") { $0.outcome = "skipped" }
        ev.failedAttempt("d", 1)
        ev.add(.stepFinished, "d") { $0.outcome = "failed" }
        #expect(m.undo(ev.state, offerOwn: false) == ["c", "a"])
        #expect(m.undo(ev.state, offerOwn: true) == ["d", "c", "a"])
        ev.add(.rollbackStarted) { $0.text = "why" }
        ev.add(.rollbackStarted, "d")
        ev.add(.rollbackFinished, "d") { $0.exit = 0 }
        // A resumed rollback goes on where it stopped.
        #expect(m.undo(ev.state, offerOwn: true) == ["c", "a"])
    }

    @Test func eachRollbackCommandIsAnActionOfItsOwnUntilTheRollbackEnds() throws {
        let rb = try loadRunbook("""
        muster: 1
        name: t
        title: Undo
        steps:
          - id: a
            title: A
            run: a
            rollback: undo-a
          - id: c
            title: C
            run: c
            rollback: undo-c
          - id: d
            title: D
            run: d
            rollback: undo-d
        """)
        let m = RunMachine(plan: FlatPlan(rb, includes: [:]), yes: false)
        var ev = Events()
        for k in ["a", "c"] { ev.done(k) }
        ev.failedAttempt("d", 1)
        ev.add(.failureChoice, "d") { $0.answer = "rollback" }
        ev.add(.stepFinished, "d") { $0.outcome = "failed" }
        #expect(m.next(ev.state) == .rollBack(reason: "operator chose to roll back at 'd'", unfinished: nil))
        ev.add(.rollbackStarted) { $0.text = "operator chose to roll back at 'd'" }
        // The failed step's own first (offered without --yes), then newest first.
        #expect(m.next(ev.state) == .rollBackStep("d"))
        #expect(RunMachine(plan: m.plan, yes: true).next(ev.state) == .rollBackStep("c"))
        // Not run (it lacked a value): journaled, and the machine goes on.
        ev.add(.rollbackFinished, "d") { $0.text = "not run" }
        #expect(m.next(ev.state) == .rollBackStep("c"))
        ev.add(.rollbackStarted, "c")
        // The session ended while it ran: it is still the next.
        #expect(m.next(ev.state) == .rollBackStep("c"))
        ev.add(.rollbackStarted, "c")
        ev.add(.rollbackFinished, "c") { $0.exit = 1 }
        #expect(m.next(ev.state) == .rollBackStep("a"))
        ev.add(.rollbackStarted, "a")
        ev.add(.rollbackFinished, "a") { $0.exit = 0 }
        // One failed: the rollback is incomplete, whichever session ran it.
        #expect(m.next(ev.state) == .finish(.rollbackIncomplete))
        ev.state.rollbackResults["c"] = true
        #expect(m.next(ev.state) == .finish(.rolledBack))
    }

    @Test func aPipelineStartedBeforeTheSessionEndedIsFollowed() throws {
        let rb = try loadRunbook("""
        muster: 1
        name: t
        title: CI
        steps:
          - id: build
            title: Build
            ci: {provider: buildbot, url: "http://ci:8010", builder: deploy}
        """)
        let m = RunMachine(plan: FlatPlan(rb, includes: [:]), yes: false)
        var ev = Events()
        ev.add(.stepStarted, "build") { $0.attempt = 1 }
        #expect(m.next(ev.state) == .resumeInterrupted("build"))
        ev.add(.pipelineStarted, "build") { $0.value = "42" }
        #expect(m.next(ev.state) == .follow("build", 1))
        // Started in this session, it is followed the same way: the trigger
        // and the looks are two actions.
        ev.add(.attemptFinished, "build") { $0.attempt = 1; $0.exit = 1; $0.text = "the pipeline failed" }
        ev.add(.failureChoice, "build") { $0.answer = "retry" }
        #expect(m.next(ev.state) == .attempt("build", 2))
        ev.add(.attemptStarted, "build") { $0.attempt = 2 }
        #expect(ev.state.pipelines["build"] == nil && ev.state.legacyPipelines["build"] == nil)
        ev.add(.pipelineStarted, "build") { $0.pipeline = PipelineRef(provider: .buildbot, kind: "build_request", [.init("id", 43), .init("builder", 1)]) }
        #expect(m.next(ev.state) == .follow("build", 2))
    }
}
