import MusterBasics
import MusterFormat

/// Questions: the status line under each, the escalation ladder, the
/// checklist of a manual step; every answer read through `answer`
/// (Answer.swift).
extension Executor {
    /// The line under every prompt (see RunWatch).
    func status() -> String { watch.status(state, elapsed: elapsed, index: index, total: total) }

    /// Drills: the RTO budget warning, when the machine's watch has one.
    func checkBudget(from key: String) {
        if let w = watch.budgetWarning(from: key, state, elapsed: elapsed) { console.show(.warning(w)) }
    }

    /// A banner for each rung due since the last check; rungs that passed
    /// before this session are shown once, too.
    func checkEscalation() {
        let e = elapsed
        for i in watch.rungsDue(elapsed: e, announced: announcedRungs) {
            announcedRungs.insert(i)
            console.show(.escalationBanner(contact: watch.ladder[i].contact, elapsed: e))
        }
    }

    /// Answers in a row that were not understood: on a pipe nobody can
    /// correct them (`yes y` fed to a failure menu would loop for ever), so
    /// a few in a row pause the run as running out of answers does.
    static let misunderstoodLimit = 3

    func notUnderstood(_ hint: String) throws(Stop) {
        console.show(.warning(hint))
        misunderstood += 1
        if !console.isInteractive, misunderstood >= Self.misunderstoodLimit {
            throw .pause("\(misunderstood) answers in a row were not understood")
        }
    }

    /// Asks until a line comes; EOF and signals pause the run. A `secret`
    /// answer is not echoed and is masked from then on.
    func read(_ question: String, hint: String, secret: Bool = false) throws(Stop) -> String {
        while true {
            try checkSignals()
            checkEscalation()
            let answer = secret ? console.askSecret(question, hint: hint, status: status()) : console.ask(question, hint: hint, status: status())
            if secret, case .line(let l) = answer { addSecret(l) }
            switch answer {
            case .line(let l): return l
            case .eof: throw .pause("answers ran out (end of input)")
            // A request (a takeover stops the session; an approval waits
            // for its step), then the same question again.
            case .signal(let s) where s == InboxWake.code: try interruption(s)
            case .signal(let s): throw .pause(signalName(s))
            }
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
        let ladder = setup.runbook.escalation
        guard !ladder.isEmpty else {
            let who = try read("No escalation ladder in this runbook. Whom did you escalate to?", hint: "a name or team")
            try record(.escalated, step: step) { $0.contact = who }
            return
        }
        console.show(.ladder(ladder, elapsed: elapsed))
        let due = watch.defaultRung(elapsed: elapsed) - 1
        while true {
            let answer = try read("Escalate to which rung? (1-\(ladder.count), empty: \(due + 1))", hint: "a number from the list")
            let pick = answer.trimmingSpaces().isEmpty ? due + 1 : Int(answer.trimmingSpaces()) ?? 0
            if (1...ladder.count).contains(pick) {
                let contact = ladder[pick - 1].contact
                try record(.escalated, step: step) { $0.contact = contact; $0.item = pick }
                notify("escalated to \(contact) by \(setup.operatorName)")
                console.show(.info("escalation recorded: \(contact)"))
                return
            }
            try notUnderstood("answer with a number from 1 to \(ladder.count), or an empty line for rung \(due + 1)")
        }
    }

    /// Checklist item `i` of a manual step: `y`, `s REASON`, `n NOTE`
    /// (asked again), `a`.
    func askItem(_ entry: FlatPlan.Entry, _ i: Int) throws(Stop) {
        guard case .manual(let items, _) = entry.step.body else { return }
        let key = entry.key
        let text = masker.mask(items[i].expand(scope(entry.parent)))
        if setup.yes {
            console.show(.checklistItem(text + "  (yes, --yes)"))
            try record(.itemAnswered, step: key) { $0.item = i; $0.itemAnswer = .done; $0.auto = true }
            return
        }
        while true {
            switch try answer(.checklistItem, "[ ] \(text)", step: key, as: ChecklistReply.self) {
            case .done:
                try record(.itemAnswered, step: key) { $0.item = i; $0.itemAnswer = .done }
                console.show(.itemChecked(text))
                return
            case .skip(let why):
                try record(.itemAnswered, step: key) { $0.item = i; $0.itemAnswer = .skipped; $0.text = why }
                return
            case .note(let note):
                try record(.note, step: key) { $0.item = i; $0.text = note }
                console.show(.info("note recorded"))
            case .abort:
                throw .pause("operator aborted at '\(key)'")
            }
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

    /// The `ask` question `name` of a manual step: its answer becomes a value.
    func askQuestion(_ entry: FlatPlan.Entry, _ name: String) throws(Stop) {
        guard case .manual(_, let ask) = entry.step.body, let q = ask.first(where: { $0.name == name }) else { return }
        let v = try answer(q)
        // A secret answer is journaled as given, never its value: the
        // journal (and the store) hold `***`, and a resume asks again.
        try record(.answered, step: entry.key) {
            $0.name = q.name
            $0.value = q.secret ? "***" : v
            if q.secret { $0.masked = [q.name] }
        }
        var values = scope(entry.parent)
        values[q.name] = v
        scopes[entry.parent ?? ""] = values
    }
}
