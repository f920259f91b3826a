@testable import MusterBasics
@testable import MusterFormat
@testable import MusterEngine
@testable import MusterTesting
import Testing

/// Decisions that moved from the executor into the machine: what a failed
/// step's policy leads to, whether to ask before rolling back, what the
/// run's clock calls for, and what another machine's events mean. Each is
/// asked of the machine alone, from events, with no executor.
@Suite("the machine decides after a failure, before a rollback, on the clock and on others' events")
struct MachineDecisionTests {
    static let runbook = """
    muster: 1
    name: t
    title: Decisions
    escalation:
      - after: 10m
        contact: team lead
      - after: 30m
        contact: director
    steps:
      - id: a
        title: A
        run: a
        rollback: undo-a
        expect: 5m
      - id: b
        title: B
        run: b
        rollback: undo-b
        on_failure: rollback
        expect: 20m
      - id: c
        title: C
        run: c
        on_failure: abort
      - id: d
        title: D
        run: d
        on_failure: continue
    """

    func machine(yes: Bool = false) throws -> RunMachine {
        RunMachine(plan: FlatPlan(try loadRunbook(Self.runbook), includes: [:]), yes: yes)
    }

    typealias Events = RunMachineTests.Events

    @Test func aStepFailedForGoodLeadsToWhatItsPolicySaysInItsOwnWords() throws {
        let m = try machine()
        var ev = Events()
        ev.done("a")
        ev.failed("b", "exited with status 3")
        // on_failure: rollback: the rollback, saying why.
        #expect(m.next(ev.state) == .rollBack(reason: "step 'b' exited with status 3", unfinished: nil))

        var abort = Events()
        abort.done("a")
        abort.done("b")
        abort.failed("c", "timed out after 1m")
        #expect(m.next(abort.state) == .finish(.failed))
        #expect(m.failedBecause(abort.state) == "step 'c' timed out after 1m")

        // on_failure: continue: the run goes on, and its failed end names no step.
        var goOn = Events()
        for k in ["a", "b", "c"] { goOn.done(k) }
        goOn.failed("d", "exited with status 1")
        #expect(m.next(goOn.state) == .finish(.failed))
        #expect(m.failedBecause(goOn.state) == nil)
    }

    @Test func aSessionAsksBeforeItsFirstRollbackCommandOnlyWhileNoneHasRun() throws {
        let m = try machine()
        var ev = Events()
        ev.done("a")
        ev.failed("b", "exited with status 1")
        #expect(!m.asksBeforeRollingBack(ev.state), "nothing has begun yet")
        ev.add(.rollbackStarted) { $0.text = "step 'b' exited with status 1" }
        #expect(m.asksBeforeRollingBack(ev.state))
        #expect(try !machine(yes: true).asksBeforeRollingBack(ev.state), "--yes rolls back unasked")
        // The failed step's own rollback lacked a value: journaled as not
        // run, it ran nothing, so a new session still asks.
        ev.add(.rollbackFinished, "b") { $0.text = "not run: undo what it did by hand" }
        #expect(m.asksBeforeRollingBack(ev.state))
        ev.add(.rollbackStarted, "a")
        #expect(!m.asksBeforeRollingBack(ev.state), "a command is running: a resume goes on unasked")
        ev.add(.rollbackFinished, "a") { $0.exit = 0 }
        #expect(!m.asksBeforeRollingBack(ev.state))
        #expect(m.next(ev.state) == .finish(.rolledBack))
    }

    @Test func theClockCallsForRungsTheBudgetWarningAndTheExpectHint() throws {
        let rb = try loadRunbook(Self.runbook)
        let watch = RunWatch(rb, includes: [:], rto: 1800)
        var ev = Events()
        #expect(watch.rungsDue(elapsed: 599, announced: []) == [])
        #expect(watch.rungsDue(elapsed: 1900, announced: [0]) == [1])
        #expect(watch.defaultRung(elapsed: 700) == 1 && watch.defaultRung(elapsed: 2000) == 2)
        // 25 minutes of expect left, 20 minutes of RTO: warn.
        #expect(watch.budgetWarning(from: "a", ev.state, elapsed: 600) == "RTO budget: 20m of 30m left, but the remaining steps expect 25m")
        ev.done("a")
        #expect(watch.budgetWarning(from: "b", ev.state, elapsed: 600) == nil)
        #expect(watch.expectHint("a", expect: 300, running: 299, elapsed: 400) == nil)
        #expect(watch.expectHint("a", expect: 300, running: 301, elapsed: 400) == "'a' is running past its expected 5m; consider escalating to team lead (answer e at the next prompt)")
        let line = watch.status(ev.state, elapsed: 700, index: 2, total: 4)
        #expect(line == "step 2 of 4 · elapsed 11m40s · RTO 30m: 18m20s left · next escalation at 30m: director")
        ev.add(.escalated, "b") { $0.contact = "director" }
        #expect(watch.status(ev.state, elapsed: 700, index: 2, total: 4).hasSuffix("escalated to director · the last rung"))
    }

    @Test func anotherMachinesEventsAreBelievedRefusedOrEndThisSession() throws {
        let m = try machine()
        let trust = RequestTrust(runID: "run-1", plan: m.plan, signatures: nil, sessionKey: nil)
        var started = JournalEvent(seq: 1, event: .runStarted)
        started.run = JournalEvent.RunInfo(runID: "run-1", runbook: "t", runbookPath: "runbooks/t.yaml", runbookHash: "", operatorName: "bob", host: "other",
                                           params: [:], yes: false, startedAt: "")
        if case .idTaken? = ForeignEvents([started], runID: "run-1", host: "laptop", started: false, trust: trust, state: RunState()).end {} else {
            Issue.record("a run of the same id started elsewhere first must stop this session")
        }
        var note = JournalEvent(seq: 2, event: .note)
        note.step = "a"
        var unsigned = JournalEvent(seq: 3, event: .approvalGiven)
        unsigned.step = "a"
        unsigned.by = "mallory"
        let read = ForeignEvents([note, unsigned], runID: "run-1", host: "laptop", started: true, trust: trust, state: RunState())
        #expect(read.believed.map(\.seq) == [2])
        #expect(read.refused.map(\.why) == ["it is not signed"])
        #expect(read.end == nil)
        var finished = JournalEvent(seq: 4, event: .runFinished)
        finished.outcome = "completed"
        if case .ended(let e)? = ForeignEvents([finished], runID: "run-1", host: "laptop", started: true, trust: trust, state: RunState()).end {
            #expect(e.seq == 4)
        } else {
            Issue.record("a run ended elsewhere must stop this session")
        }
    }

    @Test func anApprovalIsAskedForAgainOnlyWhenDeniedOrChanged() throws {
        let m = try machine()
        var ev = Events()
        #expect(m.asksForApproval("a", ev.state, sha: "s1"))
        ev.add(.approvalRequested, "a") { $0.sha256 = "s1"; $0.text = "a" }
        #expect(!m.asksForApproval("a", ev.state, sha: "s1"), "each round of the wait asks nothing new")
        #expect(m.asksForApproval("a", ev.state, sha: "s2"), "the command changed since it was asked")
        ev.add(.approvalDenied, "a") { $0.by = "bob"; $0.text = "not now" }
        #expect(m.asksForApproval("a", ev.state, sha: "s1"))
    }

    /// What a signal means at each moment: the rules the Ctrl-C, hang-up,
    /// takeover and terminal tests exercise through tmux, decided here alone.
    @Test func aSignalAsksStopsKeepsOrPausesByTheMomentItComesAt() throws {
        let m = try machine()
        // Between actions every signal pauses; a request is read.
        #expect(m.onSignal(.interrupt, at: .between, interactive: true) == .pause(.interrupt))
        #expect(m.onSignal(.terminate, at: .between, interactive: true) == .pause(.terminate))
        #expect(m.onSignal(.inboxWake, at: .between, interactive: true) == .readInbox)
        // A step at work: Ctrl-C asks only someone at a terminal.
        #expect(m.onSignal(.interrupt, at: .working("a"), interactive: true) == .askStopOrWait)
        #expect(m.onSignal(.interrupt, at: .working("a"), interactive: false) == .pause(.interrupt))
        #expect(m.onSignal(.quit, at: .working("a"), interactive: true) == .pause(.quit))
        #expect(m.onSignal(.inboxWake, at: .working("a"), interactive: false) == .readInbox)
        // A lost terminal keeps a run step going, and pauses any other.
        #expect(m.onSignal(.hangUp, at: .working("a"), interactive: true, keepable: true) == .keepStep)
        #expect(m.onSignal(.hangUp, at: .working("a"), interactive: true, keepable: false) == .pause(.hangUp))
        // Once kept, nobody is there to ask: only a stop stops it.
        #expect(m.onSignal(.hangUp, at: .kept("a"), interactive: false) == .goOn)
        #expect(m.onSignal(.inboxWake, at: .kept("a"), interactive: false) == .goOn)
        #expect(m.onSignal(.interrupt, at: .kept("a"), interactive: true) == .pause(.interrupt))
        #expect(m.onSignal(.terminate, at: .kept("a"), interactive: false) == .pause(.terminate))
        // The Ctrl-C question's answers.
        #expect(m.onInterruptAnswer(.unanswered) == .goOn)
        #expect(m.onInterruptAnswer(.keepWaiting) == .goOn)
        #expect(m.onInterruptAnswer(.stop) == .stopStep)
        #expect(m.onInterruptAnswer(.endOfInput) == .stopStep)
        #expect(m.onInterruptAnswer(.signal(.interrupt)) == .stopStep, "a second Ctrl-C is a louder stop")
        #expect(m.onInterruptAnswer(.signal(.terminate)) == .pause(.terminate))
        #expect(m.onInterruptAnswer(.signal(.inboxWake)) == .readInbox)
        #expect(m.onInterruptAnswer(.signal(.hangUp), keepable: true) == .keepStep)
        #expect(m.onInterruptAnswer(.signal(.hangUp), keepable: false) == .pause(.hangUp))
        // A takeover waits for the step at work, unless it said --now.
        #expect(m.takeoverMoment(now: false, working: nil) == .now)
        #expect(m.takeoverMoment(now: false, working: "a") == .afterStep)
        #expect(m.takeoverMoment(now: true, working: "a") == .now)
    }
}

extension RunMachineTests.Events {
    mutating func failed(_ step: String, _ why: String) { add(.stepFinished, step) { $0.outcome = "failed"; $0.text = why } }
}
