import MusterBasics
import MusterFormat

/// The rollback commands this session can run, with the values and
/// environment each step ran with: those of the completed steps, in
/// completion order, and the failing step's own (it may have done part of
/// its work before it failed). Which of them run, in what order, is the
/// machine's (`undo`); this only holds what they need.
struct RollbackBook {
    typealias Entry = (key: String, command: Template, values: [String: String], env: [String: String])
    var done: [Entry] = []
    /// The rollback of the step at work, offered if its failure starts the rollback.
    var ownOfFailing: Entry?

    /// Step `key`'s rollback, or nil and the values it lacks: the step that
    /// failed may have failed before it set a value its rollback needs.
    func command(_ key: String, _ s: RunState) -> (entry: Entry?, missing: [String]) {
        guard key == s.lastFailed, s.finished[key] == .failed else { return (done.last { $0.key == key }, []) }
        guard let own = ownOfFailing, own.key == key else { return (nil, []) }
        let missing = own.command.references.map(\.name).filter { own.values[$0] == nil }
        return missing.isEmpty ? (own, []) : (nil, missing)
    }
}

/// What a session takes in from the sessions before it: the values steps
/// set (those journaled masked asked again when `promptMasked`), and the
/// rollback commands of the steps they completed, or of the step that failed.
struct SessionRestore {
    let plan: FlatPlan
    let state: RunState
    /// A secret answer asked again with its own question.
    let ask: (Ask, String) throws(Stop) -> String
    /// Any other secret value asked again.
    let read: (String) throws(Stop) -> String
    let environment: (Runbook, [String: String]) -> [String: String]

    func restore(_ values: inout RunValues, promptMasked: Bool) throws(Stop) -> RollbackBook {
        // Values this session already holds in clear (a secret answered or
        // entered again before a rollback) are kept, not asked for again.
        let held = values.scopes
        values.scopes = [:]
        var book = RollbackBook()
        // Inside an include not begun yet nothing happened, and its values
        // come from the steps before it once they have run.
        var begun: Set<String> = []
        for entry in plan.expanded(state.loopItems) {
            let key = entry.key
            if let parent = entry.parent, !begun.contains(parent) { continue }
            if state.started.contains(key) { begun.insert(key) }
            var known = values.scope(entry.scope)
            if let item = entry.item { known[item.name] = item.value }
            known.merge(state.values[key] ?? [:]) { $1 }
            let asks: [Ask] = if case .manual(_, let a) = entry.step.body { a } else { [] }
            for (name, journaled) in (state.values[key] ?? [:]).sorted(by: { $0.key < $1.key }) where state.masked.contains(key + "." + name) {
                if let clear = held[entry.scope ?? ""]?[name], clear != journaled {
                    known[name] = clear
                } else if promptMasked {
                    // Also when its step had not finished.
                    if let q = asks.first(where: { $0.name == name && $0.secret }) {
                        known[name] = try ask(q, q.prompt + " (asked again: the journal never holds it)")
                    } else if state.finished[key] != nil {
                        known[name] = try read("The value of {{ \(name) }} from step '\(key)' contained a secret, so the journal holds it masked. Enter it again")
                    }
                }
            }
            values.set(entry.scope, known.filter { $0.key != entry.item?.name })
            guard let rollback = entry.step.automation?.rollback else { continue }
            if state.finished[key] == .done {
                book.done.append((key, rollback, known, environment(entry.runbook, known)))
            } else if key == state.lastFailed, state.finished[key] == .failed {
                book.ownOfFailing = (key, rollback, known, environment(entry.runbook, known))
            }
        }
        return book
    }
}
