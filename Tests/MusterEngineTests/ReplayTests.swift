@testable import MusterBasics
@testable import MusterFormat
@testable import MusterEngine
@testable import MusterJournal
@testable import MusterApp
@testable import MusterTesting
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

    /// An included runbook (`with:` passes it the ticket), a `ci` step, and
    /// a failure whose rollback undoes steps inside the include.
    static let withIncludeAndCI = """
    muster: 1
    name: t
    title: Replay with an include and CI
    steps:
      - id: prep
        title: Prepare
        manual: [Announce]
        ask:
          ticket: Ticket?
      - id: db
        title: Database
        runbook: child
        with: {target: "{{ ticket }}"}
      - id: deploy
        title: Deploy
        ci: {provider: buildbot, url: "http://ci:8010", builder: deploy}
        rollback: undeploy
      - id: verify
        title: Verify
        run: verify
    """
    static let child = """
    muster: 1
    name: child
    title: Child
    params:
      target: {}
    steps:
      - id: snap
        title: Snapshot {{ target }}
        run: snapshot {{ target }}
        rollback: drop-snapshot {{ target }}
      - id: healthy
        title: Wait until healthy
        wait:
          run: probe
          every: 10s
          timeout: 2m
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

    /// A CI server that starts pipeline 7 and shows it queued, then
    /// running, then succeeded on successive looks. A trigger is a side
    /// effect: it is logged with the commands, as `trigger <builder>`.
    final class FakeCI: CIService {
        let runner: FakeRunner
        /// Side effects of the sessions before this one.
        let prior: [String]
        /// Whether the run's state holds the pipeline as journaled.
        let journaled: () -> Bool
        var looks = 0
        init(runner: FakeRunner, prior: [String] = [], journaled: @escaping () -> Bool) {
            self.runner = runner
            self.prior = prior
            self.journaled = journaled
        }
        func mark(_ client: CIClient) -> Result<PipelineRef, CIFailure> {
            .success(PipelineRef(provider: .buildbot, kind: "trigger", [.init("builder", 1), .init("after", 6)]))
        }
        /// The server knows whether a trigger reached it, in any session.
        func find(_ mark: PipelineRef, age: Double, _ client: CIClient) -> Result<PipelineSearch, CIFailure> {
            (prior + runner.ran).contains("trigger deploy")
                ? .success(.found(PipelineRef(provider: .buildbot, kind: "build_request", [.init("id", 7), .init("builder", 1)]))) : .success(.absent)
        }
        func cancel(_ ref: PipelineRef, _ client: CIClient) -> Result<String, CIFailure> { .success("cancelled build request 7") }
        func trigger(_ client: CIClient, mark: PipelineRef) -> Result<PipelineRef, CIFailure> {
            runner.ran.append("trigger deploy")
            return .success(PipelineRef(provider: .buildbot, kind: "build_request", [.init("id", 7), .init("builder", 1)]))
        }
        func look(_ ref: PipelineRef, _ client: CIClient) -> Result<PipelineLook, CIFailure> {
            looks += 1
            // The trigger is one action, journaled; looking is the next.
            #expect(journaled(), "a pipeline was looked at before pipeline_started was journaled")
            let state: PipelineState = looks == 1 ? .queued : looks == 2 ? .running : .succeeded
            return .success(PipelineLook(state, line: "build request 7: \(state)"))
        }
        func describe(_ ref: PipelineRef) -> String { "build request 7" }
        func check(_ client: CIClient) -> Result<String, CIFailure> { .success("ok") }
        func pipeline(legacy value: String, item: Int?) -> PipelineRef? { nil }
    }

    /// No request reaches it: the fake CI service sends none.
    struct NoNetwork: HTTPTransport {
        func send(method: String, url: String, headers: [(name: String, value: String)], body: String?, timeout: Double,
                  confidential: Confidential, onSignal: @escaping (Signal) -> Bool) throws(HTTPFailure) -> HTTPReply {
            HTTPReply(status: 599, body: "", seconds: 0)
        }
    }

    func session(_ rb: Runbook, includes: [String: Runbook] = [:], state: RunState, prior: [String], clock: FakeClock) -> (RunOutcome, FakeRunner, CountingJournal) {
        let runner = Self.runner(prior: prior)
        let journal = CountingJournal { runner.ran.count }
        let e = executor(rb, state: state, journal: journal, console: Operator(), runner: runner, clock: clock, includes: includes)
        e.http = NoNetwork()
        e.ciService = { [unowned e] _ in .success(FakeCI(runner: runner, prior: prior) { e.state.pipelines["deploy"] != nil }) }
        return (e.execute(resumed: state.info != nil), runner, journal)
    }

    /// Cuts the journal of a whole run after every event, replays each
    /// prefix and continues it: the same end, every command once (twice
    /// only for the step the cut interrupted). `check` sees each cut's
    /// state and the commands its continuation ran.
    func resumeEveryPrefix(_ rb: Runbook, includes: [String: Runbook] = [:], runner: FakeRunner, journal: CountingJournal,
                           check: (Int, RunState, [String]) -> Void = { _, _, _ in }) {
        let full = RunState(replaying: journal.events)
        let machine = RunMachine(plan: FlatPlan(rb, includes: includes), yes: false)
        #expect(ReplayCheck.check(journal.events, plan: machine.plan) == [], "the whole run")
        for cut in 1..<journal.events.count {
            let prefix = Array(journal.events[..<cut])
            // Cut just before the next write: whatever ran since the last one ran.
            let ranBefore = Array(runner.ran[..<journal.ranAt[cut]])
            let state = RunState(replaying: prefix)
            let interrupted = state.interruptedStep ?? state.rollingBack
            let (_, again, more) = session(rb, includes: includes, state: state, prior: ranBefore, clock: FakeClock())
            let end = RunState(replaying: prefix + more.events)
            // The resumed session decided as the machine does, event by event.
            #expect(ReplayCheck.check(prefix + more.events, plan: machine.plan) == [], "cut at \(cut) (\(prefix.last!.event))")
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
            check(cut, state, again.ran)
        }
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
        #expect(RunState(replaying: journal.events).outcome == .rolledBack)
        resumeEveryPrefix(rb, runner: runner, journal: journal)
    }

    @Test func aSessionResumedDuringTheRetryDelayWaitsOnlyWhatIsLeft() throws {
        let rb = try loadRunbook("""
        muster: 1
        name: t
        title: Retry
        steps:
          - id: flaky
            title: Flaky
            run: flaky
            retries: 1
            retry_delay: 30s
        """)
        let clock = FakeClock()
        var ranAt: [Double] = []
        func runner(prior: Int) -> FakeRunner {
            FakeRunner { _ in
                ranAt.append(clock.now)
                return (ranAt.count + prior == 1 ? 1 : 0, [])
            }
        }
        let journal = MemoryJournal()
        let first = executor(rb, journal: journal, console: Operator(), runner: runner(prior: 0), clock: clock)
        #expect(first.execute(resumed: false) == .completed)
        #expect(ranAt.count == 2 && ranAt[1] - ranAt[0] >= 30 && ranAt[1] - ranAt[0] < 30.01, "\(ranAt)")

        // Killed 12 s into the delay: the journal ends with the failed attempt,
        // and the incident clock went on meanwhile.
        let cut = Array(journal.events[...journal.events.firstIndex { $0.event == .attemptFinished }!])
        let state = RunState(replaying: cut)
        ranAt = []
        let console = Operator()
        let setup = RunSetup(runbook: rb, params: [:], secrets: [:], runID: "run-1", operatorName: "alice", yes: false, includes: [:], baseEnvironment: [:])
        let resumed = Executor(setup: setup, state: state, journal: MemoryJournal(), console: console, runner: runner(prior: 1),
                               baseElapsed: state.lastT + 12, clock: clock)
        let start = clock.now
        #expect(resumed.execute(resumed: true) == .completed)
        #expect(ranAt.count == 1 && ranAt[0] - start >= 18 && ranAt[0] - start < 18.01, "\(ranAt) from \(start)")
        #expect(console.shown.contains { if case .info("'flaky' failed in the last session; retrying in 18s (attempt 2 of 2)") = $0 { true } else { false } }, "\(console.shown)")
    }

    @Test func everyPrefixWithAnIncludeAndAPipelineResumesToTheSameEnd() throws {
        let rb = try loadRunbook(Self.withIncludeAndCI)
        let includes = ["child": try loadRunbook(Self.child, name: "child")]
        let clock = FakeClock()
        let (outcome, runner, journal) = session(rb, includes: includes, state: RunState(), prior: [], clock: clock)
        #expect(outcome == .failed("rolled back: operator chose to roll back at 'verify'"))
        #expect(runner.ran == ["snapshot \"${MUSTER_VALUE_target}\"", "probe", "probe", "probe", "trigger deploy", "verify",
                               "undeploy", "drop-snapshot \"${MUSTER_VALUE_target}\""], "\(runner.ran)")
        let full = RunState(replaying: journal.events)
        #expect(full.outcome == .rolledBack)
        #expect(full.finished["db/snap"] == .done && full.finished["db"] == .done && full.finished["deploy"] == .done)
        #expect(full.values["prep"]?["ticket"] == "T-1")
        #expect(full.pipelines["deploy"] == PipelineRef(provider: .buildbot, kind: "build_request", [.init("id", 7), .init("builder", 1)]))
        #expect(journal.events.filter { $0.step == "deploy" }.map(\.event) == [.stepStarted, .pipelineTriggering, .pipelineStarted, .stepFinished, .rollbackStarted, .rollbackFinished])
        #expect(full.rolledBack == ["deploy", "db/snap"])
        // The wait's two 10 s and the pipeline's polls, all on the fake clock.
        #expect(clock.now >= 124, "\(clock.now)")
        resumeEveryPrefix(rb, includes: includes, runner: runner, journal: journal) { cut, state, ran in
            // A pipeline journaled as started is followed, never started again.
            if state.pipelines["deploy"] != nil || state.finished["deploy"] != nil {
                #expect(!ran.contains("trigger deploy"), "cut at \(cut): the pipeline was triggered again")
            }
        }
    }
}
