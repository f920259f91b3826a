@testable import MusterBasics
@testable import MusterFormat
@testable import MusterEngine
@testable import MusterDrills
@testable import MusterTesting
import MusterTestSupport
import Testing

/// `decide:` steps driven in-process with scripted answers: the option by
/// name or number, then why; the option steers `when:` and templates; the
/// decision is journaled, goes into the drill record with how long it
/// took, survives a resume, and `--yes` never makes it. The CLI's part
/// (the drill command, its record file, the report) is DecisionTests'.
@Suite("decide: decisions on the record, in-process")
struct DecisionEngineTests {
    static let runbook = FeatureRunbooks.decision

    static let drill = DrillSetup(name: "failover-drill", mode: "live", rtoSeconds: 1800, faults: [], expectEscalation: nil, recordsDir: "drills/records", junit: nil)

    func decisions(_ journal: MemoryJournal) -> [JournalEvent] { journal.events.filter { $0.event == .decided } }

    @Test func theOptionAndItsReasonSteerTheRunAndGoIntoTheRecord() throws {
        let rb = try loadRunbook(Self.runbook, name: "failover")
        let journal = MemoryJournal(), runner = FakeRunner()
        // A word that is no option is asked again; the number picks the first; an empty reason is asked again.
        let console = FakeConsole(["y", "fail over", "1", "", "the primary region's API is gone"])
        #expect(executor(rb, journal: journal, console: console, runner: runner, drill: Self.drill).execute(resumed: false) == .completed)
        #expect(console.questions.filter { $0 == "Decide: 1 failover · 2 wait-15m · 3 abort" }.count == 2, "\(console.questions)")
        #expect(console.questions.contains("Why failover?"))
        #expect(console.plain.contains("not understood: answer one of failover, wait-15m, abort (or its number 1-3)"), "\(console.text)")
        #expect(console.plain.contains("say in one line why failover"), "an empty reason is asked again: \(console.text)")
        #expect(console.shown.contains { if case .stepHeader(_, _, _, _, "Switch (failover)", "switch") = $0 { true } else { false } }, "\(console.text)")
        #expect(runner.ran == ["echo \"switched after $0\" > switched.txt"], "only the failover branch ran")
        let decision = try #require(decisions(journal).first)
        #expect(decisions(journal).count == 1)
        #expect(decision.step == "go-no-go" && decision.value == "failover")
        #expect(decision.text == "the primary region's API is gone")

        let record = try #require(DrillRecorder.record(events: journal.events, drill: Self.drill, steps: DrillRecorder.stepFacts(rb, includes: [:]),
                                                       runbookCommit: nil, runbookDirty: false))
        let entries = try #require(record.decisions)
        #expect(entries.count == 1)
        #expect(entries[0].step == "go-no-go" && entries[0].option == "failover")
        #expect(entries[0].reason == "the primary region's API is gone")
        #expect(entries[0].by == "alice")
        #expect(entries[0].waitedSeconds >= 0)
        #expect(record.timeToDecideSeconds == entries[0].atSeconds)
    }

    @Test func yesNeverDecidesAndTheDecisionIsAskedOnResume() throws {
        let rb = try loadRunbook(Self.runbook, name: "failover")
        let journal = MemoryJournal()
        let first = executor(rb, journal: journal, console: FakeConsole([]), runner: FakeRunner(), yes: true).execute(resumed: false)
        guard case .paused(let why) = first else { Issue.record("--yes should pause at the decision, not \(first)"); return }
        #expect(why.contains("'go-no-go' is a decision and --yes never decides"), "\(why)")
        #expect(decisions(journal).isEmpty)

        // The option alone, with no reason, decides nothing.
        let half = executor(rb, state: RunState(replaying: journal.events), journal: journal, console: FakeConsole(["wait-15m"]), runner: FakeRunner())
        #expect(half.execute(resumed: true) == .paused("answers ran out (end of input)"))
        #expect(decisions(journal).isEmpty)

        let runner = FakeRunner()
        let done = executor(rb, state: RunState(replaying: journal.events), journal: journal, console: FakeConsole(["WAIT-15M", "the replica is still catching up"]), runner: runner)
        #expect(done.execute(resumed: true) == .completed)
        #expect(runner.ran == ["touch held.txt"])
        #expect(decisions(journal).count == 1 && decisions(journal)[0].value == "wait-15m", "the option as the runbook spells it")
        // What the incident run's report and postmortem draft are made of.
        let report = try #require(RunReport.build(events: journal.events, steps: StepFacts.of(rb, includes: [:]), titles: [:], rtoSeconds: nil, rpoSeconds: nil))
        #expect(report.decisions.map { "\($0.step) \($0.option) \($0.reason)" } == ["go-no-go wait-15m the replica is still catching up"])
    }

    @Test func aConditionOnAnOptionTheDecisionDoesNotHaveIsAnError() throws {
        let text = Self.runbook.replacingOccurrences(of: "when: go-no-go == \"failover\"", with: "when: go-no-go == \"fail-over\"")
            .replacingOccurrences(of: "options: [failover, wait-15m, abort]", with: "options: [failover, wait-15m, failover, 2nd]")
        let problems = try catalogProblems(["failover": text], in: "failover").joined(separator: "\n")
        #expect(problems.contains("runbooks/failover.yaml:12:37: error: option 'failover' is listed twice"), "\(problems)")
        #expect(problems.contains("runbooks/failover.yaml:12:47: error: option '2nd' must be lower-case letters"), "\(problems)")
        #expect(problems.contains("\"fail-over\" is not one of the choices for 'go-no-go' (did you mean 'failover'?)"), "\(problems)")
    }

    /// Nobody at the console: every question with a limit waits it out on
    /// the test's clock and comes back unanswered.
    final class NobodyConsole: RunConsole {
        let inner = FakeConsole([])
        let clock: FakeClock
        init(_ clock: FakeClock) { self.clock = clock }
        var isInteractive: Bool { true }
        func show(_ message: ConsoleMessage) { inner.show(message) }
        func ask(_ question: String, hint: String, status: String) -> AnswerRead { inner.ask(question, hint: hint, status: status) }
        func ask(_ question: String, hint: String, status: String, within seconds: Double) -> AnswerRead? {
            inner.questions.append(question)
            clock.now += seconds
            return nil
        }
    }

    /// In a drill, `default_after` takes the default when nobody decides in time.
    @Test func aDrillTakesTheDefaultWhenNobodyDecidesInTime() throws {
        let text = Self.runbook.replacingOccurrences(of: "options: [failover, wait-15m, abort]", with: "options: [failover, wait-15m, abort]\n      default: wait-15m\n      default_after: 1s")
            .replacingOccurrences(of: "manual: [Open the incident]", with: "run: 'true'")
        let rb = try loadRunbook(text, name: "failover")
        let clock = FakeClock()
        let console = NobodyConsole(clock)
        let journal = MemoryJournal(), runner = FakeRunner()
        #expect(executor(rb, journal: journal, console: console, runner: runner, clock: clock, drill: Self.drill).execute(resumed: false) == .completed)
        #expect(console.inner.questions == ["Decide: 1 failover · 2 wait-15m · 3 abort"])
        #expect(console.inner.plain.contains("decided: wait-15m (nobody decided within 1s: the drill took its default)"), "\(console.inner.text)")
        #expect(runner.ran == ["true", "touch held.txt"])
        let decision = try #require(decisions(journal).first)
        #expect(decision.value == "wait-15m" && decision.by == "muster (default_after)" && decision.auto == nil)
        let record = try #require(DrillRecorder.record(events: journal.events, drill: Self.drill, steps: DrillRecorder.stepFacts(rb, includes: [:]),
                                                       runbookCommit: nil, runbookDirty: false))
        #expect(record.unattended != true, "nobody gave --yes")

        // A run is no drill: there the question waits for a person.
        let run = executor(rb, journal: MemoryJournal(), console: FakeConsole([]), runner: FakeRunner(), clock: FakeClock()).execute(resumed: false)
        #expect(run == .paused("answers ran out (end of input)"))

        let bad = Self.runbook.replacingOccurrences(of: "options: [failover, wait-15m, abort]", with: "options: [failover, wait-15m, abort]\n      default: wait15m")
        let problems = try catalogProblems(["failover": bad], in: "failover").joined(separator: "\n")
        #expect(problems.contains("default 'wait15m' is not one of the options (did you mean 'wait-15m'?)"), "\(problems)")
        #expect(problems.contains("'default' and 'default_after' go together"), "\(problems)")
    }
}
