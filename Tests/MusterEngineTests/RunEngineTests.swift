@testable import MusterBasics
@testable import MusterFormat
@testable import MusterEngine
@testable import MusterTesting
import MusterTestSupport
import Testing

/// What `muster run` does with the operator's answers, in-process:
/// checklists and asked values, answers asked again with a hint, `--yes`,
/// the failure menu (retry, roll back, done by hand, escalate), a gate an
/// empty line does not pass, outputs into an included runbook, a value
/// never set. The CLI's part (the pipe, resume, the state folder, real
/// processes, values in a real shell) is RunTests'.
@Suite("muster run's answers, in-process")
struct RunEngineTests {
    static let checklist = FeatureRunbooks.checklist

    static let failing = """
    muster: 1
    name: fail
    title: Failing
    steps:
      - id: first
        title: First
        run: echo first >> log.txt
        rollback: echo undo-first >> log.txt
      - id: second
        title: Second
        run: echo second >> log.txt; exit 7
        retries: 1
        retry_delay: 1s
    """

    /// `second` fails with 7 every time.
    func failingRunner() -> FakeRunner { FakeRunner { $0.hasSuffix("exit 7") ? (7, []) : (0, []) } }

    func run(_ yaml: String, name: String, _ answers: [String], runner: FakeRunner = FakeRunner(), yes: Bool = false,
             includes: [String: Runbook] = [:]) throws -> (RunOutcome, FakeConsole, MemoryJournal) {
        let rb = try loadRunbook(yaml, name: name)
        let console = FakeConsole(answers), journal = MemoryJournal()
        let outcome = executor(rb, journal: journal, console: console, runner: runner, yes: yes, includes: includes).execute(resumed: false)
        return (outcome, console, journal)
    }

    @Test func checklistAnswersAndAskValuesFlowIntoCommands() throws {
        let runner = FakeRunner()
        let (outcome, console, journal) = try run(Self.checklist, name: "check", ["y", "", "INC-42"], runner: runner)
        #expect(outcome == .completed, "\(console.text)")
        #expect(runner.ran == ["echo \"incident ${MUSTER_VALUE_incident}\" > incident.txt"])
        #expect(runner.environments.first?["MUSTER_VALUE_incident"] == "INC-42")
        #expect(console.shown.contains { if case .stepHeader(1, 2, _, _, "Declare the incident", _) = $0 { true } else { false } }, "\(console.text)")
        #expect(console.statuses.contains { $0.contains("next escalation at 30m: Secondary on-call") }, "\(console.statuses)")
        #expect(journal.events.first?.event == .runStarted && journal.events.last?.event == .runFinished)
        #expect(journal.events.filter { $0.event == .itemAnswered }.count == 2)
    }

    @Test func answersThatAreNotUnderstoodAreAskedAgainWithAHint() throws {
        let (outcome, console, journal) = try run(Self.checklist, name: "check", ["maybe", "s", "s not needed here", "y", "INC-1"])
        #expect(outcome == .completed, "\(console.text)")
        #expect(console.plain.contains("not understood: answer y (or Enter), s REASON, n TEXT, e or a"), "\(console.text)")
        #expect(console.plain.contains("say why you skip it: s REASON"), "\(console.text)")
        let skipped = journal.events.first { $0.answer == "skipped" }
        #expect(skipped?.text == "not needed here")
    }

    @Test func yesAnswersChecklistsAutomaticallyButStillReadsAskValues() throws {
        let (outcome, console, journal) = try run(Self.checklist, name: "check", ["INC-9"], yes: true)
        #expect(outcome == .completed, "\(console.text)")
        let auto = journal.events.filter { $0.event == .itemAnswered }
        #expect(auto.count == 2 && auto.allSatisfy { $0.auto == true })
        let (eof, _, _) = try run(Self.checklist, name: "check", [], yes: true)
        guard case .paused = eof else { Issue.record("--yes must not invent an ask value: \(eof)"); return }
    }

    @Test func withYesAFailureAbortsTheRun() throws {
        let runner = failingRunner()
        let (outcome, console, journal) = try run(Self.failing, name: "fail", [], runner: runner, yes: true)
        guard case .failed = outcome else { Issue.record("the run should end failed: \(outcome) \(console.text)"); return }
        #expect(runner.ran == ["echo first >> log.txt", "echo second >> log.txt; exit 7", "echo second >> log.txt; exit 7"])
        #expect(journal.events.last?.event == .runFinished && journal.events.last?.outcome == "failed")
    }

    @Test func rollBackRunsRollbackCommandsInReverse() throws {
        let runner = failingRunner()
        let (outcome, console, journal) = try run(Self.failing, name: "fail", ["b", "y"], runner: runner)
        guard case .failed = outcome else { Issue.record("the run should end rolled back: \(outcome) \(console.text)"); return }
        #expect(runner.ran == ["echo first >> log.txt", "echo second >> log.txt; exit 7", "echo second >> log.txt; exit 7", "echo undo-first >> log.txt"])
        #expect(journal.events.last?.outcome == "rolled_back")
    }

    @Test func markDoneByHandCompletesTheRun() throws {
        let (outcome, console, _) = try run(Self.failing, name: "fail", ["x", "d", "d restarted it by hand"], runner: failingRunner())
        #expect(outcome == .completed, "\(console.text)")
        #expect(console.plain.contains("not understood: answer r, s REASON, d NOTE, e, a or b"), "\(console.text)")
        #expect(console.plain.contains("say what you did by hand: d NOTE"), "\(console.text)")
    }

    @Test func confirmGateIsNotPassedByAnEmptyLine() throws {
        let gate = """
        muster: 1
        name: gate
        title: Gate
        steps:
          - id: destroy
            title: Destroy
            confirm: true
            run: touch destroyed
        """
        let runner = FakeRunner()
        let (skipped, console, _) = try run(gate, name: "gate", ["", "s not today"], runner: runner)
        #expect(skipped == .completed, "\(console.text)")
        #expect(runner.ran.isEmpty, "an empty line passed the gate")
        let (passed, _, _) = try run(gate, name: "gate", ["y"], runner: runner)
        #expect(passed == .completed)
        #expect(runner.ran == ["touch destroyed"])
    }

    @Test func outputsAreCapturedAndIncludedRunbooksGetTheirParameters() throws {
        let child = try loadRunbook("""
        muster: 1
        name: child
        title: Child
        params:
          target: {}
        steps:
          - id: use
            title: Use {{ target }}
            run: echo "$TARGET" > target.txt
        """, name: "child")
        let arn = "arn:aws:eks:eu-north-1:1:cluster/prod"
        let runner = FakeRunner { $0.hasPrefix("echo '{") ? (0, ["{\"cluster\": {\"arn\": \"\(arn)\"}}"]) : (0, []) }
        let (outcome, console, journal) = try run("""
        muster: 1
        name: parent
        title: Parent
        steps:
          - id: make
            title: Make
            run: |
              echo '{"cluster": {"arn": "\(arn)"}}'
            outputs:
              arn: {json: cluster.arn}
          - id: child
            title: Child
            runbook: child
            with: {target: "{{ arn }}"}
        """, name: "parent", [], runner: runner, yes: true, includes: ["child": child])
        #expect(outcome == .completed, "\(console.text)")
        #expect(runner.ran.last == "echo \"$TARGET\" > target.txt")
        #expect(runner.environments.last?["TARGET"] == arn, "\(runner.environments)")
        #expect(console.shown.contains { if case .stepHeader(3, 3, _, _, "Use \(arn)", _) = $0 { true } else { false } }, "\(console.text)")
        #expect(journal.events.contains { $0.step == "child/use" })
    }

    @Test func escalationIsRecordedWithTheChosenRung() throws {
        let (outcome, console, journal) = try run(Self.checklist, name: "check", ["e", "", "y", "y", "INC"])
        #expect(outcome == .completed, "\(console.text)")
        // The ladder the screen shows as "1. after 30m: Secondary on-call".
        #expect(console.shown.contains { if case .ladder(let rungs, _) = $0 { rungs.map(\.contact) == ["Secondary on-call"] && rungs.map(\.after) == [1800] } else { false } }, "\(console.text)")
        #expect(journal.events.first { $0.event == .escalated }?.contact == "Secondary on-call")
    }

    @Test func aValueNeverSetStopsTheStepInsteadOfRunningATemplate() throws {
        let runner = FakeRunner { $0 == "exit 1" ? (1, []) : (0, []) }
        let (outcome, console, _) = try run("""
        muster: 1
        name: skip
        title: Skip
        steps:
          - id: make
            title: Make
            run: exit 1
            outputs:
              arn: {regex: 'arn=(\\S+)'}
          - id: use
            title: Use
            run: echo {{ arn }} > used.txt
        """, name: "skip", ["s not needed", "a"], runner: runner)
        guard case .paused = outcome else { Issue.record("the run should pause: \(outcome) \(console.text)"); return }
        #expect(console.plain.contains("cannot run: {{ arn }} has no value"), "\(console.text)")
        #expect(runner.ran == ["exit 1"], "the step with no value ran")
    }
}
