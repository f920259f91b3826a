@testable import MusterBasics
@testable import MusterFormat
@testable import MusterEngine
@testable import MusterTesting
import Testing

/// A runner whose commands take the time the test gives them on the
/// test's clock: a command longer than its timeout is cut short at it.
/// What the operator sees while a command runs (a hint past its `expect`)
/// comes at the runner's tick, after the time has passed.
final class TimedRunner: CommandRunner {
    let clock: FakeClock
    /// Seconds, exit status and lines for each script.
    let rule: (String) -> (seconds: Double, status: Int32, lines: [String])
    var ran: [String] = []

    init(clock: FakeClock, _ rule: @escaping (String) -> (seconds: Double, status: Int32, lines: [String])) {
        self.clock = clock
        self.rule = rule
    }

    func run(script: String, environment: [String: String], timeout: Double, keepLeftovers: Bool,
             onLine: (Bool, String) -> Void, onSignal: (Signal) -> Bool, onTick: () -> Void) throws(CommandError) -> CommandResult {
        ran.append(script)
        let (seconds, status, lines) = rule(script)
        let cut = seconds > timeout
        clock.now += min(seconds, timeout)
        onTick()
        if cut { return CommandResult(status: 124, timedOut: true, interrupted: false, seconds: timeout) }
        for l in lines { onLine(false, l) }
        return CommandResult(status: status, timedOut: false, interrupted: false, seconds: seconds)
    }
}

/// What muster says while a run goes on, in-process: the status line
/// naming the next rung of the ladder, the hint past a step's `expect`
/// (once), and what a wait's last poll came to. The words of the CLI
/// (validate, did you mean, `runs`, `log`, the terminal, the HTML report)
/// are MessageTests'.
@Suite("Messages during a run, in-process")
struct MessageEngineTests {
    @Test func afterAnEscalationThePromptNamesTheNextRung() throws {
        let rb = try loadRunbook("""
        muster: 1
        name: esc
        title: Escalate
        escalation:
          - {after: 30m, contact: Secondary on-call}
          - {after: 1h, contact: Incident manager}
        steps:
          - id: declare
            title: Declare
            manual: [Open an incident, Page the commander]
        """, name: "esc")
        let console = FakeConsole(["e", "1", "y", "e", "2", "y"]), journal = MemoryJournal()
        let outcome = executor(rb, journal: journal, console: console, runner: FakeRunner()).execute(resumed: false)
        #expect(outcome == .completed, "\(console.text)")
        #expect(console.statuses.first?.contains("next escalation at 30m: Secondary on-call") == true, "\(console.statuses)")
        #expect(console.statuses.contains { $0.contains("escalated to Secondary on-call · next escalation at 1h: Incident manager") }, "\(console.statuses)")
        #expect(console.statuses.last?.contains("escalated to Incident manager · the last rung") == true, "\(console.statuses)")
        #expect(journal.events.filter { $0.event == .escalated }.map(\.contact) == ["Secondary on-call", "Incident manager"])
    }

    static let waits = """
    muster: 1
    name: w
    title: W
    steps:
      - id: poll
        title: Poll
        wait:
          run: sleep 1.2; echo not-yet
          until: ready
          every: 1s
          timeout: 6s
        expect: 1s
        on_failure: continue
      - id: cut
        title: Cut short
        wait:
          run: sleep 3; echo never
          until: ready
          every: 1s
          timeout: 5s
    """

    @Test func aWaitHintsOnceAndItsLastPollShowsWhatItCameTo() throws {
        let rb = try loadRunbook(Self.waits, name: "w")
        let clock = FakeClock()
        // Each probe takes as long as its `sleep`, and then says its word.
        let runner = TimedRunner(clock: clock) { $0.hasPrefix("sleep 1.2") ? (1.2, 0, ["not-yet"]) : (3, 0, ["never"]) }
        let console = FakeConsole([]), journal = MemoryJournal()
        let outcome = executor(rb, journal: journal, console: console, runner: runner, yes: true, clock: clock).execute(resumed: false)
        guard case .failed = outcome else { Issue.record("the cut-short wait fails the run: \(outcome)\n\(console.text)"); return }
        // Three polls of 1.2 s past an `expect` of 1 s: one hint.
        let hints = console.shown.filter { if case .warning(let w) = $0 { w.contains("running past its expected") } else { false } }
        #expect(hints.count == 1, "\(console.text)")
        #expect(hints.first.map { "\($0)" } == "\(ConsoleMessage.warning("'poll' is running past its expected 1s"))", "\(console.text)")
        #expect(runner.ran.filter { $0.hasPrefix("sleep 1.2") }.count == 3)
        #expect(console.plain.contains("poll 2: cut short by the wait's timeout"), "\(console.text)")
        #expect(console.plain.contains("the condition never held (last: never)"), "\(console.text)")
        #expect(console.plain.contains("the condition never held (last: not-yet)"), "\(console.text)")
        let failed = journal.events.filter { $0.event == .stepFinished && $0.outcome == "failed" }.map(\.step)
        #expect(failed == ["poll", "cut"], "\(failed)")
    }

    @Test func aFailingPollShowsItsLastLine() throws {
        let rb = try loadRunbook("""
        muster: 1
        name: w
        title: W
        steps:
          - id: poll
            title: Poll
            wait:
              run: echo "connection refused" >&2; exit 7
              every: 1s
              timeout: 1s
        """, name: "w")
        let clock = FakeClock()
        let runner = TimedRunner(clock: clock) { _ in (0.1, 7, ["connection refused"]) }
        let console = FakeConsole([])
        let outcome = executor(rb, journal: MemoryJournal(), console: console, runner: runner, yes: true, clock: clock).execute(resumed: false)
        guard case .failed = outcome else { Issue.record("the wait fails the run: \(outcome)\n\(console.text)"); return }
        #expect(console.plain.contains("poll 1: exit 7: connection refused"), "\(console.text)")
        #expect(runner.ran.count == 1, "a second poll would end past the wait's timeout")
    }
}
