#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import MusterBasics

/// A 5-field cron expression (minute hour day-of-month month day-of-week, UTC)
/// or one of cron's `@daily`-style macros, parsed so `validate` can reject a
/// typo and `due` can compute dates.
public struct CronSchedule: Sendable, Hashable {
    public var minutes: Set<Int>
    public var hours: Set<Int>
    public var daysOfMonth: Set<Int>
    public var months: Set<Int>
    /// 0 is Sunday; 7 is folded into 0.
    public var daysOfWeek: Set<Int>
    /// Cron's rule: when both day fields are restricted, either may match.
    /// A field that starts with `*` (`*`, `*/2`) is not restricted, as in
    /// Vixie cron and cronie: `0 0 */2 * 1` is odd days that are Mondays.
    public var dayOfMonthRestricted: Bool
    public var dayOfWeekRestricted: Bool

    /// Names are cron's three-letter ones, counted from the range's start
    /// (`sun` is 0, `jan` is 1), as Vixie cron and cronie read them.
    static let fields: [(name: String, range: ClosedRange<Int>, names: [String])] = [
        ("minute", 0...59, []), ("hour", 0...23, []), ("day of month", 1...31, []),
        ("month", 1...12, ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]),
        ("day of week", 0...7, ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]),
    ]

    /// The macros cronie and Vixie cron take, as the lines they stand for.
    /// `@reboot` is left out: a drill's schedule says when it is due, and a
    /// boot is not a date.
    static let macros: [String: String] = [
        "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *", "@weekly": "0 0 * * 0",
        "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *",
    ]

    /// Parses `text`, or throws a message saying which field is wrong and why.
    public init(_ text: String) throws(CronError) {
        var line = text
        let blank: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        let trimmed = String(text.drop(while: blank).reversed().drop(while: blank).reversed())
        if trimmed.hasPrefix("@") {
            guard let expanded = Self.macros[trimmed.lowercased()] else {
                throw CronError(message: "schedule '\(text)' is not a cron macro Muster knows; use @yearly (or @annually), @monthly, @weekly, @daily (or @midnight), @hourly, or 5 fields like \"0 9 1 */3 *\"")
            }
            line = expanded
        }
        let parts = line.split(whereSeparator: blank)
        guard parts.count == 5 else {
            throw CronError(message: "schedule '\(text)' has \(parts.count) field\(parts.count == 1 ? "" : "s"); cron needs 5: minute hour day-of-month month day-of-week (UTC), like \"0 9 1 */3 *\"")
        }
        var sets: [Set<Int>] = []
        for (i, part) in parts.enumerated() {
            let f = Self.fields[i]
            sets.append(try Self.field(String(part), f.name, f.range, f.names))
        }
        minutes = sets[0]
        hours = sets[1]
        daysOfMonth = sets[2]
        months = sets[3]
        daysOfWeek = Set(sets[4].map { $0 == 7 ? 0 : $0 })
        dayOfMonthRestricted = !parts[2].hasPrefix("*")
        dayOfWeekRestricted = !parts[4].hasPrefix("*")
    }

    private static func number(_ s: Substring) -> Int? {
        guard !s.isEmpty, s.count <= 4, s.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
        return Int(s)
    }

    /// A number, or in a field with names one of them in any case.
    private static func value(_ s: Substring, _ names: [String], _ range: ClosedRange<Int>) -> Int? {
        if let n = number(s) { return n }
        guard s.count == 3, let i = names.firstIndex(of: s.lowercased()) else { return nil }
        return range.lowerBound + i
    }

    private static func field(_ text: String, _ name: String, _ range: ClosedRange<Int>, _ names: [String]) throws(CronError) -> Set<Int> {
        var out = Set<Int>()
        let named = names.isEmpty ? "" : " or \(names[0])-\(names[names.count - 1])"
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            let bad = CronError(message: "schedule's \(name) field '\(text)' is not valid; use *, N, N-M, */S or N-M/S with values \(range.lowerBound)-\(range.upperBound)\(named)")
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
                guard bounds.count <= 2, let a = value(bounds[0], names, range) else { throw bad }
                lo = a
                hi = bounds.count == 2 ? (value(bounds[1], names, range) ?? -1) : (stepParts.count == 2 ? range.upperBound : a)
                guard range.contains(lo), range.contains(hi), lo <= hi else { throw bad }
            }
            out.formUnion(stride(from: lo, through: hi, by: step))
        }
        return out
    }
}

// MARK: - Dates

extension CronSchedule {
    /// Whether the schedule fires at the minute that contains `date` (UTC).
    public func matches(_ date: Date) -> Bool {
        let c = UTCDateTime(date)
        return months.contains(c.month) && dayMatches(c.year, c.month, c.day) && hours.contains(c.hour) && minutes.contains(c.minute)
    }

    /// Whether a calendar day is one the schedule runs on: both day fields
    /// must match, or either when both are restricted.
    func dayMatches(_ y: Int, _ m: Int, _ d: Int) -> Bool {
        let dom = daysOfMonth.contains(d)
        let dow = daysOfWeek.contains(UTCDateTime.weekday(year: y, month: m, day: d))
        return dayOfMonthRestricted && dayOfWeekRestricted ? dom || dow : dom && dow
    }

    /// How far `next` and `previous` look before deciding that a schedule
    /// never fires (`0 0 30 2 *`): long enough for any 29 February (at most
    /// 8 years apart) and any weekday of any date.
    static let searchYears = 30

    /// The first time strictly after `date` at which the schedule fires
    /// (whole minutes, UTC), or nil if it never does (`0 0 31 4 *`). Steps
    /// by month, day and hour rather than minute, so a yearly schedule costs
    /// a few dozen steps.
    public func next(after date: Date) -> Date? {
        let hs = hours.sorted(), ms = minutes.sorted()
        var c = UTCDateTime(date)
        c.second = 0
        // Strictly after: start at the next whole minute.
        c.minute += 1
        if c.minute == 60 { c.minute = 0; c.hour += 1 }
        if c.hour == 24 { c.hour = 0; Self.nextDay(&c) }
        let limit = c.year + Self.searchYears
        while c.year <= limit {
            if !months.contains(c.month) {
                c.month += 1
                if c.month == 13 { c.month = 1; c.year += 1 }
                c.day = 1; c.hour = 0; c.minute = 0
                continue
            }
            guard dayMatches(c.year, c.month, c.day), let h = hs.first(where: { $0 >= c.hour }) else {
                Self.nextDay(&c)
                continue
            }
            if h != c.hour { c.hour = h; c.minute = 0 }
            guard let m = ms.first(where: { $0 >= c.minute }) else {
                c.hour += 1; c.minute = 0
                if c.hour == 24 { Self.nextDay(&c) }
                continue
            }
            c.minute = m
            return c.date
        }
        return nil
    }

    /// The last time at or before `date` at which the schedule fires (whole
    /// minutes, UTC), or nil if it has not fired in the last 30 years.
    public func previous(atOrBefore date: Date) -> Date? {
        let hs = hours.sorted(), ms = minutes.sorted()
        var c = UTCDateTime(date)
        c.second = 0
        let limit = c.year - Self.searchYears
        while c.year >= limit {
            if !months.contains(c.month) {
                c.month -= 1
                if c.month == 0 { c.month = 12; c.year -= 1 }
                c.day = UTCDateTime.daysIn(month: c.month, year: c.year); c.hour = 23; c.minute = 59
                continue
            }
            guard dayMatches(c.year, c.month, c.day), let h = hs.last(where: { $0 <= c.hour }) else {
                Self.previousDay(&c)
                continue
            }
            if h != c.hour { c.hour = h; c.minute = 59 }
            guard let m = ms.last(where: { $0 <= c.minute }) else {
                c.hour -= 1; c.minute = 59
                if c.hour < 0 { Self.previousDay(&c) }
                continue
            }
            c.minute = m
            return c.date
        }
        return nil
    }

    private static func nextDay(_ c: inout UTCDateTime) {
        c.day += 1
        if c.day > UTCDateTime.daysIn(month: c.month, year: c.year) {
            c.day = 1
            c.month += 1
            if c.month == 13 { c.month = 1; c.year += 1 }
        }
        c.hour = 0; c.minute = 0
    }

    private static func previousDay(_ c: inout UTCDateTime) {
        c.day -= 1
        if c.day == 0 {
            c.month -= 1
            if c.month == 0 { c.month = 12; c.year -= 1 }
            c.day = UTCDateTime.daysIn(month: c.month, year: c.year)
        }
        c.hour = 23; c.minute = 59
    }
}

public struct CronError: Error, Sendable {
    public var message: String
}
