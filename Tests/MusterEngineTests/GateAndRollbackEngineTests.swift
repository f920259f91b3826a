@testable import MusterBasics
@testable import MusterFormat
@testable import MusterEngine
@testable import MusterTesting
import MusterTestSupport
import Testing

/// Confirm gates and rollbacks driven in-process: a gate shows what will
/// run before it asks; a rollback lists what it will undo, asks, offers
/// the failing step's own rollback, and shows each result. The CLI's part
/// (real commands, the screen, the exit status) is GateAndRollbackTests'.
@Suite("Confirm gates and rollbacks, in-process")
struct GateAndRollbackEngineTests {
    @Test func aConfirmGateShowsExactlyWhatWillRunBeforeItAsks() throws {
        let rb = try loadRunbook("""
        muster: 1
        name: gate
        title: Gate
        params:
          region: {default: eu-north-1}
        secrets:
          TOKEN: {env: GATE_TOKEN}
        steps:
          - id: promote
            title: Promote the standby
            confirm: true
            run: echo promoting {{ region }} with "$TOKEN" > promoted.txt
        """, name: "gate")
        let console = FakeConsole(["y"]), runner = FakeRunner(), journal = MemoryJournal()
        let run = executor(rb, journal: journal, console: console, runner: runner, secrets: ["TOKEN": "tok-gate-secret-123"], params: ["region": "eu-north-1"])
        #expect(run.execute(resumed: false) == .completed)
        let shown = try #require(console.transcript.firstIndex(of: "\(ConsoleMessage.command("echo promoting eu-north-1 with \"$TOKEN\" > promoted.txt"))"), "\(console.transcript)")
        let asked = try #require(console.transcript.firstIndex(of: "? Run this step as shown?"), "\(console.transcript)")
        #expect(shown < asked, "the command came after the question")
        #expect(!console.transcript.joined().contains("tok-gate-secret-123"))
        #expect(runner.ranWithValues == ["echo promoting eu-north-1 with \"$TOKEN\" > promoted.txt"])
        #expect(journal.events.contains { $0.event == .gateAnswered && $0.step == "promote" })
    }

    static let chain = FeatureRunbooks.gateChain

    static let steps = ["echo stop >> log.txt", "echo promote >> log.txt", "echo half-switched >> log.txt; exit 1"]

    /// Runs the chain: `switch-dns` fails, `failing` scripts too (with what they print).
    func chainRunner(failing: [String: (Int32, [String])] = [:]) -> FakeRunner {
        FakeRunner { script in
            if script == Self.steps[2] { return (1, []) }
            return failing[script] ?? (0, [])
        }
    }

    func rolledBack(_ console: FakeConsole) -> Int {
        console.shown.filter { if case .stepResult(.rolledBack, _, _) = $0 { true } else { false } }.count
    }

    @Test func onFailureRollbackListsWhatItUndoesAsksAndShowsEachResult() throws {
        let rb = try loadRunbook(Self.chain, name: "chain")
        let console = FakeConsole(["y"]), runner = chainRunner(), journal = MemoryJournal()
        guard case .failed = executor(rb, journal: journal, console: console, runner: runner).execute(resumed: false) else {
            Issue.record("the run should end failed: \(console.text)")
            return
        }
        let t = console.transcript
        let order = ["1. switch-dns (the step that failed", "2. promote", "3. stop-writes", "? Roll back these 3 steps?"].map { line in t.firstIndex { $0.contains(line) } }
        #expect(order.allSatisfy { $0 != nil }, "\(t)")
        #expect(order.compactMap { $0 } == order.compactMap { $0 }.sorted(), "listed out of order: \(t)")
        #expect(runner.ran == Self.steps + ["echo undo-switch >> log.txt", "echo undo-promote >> log.txt", "echo undo-stop >> log.txt"])
        #expect(rolledBack(console) == 3, "\(console.text)")
        #expect(journal.events.last?.outcome == "rolled_back")
    }

    @Test func pausingAtTheRollbackQuestionUndoesNothingAndResumeAsksAgain() throws {
        let rb = try loadRunbook(Self.chain, name: "chain")
        let journal = MemoryJournal(), runner = chainRunner()
        let paused = executor(rb, journal: journal, console: FakeConsole(["a"]), runner: runner).execute(resumed: false)
        guard case .paused = paused else { Issue.record("expected a pause, got \(paused)"); return }
        #expect(runner.ran == Self.steps, "something was undone before the operator said yes")
        let again = FakeRunner(), console = FakeConsole(["y"])
        let resumed = executor(rb, state: RunState(replaying: journal.events), journal: journal, console: console, runner: again).execute(resumed: true)
        guard case .failed = resumed else { Issue.record("the resumed run should end rolled back, not \(resumed)"); return }
        #expect(console.questions == ["Roll back these 3 steps?"])
        #expect(again.ran == ["echo undo-switch >> log.txt", "echo undo-promote >> log.txt", "echo undo-stop >> log.txt"])
        #expect(journal.events.last?.outcome == "rolled_back")
    }

    @Test func withYesTheCompletedStepsAreRolledBackUnasked() throws {
        let rb = try loadRunbook(Self.chain, name: "chain")
        let console = FakeConsole([]), runner = chainRunner()
        guard case .failed = executor(rb, journal: MemoryJournal(), console: console, runner: runner, yes: true).execute(resumed: false) else {
            Issue.record("the run should end failed: \(console.text)")
            return
        }
        #expect(console.questions.isEmpty)
        #expect(!console.plain.contains("Roll back these"))
        #expect(runner.ran == Self.steps + ["echo undo-promote >> log.txt", "echo undo-stop >> log.txt"])
        #expect(rolledBack(console) == 2)
    }

    @Test func aFailedRollbackIsShownWithItsOutputAndReason() throws {
        let failing = "echo cannot demote >&2; exit 4"
        let rb = try loadRunbook(Self.chain.replacingOccurrences(of: "rollback: echo undo-promote >> log.txt", with: "rollback: \(failing)"), name: "chain")
        let console = FakeConsole([]), journal = MemoryJournal()
        _ = executor(rb, journal: journal, console: console, runner: chainRunner(failing: [failing: (4, ["cannot demote"])]), yes: true).execute(resumed: false)
        #expect(console.shown.contains { if case .output(_, "cannot demote") = $0 { true } else { false } }, "\(console.text)")
        let failed = console.shown.compactMap { m -> String? in
            if case .stepResult(.rollbackFailed, _, let detail) = m { return detail ?? "" }
            return nil
        }
        #expect(failed == ["exited with status 4; finish it by hand"], "\(console.text)")
        #expect(journal.events.last?.outcome == "rollback_incomplete")
    }
}
