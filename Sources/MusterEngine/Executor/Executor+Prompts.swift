import MusterBasics
import MusterFormat

/// Questions: the status line under each, the escalation ladder, the
/// checklist of a manual step; every answer read through `answer`
/// (Answer.swift).
extension Executor: RunHost {
    /// The line under every prompt (see RunWatch).
    package func status() -> String {
        let line = watch.status(state, elapsed: elapsed, index: index, total: total)
        // A question from a branch, with others running: whose it is.
        guard !flights.isEmpty else { return line }
        return line + " · running beside it: " + flights.keys.sorted().map { "[\(branchLabel($0))] \($0)" }.joined(separator: ", ")
    }

    /// Drills: the RTO budget warning, when the machine's watch has one.
    func checkBudget(from key: String) {
        if let w = watch.budgetWarning(from: key, state, elapsed: elapsed) { console.show(.warning(w)) }
    }

    /// A banner for each rung due since the last check; rungs that passed
    /// before this session are shown once, too.
    package func checkEscalation() {
        let e = elapsed
        for i in watch.rungsDue(elapsed: e, announced: announcedRungs) {
            announcedRungs.insert(i)
            console.show(.escalationBanner(contact: watch.ladder[i].contact, elapsed: e))
        }
    }

    // The questions themselves are the desk's (OperatorDesk.swift).
    func read(_ question: String, hint: String, secret: Bool = false) throws(Stop) -> String { try desk.read(question, hint: hint, secret: secret) }
    package func answer<R: Reply>(_ question: Question, _ prompt: String, step key: String, as: R.Type) throws(Stop) -> R {
        try desk.answer(question, prompt, step: key, as: R.self)
    }
    func answer(_ q: Ask, question: String? = nil) throws(Stop) -> String { try desk.answer(q, question: question) }
    package func notUnderstood(_ hint: String) throws(Stop) { try desk.notUnderstood(hint) }

    package func escalated(to contact: String, rung: Int?, step: String) throws(Stop) {
        try record(.escalated, step: step) { $0.contact = contact; $0.item = rung }
        guard rung != nil else { return }
        notify("escalated to \(contact) by \(setup.operatorName)")
        console.show(.info("escalation recorded: \(contact)"))
    }

    /// Checklist item `i` of a manual step: `y`, `s REASON`, `n NOTE`
    /// (asked again), `a`.
    func askItem(_ entry: FlatPlan.Entry, _ i: Int) throws(Stop) {
        guard case .manual(let items, _) = entry.step.body else { return }
        let key = entry.key
        let text = masker.mask(items[i].expand(templateValues(entry)))
        if setup.yes {
            console.show(.checklistItem(text + "  (yes, --yes)"))
            try record(.itemAnswered, step: key) { $0.item = i; $0.itemAnswer = .done; $0.auto = true }
            return
        }
        // A note answers nothing: the machine asks the item again.
        switch try answer(.checklistItem, "[ ] \(text)", step: key, as: ChecklistReply.self) {
        case .done:
            try record(.itemAnswered, step: key) { $0.item = i; $0.itemAnswer = .done }
            console.show(.itemChecked(text))
        case .skip(let why):
            try record(.itemAnswered, step: key) { $0.item = i; $0.itemAnswer = .skipped; $0.text = why }
        case .note(let note):
            try record(.note, step: key) { $0.item = i; $0.text = note }
            console.show(.info("note recorded"))
        case .abort:
            throw .pause("operator aborted at '\(key)'")
        }
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
        values.add(entry.scope, [q.name: v])
    }
}
