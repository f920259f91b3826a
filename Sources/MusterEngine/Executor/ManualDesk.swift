import MusterBasics
import MusterFormat

/// A manual step's checklist items and questions, each answer journaled
/// as it is given. Which item or question comes next, and whether a note
/// asks the item again, is the machine's.
package struct ManualDesk {
    unowned let host: StepHost

    /// Checklist item `i` of a manual step: `y`, `s REASON`, `n NOTE`
    /// (asked again), `a`.
    func item(_ entry: FlatPlan.Entry, _ i: Int) throws(Stop) {
        guard case .manual(let items, _) = entry.step.body else { return }
        let key = entry.key
        let text = host.masker.mask(items[i].expand(host.templateValues(entry)))
        // A note answers nothing: the machine asks the item again.
        switch try host.answer(.checklistItem, "[ ] \(text)", step: key, as: ChecklistReply.self) {
        case .done:
            try host.record(.itemAnswered(item: i, answer: .done), step: key)
            host.console.show(.itemChecked(text))
        case .skip(let why):
            try host.record(.itemAnswered(item: i, answer: .skipped, reason: why), step: key)
        case .note(let note):
            try host.record(.note(item: i, text: note), step: key)
            host.console.show(.info("note recorded"))
        case .abort:
            throw .pause("operator aborted at '\(key)'")
        }
    }

    /// `--yes` ticked item `i` (the machine's `tickItem`): shown, journaled as automatic.
    func tick(_ entry: FlatPlan.Entry, _ i: Int) throws(Stop) {
        guard case .manual(let items, _) = entry.step.body else { return }
        let text = host.masker.mask(items[i].expand(host.templateValues(entry)))
        host.console.show(.checklistItem(text + "  (yes, --yes)"))
        try host.record(.itemAnswered(item: i, answer: .done, auto: true), step: entry.key)
    }

    /// The `ask` question `name` of a manual step: its answer becomes a value.
    func question(_ entry: FlatPlan.Entry, _ name: String) throws(Stop) -> String? {
        guard case .manual(_, let ask) = entry.step.body, let q = ask.first(where: { $0.name == name }) else { return nil }
        let v = try host.answer(q, question: nil)
        // A secret answer is journaled as given, never its value: the
        // journal (and the store) hold `***`, and a resume asks again.
        try host.record(.answered(name: q.name, value: q.secret ? "***" : v, masked: q.secret), step: entry.key)
        return v
    }
}
