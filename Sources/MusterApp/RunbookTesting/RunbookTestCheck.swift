import MusterFormat
import MusterEngine

extension RunbookTest {
    /// What the test names that `rb` no longer has, at the test's line
    /// and column (`muster test`, `muster validate --tests`).
    public func check(_ rb: Runbook, includes: [String: Runbook]) -> [Diagnostic] {
        let plan = FlatPlan(rb, includes: includes)
        var questions: Set<String> = []
        for e in plan.entries { if case .manual(_, let asks) = e.step.body { for a in asks { questions.insert(a.name) } } }
        return check(against: plan.entries.map(\.key), questions: questions, guards: Set(plan.guards.keys))
    }
}
