import MusterBasics
import MusterFormat
import MusterEngine

/// Every place a runbook can go one way or another (each option of a
/// `decide` step, a `when:` either way,
/// each parallel branch, each loop, each guard's breach, each rollback,
/// each `finally` step) and which runbook tests took it: the paths nobody
/// has proven are the ones to find before the night they are needed.
public struct RunbookCoverage: Sendable {
    public var runbook: String
    /// Each branch point, in plan order, with the tests (by file name) that took it.
    public var points: [(point: String, tests: [String])]
    public var taken: Int { points.filter { !$0.tests.isEmpty }.count }

    public init(runbook rb: Runbook, includes: [String: Runbook], results: [RunbookTestResult]) {
        runbook = rb.name
        points = Self.points(rb, includes: includes).map { point in
            (point, results.filter { $0.taken.contains(point) }.map { Paths.stem($0.path) })
        }
    }

    /// The branch points of a runbook, with the runbooks it includes.
    public static func points(_ rb: Runbook, includes: [String: Runbook]) -> [String] {
        let plan = FlatPlan(rb, includes: includes)
        var out: [String] = []
        for e in plan.entries {
            if e.step.when != nil { out += ["when \(e.key): true", "when \(e.key): false"] }
            if case .decide(let d) = e.step.body { out += d.options.map { "decide \(e.key): \($0)" } }
            if let p = e.parent, let body = plan[p]?.step.body, case .parallel = body { out.append("branch \(e.key)") }
            if e.step.forEach != nil { out.append("loop \(e.key)") }
            if e.step.automation?.rollback != nil { out.append("rollback \(e.key)") }
            if e.isFinally, e.parent == nil { out.append("finally \(e.key)") }
        }
        return out + plan.guards.keys.sorted().map { "breach \($0)" }
    }

    /// The branch points one run took, from its state and journal.
    static func taken(_ plan: FlatPlan, _ s: RunState, _ events: [JournalEvent]) -> Set<String> {
        var out: Set<String> = []
        for (key, c) in s.conditions {
            switch c {
            case .holds: out.insert("when \(key): true")
            case .fails: out.insert("when \(key): false")
            case .cannot: break
            }
        }
        for e in plan.entries where s.started.contains(e.key) {
            if let p = e.parent, let body = plan[p]?.step.body, case .parallel = body { out.insert("branch \(e.key)") }
            if e.step.forEach != nil { out.insert("loop \(e.key)") }
        }
        for key in s.rolledBack { out.insert("rollback \(key)") }
        for e in plan.entries where e.isFinally && e.parent == nil && s.finished[e.key] == .done { out.insert("finally \(e.key)") }
        for e in events where e.event == .guardBreached { if let key = e.value { out.insert("breach \(key)") } }
        for e in events where e.event == .decided { if let key = e.step, let option = e.value { out.insert("decide \(key): \(option)") } }
        return out
    }
}
