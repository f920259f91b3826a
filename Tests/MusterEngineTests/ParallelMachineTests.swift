@testable import MusterBasics
@testable import MusterFormat
@testable import MusterEngine
@testable import MusterTesting
import Testing

/// Branches as the machine decides them, from events alone: every action
/// open now is listed, one per branch; `max` bounds the branches begun;
/// nothing after the parallel step starts before it ends; a failure stops
/// new branches (`finish`) or the running ones too (`cancel`); a loop
/// with `max_parallel` runs its items the same way.
@Suite("the machine runs branches at once")
struct ParallelMachineTests {
    typealias Events = RunMachineTests.Events

    static func runbook(max: String = "", onFailure: String = "finish") -> String {
        """
        muster: 1
        name: t
        title: Parallel
        steps:
          - id: rebuild
            title: Rebuild
            parallel:
              \(max)
              on_failure: \(onFailure)
              branches:
                - id: cluster
                  title: Cluster
                  steps:
                    - {id: create, title: Create, run: create}
                    - {id: check, title: Check, run: check}
                - {id: database, title: Database, run: restore}
                - {id: tell, title: Tell, manual: [Tell the channel]}
          - {id: after, title: After, run: after}
          - id: redeploy
            title: Redeploy {{ service }}
            for_each: {in: [api, web, worker], as: service, max_parallel: 2}
            run: deploy
        """
    }

    func machine(max: String = "", onFailure: String = "finish", yes: Bool = false) throws -> RunMachine {
        RunMachine(plan: FlatPlan(try loadRunbook(Self.runbook(max: max, onFailure: onFailure)), includes: [:]), yes: yes)
    }

    func begun(_ m: RunMachine, _ ev: inout Events) {
        ev.add(.stepStarted, "rebuild")
    }

    @Test func everyBranchsFirstActionIsOpenAtOnceInThePlansOrder() throws {
        let m = try machine()
        var ev = Events()
        #expect(m.actions(ev.state) == [.begin("rebuild")])
        begun(m, &ev)
        #expect(m.actions(ev.state) == [.begin("rebuild/cluster"), .attempt("rebuild/database", 1), .begin("rebuild/tell")])
        // Nothing after the parallel step is open while it runs.
        #expect(!m.actions(ev.state).contains(.attempt("after", 1)))
    }

    @Test func aStepInFlightLeavesItsBranchWithNothingElseToDo() throws {
        let m = try machine()
        var ev = Events()
        begun(m, &ev)
        ev.add(.stepStarted, "rebuild/cluster")
        ev.add(.stepStarted, "rebuild/database") { $0.attempt = 1 }
        ev.add(.stepStarted, "rebuild/cluster/create") { $0.attempt = 1 }
        let busy: Set = ["rebuild/database", "rebuild/cluster/create"]
        #expect(m.actions(ev.state, busy: busy) == [.begin("rebuild/tell")])
        ev.add(.stepStarted, "rebuild/tell")
        ev.add(.itemAnswered, "rebuild/tell") { $0.item = 0; $0.answer = "done" }
        #expect(m.actions(ev.state, busy: busy) == [.finishStep("rebuild/tell")])
        ev.done("rebuild/tell")
        // Both in flight, nothing else to do: wait for one to end.
        #expect(m.actions(ev.state, busy: busy) == [.awaitBranches])
        #expect(m.next(ev.state) != .attempt("after", 1))
        ev.done("rebuild/cluster/create")
        #expect(m.actions(ev.state, busy: ["rebuild/database"]) == [.attempt("rebuild/cluster/check", 1)])
    }

    @Test func maxBoundsTheBranchesBegun() throws {
        let m = try machine(max: "max: 1")
        var ev = Events()
        begun(m, &ev)
        #expect(m.actions(ev.state) == [.begin("rebuild/cluster")])
        ev.add(.stepStarted, "rebuild/cluster")
        #expect(m.actions(ev.state) == [.attempt("rebuild/cluster/create", 1)])
        ev.done("rebuild/cluster/create")
        ev.done("rebuild/cluster/check")
        ev.done("rebuild/cluster")
        #expect(m.actions(ev.state) == [.attempt("rebuild/database", 1)])
    }

    @Test func theParallelStepEndsWhenEveryBranchHasThenTheRunGoesOn() throws {
        let m = try machine()
        var ev = Events()
        begun(m, &ev)
        for k in ["rebuild/cluster/create", "rebuild/cluster/check", "rebuild/cluster", "rebuild/database", "rebuild/tell"] { ev.done(k) }
        #expect(m.actions(ev.state) == [.finishStep("rebuild")])
        ev.done("rebuild")
        #expect(m.actions(ev.state) == [.attempt("after", 1)])
    }

    @Test func withFinishAFailureStopsNewBranchesUntilItIsAnswered() throws {
        let m = try machine(max: "max: 2")
        var ev = Events()
        begun(m, &ev)
        ev.add(.stepStarted, "rebuild/cluster")
        ev.failedAttempt("rebuild/cluster/create", 1)
        ev.add(.stepStarted, "rebuild/database") { $0.attempt = 1 }
        // The failure menu is open; database runs on; tell does not begin.
        #expect(m.actions(ev.state, busy: ["rebuild/database"]) == [.onFailure("rebuild/cluster/create", .ask)])
        ev.add(.failureChoice, "rebuild/cluster/create") { $0.answer = "skip"; $0.text = "by hand" }
        ev.add(.stepFinished, "rebuild/cluster/create") { $0.outcome = "skipped" }
        #expect(m.actions(ev.state, busy: ["rebuild/database"]) == [.attempt("rebuild/cluster/check", 1)])
    }

    @Test func withCancelTheRunningBranchesAreStopped() throws {
        let m = try machine(onFailure: "cancel")
        var ev = Events()
        begun(m, &ev)
        ev.add(.stepStarted, "rebuild/cluster")
        ev.add(.stepStarted, "rebuild/database") { $0.attempt = 1 }
        ev.failedAttempt("rebuild/cluster/create", 1)
        let open = m.actions(ev.state, busy: ["rebuild/database"])
        #expect(open.first == .cancel(["rebuild/database"], because: "'rebuild/cluster/create' failed and 'rebuild' says on_failure: cancel"))
        #expect(open.contains(.onFailure("rebuild/cluster/create", .ask)))
    }

    @Test func aFailureThatAbortsTheRunWaitsForTheStepsInFlight() throws {
        let m = try machine(yes: true)
        var ev = Events()
        begun(m, &ev)
        ev.add(.stepStarted, "rebuild/cluster")
        ev.add(.stepStarted, "rebuild/database") { $0.attempt = 1 }
        ev.failedAttempt("rebuild/cluster/create", 1)
        ev.add(.stepFinished, "rebuild/cluster/create") { $0.outcome = "failed"; $0.text = "exited with status 1" }
        #expect(m.actions(ev.state, busy: ["rebuild/database"]) == [.awaitBranches])
        ev.done("rebuild/database")
        #expect(m.actions(ev.state) == [.finish(.failed)])
    }

    @Test func aResumedRunAsksAboutEachStepThatWasInFlightOneAtATime() throws {
        let m = try machine()
        var ev = Events()
        begun(m, &ev)
        ev.add(.stepStarted, "rebuild/cluster")
        ev.add(.stepStarted, "rebuild/cluster/create") { $0.attempt = 1 }
        ev.add(.stepStarted, "rebuild/database") { $0.attempt = 1 }
        #expect(ev.state.interruptedSteps == ["rebuild/cluster/create", "rebuild/database"])
        #expect(m.actions(ev.state) == [.resumeInterrupted("rebuild/cluster/create"), .resumeInterrupted("rebuild/database"), .begin("rebuild/tell")])
    }

    @Test func aLoopWithMaxParallelRunsThatManyItemsAtOnce() throws {
        let m = try machine()
        var ev = Events()
        for k in ["rebuild/cluster/create", "rebuild/cluster/check", "rebuild/cluster", "rebuild/database", "rebuild/tell", "rebuild", "after"] { ev.done(k) }
        #expect(m.actions(ev.state) == [.begin("redeploy")])
        ev.add(.stepStarted, "redeploy") { $0.items = ["api", "web", "worker"] }
        #expect(m.actions(ev.state) == [.attempt("redeploy[api]", 1), .attempt("redeploy[web]", 1)])
        ev.add(.stepStarted, "redeploy[api]") { $0.attempt = 1 }
        ev.add(.stepStarted, "redeploy[web]") { $0.attempt = 1 }
        #expect(m.actions(ev.state, busy: ["redeploy[api]", "redeploy[web]"]) == [.awaitBranches])
        ev.done("redeploy[web]")
        #expect(m.actions(ev.state, busy: ["redeploy[api]"]) == [.attempt("redeploy[worker]", 1)])
    }

    @Test func onlyARunOrCommandWaitInsideALaneRunsBesideOthersAndNeverADrillsFaultOrRehearsal() throws {
        let m = try machine()
        let ev = Events()
        #expect(m.runsBeside("rebuild/cluster/create", ev.state, drill: nil))
        #expect(m.runsBeside("rebuild/database", ev.state, drill: nil))
        #expect(m.runsBeside("redeploy[api]", ev.state, drill: nil))
        #expect(!m.runsBeside("after", ev.state, drill: nil), "a step of the sequence runs alone")
        #expect(!m.runsBeside("rebuild/tell", ev.state, drill: nil), "a manual step asks")
        let faulty = DrillSetup(name: "d", mode: "live", rtoSeconds: nil, faults: [.init(step: "rebuild/database", fail: "injected", times: 1)],
                                expectEscalation: nil, recordsDir: "r", junit: nil)
        #expect(!m.runsBeside("rebuild/database", ev.state, drill: faulty), "an injected fault shows as a step alone does")
        #expect(m.runsBeside("rebuild/cluster/create", ev.state, drill: faulty))
        let rehearsal = DrillSetup(name: "d", mode: "rehearsal", rtoSeconds: nil, faults: [], expectEscalation: nil, recordsDir: "r", junit: nil)
        #expect(!m.runsBeside("rebuild/cluster/create", ev.state, drill: rehearsal))
    }

    @Test func eachStepIsLabelledByItsBranchOrLoopItem() throws {
        let m = try machine()
        #expect(m.laneLabel("rebuild/cluster/create") == "cluster")
        #expect(m.laneLabel("rebuild/database") == "database")
        #expect(m.laneLabel("redeploy[web]") == "web")
        #expect(m.laneLabel("after") == "after")
    }

    @Test func aSignalBesideBranchesReadsARequestAndPausesOnAnythingElse() throws {
        let m = try machine()
        #expect(m.onSignal(.inboxWake, at: .beside, interactive: true) == .readInbox)
        #expect(m.onSignal(.interrupt, at: .beside, interactive: true) == .pause(.interrupt))
        #expect(m.onSignal(.hangUp, at: .beside, interactive: false, keepable: true) == .pause(.hangUp))
    }

    @Test func replayAcceptsBranchesJournaledInAnyOrder() throws {
        let m = try machine(yes: true)
        var events: [JournalEvent] = []
        func add(_ kind: JournalEvent.Kind, _ step: String?, _ fill: (inout JournalEvent) -> Void = { _ in }) {
            var e = JournalEvent(seq: events.count + 1, event: kind)
            e.step = step
            fill(&e)
            events.append(e)
        }
        add(.runStarted, nil) { $0.run = JournalEvent.RunInfo(runID: "r", runbook: "t", runbookPath: "runbooks/t.yaml", runbookHash: "", operatorName: "o", host: "h",
                                                                      params: [:], yes: true, startedAt: "2026-12-06T09:00:00Z") }
        add(.stepStarted, "rebuild")
        add(.stepStarted, "rebuild/database") { $0.attempt = 1 }
        add(.stepStarted, "rebuild/cluster")
        add(.stepStarted, "rebuild/cluster/create") { $0.attempt = 1 }
        add(.stepFinished, "rebuild/cluster/create") { $0.outcome = "done"; $0.attempt = 1 }
        add(.stepStarted, "rebuild/cluster/check") { $0.attempt = 1 }
        add(.stepFinished, "rebuild/database") { $0.outcome = "done"; $0.attempt = 1 }
        add(.stepFinished, "rebuild/cluster/check") { $0.outcome = "done"; $0.attempt = 1 }
        add(.stepFinished, "rebuild/cluster") { $0.outcome = "done" }
        #expect(ReplayCheck.check(events, plan: m.plan) == [])
        // A step after the parallel step cannot start while a branch runs.
        add(.stepStarted, "after") { $0.attempt = 1 }
        #expect(ReplayCheck.check(events, plan: m.plan).map(\.step) == ["after"])
    }

    @Test func confirmOnAParallelStepIsOneGateBeforeAnyBranch() throws {
        let rb = try loadRunbook("""
        muster: 1
        name: t
        title: Confirmed
        steps:
          - id: rebuild
            title: Rebuild
            confirm: true
            parallel:
              branches:
                - {id: x, title: X, run: x}
                - {id: y, title: Y, run: y}
        """)
        let m = RunMachine(plan: FlatPlan(rb, includes: [:]), yes: false)
        var ev = Events()
        #expect(m.actions(ev.state) == [.gate("rebuild")])
        // The session ended at the gate, its step begun: asked again.
        ev.add(.stepStarted, "rebuild")
        #expect(m.actions(ev.state) == [.gate("rebuild")])
        ev.add(.gateAnswered, "rebuild") { $0.answer = "run" }
        #expect(m.actions(ev.state) == [.attempt("rebuild/x", 1), .attempt("rebuild/y", 1)])
    }
}
