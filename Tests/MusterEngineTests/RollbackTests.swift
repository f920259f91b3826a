@testable import MusterBasics
@testable import MusterFormat
@testable import MusterEngine
@testable import MusterJournal
@testable import MusterApp
@testable import MusterTesting
import Testing

/// A rollback, one machine action per rollback command, in-process.
@Suite("rolling back one step at a time")
struct RollbackTests {
    static let runbook = """
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
        rollback: undo-d {{ handle }}
        outputs:
          handle: {regex: 'handle (\\\\S+)'}
    """

    /// `d` fails before it prints its handle, and the operator rolls back.
    func firstSession(_ rb: Runbook, failing: Set<String> = []) -> (RunOutcome, FakeRunner, MemoryJournal, FakeConsole) {
        let runner = FakeRunner { script in (script == "d" || failing.contains(script) ? 1 : 0, []) }
        let journal = MemoryJournal()
        let console = FakeConsole(["b", "y"])
        let outcome = executor(rb, journal: journal, console: console, runner: runner).execute(resumed: false)
        return (outcome, runner, journal, console)
    }

    @Test func theFailedStepsOwnRollbackLackingAValueIsJournaledAsNotRunAndTheRestGoesOn() throws {
        let rb = try loadRunbook(Self.runbook)
        let (outcome, runner, journal, console) = firstSession(rb)
        #expect(outcome == .failed("rolled back: operator chose to roll back at 'd'"))
        #expect(runner.ran == ["a", "c", "d", "undo-c", "undo-a"])
        #expect(console.text.contains("failed before it set {{ handle }}, which its rollback needs; undo what it did by hand"))
        let rollback = journal.events.filter { $0.event == .rollbackStarted || $0.event == .rollbackFinished }
        #expect(rollback.map(\.event) == [.rollbackStarted, .rollbackFinished, .rollbackStarted, .rollbackFinished, .rollbackStarted, .rollbackFinished])
        #expect(rollback.map(\.step) == [nil, "d", "c", "c", "a", "a"])
        #expect(rollback[1].exit == nil && rollback[1].text?.hasPrefix("not run") == true)
        #expect(RunState(replaying: journal.events).outcome == .rolledBack)

        // Cut after the one not run: no command has run yet, so the resumed
        // session lists the rest and asks again, then runs them.
        let cut = Array(journal.events[...journal.events.firstIndex { $0.event == .rollbackFinished }!])
        let again = FakeRunner()
        let resumed = FakeConsole(["y"])
        #expect(executor(rb, state: RunState(replaying: cut), journal: MemoryJournal(), console: resumed, runner: again).execute(resumed: true)
            == .failed("rolled back: operator chose to roll back at 'd'"))
        #expect(again.ran == ["undo-c", "undo-a"])
        #expect(resumed.questions == ["Roll back these 2 steps?"])
    }

    @Test func aRollbackCommandThatFailedInAnEarlierSessionLeavesTheRollbackIncomplete() throws {
        let rb = try loadRunbook(Self.runbook)
        let (_, _, journal, _) = firstSession(rb, failing: ["undo-c"])
        #expect(RunState(replaying: journal.events).outcome == .rollbackIncomplete)
        // Cut after undo-c failed: the next session's undo-a succeeds, and
        // the run still ends incomplete.
        let cut = Array(journal.events[...journal.events.lastIndex { $0.event == .rollbackFinished && $0.step == "c" }!])
        let next = MemoryJournal()
        let console = FakeConsole([])
        _ = executor(rb, state: RunState(replaying: cut), journal: next, console: console, runner: FakeRunner()).execute(resumed: true)
        #expect(RunState(replaying: cut + next.events).outcome == .rollbackIncomplete)
        #expect(console.text.contains("rolled back with 1 failed rollback command"), "\(console.text)")
    }
}
