import Foundation
@testable import MusterBasics
@testable import MusterFormat
@testable import MusterEngine
@testable import MusterJournal
@testable import MusterDrills
@testable import MusterTesting
import Testing

/// A console whose operator takes a set time before each answer.
final class TimedConsole: RunConsole {
    var answers: [(after: Double, line: String)]
    var shown: [ConsoleMessage] = []
    var statuses: [String] = []
    let clock: FakeClock
    var isInteractive: Bool { true }

    init(_ answers: [(Double, String)], clock: FakeClock) {
        self.answers = answers.map { (after: $0.0, line: $0.1) }
        self.clock = clock
    }

    func show(_ message: ConsoleMessage) { shown.append(message) }

    func ask(_ question: String, hint: String, status: String) -> AnswerRead {
        statuses.append(status)
        guard !answers.isEmpty else { return .eof }
        let a = answers.removeFirst()
        clock.now += a.after
        return .line(a.line)
    }

    var text: String { shown.map { "\($0)" }.joined(separator: "\n") }
}

/// Steps take the seconds the test gives them, by a word in their script.
final class TimedRunner: CommandRunner {
    var ran: [String] = []
    let clock: FakeClock
    let seconds: [String: Double]

    init(clock: FakeClock, seconds: [String: Double]) { self.clock = clock; self.seconds = seconds }

    func run(script: String, environment: [String: String], timeout: Double, keepLeftovers: Bool,
             onLine: (Bool, String) -> Void, onSignal: (Signal) -> Bool, onTick: () -> Void) throws(CommandError) -> CommandResult {
        ran.append(script)
        let s = seconds.first { script.contains($0.key) }?.value ?? 0
        clock.now += s
        return CommandResult(status: 0, timedOut: false, interrupted: false, seconds: s)
    }
}

@Suite("Drills: timing, records, faults, rehearsal, training score")
struct DrillTests {
    static let runbook = """
    muster: 1
    name: t
    title: Failover
    rto: 1h
    escalation:
      - after: 10m
        contact: Secondary on-call (PagerDuty)
      - after: 30m
        contact: Incident commander
    steps:
      - id: declare
        title: Declare
        manual: [Open the incident]
      - id: work
        title: Work
        run: echo work
        expect: 1m
        rollback: echo undo
      - id: slow
        title: Slow
        run: echo slow
        expect: 30s
    """

    static func drill(rto: Int = 120, mode: String = "live", faults: [DrillSetup.Fault] = [],
                      expect: DrillSetup.ExpectedEscalation? = nil) -> DrillSetup {
        DrillSetup(name: "d", mode: mode, rtoSeconds: rto, faults: faults, expectEscalation: expect, recordsDir: "/tmp/unused", junit: nil)
    }

    func run(_ setupDrill: DrillSetup, console: TimedConsole, runner: TimedRunner, clock: FakeClock,
             journal: MemoryJournal = MemoryJournal(), state: RunState = RunState(), base: Double = 0) throws -> (RunOutcome, DrillRecord) {
        let rb = try loadRunbook(Self.runbook)
        var setup = RunSetup(runbook: rb, params: [:], secrets: [:], runID: "run-1", operatorName: "alice", yes: false, includes: [:], baseEnvironment: [:])
        setup.runbookPath = "runbooks/t.yaml"
        setup.drill = setupDrill
        let ex = Executor(setup: setup, state: state, journal: journal, console: console, runner: runner,
                          baseElapsed: base, clock: StampingClock(clock))
        let outcome = ex.execute(resumed: base > 0)
        let record = try #require(DrillRecorder.record(events: journal.events, drill: setupDrill,
                                                       steps: DrillRecorder.stepFacts(rb, includes: [:]), runbookCommit: nil, runbookDirty: false))
        return (outcome, record)
    }

    @Test func stepTimesIncludeTheOperatorAndTheRTOVerdictIsExact() throws {
        let clock = FakeClock()
        let console = TimedConsole([(40, "y")], clock: clock)
        let runner = TimedRunner(clock: clock, seconds: ["work": 50, "slow": 45])
        let (outcome, r) = try run(Self.drill(), console: console, runner: runner, clock: clock)
        #expect(outcome == .completed)
        #expect(r.outcome == .recovered)
        #expect(r.steps.map(\.id) == ["declare", "work", "slow"])
        #expect(r.steps.map(\.seconds) == [40, 50, 45])
        #expect(r.steps.map(\.overExpect) == [false, false, true])
        #expect(r.steps.map(\.expectSeconds) == [nil, 60, 30])
        #expect(r.elapsedSeconds == 135)
        #expect(r.rtoSeconds == 120)
        #expect(r.rtoMet == false)
        // At every prompt: elapsed against the RTO.
        #expect(console.statuses.first?.contains("RTO 2m: 2m left") == true)
        // Before `work` (40 s in) the remaining steps expect 1m30s of the 1m20s left.
        #expect(console.text.contains("RTO budget: 1m20s of 2m left, but the remaining steps expect 1m30s"))
        #expect(console.text.contains("DRILL d"))
        let json = r.json.serialized()
        #expect(json.hasPrefix(#"{"muster":1,"drill":"d","runbook":"t","runbook_path":"runbooks/t.yaml","runbook_commit":null,"runbook_dirty":false,"mode":"live","operator":"alice""#))
    }

    @Test func aFaultReplacesTheFirstAttemptAndTheEscalationIsScored() throws {
        let clock = FakeClock()
        // The fault fails `work`; 90 s later the trainee escalates to rung 1, then retries.
        let console = TimedConsole([(1, "y"), (90, "e"), (5, "1"), (2, "r")], clock: clock)
        let runner = TimedRunner(clock: clock, seconds: ["work": 10])
        let d = Self.drill(rto: 3600, faults: [.init(step: "work", fail: "AccessDenied: not authorized", times: 1)],
                           expect: .init(withinSeconds: 300, contact: "Secondary on-call"))
        let (outcome, r) = try run(d, console: console, runner: runner, clock: clock)
        #expect(outcome == .completed)
        #expect(runner.ran.filter { $0.contains("work") }.count == 1, "the faulted attempt must not run the command")
        #expect(r.faults == [.init(step: "work", atSeconds: 1)])
        #expect(r.escalations == [.init(atSeconds: 96, contact: "Secondary on-call (PagerDuty)")])
        #expect(r.training == .init(escalatedWithin: true, contactOK: true, escalatedAfterSeconds: 95))
        #expect(r.steps.first { $0.id == "work" }?.attempts == 2)
        #expect(console.text.contains("AccessDenied: not authorized"))
    }

    @Test func aLateEscalationToTheWrongRungIsScoredAsSuch() throws {
        let clock = FakeClock()
        let console = TimedConsole([(1, "y"), (400, "e"), (1, "2"), (1, "r")], clock: clock)
        let runner = TimedRunner(clock: clock, seconds: [:])
        let d = Self.drill(rto: 3600, faults: [.init(step: "work", fail: "boom", times: 1)],
                           expect: .init(withinSeconds: 300, contact: "Secondary on-call"))
        let (_, r) = try run(d, console: console, runner: runner, clock: clock)
        #expect(r.training == .init(escalatedWithin: false, contactOK: false, escalatedAfterSeconds: 401))
    }

    @Test func aRehearsalShowsAutomatedStepsAndRunsNothing() throws {
        let clock = FakeClock()
        let console = TimedConsole([(1, "y"), (20, "y"), (30, "y")], clock: clock)
        let runner = TimedRunner(clock: clock, seconds: [:])
        let (outcome, r) = try run(Self.drill(rto: 3600, mode: "rehearsal"), console: console, runner: runner, clock: clock)
        #expect(outcome == .completed)
        #expect(runner.ran.isEmpty)
        #expect(r.steps.map(\.outcome) == ["done", "rehearsed", "rehearsed"])
        #expect(r.steps.map(\.seconds) == [1, 20, 30])
        #expect(r.mode == "rehearsal")
        #expect(console.text.contains("echo work"))
    }

    @Test func anAbortedDrillIsRecordedAsAborted() throws {
        let clock = FakeClock()
        let console = TimedConsole([(30, "a")], clock: clock)
        let runner = TimedRunner(clock: clock, seconds: [:])
        let (outcome, r) = try run(Self.drill(), console: console, runner: runner, clock: clock)
        guard case .paused = outcome else { Issue.record("expected a pause, got \(outcome)"); return }
        #expect(r.outcome == .aborted)
        #expect(r.rtoMet == false)
        #expect(r.elapsedSeconds == 30)
        #expect(r.steps.isEmpty)
    }

    @Test func aResumedDrillKeepsOneRecordAndCountsTheDowntime() throws {
        let clock = FakeClock()
        let journal = MemoryJournal()
        // First session: the item is confirmed after 30 s. A SIGKILL just
        // before `work` starts leaves the journal up to that instant, and
        // that is all a resume has.
        _ = try run(Self.drill(rto: 3600), console: TimedConsole([(30, "y")], clock: clock),
                    runner: TimedRunner(clock: clock, seconds: ["work": 5]), clock: clock, journal: journal)
        let firstSession = Array(journal.events.prefix { $0.event != .stepStarted || $0.step != "work" })
        let crashed = MemoryJournal()
        for e in firstSession { try crashed.append(e) }
        let state = RunState(replaying: firstSession)
        // Ten minutes of downtime before the resume.
        let base = state.lastT + 600
        let (outcome, r) = try run(Self.drill(rto: 3600), console: TimedConsole([], clock: clock),
                                   runner: TimedRunner(clock: clock, seconds: ["work": 5, "slow": 7]), clock: clock,
                                   journal: crashed, state: state, base: base)
        #expect(outcome == .completed)
        #expect(r.outcome == .recovered)
        #expect(r.steps.map(\.id) == ["declare", "work", "slow"])
        #expect(r.steps.map(\.seconds) == [30, 5, 7])
        #expect(r.elapsedSeconds == 642)
    }

    @Test func aDrillIsUnattendedWhenAnythingWasAnsweredForItOrASessionHadYes() throws {
        let clock = FakeClock()
        let journal = MemoryJournal()
        let (_, attended) = try run(Self.drill(rto: 3600), console: TimedConsole([(3, "y")], clock: clock),
                                    runner: TimedRunner(clock: clock, seconds: [:]), clock: clock, journal: journal)
        #expect(attended.unattended == false)
        #expect(attended.json.serialized().contains(#""training":null,"unattended":false,"run_id""#))
        let steps = DrillRecorder.stepFacts(try loadRunbook(Self.runbook), includes: [:])
        func record(_ events: [JournalEvent]) -> DrillRecord? {
            DrillRecorder.record(events: events, drill: Self.drill(rto: 3600), steps: steps, runbookCommit: nil, runbookDirty: false)
        }
        // One item answered by --yes.
        var auto = journal.events
        if let i = auto.firstIndex(where: { $0.event == .itemAnswered }) { auto[i].auto = true }
        #expect(record(auto)?.unattended == true)
        // Started with --yes.
        var yes = journal.events
        yes[0].run?.yes = true
        #expect(record(yes)?.unattended == true)
        // A session resumed with --yes.
        var resumed = JournalEvent(seq: 99, at: "2026-11-27T09:10:00Z", t: 600, event: .runResumed)
        resumed.auto = true
        #expect(record(journal.events + [resumed])?.unattended == true)
    }

    @Test func recordFileNamesSortInTimeOrder() {
        #expect(DrillRecord.fileStem(startedAt: "2026-11-27T09:00:00Z") == "20261127T090000Z")
    }

    @Test func junitHasACasePerStepAndFailsOverExpectAndMissedRTO() throws {
        let clock = FakeClock()
        let (_, r) = try run(Self.drill(), console: TimedConsole([(40, "y")], clock: clock),
                             runner: TimedRunner(clock: clock, seconds: ["work": 50, "slow": 45]), clock: clock)
        let xml = JUnit.render(r)
        #expect(xml.contains(#"tests="4" failures="2""#))
        #expect(xml.contains(#"name="slow" time="45.0"><failure message="took 45s, expected 30s"/>"#))
        #expect(xml.contains(#"name="rto""#))
    }
}

/// The drill tests' clock: the fake clock, stamping events with the
/// seconds it shows, so records read times off the journal as they would.
final class StampingClock: RunClock {
    let clock: FakeClock
    init(_ clock: FakeClock) { self.clock = clock }
    var now: Double { clock.now }
    func stamp() -> String { "2026-11-27T09:00:\(String(format: "%02d", Int(clock.now) % 60))Z" }
    func sleep(upTo seconds: Double) -> Signal? { clock.sleep(upTo: seconds) }
}

/// Steps of groups and loops in a drill record: by their full keys, each
/// naming the step it ran in, a loop's items in the order they started.
@Suite("records of groups and loops")
struct FlowRecordTests {
    @Test func stepsOfGroupsAndLoopsNameTheirParent() throws {
        let rb = try loadRunbook("""
        muster: 1
        name: t
        title: Flow
        steps:
          - id: rebuild
            title: Rebuild
            steps:
              - {id: create, title: Create, run: create}
          - id: redeploy
            title: Redeploy {{ service }}
            for_each: {in: [web, api], as: service}
            run: deploy {{ service }}
        """)
        var events: [JournalEvent] = []
        func add(_ kind: JournalEvent.Kind, _ step: String?, t: Double, _ fill: (inout JournalEvent) -> Void = { _ in }) {
            var e = JournalEvent(seq: events.count + 1, at: "2026-11-27T09:00:00Z", t: t, event: kind)
            e.step = step
            fill(&e)
            events.append(e)
        }
        add(.runStarted, nil, t: 0) { $0.run = JournalEvent.RunInfo(runID: "r", runbook: "t", runbookPath: "runbooks/t.yaml", runbookHash: "", operatorName: "alice", host: "h", params: [:], yes: false, startedAt: "2026-11-27T09:00:00Z") }
        add(.stepStarted, "rebuild", t: 0)
        add(.stepStarted, "rebuild/create", t: 0) { $0.attempt = 1 }
        add(.stepFinished, "rebuild/create", t: 5) { $0.outcome = "done" }
        add(.stepFinished, "rebuild", t: 5) { $0.outcome = "done" }
        add(.stepStarted, "redeploy", t: 5) { $0.items = ["web", "api"] }
        for (item, end) in [("web", 7.0), ("api", 9.0)] {
            add(.stepStarted, "redeploy[\(item)]", t: end - 2) { $0.attempt = 1 }
            add(.stepFinished, "redeploy[\(item)]", t: end) { $0.outcome = "done" }
        }
        add(.stepFinished, "redeploy", t: 9) { $0.outcome = "done" }
        add(.runFinished, nil, t: 9) { $0.outcome = "completed" }
        let drill = DrillTests.drill(rto: 60)
        let r = try #require(DrillRecorder.record(events: events, drill: drill, steps: DrillRecorder.stepFacts(rb, includes: [:]), runbookCommit: nil, runbookDirty: false))
        #expect(r.steps.map(\.id) == ["rebuild", "rebuild/create", "redeploy", "redeploy[web]", "redeploy[api]"])
        #expect(r.steps.map(\.parent) == [nil, "rebuild", nil, "redeploy", "redeploy"])
        #expect(r.steps.map(\.seconds) == [5, 5, 4, 2, 2])
        let json = r.json.serialized()
        #expect(json.contains(#""id":"redeploy[api]","kind":"run","outcome":"done""#))
        #expect(json.contains(#""over_expect":false,"parent":"redeploy"}"#))
    }
}
