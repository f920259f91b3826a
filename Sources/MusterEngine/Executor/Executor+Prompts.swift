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
        return flights.besideLine.map { line + " · " + $0 } ?? line
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
    package func read(_ question: String, hint: String, secret: Bool = false) throws(Stop) -> String { try desk.read(question, hint: hint, secret: secret) }
    package func escalate(step: String) throws(Stop) { try desk.escalate(step: step) }
    package func read(_ question: String, hint: String, within seconds: Double) throws(Stop) -> String? { try desk.read(question, hint: hint, within: seconds) }
    package func answer<R: Reply>(_ question: Question, _ prompt: String, step key: String, as: R.Type) throws(Stop) -> R {
        try desk.answer(question, prompt, step: key, as: R.self)
    }
    package func answer(_ q: Ask, question: String? = nil) throws(Stop) -> String { try desk.answer(q, question: question) }
    package func notUnderstood(_ hint: String) throws(Stop) { try desk.notUnderstood(hint) }

    package func escalated(to contact: String, rung: Int?, step: String) throws(Stop) {
        let call = watch.call(contact, rung: rung)
        try record(.escalated(contact: contact, rung: rung, answered: call != .unanswered), step: step)
        switch call {
        case .unanswered: console.show(.warning("\(contact) does not answer (this drill makes them unavailable): escalate again, to the next rung"))
        case .answered:
            notify("escalated to \(contact) by \(setup.operatorName)")
            console.show(.info("escalation recorded: \(contact)"))
        case .offLadder: break
        }
    }
}
