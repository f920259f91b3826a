import MusterFormat
import MusterEngine

extension RunbookTest {
    /// What the test names that `rb` no longer has, at the test's line
    /// and column (`muster test`, `muster validate --tests`).
    public func check(_ rb: Runbook, includes: [String: Runbook]) -> [Diagnostic] {
        let plan = FlatPlan(rb, includes: includes)
        var questions: Set<String> = []
        var decisions: [String: Decision] = [:]
        for e in plan.entries {
            switch e.step.body {
            case .manual(_, let asks): for a in asks { questions.insert(a.name) }
            // A decision is answered by its id or its key, with one of its options.
            case .decide(let d): questions.insert(e.step.id); decisions[e.key] = d; decisions[e.step.id] = d
            default: break
            }
        }
        var out = check(against: plan.entries.map(\.key), questions: questions, guards: Set(plan.guards.keys))
        for a in answers {
            guard let d = decisions[a.key], d.option(for: a.value) == nil else { continue }
            out.append(Diagnostic(path: path, mark: a.mark, message: "'\(a.value)' is not an option of the decision '\(a.key)': \(d.options.joined(separator: ", "))"))
        }
        return out
    }
}
