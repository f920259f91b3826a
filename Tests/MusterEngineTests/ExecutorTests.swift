import Foundation
@testable import MusterBasics
@testable import MusterFormat
@testable import MusterEngine
@testable import MusterJournal
@testable import MusterApp
@testable import MusterTesting
import MusterYAML
import Testing

@Suite("Executor with injected console, runner, journal and clock")
struct ExecutorTests {
    static let three = """
    muster: 1
    name: t
    title: Three
    escalation:
      - after: 10m
        contact: Secondary on-call
    steps:
      - id: check
        title: Check
        manual: [One, Two]
      - id: a
        title: A
        run: echo a
      - id: b
        title: B
        run: echo b
    """

    @Test func resumeReplaysTheJournalAndRunsOnlyWhatIsLeft() throws {
        let rb = try loadRunbook(Self.three)
        let journal = MemoryJournal()
        let first = FakeRunner()
        // Answers run out after the first item: the run pauses.
        let c1 = FakeConsole(["y"])
        #expect(executor(rb, journal: journal, console: c1, runner: first).execute(resumed: false) == .paused("answers ran out (end of input)"))
        #expect(first.ran.isEmpty)

        let state = RunState(replaying: journal.events)
        #expect(state.answeredItems["check"] == [0])
        let second = FakeRunner()
        let c2 = FakeConsole(["y"])
        #expect(executor(rb, state: state, journal: journal, console: c2, runner: second).execute(resumed: true) == .completed)
        #expect(c2.questions == ["[ ] Two"], "an answered item was asked again")
        #expect(second.ran == ["echo a", "echo b"])
        #expect(journal.events.map(\.seq) == Array(1...journal.events.count))
        #expect(journal.events.last?.event == .runFinished)
    }

    @Test func anInterruptedStepRunsAgainOnlyIfIdempotent() throws {
        let rb = try loadRunbook(Self.three.replacingOccurrences(of: "run: echo a", with: "run: echo a\n    idempotent: true"))
        var events: [JournalEvent] = []
        for (i, kind) in [JournalEvent.Kind.runStarted, .stepStarted].enumerated() {
            var e = JournalEvent(seq: i + 1, event: kind)
            if kind == .runStarted { e.run = .init(runID: "run-1", runbook: "t", runbookPath: "", runbookHash: "", operatorName: "alice", host: "h", params: [:], yes: true, startedAt: "") }
            events.append(e)
        }
        var checkDone = JournalEvent(seq: 3, event: .stepFinished)
        checkDone.step = "check"
        var aStarted = JournalEvent(seq: 4, event: .stepStarted)
        aStarted.step = "a"
        aStarted.attempt = 1
        events[1].step = "check"
        events += [checkDone, aStarted]
        let state = RunState(replaying: events)
        #expect(state.interruptedStep == "a")

        let runner = FakeRunner()
        let journal = MemoryJournal()
        #expect(executor(rb, state: state, journal: journal, console: FakeConsole([]), runner: runner, yes: true).execute(resumed: true) == .completed)
        #expect(runner.ran == ["echo a", "echo b"])

        // Not idempotent: with --yes the run pauses, naming the step.
        let strict = try loadRunbook(Self.three)
        let paused = executor(strict, state: state, journal: MemoryJournal(), console: FakeConsole([]), runner: FakeRunner(), yes: true).execute(resumed: true)
        guard case .paused(let why) = paused else { Issue.record("expected a pause, got \(paused)"); return }
        #expect(why.contains("'a' was running when the last session ended and is not idempotent"))
    }

    @Test func secretsAreMaskedInTheJournalAndOnScreen() throws {
        let rb = try loadRunbook("""
        muster: 1
        name: t
        title: Secret
        steps:
          - id: a
            title: A
            run: echo "$TOKEN"
            outputs:
              tok: {regex: 'token (\\S+)'}
        """)
        let journal = MemoryJournal()
        let console = FakeConsole([])
        let runner = FakeRunner { _ in (0, ["token sekrit-123", "again sekrit-123"]) }
        #expect(executor(rb, journal: journal, console: console, runner: runner, secrets: ["TOKEN": "sekrit-123"]).execute(resumed: false) == .completed)
        let encoded = try journal.events.map { String(decoding: try JSONEncoder().encode($0), as: UTF8.self) }.joined()
        #expect(!encoded.contains("sekrit-123"))
        #expect(encoded.contains("***"))
        #expect(!console.text.contains("sekrit-123"))
    }

    @Test func onFailureContinueGoesOnAndTheRunFails() throws {
        let rb = try loadRunbook(Self.three.replacingOccurrences(of: "run: echo a", with: "run: echo a\n    on_failure: continue"))
        let runner = FakeRunner { $0 == "echo a" ? (2, []) : (0, []) }
        let journal = MemoryJournal()
        let outcome = executor(rb, journal: journal, console: FakeConsole([]), runner: runner, yes: true).execute(resumed: false)
        #expect(outcome == .failed("a step failed and the run went on"))
        #expect(runner.ran == ["echo a", "echo b"])
        #expect(journal.events.contains { $0.event == .stepFinished && $0.step == "a" && $0.outcome == "failed" })
    }

    @Test func theBannerNamesTheRungWhoseTimePassed() throws {
        let rb = try loadRunbook(Self.three)
        let clock = FakeClock()
        let console = FakeConsole(["y", "y"])
        let runner = FakeRunner { _ in
            clock.now += 601
            return (0, [])
        }
        #expect(executor(rb, journal: MemoryJournal(), console: console, runner: runner, clock: clock).execute(resumed: false) == .completed)
        let banners = console.shown.compactMap { m -> String? in
            if case .escalationBanner(let contact, _) = m { return contact }
            return nil
        }
        #expect(banners == ["Secondary on-call"])
    }

    /// A sink that tells held events from durable ones.
    final class DurableLog: JournalSink {
        var durable: [JournalEvent] = []
        var held: [JournalEvent] = []
        var heldKinds: [JournalEvent.Kind] = []
        /// Writes that made something durable: one `fsync` each in a file.
        var writes = 0
        func append(_ event: JournalEvent) throws(JournalError) {
            durable += held + [event]
            held = []
            writes += 1
        }
        func hold(_ event: JournalEvent) throws(JournalError) {
            held.append(event)
            heldKinds.append(event.event)
        }
        func settle() throws(JournalError) {
            guard !held.isEmpty else { return }
            durable += held
            held = []
            writes += 1
        }
    }

    /// Asks after checking that nothing journaled is still held.
    final class CheckingConsole: RunConsole {
        let inner: FakeConsole
        let log: DurableLog
        var problems: [String] = []
        init(_ inner: FakeConsole, log: DurableLog) { (self.inner, self.log) = (inner, log) }
        var isInteractive: Bool { inner.isInteractive }
        func show(_ message: ConsoleMessage) { inner.show(message) }
        func ask(_ question: String, hint: String, status: String) -> AnswerRead {
            if !log.held.isEmpty { problems.append("asked '\(question)' with \(log.held.map(\.event.rawValue)) held") }
            return inner.ask(question, hint: hint, status: status)
        }
    }

    @Test func aStepsEndIsHeldOnlyUntilTheNextStepsStartAndNeverAcrossAQuestion() throws {
        let rb = try loadRunbook("""
        muster: 1
        name: t
        title: Held ends
        steps:
          - id: a
            title: A
            run: echo a
          - id: b
            title: B
            run: echo b
          - id: check
            title: Check
            manual: [One]
          - id: c
            title: C
            run: echo c
        """)
        let log = DurableLog()
        var problems: [String] = []
        let runner = FakeRunner { script in
            // The step's start, and every end before it, are on disk before it runs.
            if !log.held.isEmpty { problems.append("'\(script)' ran with \(log.held.map(\.event.rawValue)) held") }
            if log.durable.last?.event != .stepStarted { problems.append("'\(script)' ran after \(log.durable.last?.event.rawValue ?? "nothing")") }
            return (0, [])
        }
        let console = CheckingConsole(FakeConsole(["y"]), log: log)
        #expect(executor(rb, journal: log, console: console, runner: runner).execute(resumed: false) == .completed)
        #expect(problems.isEmpty, "\(problems)")
        #expect(console.problems.isEmpty, "\(console.problems)")
        #expect(runner.ran == ["echo a", "echo b", "echo c"])
        // Each automated step's end was held; none is left held.
        #expect(log.heldKinds == [.stepFinished, .stepFinished, .stepFinished])
        #expect(log.held.isEmpty)
        #expect(log.durable.map(\.seq) == Array(1...log.durable.count))
        // a's end went with b's start; b's end on its own before the question.
        let events = log.durable.map { "\($0.event.rawValue) \($0.step ?? "")" }
        #expect(events.prefix(5) == ["run_started ", "step_started a", "step_finished a", "step_started b", "step_finished b"])
        // One write fewer than events: a's end went with b's start; the
        // others on their own (a question, the run's end came next).
        #expect(log.writes == log.durable.count - 1, "\(log.writes) writes for \(log.durable.count) events")
    }

    @Test func aJournalThatCannotBeWrittenStopsTheRunBeforeAnyStep() throws {
        final class FullDisk: JournalSink {
            func append(_ event: JournalEvent) throws(JournalError) { throw JournalError(message: "No space left on device") }
        }
        let rb = try loadRunbook(Self.three)
        let runner = FakeRunner()
        let outcome = executor(rb, journal: FullDisk(), console: FakeConsole(["y", "y"]), runner: runner, yes: true).execute(resumed: false)
        // Not a failure of the run: it stops and writes nothing more; since
        // not even its start is on disk, there is nothing to resume (exit 2).
        #expect(outcome == .notStarted("No space left on device"))
        #expect(runner.ran.isEmpty)
    }
}

@Suite("Masker")
struct MaskerTests {
    @Test func aSecretSplitOverTwoLinesIsMaskedOnBoth() {
        var m = LineMasker(Masker(secrets: ["hunter2-secret-value"]))
        #expect(m.feed("token: hunter2-se") == [], "a line ending with the start of a secret waits")
        #expect(m.feed("cret-value and more") == ["token: ***", "*** and more"])
        #expect(m.feed("plain line") == ["plain line"])
        // A held line whose next line does not continue the secret is shown as it was.
        #expect(m.feed("ends with hunt") == [])
        #expect(m.feed("something else") == ["ends with hunt", "something else"])
        #expect(m.feed("last hunter2") == [])
        #expect(m.finish() == ["last hunter2"])
        #expect(m.feed("whole hunter2-secret-value here") == ["whole *** here"])
    }

    @Test func aSecretWithATrailingNewlineOrSeveralLinesIsMaskedLineByLine() {
        let m = Masker(secrets: ["tok-123456\n", "-----BEGIN KEY-----\nAAAABBBBCCCC\n-----END KEY-----\n", ""])
        #expect(m.mask("token is tok-123456") == "token is ***")
        #expect(m.mask("AAAABBBBCCCC") == "***")
        #expect(m.mask("nothing secret here") == "nothing secret here")
    }
}

@Suite("Masker on bytes")
struct MaskerByteTests {
    @Test func aSecretFollowedByACombiningMarkIsStillMasked() {
        let m = Masker(secrets: ["abc123"])
        #expect(!m.mask("x abc123\u{301} y").contains("abc123"))
        #expect(m.mask("abc123abc123") == "******")
    }

    /// Found by bench/kill-anywhere.py: a step the operator marked done by
    /// hand did its work, so a later rollback must undo it, in this session
    /// as on resume.
    @Test func aStepMarkedDoneByHandIsRolledBackToo() throws {
        let rb = try loadRunbook("""
        muster: 1
        name: t
        title: T
        steps:
          - id: copy
            title: Copy
            run: copy-data
            rollback: undo-copy
          - id: verify
            title: Verify
            run: verify
            rollback: undo-verify
            on_failure: rollback
        """)
        let runner = FakeRunner { $0.contains("copy-data") || $0.contains("verify") ? (1, []) : (0, []) }
        // Asked before rolling back; the failing step's own rollback comes first.
        let console = FakeConsole(["d copied by hand", "y"])
        _ = executor(rb, journal: MemoryJournal(), console: console, runner: runner).execute(resumed: false)
        #expect(runner.ran == ["copy-data", "verify", "undo-verify", "undo-copy"])
    }
}
