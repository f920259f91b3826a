import Foundation
@testable import MusterBasics
@testable import MusterFormat
@testable import MusterEngine
@testable import MusterJournal
@testable import MusterDrills
@testable import MusterPreflight
@testable import MusterApp
@testable import MusterTesting
import MusterTestSupport
import Testing

/// Groups, `finally`, `deadline`, loops, conditions and includes driven
/// in-process: a pause inside a group that resumes there, the cleanup
/// that runs when the run ends, every prompt past the deadline, a loop's
/// items fixed at its start, a condition that skips or cannot be decided,
/// and the record and preflight of steps in groups. The CLI's part (exit
/// statuses, the recap on screen, `abandon`) is FlowRunTests'.
@Suite("groups, finally and the deadline, in-process")
struct FlowRunEngineTests {
    static let flow = FeatureRunbooks.flow

    /// Each step header shown, as `title · id`.
    func headers(_ console: FakeConsole) -> [String] {
        console.shown.compactMap { m -> String? in
            if case .stepHeader(_, _, _, _, let title, let id) = m { return "\(title) · \(id)" }
            return nil
        }
    }

    /// The recap a resumed session shows first (what `muster resume` passes on).
    func recap(_ journal: MemoryJournal, _ rb: Runbook, includes: [String: Runbook] = [:]) -> [String] {
        ResumeRecap.render(state: RunState(replaying: journal.events), runbook: rb, includes: includes, runDir: "", masker: Masker(secrets: []))
    }

    @Test func aPauseInsideAGroupResumesThereAndFinallyRunsOnlyWhenTheRunEnds() throws {
        let rb = try loadRunbook(Self.flow, name: "flow")
        let journal = MemoryJournal()
        let runner = FakeRunner { $0 == "exit 4" ? (4, []) : (0, []) }
        let first = FakeConsole([])
        #expect(executor(rb, journal: journal, console: first, runner: runner).execute(resumed: false) == .paused("answers ran out (end of input)"))
        #expect(headers(first).contains("Rebuild · rebuild") && headers(first).contains("Create · rebuild/create"), "\(headers(first))")
        #expect(runner.ran == ["echo one", "echo created > created.txt"], "a paused run has not ended: its finally steps wait")

        let lines = recap(journal, rb)
        #expect(lines.contains("  ✓ rebuild/create: Create"), "the recap lists it: \(lines)")
        let second = FakeConsole(["y"]), again = FakeRunner { $0 == "exit 4" ? (4, []) : (0, []) }
        let outcome = executor(rb, state: RunState(replaying: journal.events), journal: journal, console: second, runner: again).execute(resumed: true)
        #expect(outcome == .failed("step 'rebuild/deploy' exited with status 4"), "\(outcome)")
        #expect(!headers(second).contains("Create · rebuild/create"), "a finished step of the group is not run again")
        #expect(second.plain.contains("finally: the steps that always run"))
        #expect(again.ran == ["exit 4", "echo cleaned > cleaned.txt"], "the abort ends the steps, not the cleanup")
        let finished = journal.events.filter { $0.event == .stepFinished }.map { "\($0.step!) \($0.outcome!)" }
        #expect(finished == ["first done", "rebuild/create done", "rebuild/confirm done", "rebuild/deploy failed", "cleanup done"])
        #expect(journal.events.last?.event == .runFinished && journal.events.last?.outcome == "failed")
    }

    @Test func pastTheDeadlineEveryPromptSaysSoAndOffersTheLadder() throws {
        let rb = try loadRunbook("""
        muster: 1
        name: late
        title: Late
        deadline: 1s
        escalation:
          - after: 1h
            contact: Incident commander
        steps:
          - {id: slow, title: Slow, run: sleep 1.5}
          - {id: check, title: Check, manual: [Look at the dashboards]}
        """, name: "late")
        let clock = FakeClock()
        // The step takes 1.5 s on the test's clock.
        let runner = FakeRunner { _ in
            clock.now += 1.5
            return (0, [])
        }
        let console = FakeConsole(["e", "1", "y"]), journal = MemoryJournal()
        #expect(executor(rb, journal: journal, console: console, runner: runner, clock: clock).execute(resumed: false) == .completed)
        #expect(!console.statuses.isEmpty)
        #expect(console.statuses.allSatisfy { $0.hasPrefix("PAST THE DEADLINE of 1s by") && $0.contains("answer e to escalate") }, "\(console.statuses)")
        #expect(journal.events.first { $0.event == .escalated }?.contact == "Incident commander")
    }

    static let loop = """
    muster: 1
    name: loop
    title: Loop
    steps:
      - id: list
        title: List the services
        run: echo "$SERVICES"
        outputs: {services: {regex: '(?s)(.*)'}}
      - id: redeploy
        title: Redeploy {{ service }}
        for_each: {in: services, as: service}
        run: echo {{ service }} >> deployed.txt
      - id: check
        title: Check
        manual: [The services answer]
    """

    /// `echo "$SERVICES"` prints `lines`.
    func services(_ lines: [String]) -> FakeRunner {
        FakeRunner { $0 == "echo \"$SERVICES\"" ? (0, lines) : (0, []) }
    }

    @Test func aLoopRepeatsOverTheItemsItsStartFixedAlsoAfterAResume() throws {
        let rb = try loadRunbook(Self.loop, name: "loop")
        let journal = MemoryJournal(), runner = services(["[\"api\", \"web\"]"]), first = FakeConsole([])
        #expect(executor(rb, journal: journal, console: first, runner: runner).execute(resumed: false) == .paused("answers ran out (end of input)"))
        #expect(headers(first).contains("Redeploy each service · redeploy"), "\(headers(first))")
        #expect(first.plain.contains("for each of 2 items: api, web"))
        #expect(headers(first).contains("Redeploy web · redeploy[web]"))
        #expect(runner.ranWithValues == ["echo \"$SERVICES\"", "echo api >> deployed.txt", "echo web >> deployed.txt"])
        #expect(journal.events.first { $0.event == .stepStarted && $0.step == "redeploy" }?.items == ["api", "web"])

        #expect(recap(journal, rb).contains("  ✓ redeploy[web]: Redeploy web"), "the recap names each item: \(recap(journal, rb))")
        // The value now holds other items: the loop keeps those it started with.
        let again = services(["[\"db\"]"])
        #expect(executor(rb, state: RunState(replaying: journal.events), journal: journal, console: FakeConsole(["y"]), runner: again).execute(resumed: true) == .completed)
        #expect(again.ran.isEmpty, "no item runs twice")
    }

    @Test func anItemThatIsNotANameFailsTheLoopBeforeAnythingRuns() throws {
        let rb = try loadRunbook(Self.loop, name: "loop")
        let runner = services(["api", "'; touch pwned; '", ""]), console = FakeConsole([])
        let outcome = executor(rb, journal: MemoryJournal(), console: console, runner: runner, yes: true).execute(resumed: false)
        guard case .failed = outcome else { Issue.record("the run should fail, not \(outcome)"); return }
        #expect(console.plain.contains("for_each cannot repeat over {{ services }}: item ''; touch pwned; '' is not a name of letters, digits and . _ : @ -"), "\(console.text)")
        #expect(runner.ran == ["echo \"$SERVICES\""])
    }

    static let conditions = """
    muster: 1
    name: cond
    title: Conditions
    params:
      region: {default: eu-west-1}
      limit: {default: x}
    steps:
      - id: measure
        title: Measure the lag
        run: echo lag=42
        outputs: {lag_seconds: {regex: 'lag=(\\d+)', type: int}}
      - id: promote
        title: Promote the replica
        when: lag_seconds < 30 and mode != "rehearsal"
        run: touch promoted.txt
      - id: restore
        title: Restore the snapshot
        when: steps.promote.outcome == "skipped" and mode == "incident"
        run: touch restored.txt
      - id: word
        title: Compare a word
        when: region < limit
        run: touch never.txt
    """

    @Test func aFalseConditionSkipsSayingWhyAndOneThatCannotBeDecidedAsks() throws {
        let rb = try loadRunbook(Self.conditions, name: "cond")
        let runner = FakeRunner { $0 == "echo lag=42" ? (0, ["lag=42"]) : (0, []) }
        let console = FakeConsole(["s cannot compare"]), journal = MemoryJournal()
        let run = executor(rb, journal: journal, console: console, runner: runner, params: ["region": "eu-west-1", "limit": "x"])
        #expect(run.execute(resumed: false) == .completed)
        let skipped = console.shown.compactMap { m -> String? in
            if case .stepResult(.finished(.skipped), _, let detail) = m { return detail }
            return nil
        }
        #expect(skipped.first == "lag_seconds < 30 and mode != \"rehearsal\" is false (lag_seconds = 42)", "\(skipped)")
        #expect(runner.ran == ["echo lag=42", "touch restored.txt"])
        #expect(console.plain.contains("its condition could not be evaluated: cannot decide 'when: region < limit'"), "\(console.text)")
        #expect(console.questions.contains("Step 'word' did not succeed. What now?"))
        let checked = journal.events.filter { $0.event == .conditionChecked }
        #expect(checked.map { "\($0.step!) \($0.value ?? "-")" } == ["promote false", "restore true", "word -"])
        #expect(checked.first?.seen == ["lag_seconds": "42", "mode": "incident"] || checked.first?.seen == ["lag_seconds": "42"])
        let promote = journal.events.first { $0.event == .stepFinished && $0.step == "promote" }
        #expect(promote?.outcome == "skipped")
        #expect(promote?.text?.hasPrefix("skipped: lag_seconds < 30") == true)
    }

    @Test func validateFindsUnknownNamesAndSecretsInAConditionAtTheirPlace() throws {
        let problems = try catalogProblems(["bad": """
        muster: 1
        name: bad
        title: Bad
        secrets:
          TOKEN: {env: TOKEN}
        steps:
          - {id: measure, title: Measure, run: echo lag=1, outputs: {lag_seconds: {regex: 'lag=(.*)'}}}
          - id: promote
            title: Promote
            when: lag_second < 30 or TOKEN == "x"
            run: echo promote
        """], in: "bad")
        #expect(problems.contains { $0.hasPrefix("runbooks/bad.yaml:10:11: error:") && $0.contains("did you mean 'lag_seconds'?") }, "\(problems)")
        #expect(problems.contains { $0.hasPrefix("runbooks/bad.yaml:10:30: error:") && $0.contains("secret") }, "\(problems)")
    }

    @Test func preflightChecksWhatStepsInGroupsAndFinallyNeed() throws {
        let rb = try loadRunbook("""
        muster: 1
        name: pre
        title: Preflight reaches every step
        secrets:
          DEPLOY_KEY: {env: DEPLOY_KEY_ENV}
        steps:
          - id: rebuild
            title: Rebuild
            steps:
              - {id: probe-dead, title: A host that is down, http: {url: "http://127.0.0.1:9/health"}}
        finally:
          - {id: cleanup, title: Clean up, run: 'test -n "$DEPLOY_KEY"'}
        """, name: "pre")
        let items = PreflightItem.plan(rb, given: [:], includes: [:], operatorName: "alice")
        let needs = items.map { "\($0.title) ← \($0.steps.joined(separator: ", "))" }
        #expect(needs.contains("http://127.0.0.1:9/ resolves and answers ← rebuild/probe-dead"), "\(needs)")
        #expect(needs.contains("secret DEPLOY_KEY is set (environment variable DEPLOY_KEY_ENV) ← cleanup"), "\(needs)")
    }

    static let inner = """
    muster: 1
    name: inner
    title: Inner
    params:
      region: {required: true}
    steps:
      - {id: restore, title: Restore, run: 'echo {{ region }} > restored.txt'}
    """

    @Test func aRunbookIncludedInsideAGroupIsLoadedValidatedAndRun() throws {
        let outer = """
        muster: 1
        name: outer
        title: Outer
        steps:
          - id: rebuild
            title: Rebuild
            steps:
              - {id: db, title: Restore the database, runbook: inner, with: {region: eu-central-1}}
        """
        let rb = try loadRunbook(outer, name: "outer")
        let console = FakeConsole([]), runner = FakeRunner()
        let run = executor(rb, journal: MemoryJournal(), console: console, runner: runner, includes: ["inner": try loadRunbook(Self.inner, name: "inner")])
        #expect(run.execute(resumed: false) == .completed)
        #expect(headers(console).contains("Restore · rebuild/db/restore"), "\(headers(console))")
        #expect(runner.ranWithValues == ["echo eu-central-1 > restored.txt"])

        let problems = try catalogProblems(["outer": outer, "inner": Self.inner, "broken": """
            muster: 1
            name: broken
            title: Broken
            steps:
              - id: g
                title: G
                steps:
                  - {id: db, title: Missing, runbook: no-such-runbook}
            """], in: "broken")
        #expect(problems.contains { $0.contains("step 'db' runs runbook 'no-such-runbook', which does not exist") }, "\(problems)")
        #expect(try catalogProblems(["outer": outer, "inner": Self.inner], in: "outer").isEmpty)
    }

    @Test func aDrillRecordOfGroupsLoopsAndIncludesVerifiesAndAChangedParentIsCaught() throws {
        let rb = try loadRunbook("""
            muster: 1
            name: flowdrill
            title: Flow drill
            steps:
              - id: rebuild
                title: Rebuild
                steps:
                  - {id: create, title: Create, run: 'true'}
                  - {id: db, title: Database, runbook: inner}
              - {id: redeploy, title: "Redeploy {{ service }}", for_each: {in: [api, web], as: service}, run: 'true'}
            """, name: "flowdrill")
        let includes = ["inner": try loadRunbook("muster: 1\nname: inner\ntitle: Inner\nsteps:\n  - {id: restore, title: Restore, run: 'true'}\n", name: "inner")]
        let drill = DrillSetup(name: "flow-drill", mode: "live", rtoSeconds: 600, faults: [], expectEscalation: nil, recordsDir: "drills/records", junit: nil)
        // The journal as a file, chained line by line: what a record is verified against.
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("muster-flow-\(UUID().uuidString).jsonl").path
        let journal = try FileJournal(path: path)
        #expect(executor(rb, journal: journal, console: FakeConsole([]), runner: FakeRunner(), includes: includes, drill: drill).execute(resumed: false) == .completed)
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        let events = try FileJournal.read(path: path).events
        let record = try #require(DrillRecorder.record(events: events, drill: drill, steps: DrillRecorder.stepFacts(rb, includes: includes), runbookCommit: nil, runbookDirty: false))
        #expect(record.steps.map(\.id) == ["rebuild", "rebuild/create", "rebuild/db", "rebuild/db/restore", "redeploy", "redeploy[api]", "redeploy[web]"])
        #expect(record.steps.map(\.parent) == [nil, "rebuild", "rebuild", "rebuild/db", nil, "redeploy", "redeploy"])
        #expect(RecordVerifier.verify(record: record, journal: bytes, journalName: "journal.jsonl").problem == nil)

        // A step moved under another parent by hand is an edit.
        var moved = record
        moved.steps[3].parent = "rebuild"
        let problem = RecordVerifier.verify(record: moved, journal: bytes, journalName: "journal.jsonl").problem
        #expect(problem?.contains("altered") == true, "\(problem ?? "no problem found")")

        // A record written before steps named their parent still matches its journal.
        var old = record
        for i in old.steps.indices { old.steps[i].parent = nil }
        #expect(RecordVerifier.verify(record: old, journal: bytes, journalName: "journal.jsonl").problem == nil)
    }
}
