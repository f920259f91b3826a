import MusterBasics
import MusterFormat
import MusterEngine
import MusterJournal

/// The report's RPO and people's-time figures: trends over the same
/// recoveries as the elapsed-time trend (recovered runs only), of the data
/// each would lose and of the time spent waiting on people.
extension DrillReport {
    /// Seconds of data lost, over the last recoveries that measured it.
    public var rpoTrend: Trend? {
        Self.trend(runs.filter { $0.outcome == .recovered }.compactMap(\.rpoSeconds).suffix(Self.window).map { $0 })
    }

    /// Seconds waiting on people, over the last recoveries that measured it.
    public var humanTrend: Trend? {
        Self.trend(runs.filter { $0.outcome == .recovered }.compactMap(\.humanSeconds).suffix(Self.window).map { $0 })
    }

    /// The RPO of the newest run that has one.
    public var rpoObjectiveSeconds: Int? { runs.last { $0.rpoObjectiveSeconds != nil }?.rpoObjectiveSeconds }

    static func json(_ t: Trend?) -> JSON {
        t.map { t in
            .object([
                ("seconds", .array(t.elapsed.map(r))),
                ("direction", .string(t.direction == .faster ? "less" : t.direction == .slower ? "more" : "steady")),
                ("delta_seconds", r(t.deltaSeconds)),
                ("compared_with", .int(t.comparedWith)),
            ])
        } ?? .null
    }
}
