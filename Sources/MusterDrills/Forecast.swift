import MusterBasics
import MusterFormat
import MusterEngine

/// How long a recovery is expected to take before anyone runs it
/// (`muster show --forecast`): each step's time from past drills of the
/// runbook when there are any (a median, which one slow day does not
/// move), else from its `expect`, and the critical path those times give,
/// against the RTO. A step with `when:` counts as if it runs, unless past
/// drills skipped it (a skipped step recorded 0 s).
public struct Forecast: Sendable {
    public enum Source: Sendable, Equatable {
        /// The median over this many drill records.
        case records(Int)
        case expect
        /// No record and no `expect`: counted as no time, and said.
        case unknown
    }

    public struct Estimate: Sendable, Equatable {
        public var key: String
        public var seconds: Double
        public var source: Source
    }

    public var runbook: String
    /// Steps that take time themselves (no groups, `parallel` steps or
    /// includes), in plan order.
    public var steps: [Estimate]
    public var criticalPath: [String]
    public var seconds: Double
    public var serialSeconds: Double
    public var rtoSeconds: Int?
    /// How many records of this runbook the medians come from.
    public var records: Int

    public var unknown: [String] { steps.filter { $0.source == .unknown }.map(\.key) }
    /// Seconds to spare under the RTO (negative: over it).
    public var marginSeconds: Double? { rtoSeconds.map { Double($0) - seconds } }

    /// Outcomes whose seconds say how long the step takes: rehearsed steps
    /// did not run.
    static let timedOutcomes: Set<String> = ["done", "failed", "skipped"]

    public init(runbook rb: Runbook, includes: [String: Runbook], records: [DrillRecord]) {
        runbook = rb.name
        rtoSeconds = rb.rto
        let mine = records.filter { $0.runbook == rb.name }
        self.records = mine.count
        var past: [String: [Double]] = [:]
        for r in mine {
            for s in r.steps where Self.timedOutcomes.contains(s.outcome) && s.seconds.isFinite { past[s.id, default: []].append(s.seconds) }
        }
        var nodes: [CriticalPath.Node] = []
        var concurrent = Set<String>()
        var estimates: [String: Estimate] = [:]
        func estimate(_ key: String, expect: Int?) -> Double {
            let e: Estimate
            if let times = past[key], !times.isEmpty {
                e = Estimate(key: key, seconds: Self.median(times), source: .records(times.count))
            } else if let expect {
                e = Estimate(key: key, seconds: Double(expect), source: .expect)
            } else {
                e = Estimate(key: key, seconds: 0, source: .unknown)
            }
            estimates[key] = e
            return e.seconds
        }
        let plan = FlatPlan(rb, includes: includes).entries
        let parents = Set(plan.compactMap(\.parent))
        for entry in plan {
            let step = entry.step, key = entry.key
            if case .parallel(let p) = step.body, p.max != 1 { concurrent.insert(key) }
            // A literal list's items are known now; a value's only when the
            // step's turn comes, so such a loop counts as one step.
            if let each = step.forEach, case .list(let items) = each.source, !items.isEmpty, !parents.contains(key) {
                nodes.append(.init(key: key, parent: entry.parent, seconds: 0))
                if each.maxParallel > 1 { concurrent.insert(key) }
                for item in items {
                    let itemKey = "\(key)[\(item)]"
                    nodes.append(.init(key: itemKey, parent: key, seconds: estimate(itemKey, expect: step.automation?.expect)))
                }
                continue
            }
            let leaf = !parents.contains(key)
            nodes.append(.init(key: key, parent: entry.parent, seconds: leaf ? estimate(key, expect: step.automation?.expect) : 0))
        }
        let result = CriticalPath.measure(nodes, concurrent: concurrent)
        steps = nodes.compactMap { estimates[$0.key] }
        criticalPath = result.path
        seconds = result.seconds
        serialSeconds = result.serialSeconds
    }

    static func median(_ values: [Double]) -> Double {
        let v = values.sorted()
        return v.count % 2 == 1 ? v[v.count / 2] : (v[v.count / 2 - 1] + v[v.count / 2]) / 2
    }
}

// MARK: - Words and JSON

extension Forecast {
    /// `forecast 41m (critical path: a → rebuild/database/restore → c), RTO 1h15m: within by 34m`.
    public var headline: String {
        var s = "forecast \(formatSeconds(seconds)) (critical path: \(criticalPath.isEmpty ? "no step" : CriticalPath.describe(criticalPath, limit: 12)))"
        if let rto = rtoSeconds, let margin = marginSeconds {
            s += ", RTO \(DurationFormat.format(rto)): " + (margin >= 0 ? "within by \(formatSeconds(margin))" : "over by \(formatSeconds(-margin))")
        } else {
            s += ", no RTO"
        }
        return s
    }

    public var json: JSON {
        func r(_ x: Double) -> JSON { .double((x * 10).rounded() / 10) }
        return .object([
            ("runbook", .string(runbook)),
            ("forecast_seconds", r(seconds)),
            ("critical_path", .array(criticalPath.map(JSON.string))),
            ("serial_seconds", r(serialSeconds)),
            ("rto_seconds", .from(rtoSeconds)),
            ("rto_met", marginSeconds.map { .bool($0 >= 0) } ?? .null),
            ("margin_seconds", marginSeconds.map(r) ?? .null),
            ("records", .int(records)),
            ("steps", .array(steps.map { e in
                let source: (String, JSON) = switch e.source {
                case .records(let n): ("records", .int(n))
                case .expect: ("expect", .null)
                case .unknown: ("unknown", .null)
                }
                return .object([("key", .string(e.key)), ("seconds", r(e.seconds)), ("source", .string(source.0)), ("records", source.1),
                                ("critical", .bool(criticalPath.contains(e.key)))])
            })),
        ])
    }
}
