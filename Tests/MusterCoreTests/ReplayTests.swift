@testable import MusterCore
import Testing

/// Resume is replay: a run's journal cut at any event, replayed and
/// continued with the same answers, ends the same, and every command ran
/// once (twice only for the step the cut interrupted). In-process, with a
/// fake clock that sleeping advances: milliseconds, no real sleeps.
@Suite("resume from every prefix of a journal")
struct ReplayTests {
    static let runbook = """
    muster: 1
    name: t
    title: Replay
    steps:
      - id: prep
        title: Prepare
        manual: [Announce, Freeze deploys]
        ask:
          ticket: Ticket?
      - id: snap
        title: Snapshot
        run: snapshot {{ ticket }}
        rollback: drop-snapshot {{ ticket }}
      - id: flaky
        title: Flaky
        run: flaky
        retries: 1
        retry_delay: 30s
      - id: healthy
        title: Wait until healthy
        wait:
          run: probe
          every: 10s
          timeout: 2m
      - id: promote
        title: Promote
        confirm: true
        run: promote
      - id: verify
        title: Verify
        run: verify
    """

    /// Answers by question, so that a resumed session, which asks only
    /// what is left, gets the same answers as the first.
    final class Operator: RunConsole {
        var shown: [ConsoleMessage] = []
        var asked: [String] = []
        var isInteractive: Bool { true }
        func show(_ message: ConsoleMessage) { shown.append(message) }
        func ask(_ question: String, hint: String, status: String) -> AnswerRead {
            asked.append(question)
            if question.hasPrefix("[ ] ") || question.hasPrefix("Run this step") || question.hasPrefix("Roll back") { return .line("y") }
            if question == "Ticket?" { return .line("T-1") }
            // `verify` fails: roll back where offered; a step the cut interrupted runs again.
            if question.contains("did not succeed") { return .line(hint.contains("b roll back") ? "b" : "r") }
            return .eof
        }
    }

    /// Records, at each journal write, how many commands had run.
    final class CountingJournal: JournalSink {
        var events: [JournalEvent] = []
        var ranAt: [Int] = []
        let ran: () -> Int
        init(ran: @escaping () -> Int) { self.ran = ran }
        func append(_ event: JournalEvent) throws(JournalError) {
            events.append(event)
            ranAt.append(ran())
        }
    }

    /// `flaky` fails the first time it ever runs, `probe` the first two;
    /// `verify` always fails.
    static func runner(prior: [String]) -> FakeRunner {
        var runner: FakeRunner!
        runner = FakeRunner { script in
            let before = (prior + runner.ran.dropLast()).filter { $0 == script }.count
            if script == "flaky" { return (before == 0 ? 1 : 0, []) }
            if script == "probe" { return (before < 2 ? 1 : 0, []) }
            return (script == "verify" ? 1 : 0, [])
        }
        return runner
    }

    func session(_ rb: Runbook, state: RunState, prior: [String], clock: FakeClock) -> (RunOutcome, FakeRunner, CountingJournal) {
        let runner = Self.runner(prior: prior)
        let journal = CountingJournal { runner.ran.count }
        let e = executor(rb, state: state, journal: journal, console: Operator(), runner: runner, clock: clock)
        e.sleepHook = { seconds in clock.now += seconds; return nil }
        return (e.execute(resumed: state.info != nil), runner, journal)
    }

    @Test func everyPrefixResumesToTheSameEndWithEachCommandOnce() throws {
        let rb = try loadRunbook(Self.runbook)
        let clock = FakeClock()
        let (outcome, runner, journal) = session(rb, state: RunState(), prior: [], clock: clock)
        #expect(outcome == .failed("rolled back: operator chose to roll back at 'verify'"))
        #expect(runner.ran == ["snapshot \"${MUSTER_VALUE_ticket}\"", "flaky", "flaky", "probe", "probe", "probe", "promote", "verify",
                               "drop-snapshot \"${MUSTER_VALUE_ticket}\""], "\(runner.ran)")
        // The retry slept its 30 s and the wait its two 10 s on the fake clock
        // (130 s without the wait).
        #expect(clock.now >= 150, "\(clock.now)")
        let full = RunState(replaying: journal.events)
        #expect(full.outcome == .rolledBack)

        for cut in 1..<journal.events.count {
            let prefix = Array(journal.events[..<cut])
            // Cut just before the next write: whatever ran since the last one ran.
            let ranBefore = Array(runner.ran[..<journal.ranAt[cut]])
            let state = RunState(replaying: prefix)
            let interrupted = state.interruptedStep ?? state.rollingBack
            let (_, again, more) = session(rb, state: state, prior: ranBefore, clock: FakeClock())
            let end = RunState(replaying: prefix + more.events)
            #expect(end.outcome == full.outcome, "cut at \(cut) (\(prefix.last!.event))")
            #expect(end.finished == full.finished, "cut at \(cut) (\(prefix.last!.event))")
            #expect(end.values == full.values, "cut at \(cut)")
            #expect(end.rolledBack == full.rolledBack, "cut at \(cut)")
            #expect((prefix + more.events).map(\.seq) == Array(1...(prefix.count + more.events.count)), "cut at \(cut)")
            var counts: [String: Int] = [:]
            for s in ranBefore + again.ran { counts[s, default: 0] += 1 }
            var expected: [String: Int] = [:]
            for s in runner.ran { expected[s, default: 0] += 1 }
            for (script, n) in counts where n != expected[script] {
                // Only the step the cut interrupted may have run twice.
                #expect(interrupted != nil && n == (expected[script] ?? 0) + 1, "cut at \(cut) (\(prefix.last!.event)): \(script) ran \(n) times, \(expected[script] ?? 0) expected")
            }
            #expect(Set(counts.keys) == Set(expected.keys), "cut at \(cut)")
        }
    }
}
