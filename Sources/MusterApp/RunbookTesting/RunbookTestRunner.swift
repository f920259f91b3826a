import MusterBasics
import MusterFormat
import MusterEngine
import MusterDrills

/// What one runbook test came to: the path the run took, and where it
/// differs from what the test expects.
public struct RunbookTestResult: Sendable {
    public var name: String
    public var path: String
    public var runbook: String
    /// Each difference, first the one that matters most; empty: passed.
    public var differences: [String] = []
    public var passed: Bool { differences.isEmpty }
    public var outcome = ""
    public var ran: [String] = []
    public var skipped: [String] = []
    public var failed: [String] = []
    public var criticalPath: [String] = []
    /// Simulated seconds from the run's start to its end.
    public var elapsedSeconds = 0.0
    public var rtoMet: Bool?
    /// Steps that had no fake.
    public var missingFakes: [String] = []
    /// Decisions the test did not answer.
    public var undecided: [String] = []
    /// The branch points this run took (RunbookCoverage).
    public var taken: Set<String> = []
    /// Why each skipped step was: its condition and the values it saw.
    public var skipReasons: [String: String] = [:]
    /// Why each attempt that failed did, in the order they failed.
    public var problems: [(step: String, why: String)] = []
}

/// Runs a runbook test: the real engine (machine, executor, journal in
/// memory, questions, conditions, outputs, flights) on a simulated clock,
/// every automated step answered by its fake and every question by the
/// test, then compares the path taken with the test's `expect`.
public enum RunbookTestRunner {
    public static func run(_ test: RunbookTest, runbook rb: Runbook, includes: [String: Runbook]) -> RunbookTestResult {
        var result = RunbookTestResult(name: test.name, path: test.path, runbook: test.runbook)
        var params: [String: String] = [:]
        for p in rb.params { if let d = p.defaultValue { params[p.name] = d } }
        for (name, value) in test.params { params[name] = value }
        let missing = rb.params.filter { params[$0.name] == nil }.map(\.name)
        if !missing.isEmpty {
            result.differences = ["the runbook needs \(missing.map { "'\($0)'" }.joined(separator: ", ")): set it under 'params:'"]
            return result
        }
        // Declared secrets get a stand-in value, masked like a real one.
        var secrets: [String: String] = [:]
        for s in rb.secrets { secrets[s.name] = "test-secret-\(s.name)" }
        var setup = RunSetup(runbook: rb, params: params, secrets: secrets, runID: "test", operatorName: "muster-test", yes: false,
                             includes: includes, baseEnvironment: [:])
        if test.mode != "incident" {
            var drill = DrillSetup(name: "test", mode: test.mode == "rehearsal" ? "rehearsal" : "live", rtoSeconds: rb.rto, faults: [],
                                   expectEscalation: nil, recordsDir: "", junit: nil)
            drill.testMode = test.mode
            setup.drill = drill
        }
        let clock = SimulatedClock()
        // A guard's fake that fails from a moment on wakes the session then.
        clock.wakes = test.fakes.compactMap { $0.fake.from }
        let fakes = FakeSteps(fakes: Dictionary(test.fakes.map { ($0.key, $0.fake) }, uniquingKeysWith: { $1 }), clock: clock)
        var questions: [String: String] = [:]
        let plan = FlatPlan(rb, includes: includes)
        for entry in plan.entries {
            if case .manual(_, let asks) = entry.step.body { for a in asks { questions[a.name] = a.prompt } }
        }
        let console = ScriptedOperator(answers: Dictionary(test.answers.map { ($0.key, $0.value) }, uniquingKeysWith: { $1 }), questions: questions)
        let journal = MemoryJournal()
        let executor = Executor(setup: setup, state: RunState(), journal: journal, console: console, runner: InertRunner(), baseElapsed: 0, clock: clock)
        executor.standIn = fakes
        let end = executor.execute(resumed: false)
        let state = executor.state
        result.missingFakes = fakes.missing
        result.undecided = console.undecided
        result.taken = RunbookCoverage.taken(plan, state, journal.events)
        result.elapsedSeconds = executor.elapsed
        result.outcome = outcome(end, state)
        for key in state.finishOrder {
            switch state.finished[key] {
            case .done?, .rehearsed?: result.ran.append(key)
            case .skipped?: result.skipped.append(key)
            case .failed?: result.failed.append(key)
            case nil: break
            }
        }
        for e in journal.events where e.event == .stepFinished && e.outcome == "skipped" {
            if let key = e.step, let why = e.text { result.skipReasons[key] = why }
        }
        for e in journal.events where e.event == .attemptFinished || e.event == .stepFinished && e.outcome == "failed" {
            // A retry that fails the same way says nothing new.
            if let key = e.step, let why = e.text, !result.problems.contains(where: { $0.step == key && $0.why == why }) { result.problems.append((key, why)) }
        }
        let drill = setup.drill ?? DrillSetup(name: "test", mode: "live", rtoSeconds: rb.rto, faults: [], expectEscalation: nil, recordsDir: "", junit: nil)
        if let record = DrillRecorder.record(events: journal.events, drill: drill, steps: DrillRecorder.stepFacts(rb, includes: includes),
                                             runbookCommit: nil, runbookDirty: false) {
            result.criticalPath = record.criticalPath ?? []
            result.rtoMet = record.rtoMet
        }
        result.differences = compare(test, result, why: reason(end))
        return result
    }

    static func outcome(_ end: RunOutcome, _ s: RunState) -> String {
        switch s.outcome {
        case .rolledBack?, .rollbackIncomplete?: return "rolled_back"
        case .completed?: return "completed"
        case .failed?: return "failed"
        default: break
        }
        if case .paused(let why) = end { return why.contains("aborted") ? "aborted" : "paused" }
        if case .failed = end { return "failed" }
        return "paused"
    }

    static func reason(_ end: RunOutcome) -> String? {
        switch end {
        case .completed: nil
        case .failed(let why), .paused(let why), .notStarted(let why): why
        }
    }

    /// Where the run differs from `expect`, the missing fakes first: a run
    /// that stopped for want of one says nothing else worth reading.
    static func compare(_ t: RunbookTest, _ r: RunbookTestResult, why: String?) -> [String] {
        var out: [String] = r.missingFakes.map { "no fake for step \($0): add one under 'fakes:'" }
            + r.undecided.map { "no answer for the decision at step \($0): add one of its options under 'answers:'" }
        let e = t.expect
        if let o = e.outcome, o != r.outcome {
            out.append("outcome: expected \(o), got \(r.outcome)" + (why.map { " (\($0))" } ?? ""))
            for p in r.problems { out.append("  '\(p.step)' failed: \(p.why)") }
        }
        for (key, _) in e.ran where !r.ran.contains(key) {
            let got = r.skipped.contains(key) ? "it was " + (r.skipReasons[key] ?? "skipped") : r.failed.contains(key) ? "it failed" : "it never ran"
            out.append("ran: expected '\(key)' to run, but \(got); the path taken: \(r.ran.joined(separator: " → "))")
        }
        for (key, _) in e.skipped where !r.skipped.contains(key) {
            let got = r.ran.contains(key) ? "it ran" : r.failed.contains(key) ? "it failed" : "it was never reached"
            out.append("skipped: expected '\(key)' to be skipped, but \(got)")
        }
        if let want = e.rtoMet, want != r.rtoMet {
            out.append("rto_met: expected \(want), got \(r.rtoMet.map(String.init) ?? "nothing (the runbook has no rto, or the run did not recover)") after \(DurationFormat.format(Int(r.elapsedSeconds.rounded())))")
        }
        if let want = e.criticalPath?.map(\.key), want != r.criticalPath {
            out.append("critical_path: expected \(want.joined(separator: " → ")), got \(r.criticalPath.joined(separator: " → "))")
        }
        return out
    }
}
