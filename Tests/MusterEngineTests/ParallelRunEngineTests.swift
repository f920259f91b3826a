@testable import MusterBasics
@testable import MusterFormat
@testable import MusterEngine
@testable import MusterTesting
import MusterTestSupport
import Testing

/// `parallel:` and `for_each` with `max_parallel` driven in-process. The
/// steps beside others run on `LaneRunner`, whose commands end when the
/// test's rule says so, looked at whenever the executor sleeps: a branch
/// that waits for another's start ends only if both are running at once,
/// with no clock. That real processes run at once, and `log --output`, are
/// ParallelRunTests'.
@Suite("branches at the same time, in-process")
struct ParallelRunEngineTests {
    /// Scripts started beside others, ended by `rule` (nil: still running)
    /// at the start of each and at every sleep of the executor's clock; a
    /// script asked to stop ends as stopped. Scripts run alone end at once.
    final class LaneRunner: CommandRunner {
        var ran: [String] = []
        var started: [String] = []
        var stopped: [String] = []
        var running: [(script: String, command: BackgroundCommand, looks: Int)] = []
        var rule: (_ script: String, _ looks: Int) -> (Int32, [String])?

        init(_ rule: @escaping (_ script: String, _ looks: Int) -> (Int32, [String])?) { self.rule = rule }

        func run(script: String, environment: [String: String], timeout: Double, keepLeftovers: Bool,
                 onLine: (Bool, String) -> Void, onSignal: (Signal) -> Bool, onTick: () -> Void) throws(CommandError) -> CommandResult {
            ran.append(script)
            return CommandResult(status: 0, timedOut: false, interrupted: false, seconds: 0.01)
        }

        func start(script: String, environment: [String: String], timeout: Double, keepLeftovers: Bool) -> BackgroundCommand {
            let script = withValues(script, environment)
            started.append(script)
            let command = BackgroundCommand()
            running.append((script, command, 0))
            look()
            return command
        }

        /// Ends what the rule (or a stop) ends now.
        func look() {
            var still: [(script: String, command: BackgroundCommand, looks: Int)] = []
            for var r in running {
                r.looks += 1
                if r.command.stopRequested {
                    stopped.append(r.script)
                    r.command.finish(.success(CommandResult(status: 143, timedOut: false, interrupted: true, seconds: 0.01)))
                } else if let (status, lines) = rule(r.script, r.looks) {
                    for l in lines { r.command.add(stderr: false, l) }
                    r.command.finish(.success(CommandResult(status: status, timedOut: false, interrupted: false, seconds: 0.01)))
                } else {
                    still.append(r)
                }
            }
            running = still
        }
    }

    /// The test's clock: a sleep moves it and is a moment the runner looks.
    final class LaneClock: RunClock {
        var now = 100.0
        let runner: LaneRunner
        init(_ runner: LaneRunner) { self.runner = runner }
        func stamp() -> String { "2026-11-27T09:00:00Z" }
        func sleep(upTo seconds: Double) -> Signal? {
            now += seconds
            runner.look()
            return nil
        }
    }

    func run(_ rb: Runbook, state: RunState = RunState(), journal: MemoryJournal, console: FakeConsole, runner: LaneRunner, yes: Bool = false, resumed: Bool = false) -> RunOutcome {
        var setup = RunSetup(runbook: rb, params: [:], secrets: [:], runID: "run-1", operatorName: "alice", yes: yes, includes: [:], baseEnvironment: [:])
        setup.host = "h"
        return Executor(setup: setup, state: state, journal: journal, console: console, runner: runner, baseElapsed: state.lastT, clock: LaneClock(runner))
            .execute(resumed: resumed)
    }

    /// `meet ME OTHER` says it is up, then ends once OTHER has started, or
    /// fails after 20 looks without it (the binary test's bounded wait).
    static func meeting(_ started: @escaping () -> [String]) -> (String, Int) -> (Int32, [String])? {
        { script, looks in
            let words = script.split(separator: " ").map(String.init)
            guard words.first == "meet", words.count == 3 else { return (0, []) }
            let (me, other) = (words[1], words[2])
            if started().contains(where: { $0.hasPrefix("meet \(other) ") }) { return (0, ["\(me) is up", "\(me) met \(other)"]) }
            return looks >= 20 ? (9, ["\(me) is up", "\(other) never came"]) : nil
        }
    }

    static func runbook(max: String = "", onFailure: String = "finish") -> String {
        FeatureRunbooks.rebuild(name: "p", max: max, onFailure: onFailure) { "meet \($0) \($1)" }
    }

    func lane(_ console: FakeConsole, _ lane: String) -> [String] {
        console.shown.compactMap { m -> String? in
            if case .laneOutput(let l, _, _, let line) = m, l == lane { return line }
            return nil
        }
    }

    func meetingRunner() -> LaneRunner {
        var runner: LaneRunner!
        runner = LaneRunner(Self.meeting { runner.started })
        return runner
    }

    @Test func twoBranchesRunAtOnceAndTheirLinesNameTheirBranch() throws {
        let rb = try loadRunbook(Self.runbook(), name: "p")
        let journal = MemoryJournal(), console = FakeConsole([]), runner = meetingRunner()
        #expect(run(rb, journal: journal, console: console, runner: runner, yes: true) == .completed)
        #expect(lane(console, "cluster").contains("cluster met database"), "\(console.text)")
        #expect(lane(console, "database").contains("database met cluster"), "\(console.text)")
        #expect(runner.ran == ["touch after.done"])
        // Journaled as running at once: both began before either ended.
        let events = journal.events
        let began = events.firstIndex { $0.event == .stepStarted && $0.step == "rebuild/database" }
        let created = events.firstIndex { $0.event == .stepStarted && $0.step == "rebuild/cluster/create" }
        let firstEnd = events.firstIndex { $0.event == .stepFinished && $0.step?.hasPrefix("rebuild/") == true }
        #expect(began != nil && created != nil && firstEnd != nil && began! < firstEnd! && created! < firstEnd!)
        let order = events.filter { $0.event == .stepFinished }.compactMap(\.step)
        #expect(order.last == "after" && order.dropLast().last == "rebuild", "the step after waits for every branch: \(order)")
    }

    @Test func maxOneRunsTheBranchesOneAfterTheOther() throws {
        let rb = try loadRunbook(Self.runbook(max: "max: 1"), name: "p")
        let console = FakeConsole([]), runner = meetingRunner()
        let outcome = run(rb, journal: MemoryJournal(), console: console, runner: runner, yes: true)
        guard case .failed = outcome else { Issue.record("one at a time, the first branch waits for a mark that never comes: \(outcome)"); return }
        #expect(lane(console, "cluster").contains("database never came"), "\(console.text)")
        #expect(!runner.started.contains("meet database cluster"), "with max: 1 the second branch never began")
    }

    @Test func aFailedBranchAsksOnceTheOthersGoOnAndNothingAfterStartsUntilAnswered() throws {
        let rb = try loadRunbook("""
        muster: 1
        name: f
        title: Failing branch
        steps:
          - id: rebuild
            title: Rebuild
            parallel:
              branches:
                - {id: bad, title: Bad, run: 'fail once slow runs', timeout: 30s}
                - {id: slow, title: Slow, run: 'end once the failure is answered', timeout: 30s}
          - {id: after, title: After, run: 'touch after.done'}
        """, name: "f")
        let journal = MemoryJournal()
        var runner: LaneRunner!
        // `slow` ends only once the failure menu's answer is journaled: it ran on while the question was asked.
        runner = LaneRunner { script, _ in
            if script == "fail once slow runs" { return runner.started.contains("end once the failure is answered") ? (3, []) : nil }
            return journal.events.contains { $0.event == .failureChoice } ? (0, ["slow done"]) : nil
        }
        let console = FakeConsole(["s fixed by hand"])
        #expect(run(rb, journal: journal, console: console, runner: runner) == .completed)
        #expect(console.questions == ["Step 'rebuild/bad' did not succeed. What now?"])
        #expect(console.statuses.first?.contains("running beside it: [slow] rebuild/slow") == true, "the question names what runs beside it: \(console.statuses)")
        #expect(lane(console, "slow") == ["slow done"])
        let events = journal.events.map { "\($0.event.rawValue) \($0.step ?? "")" }
        let choice = events.firstIndex(of: "failure_choice rebuild/bad")
        let slowEnd = events.firstIndex(of: "step_finished rebuild/slow")
        let after = events.firstIndex(of: "step_started after")
        #expect(choice != nil && slowEnd != nil && after != nil && choice! < slowEnd! && slowEnd! < after!, "\(events)")
        #expect(runner.ran == ["touch after.done"])
    }

    @Test func cancelStopsTheOtherBranchesAndTheirFailureIsAsked() throws {
        let rb = try loadRunbook("""
        muster: 1
        name: c
        title: Cancel
        steps:
          - id: rebuild
            title: Rebuild
            parallel:
              on_failure: cancel
              branches:
                - {id: bad, title: Bad, run: 'fail once slow runs', timeout: 30s}
                - {id: slow, title: Slow, run: 'run until stopped', timeout: 60s}
        """, name: "c")
        var runner: LaneRunner!
        runner = LaneRunner { script, _ in
            script == "fail once slow runs" && runner.started.contains("run until stopped") ? (3, []) : nil
        }
        let journal = MemoryJournal(), console = FakeConsole([])
        let outcome = run(rb, journal: journal, console: console, runner: runner, yes: true)
        #expect(outcome == .failed("step 'rebuild/bad' exited with status 3"), "\(outcome)")
        #expect(runner.stopped == ["run until stopped"], "the running branch was stopped")
        let stopped = journal.events.first { $0.event == .attemptFinished && $0.step == "rebuild/slow" }
        #expect(stopped?.text?.contains("'rebuild/bad' failed and 'rebuild' says on_failure: cancel") == true, "\(String(describing: stopped))")
    }

    @Test func aLoopWithMaxParallelTwoRunsTwoItemsAtOnce() throws {
        let rb = try loadRunbook("""
        muster: 1
        name: l
        title: Loop
        steps:
          - id: redeploy
            title: Redeploy {{ service }}
            for_each: {in: [api, web], as: service, max_parallel: 2}
            run: 'deploy {{ service }}'
            timeout: 30s
        """, name: "l")
        var runner: LaneRunner!
        // Each item ends once both have started, or fails after 20 looks.
        runner = LaneRunner { _, looks in
            Set(runner.started) == ["deploy api", "deploy web"] ? (0, []) : looks >= 20 ? (9, []) : nil
        }
        let journal = MemoryJournal(), console = FakeConsole([])
        #expect(run(rb, journal: journal, console: console, runner: runner, yes: true) == .completed)
        #expect(console.plain.contains("[api] 'redeploy[api]' ended") && console.plain.contains("[web] 'redeploy[web]' ended"), "\(console.text)")
        let finished = journal.events.filter { $0.event == .stepFinished }.compactMap(\.step)
        #expect(Set(finished) == ["redeploy[api]", "redeploy[web]", "redeploy"])
    }

    /// A session that ended (SIGKILL, a lost laptop) with both branches
    /// started: its journal ends at their starts.
    @Test func aSessionKilledWithTwoBranchesInFlightAsksAboutEachOnResume() throws {
        let rb = try loadRunbook("""
        muster: 1
        name: k
        title: Killed
        steps:
          - id: rebuild
            title: Rebuild
            parallel:
              branches:
                - {id: one, title: One, run: 'meet one two', timeout: 60s}
                - {id: two, title: Two, run: 'meet two one', timeout: 60s}
        """, name: "k")
        let first = MemoryJournal()
        _ = run(rb, journal: first, console: FakeConsole([]), runner: meetingRunner(), yes: true)
        let lastStart = try #require(first.events.lastIndex { $0.event == .stepStarted && ($0.step == "rebuild/one" || $0.step == "rebuild/two") })
        let cut = Array(first.events[...lastStart])
        #expect(!cut.contains { $0.event == .stepFinished }, "both were in flight: \(cut.map(\.event))")

        // Both were in flight: each is asked about, one at a time.
        let journal = MemoryJournal(), console = FakeConsole(["d done by hand", "d done by hand too"]), runner = meetingRunner()
        #expect(run(rb, state: RunState(replaying: cut), journal: journal, console: console, runner: runner, resumed: true) == .completed)
        #expect(console.plain.contains("'rebuild/one' was running when the last session ended"), "\(console.text)")
        #expect(console.plain.contains("'rebuild/two' was running when the last session ended"), "\(console.text)")
        #expect(journal.events.filter { $0.event == .failureChoice }.compactMap(\.step) == ["rebuild/one", "rebuild/two"])
        #expect(runner.started.isEmpty, "done by hand: nothing runs again")
    }

    @Test func confirmOnAGroupAsksOnceAndASkipSkipsEveryStepInIt() throws {
        let rb = try loadRunbook("""
        muster: 1
        name: c
        title: Confirmed group
        steps:
          - id: cutover
            title: Cut over
            confirm: true
            steps:
              - {id: switch, title: Switch DNS, run: 'touch switched'}
              - {id: verify, title: Verify, run: 'touch verified'}
          - {id: after, title: After, run: 'touch after.done'}
        """, name: "c")
        let skipConsole = FakeConsole(["s not during the freeze"]), skipped = FakeRunner()
        #expect(executor(rb, journal: MemoryJournal(), console: skipConsole, runner: skipped).execute(resumed: false) == .completed)
        #expect(skipConsole.plain.contains("cutover/switch: Switch DNS") && skipConsole.questions == ["Run these steps?"], "\(skipConsole.transcript)")
        #expect(skipped.ran == ["touch after.done"])

        let journal = MemoryJournal(), ran = FakeRunner()
        #expect(executor(rb, journal: journal, console: FakeConsole(["y"]), runner: ran).execute(resumed: false) == .completed)
        #expect(ran.ran == ["touch switched", "touch verified", "touch after.done"])
        #expect(journal.events.filter { $0.event == .gateAnswered }.count == 1, "one gate for the whole group")
    }
}
