#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import MusterBasics
import MusterFormat
import MusterEngine

/// The clock of a runbook test: it moves only when the run waits, by the
/// time it waits, and each fake that ends meanwhile ends then. A 45-minute
/// failover takes as long as its events take to journal.
final class SimulatedClock: RunClock, @unchecked Sendable {
    private(set) var now = 0.0
    /// Fakes running beside others, by the time they end; `command`: the
    /// one a stop (`on_failure: cancel`, a breach) ends at once instead.
    private var due: [(at: Double, command: BackgroundCommand?, end: () -> Void)] = []
    /// When a guard's fake starts failing: the session is woken then, as a
    /// real guard's poller wakes it.
    var wakes: [Double] = []

    func stamp() -> String {
        // A fixed day, so a test's journal reads the same every time.
        UTCTime.format(Date(timeIntervalSince1970: 1_796_112_000 + now))
    }

    /// A wait for the steps in flight: up to the next fake's end.
    var flightPoll: Double { 3600 }

    /// Sleeps until `seconds` have passed or a fake running beside others
    /// ends, as a real sleep would be woken to see it end.
    func sleep(upTo seconds: Double) -> Signal? {
        // A look for a signal lets no time pass: a fake that ends now
        // ends at the next real wait, where the executor looks for it.
        guard seconds > 0 else { return nil }
        // A fake asked to stop ends now, as a stopped command would.
        for d in due where d.command?.stopRequested == true {
            d.command?.finish(.success(CommandResult(status: 143, timedOut: false, interrupted: true, seconds: 0)))
        }
        due.removeAll { $0.command?.stopRequested == true }
        let next = due.map(\.at).min() ?? .infinity
        let wake = wakes.filter { $0 > now }.min() ?? .infinity
        if wake <= now + seconds, wake < next {
            advance(by: wake - now)
            wakes.removeAll { $0 <= now }
            return .inboxWake
        }
        advance(by: min(max(0, seconds), max(0, next - now)))
        return nil
    }

    /// Time passes: every fake due by then ends, in order.
    func advance(by seconds: Double) {
        let target = now + max(0, seconds)
        while let next = due.indices.min(by: { due[$0].at < due[$1].at }), due[next].at <= target {
            let d = due.remove(at: next)
            now = max(now, d.at)
            d.end()
        }
        now = target
    }

    func schedule(at t: Double, stopping command: BackgroundCommand? = nil, _ end: @escaping () -> Void) { due.append((t, command, end)) }
}

/// Every automated step answered by its fake; a step without one fails
/// with the reason the test reports.
final class FakeSteps: StepStandIn {
    let fakes: [String: RunbookTest.Fake]
    let clock: SimulatedClock
    /// Steps that had no fake, in the order they came.
    private(set) var missing: [String] = []

    init(fakes: [String: RunbookTest.Fake], clock: SimulatedClock) {
        self.fakes = fakes
        self.clock = clock
    }

    /// A loop item's step (`redeploy[api]`) takes its own fake, else its loop's.
    func fake(_ key: String) -> RunbookTest.Fake? {
        if let f = fakes[key] { return f }
        if let open = key.lastIndex(of: "["), key.hasSuffix("]") { return fakes[String(key[..<open])] }
        return nil
    }

    func reply(_ key: String, _ step: Step) -> StandInReply {
        guard let f = fake(key) else {
            if !missing.contains(key) { missing.append(key) }
            return StandInReply(exit: 127, stdout: "", seconds: 0, problem: "no fake for step \(key): add one under 'fakes:'")
        }
        clock.advance(by: f.after)
        // An `http` fake's body is what its outputs and `body_contains` read.
        return StandInReply(exit: Int32(f.exit), stdout: f.httpStatus != nil ? f.httpBody : f.stdout, seconds: f.after, httpStatus: f.httpStatus, ci: f.ci)
    }

    /// Guards already reported breached: each is said once.
    private var reported: Set<String> = []

    func breached(_ keys: [String]) -> [(key: String, why: String)] {
        var out: [(key: String, why: String)] = []
        for key in keys where !reported.contains(key) {
            guard let f = fakes[key], (f.from ?? 0) <= clock.now else { continue }
            let why: String
            if let status = f.httpStatus {
                guard !(200..<300).contains(status) else { continue }
                why = "status \(status)"
            } else {
                guard f.exit != 0 else { continue }
                why = "exited with status \(f.exit)"
            }
            reported.insert(key)
            out.append((key, why))
        }
        return out
    }

    func start(_ key: String, _ step: Step) -> BackgroundCommand {
        let command = BackgroundCommand()
        guard let f = fake(key) else {
            if !missing.contains(key) { missing.append(key) }
            command.add(stderr: true, "no fake for step \(key): add one under 'fakes:'")
            command.finish(.success(CommandResult(status: 127, timedOut: false, interrupted: false, seconds: 0)))
            return command
        }
        clock.schedule(at: clock.now + f.after, stopping: command) {
            for line in f.stdout.split(separator: "\n", omittingEmptySubsequences: false).dropLast(f.stdout.hasSuffix("\n") ? 1 : 0) {
                command.add(stderr: false, String(line))
            }
            command.finish(.success(CommandResult(status: Int32(f.exit), timedOut: false, interrupted: false, seconds: f.after)))
        }
        return command
    }
}

/// The operator of a runbook test: each question answered as the test
/// says, by the question's name, the step's key or the guard's key;
/// checklist items and gates confirmed; a failure menu or a breach with
/// no answer aborts, so the test shows where the run stopped. A question's
/// kind is known by its hint line (`Question.hint`), as the operator knows
/// it by the answers the prompt offers, and a step's answer goes to the
/// question of that step that takes it: `b` to its failure menu, not to
/// its gate.
final class ScriptedOperator: RunConsole {
    let answers: [String: String]
    /// Question prompts by `ask` name, to find a question's answer.
    let questions: [String: String]
    private(set) var step = ""
    /// Every question asked, with the answer given.
    private(set) var asked: [(question: String, answer: String)] = []
    /// Decisions the test gave no answer for: each pauses the run.
    private(set) var undecided: [String] = []

    init(answers: [String: String], questions: [String: String]) {
        self.answers = answers
        self.questions = questions
    }

    var isInteractive: Bool { false }

    func show(_ message: ConsoleMessage) {
        if case .stepHeader(_, _, _, _, _, let id) = message { step = id }
    }

    func ask(_ question: String, hint: String, status: String) -> AnswerRead {
        let answer = answer(question, hint: hint)
        asked.append((question, answer))
        return .line(answer)
    }

    func ask(_ question: String, hint: String, status: String, within seconds: Double) -> AnswerRead? {
        ask(question, hint: hint, status: status)
    }

    func askSecret(_ question: String, hint: String, status: String) -> AnswerRead {
        ask(question, hint: hint, status: status)
    }

    /// The key a menu names in quotes: `Step 'x' did not succeed`, `Guard 'g' is breached`.
    private func quoted(_ q: String) -> String? {
        guard let a = q.firstIndex(of: "'"), let b = q[q.index(after: a)...].firstIndex(of: "'") else { return nil }
        return String(q[q.index(after: a)..<b])
    }

    /// The test's answer for `key` if `kind` takes it, else `otherwise`.
    private func given(_ key: String?, _ kind: Question, otherwise: String) -> String {
        guard let key, let a = answers[key], case .success = kind.parse(a) else { return otherwise }
        return a
    }

    private func answer(_ q: String, hint: String) -> String {
        if let name = questions.first(where: { $0.value == q })?.key { return answers[name] ?? "" }
        for kind in [Question.failure(rollBack: true), .failure(rollBack: false), .breach] where hint == kind.hint {
            return given(quoted(q), kind, otherwise: "a")
        }
        // The rollback a test chose (`b`) is confirmed.
        if hint == Question.rollbackConfirmation.hint { return "y" }
        if hint == DecisionQuestion.reasonHint { return "decided by the runbook test" }
        // A decision by its step's key or, as the format names it, its id.
        if hint.hasPrefix(DecisionQuestion.hintStart) {
            let id = StepKey(step).last
            if let a = answers[step] ?? answers[id] { return a }
            if !undecided.contains(step) { undecided.append(step) }
            return "a"
        }
        // A checklist item or a gate: confirmed unless the test says otherwise.
        for kind in [Question.gate, .checklistItem, .rehearsal] where hint == kind.hint {
            return given(step, kind, otherwise: "y")
        }
        return answers[step] ?? "y"
    }
}
