import MusterBasics
import MusterFormat

/// What the operator's desk needs from the run it asks for: the performers'
/// host (screen, signals, the clock's ticks), plus the status line, what a
/// signal taken at a question means, and where a secret answer and an
/// escalation go.
package protocol DeskHost: PerformHost {
    func status() -> String
    /// A signal taken at a question: a request is taken in (a takeover
    /// stops the session), anything else pauses the run.
    func interruption(_ sig: Signal) throws(Stop)
    /// A wake at a question: a guard's breach comes first (`Stop.breach`).
    func breachAtQuestion() throws(Stop)
    /// A secret typed at a question: masked from now on, everywhere.
    func addSecret(_ value: String)
    /// Makes held journal events durable: nobody is asked before they are.
    func settleJournal() throws(Stop)
    /// Journals whom the operator escalated to (`rung`: its number on the ladder).
    func escalated(to contact: String, rung: Int?, step: String) throws(Stop)
    var watch: RunWatch { get }
    var elapsed: Double { get }
}

/// The operator's side of a run: every line read, re-asked until it is
/// understood, `e` escalating at any question that offers it, and a run
/// fed from a pipe paused after a few answers nobody can correct. What an
/// answer means for the run is the executor's to journal and the
/// machine's to decide.
package final class OperatorDesk {
    unowned let host: DeskHost
    /// Answers in a row that were not understood (reset by each event
    /// journaled).
    var misunderstood = 0

    init(host: DeskHost) { self.host = host }

    /// On a pipe nobody can correct an answer (`yes y` fed to a failure
    /// menu would loop for ever), so a few in a row pause the run as
    /// running out of answers does.
    static let misunderstoodLimit = 3

    func notUnderstood(_ hint: String) throws(Stop) {
        host.console.show(.warning(hint))
        misunderstood += 1
        if !host.console.isInteractive, misunderstood >= Self.misunderstoodLimit {
            throw .pause("\(misunderstood) answers in a row were not understood")
        }
    }

    /// Asks until a line comes; EOF and signals pause the run. A `secret`
    /// answer is not echoed and is masked from then on.
    func read(_ question: String, hint: String, secret: Bool = false) throws(Stop) -> String {
        try host.settleJournal()
        while true {
            try host.checkSignals()
            host.tick()
            let console = host.console
            let answer = secret ? console.askSecret(question, hint: hint, status: host.status()) : console.ask(question, hint: hint, status: host.status())
            if secret, case .line(let l) = answer { host.addSecret(l) }
            if let line = try take(answer) { return line }
        }
    }

    /// What a read came to: its line, or nil to ask again. EOF and signals
    /// pause the run; a request (a takeover stops the session, an approval
    /// waits for its step) is taken in first.
    private func take(_ answer: AnswerRead) throws(Stop) -> String? {
        switch answer {
        case .line(let l): return l
        case .eof: throw .pause("answers ran out (end of input)")
        case .signal(let s) where s == .inboxWake:
            try host.breachAtQuestion()
            try host.interruption(s)
            return nil
        case .signal(let s): throw .pause(host.signalName(s))
        }
    }

    /// `read`, giving up at `seconds` from now: nil when no line came.
    func read(_ question: String, hint: String, within seconds: Double) throws(Stop) -> String? {
        let deadline = host.elapsed + seconds
        while true {
            try host.checkSignals()
            host.tick()
            let left = deadline - host.elapsed
            guard left > 0, let answer = host.console.ask(question, hint: hint, status: host.status(), within: left) else { return nil }
            if let line = try take(answer) { return line }
        }
    }

    /// Asks `question` until a line answers it (see Answer.swift); `e`
    /// escalates and asks again, at every question that offers it. Only
    /// answers the question offers come back: each prompt's switch lists
    /// the others as impossible, so a new verb is placed by the compiler.
    func answer<R: Reply>(_ question: Question, _ prompt: String, step key: String, as: R.Type) throws(Stop) -> R {
        while true {
            let line = try read(prompt, hint: question.hint)
            if case .success(.escalate) = question.parse(line) {
                try escalate(step: key)
                continue
            }
            switch question.parse(line, as: R.self) {
            case .success(let reply): return reply
            case .failure(let m): try notUnderstood(m.hint)
            }
        }
    }

    /// `e` at any prompt: shows the ladder and records whom the operator called.
    func escalate(step: String) throws(Stop) {
        let ladder = host.watch.ladder
        guard !ladder.isEmpty else {
            let who = try read("No escalation ladder in this runbook. Whom did you escalate to?", hint: "a name or team")
            try host.escalated(to: who, rung: nil, step: step)
            return
        }
        host.console.show(.ladder(ladder, elapsed: host.elapsed))
        let due = host.watch.defaultRung(elapsed: host.elapsed)
        while true {
            let answer = try read("Escalate to which rung? (1-\(ladder.count), empty: \(due))", hint: "a number from the list")
            let pick = answer.trimmingSpaces().isEmpty ? due : Int(answer.trimmingSpaces()) ?? 0
            if (1...ladder.count).contains(pick) {
                try host.escalated(to: ladder[pick - 1].contact, rung: pick, step: step)
                return
            }
            try notUnderstood("answer with a number from 1 to \(ladder.count), or an empty line for rung \(due)")
        }
    }

    /// An answer to `q`, checked when it is set: one that does not fit is
    /// asked again. A secret one is not echoed and is masked (`read`).
    func answer(_ q: Ask, question: String? = nil) throws(Stop) -> String {
        let hint = q.secret ? "the answer becomes {{ \(q.name) }}; it is not shown or journaled" : "the answer becomes {{ \(q.name) }}"
        var v = try read(question ?? q.prompt, hint: hint, secret: q.secret)
        while let problem = q.rule.problem(with: v, name: q.name, reveal: !q.secret) {
            try notUnderstood(problem.description)
            v = try read(question ?? q.prompt, hint: hint, secret: q.secret)
        }
        return v
    }
}
