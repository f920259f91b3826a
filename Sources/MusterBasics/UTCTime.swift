#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A UTC calendar moment to the minute and second, computed with plain
/// integer arithmetic (proleptic Gregorian calendar, no time zones, no leap
/// seconds), so schedules and record stamps mean the same on every machine.
public struct UTCDateTime: Sendable, Hashable, Comparable {
    public var year: Int
    public var month: Int   // 1...12
    public var day: Int     // 1...31
    public var hour: Int    // 0...23
    public var minute: Int  // 0...59
    public var second: Int  // 0...59

    public init(year: Int, month: Int, day: Int, hour: Int = 0, minute: Int = 0, second: Int = 0) {
        self.year = year; self.month = month; self.day = day
        self.hour = hour; self.minute = minute; self.second = second
    }

    /// The calendar fields of a date; fractions of a second are dropped
    /// (rounded towards the past).
    public init(_ date: Date) {
        let t = Int((date.timeIntervalSince1970).rounded(.down))
        let days = t >= 0 ? t / 86_400 : -((-t + 86_399) / 86_400)
        let secs = t - days * 86_400
        let (y, m, d) = UTCDateTime.civil(fromDays: days)
        self.init(year: y, month: m, day: d, hour: secs / 3600, minute: secs % 3600 / 60, second: secs % 60)
    }

    public var date: Date {
        Date(timeIntervalSince1970: Double(Self.days(year: year, month: month, day: day) * 86_400 + hour * 3600 + minute * 60 + second))
    }

    /// 0 is Sunday, as in cron.
    public var weekday: Int { Self.weekday(year: year, month: month, day: day) }

    public static func < (a: UTCDateTime, b: UTCDateTime) -> Bool {
        (a.year, a.month, a.day, a.hour, a.minute, a.second) < (b.year, b.month, b.day, b.hour, b.minute, b.second)
    }

    // MARK: - Civil calendar (Howard Hinnant's days_from_civil / civil_from_days)

    /// Days since 1970-01-01.
    public static func days(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    public static func civil(fromDays z0: Int) -> (year: Int, month: Int, day: Int) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }

    public static func isLeap(_ y: Int) -> Bool { y % 4 == 0 && (y % 100 != 0 || y % 400 == 0) }

    public static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    public static func weekday(year: Int, month: Int, day: Int) -> Int {
        let d = days(year: year, month: month, day: day)
        // 1970-01-01 was a Thursday (4).
        return ((d % 7) + 7 + 4) % 7
    }
}

/// ISO 8601 stamps as records and `--now` use them.
public enum UTCTime {
    /// Parses `2026-11-27T09:00:00Z`, with optional fractional seconds, `z`,
    /// a space instead of `T`, a numeric offset (`+02:00`, `+0200`), seconds
    /// left out (`2026-11-27T09:00Z`), or a date alone (midnight UTC).
    /// Anything else, or an impossible date, is nil.
    public static func parse(_ text: String) -> Date? {
        let b = Array(text.utf8)
        var i = 0
        func digits(_ n: Int) -> Int? {
            guard i + n <= b.count else { return nil }
            var v = 0
            for k in i..<(i + n) {
                guard b[k] >= 48, b[k] <= 57 else { return nil }
                v = v * 10 + Int(b[k] - 48)
            }
            i += n
            return v
        }
        func expect(_ c: UInt8) -> Bool {
            guard i < b.count, b[i] == c else { return false }
            i += 1
            return true
        }
        guard let y = digits(4), expect(UInt8(ascii: "-")), let mo = digits(2), expect(UInt8(ascii: "-")), let d = digits(2),
              (1...12).contains(mo), d >= 1, d <= UTCDateTime.daysIn(month: mo, year: y) else { return nil }
        if i == b.count { return UTCDateTime(year: y, month: mo, day: d).date }
        guard expect(UInt8(ascii: "T")) || expect(UInt8(ascii: "t")) || expect(UInt8(ascii: " ")),
              let h = digits(2), expect(UInt8(ascii: ":")), let mi = digits(2), h <= 23, mi <= 59 else { return nil }
        var s = 0
        var fraction = 0.0
        if expect(UInt8(ascii: ":")) {
            guard let sec = digits(2), sec <= 59 else { return nil }
            s = sec
            if expect(UInt8(ascii: ".")) || expect(UInt8(ascii: ",")) {
                var scale = 0.1
                let start = i
                while i < b.count, b[i] >= 48, b[i] <= 57 {
                    fraction += Double(b[i] - 48) * scale
                    scale /= 10
                    i += 1
                }
                guard i > start else { return nil }
            }
        }
        var offset = 0
        if expect(UInt8(ascii: "Z")) || expect(UInt8(ascii: "z")) {
        } else if i < b.count, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") {
            let sign = b[i] == UInt8(ascii: "-") ? -1 : 1
            i += 1
            guard let oh = digits(2), oh <= 23 else { return nil }
            _ = expect(UInt8(ascii: ":"))
            guard let om = digits(2), om <= 59 else { return nil }
            offset = sign * (oh * 3600 + om * 60)
        } else {
            return nil
        }
        guard i == b.count else { return nil }
        let base = UTCDateTime(year: y, month: mo, day: d, hour: h, minute: mi, second: s).date
        return base.addingTimeInterval(fraction - Double(offset))
    }

    /// `2026-11-27T09:00:00Z`.
    public static func format(_ date: Date) -> String {
        let c = UTCDateTime(date)
        return "\(four(c.year))-\(two(c.month))-\(two(c.day))T\(two(c.hour)):\(two(c.minute)):\(two(c.second))Z"
    }

    /// `20261127T090000Z`: run ids and record file names, which sort in time order.
    public static func compact(_ date: Date) -> String {
        let c = UTCDateTime(date)
        return "\(four(c.year))\(two(c.month))\(two(c.day))T\(two(c.hour))\(two(c.minute))\(two(c.second))Z"
    }

    /// `2026-11-27 09:00Z`: for tables, where seconds are noise.
    public static func short(_ date: Date) -> String {
        let c = UTCDateTime(date)
        return "\(four(c.year))-\(two(c.month))-\(two(c.day)) \(two(c.hour)):\(two(c.minute))Z"
    }

    /// `2026-11-27`.
    public static func day(_ date: Date) -> String {
        let c = UTCDateTime(date)
        return "\(four(c.year))-\(two(c.month))-\(two(c.day))"
    }

    static func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
    static func four(_ n: Int) -> String {
        let s = String(n)
        return n >= 0 && s.count < 4 ? String(repeating: "0", count: 4 - s.count) + s : s
    }
}
