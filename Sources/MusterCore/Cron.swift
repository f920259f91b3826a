/// A 5-field cron expression (minute hour day-of-month month day-of-week, UTC),
/// parsed so `validate` can reject a typo and `due` can compute dates.
public struct CronSchedule: Sendable, Hashable {
    public var minutes: Set<Int>
    public var hours: Set<Int>
    public var daysOfMonth: Set<Int>
    public var months: Set<Int>
    /// 0 is Sunday; 7 is folded into 0.
    public var daysOfWeek: Set<Int>
    /// Cron's rule: when both day fields are restricted, either may match.
    public var dayOfMonthRestricted: Bool
    public var dayOfWeekRestricted: Bool

    static let fields: [(name: String, range: ClosedRange<Int>)] = [
        ("minute", 0...59), ("hour", 0...23), ("day of month", 1...31), ("month", 1...12), ("day of week", 0...7),
    ]

    /// Parses `text`, or throws a message saying which field is wrong and why.
    public init(_ text: String) throws(CronError) {
        let parts = text.split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard parts.count == 5 else {
            throw CronError(message: "schedule '\(text)' has \(parts.count) field\(parts.count == 1 ? "" : "s"); cron needs 5: minute hour day-of-month month day-of-week (UTC), like \"0 9 1 */3 *\"")
        }
        var sets: [Set<Int>] = []
        for (i, part) in parts.enumerated() {
            sets.append(try Self.field(String(part), Self.fields[i].name, Self.fields[i].range))
        }
        minutes = sets[0]
        hours = sets[1]
        daysOfMonth = sets[2]
        months = sets[3]
        daysOfWeek = Set(sets[4].map { $0 == 7 ? 0 : $0 })
        dayOfMonthRestricted = parts[2] != "*"
        dayOfWeekRestricted = parts[4] != "*"
    }

    private static func number(_ s: Substring) -> Int? {
        guard !s.isEmpty, s.count <= 4, s.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
        return Int(s)
    }

    private static func field(_ text: String, _ name: String, _ range: ClosedRange<Int>) throws(CronError) -> Set<Int> {
        var out = Set<Int>()
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            let bad = CronError(message: "schedule's \(name) field '\(text)' is not valid; use *, N, N-M, */S or N-M/S with values \(range.lowerBound)-\(range.upperBound)")
            let stepParts = item.split(separator: "/", omittingEmptySubsequences: false)
            guard stepParts.count <= 2 else { throw bad }
            var step = 1
            if stepParts.count == 2 {
                guard let s = number(stepParts[1]), s > 0 else { throw bad }
                step = s
            }
            var lo = range.lowerBound, hi = range.upperBound
            if stepParts[0] != "*" {
                let bounds = stepParts[0].split(separator: "-", omittingEmptySubsequences: false)
                guard bounds.count <= 2, let a = number(bounds[0]) else { throw bad }
                lo = a
                hi = bounds.count == 2 ? (number(bounds[1]) ?? -1) : (stepParts.count == 2 ? range.upperBound : a)
                guard range.contains(lo), range.contains(hi), lo <= hi else { throw bad }
            }
            out.formUnion(stride(from: lo, through: hi, by: step))
        }
        return out
    }
}

public struct CronError: Error, Sendable {
    public var message: String
}
