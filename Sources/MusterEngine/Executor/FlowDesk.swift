import MusterBasics
import MusterFormat

/// The flow decisions' actions: a condition evaluated and journaled, a
/// loop's items fixed, a group or loop finished with the outcome of its
/// steps. What comes next is the machine's to say from what these journal.
package struct FlowDesk {
    unowned let host: RunHost

    /// Evaluates the step's `when:` with the values known now, and journals
    /// what it came to with the values it read: the machine decides next.
    func checkCondition(_ entry: FlatPlan.Entry, values: [String: String]) throws(Stop) {
        guard let condition = entry.step.when?.condition else { return }
        let mode = host.setup.drill?.conditionMode ?? "incident"
        let state = host.state
        let masker = host.masker
        let outcome: (String) -> String? = { key in
            state.finished[key].map { $0 == .rehearsed ? "done" : $0.rawValue }
        }
        let verdict: Result<Condition.Verdict, Condition.Failure>
        do throws(Condition.Failure) {
            verdict = .success(try condition.evaluate(lookup: { values[$0] }, mode: mode, outcome: outcome))
        } catch {
            verdict = .failure(error)
        }
        switch verdict {
        case .success(let v):
            let seen = Dictionary(v.seen.map { ($0.name, masker.mask($0.value)) }) { $1 }
            try host.record(.conditionChecked(.init(holds: v.holds, text: masker.mask(v.because), seen: seen)), step: entry.key)
        case .failure(let f):
            let why = "its condition could not be evaluated: " + f.message
            let seen = Dictionary(f.seen.map { ($0.name, masker.mask($0.value)) }) { $1 }
            try host.record(.conditionChecked(.init(holds: nil, text: masker.mask(why), seen: seen)), step: entry.key)
            host.console.show(.stepResult(.finished(.failed), seconds: 0, detail: masker.mask(why)))
        }
    }

    /// A `for_each` step begins: its items are fixed and journaled, so a
    /// resumed run repeats over the same ones whatever the value holds now.
    func beginLoop(_ entry: FlatPlan.Entry, _ each: ForEach, values: [String: String]) throws(Stop) -> RunOutcome? {
        let masker = host.masker
        var items: [String] = []
        var problem: String?
        switch each.source {
        case .list(let list): items = list
        case .value(let name):
            if let v = values[name] {
                // Items become keys, shown and journaled: never a secret.
                (items, problem) = masker.mask(v) == v ? ForEach.items(in: v) : ([], "it holds a secret, and items are shown and journaled")
            } else {
                problem = "{{ \(name) }} has no value (the step that sets it was skipped or marked done by hand)"
            }
        }
        try host.record(.stepStarted(kind: entry.step.kind, items: items), step: entry.key)
        if let problem {
            let why = "for_each cannot repeat over \(each.source.describe): \(problem)"
            host.console.show(.stepResult(.finished(.failed), seconds: 0, detail: why))
            try host.record(.stepFinished(.init(.failed, text: why)), step: entry.key)
        } else {
            host.console.show(.info("for each of \(items.count) item\(items.count == 1 ? "" : "s"): \(items.joined(separator: ", "))"))
        }
        return nil
    }

    /// A group or loop succeeds when all its steps do (skipped ones
    /// included); one that failed and let the run go on (`continue`) fails it.
    func finish(_ entry: FlatPlan.Entry) throws(Stop) {
        let key = entry.key, state = host.state
        let failed = host.machine.plan.expanded(state.loopItems).filter { $0.parent == key && state.finished[$0.key] == .failed }.count
        let why = entry.step.forEach != nil ? "\(failed) of \(state.loopItems[key]?.count ?? 0) items failed" : "a step in the group failed"
        try host.record(.stepFinished(failed > 0 ? .init(.failed, text: why) : .init(.done)), step: key)
    }
}
