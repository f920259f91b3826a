import MusterFormat

/// What a drill record and the RTO budget need to know about each step
/// beyond the journal: its kind, its `expect`, its recovery points.
public struct StepFacts: Sendable {
    public var kind: StepKind
    public var expect: Int?
    /// Outputs marked `recovery_point: true`.
    public var recoveryPoints: [String] = []
    public init(kind: StepKind, expect: Int?, recoveryPoints: [String] = []) { self.kind = kind; self.expect = expect; self.recoveryPoints = recoveryPoints }

    /// Step keys (`id`, `parent/child` inside included runbooks) in plan
    /// order, with their facts.
    public static func of(_ rb: Runbook, includes: [String: Runbook]) -> [(key: String, facts: StepFacts)] {
        FlatPlan(rb, includes: includes).entries.map { e in
            (e.key, StepFacts(kind: e.step.kind, expect: e.step.automation?.expect,
                              recoveryPoints: e.step.automation?.outputs.filter(\.recoveryPoint).map(\.name) ?? []))
        }
    }
}
