import Foundation
import MusterBasics
import MusterFormat
import MusterEngine

/// A runbook written by a test that did not load cleanly.
public struct FixtureError: Error, CustomStringConvertible {
    public let problems: [String]
    public var description: String { "the test's runbook has problems: \(problems)" }
}

/// Scripted answers in (then end of input), every message and question
/// out. Lines for the executor's prompts; any `AnswerRead` (a signal, end
/// of input) and a console with nobody at it for the team protocol's.
public final class FakeConsole: RunConsole {
    public var answers: [AnswerRead]
    public var shown: [ConsoleMessage] = []
    public var questions: [String] = []
    /// The status line shown under each question (the deadline, the RTO).
    public var statuses: [String] = []
    /// Messages and questions in the order they came: what was shown
    /// before a question was asked.
    public var transcript: [String] = []
    public let isInteractive: Bool

    public init(_ lines: [String]) {
        answers = lines.map { .line($0) }
        isInteractive = true
    }

    public init(reads: [AnswerRead], interactive: Bool) {
        answers = reads
        isInteractive = interactive
    }

    public func show(_ message: ConsoleMessage) {
        shown.append(message)
        transcript.append("\(message)")
    }

    public func ask(_ question: String, hint: String, status: String) -> AnswerRead {
        questions.append(question)
        statuses.append(status)
        transcript.append("? " + question)
        return answers.isEmpty ? .eof : answers.removeFirst()
    }

    public var text: String {
        shown.map { "\($0)" }.joined(separator: "\n")
    }
}

/// Runs nothing: answers each script with the exit status and lines that
/// the test chose, and records what ran.
public final class FakeRunner: CommandRunner {
    public var ran: [String] = []
    /// The environment each script ran with: template values reach a
    /// script there (`MUSTER_VALUE_name`), never in its text.
    public var environments: [[String: String]] = []
    public var results: (String) -> (Int32, [String])

    public init(_ results: @escaping (String) -> (Int32, [String]) = { _ in (0, []) }) { self.results = results }

    public func run(script: String, environment: [String: String], timeout: Double, keepLeftovers: Bool,
             onLine: (Bool, String) -> Void, onSignal: (Signal) -> Bool, onTick: () -> Void) throws(CommandError) -> CommandResult {
        ran.append(script)
        environments.append(environment)
        let (status, lines) = results(script)
        for l in lines { onLine(false, l) }
        onTick()
        return CommandResult(status: status, timedOut: false, interrupted: false, seconds: 0.01)
    }
}

/// A clock the test moves. A sleep moves it by the time slept (or not at
/// all with `frozen`), and returns the next of `signals`, if any: a signal
/// that "arrives" during that sleep.
public final class FakeClock: RunClock, @unchecked Sendable {
    public var now = 100.0
    public var frozen = false
    public var stamped = "2026-11-27T09:00:00Z"
    public var signals: [Signal] = []
    public init(frozen: Bool = false, now: Double = 100.0, stamp: String = "2026-11-27T09:00:00Z") {
        self.frozen = frozen
        self.now = now
        self.stamped = stamp
    }
    public func stamp() -> String { stamped }
    public func sleep(upTo seconds: Double) -> Signal? {
        if !signals.isEmpty { return signals.removeFirst() }
        if !frozen { now += seconds }
        return nil
    }
}

public func loadRunbook(_ yaml: String, name: String = "t") throws -> Runbook {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("muster-exec-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: dir + "/runbooks", withIntermediateDirectories: true)
    let path = "\(dir)/runbooks/\(name).yaml"
    try yaml.write(toFile: path, atomically: true, encoding: .utf8)
    let catalog = Catalog(currentDirectory: dir) { _ in dir }
    let entry = catalog.load(path)
    guard entry.diagnostics.isEmpty, let runbook = entry.runbook else { throw FixtureError(problems: entry.diagnostics.map(\.formatted)) }
    return runbook
}

public func executor(_ rb: Runbook, state: RunState = RunState(), journal: JournalSink, console: RunConsole, runner: CommandRunner,
              yes: Bool = false, secrets: [String: String] = [:], clock: FakeClock = FakeClock(), includes: [String: Runbook] = [:],
              params: [String: String] = [:], drill: DrillSetup? = nil) -> Executor {
    var setup = RunSetup(runbook: rb, params: params, secrets: secrets, runID: "run-1", operatorName: "alice", yes: yes, includes: includes, baseEnvironment: [:])
    setup.drill = drill
    return Executor(setup: setup, state: state, journal: journal, console: console, runner: runner,
                    baseElapsed: state.lastT, clock: clock)
}

