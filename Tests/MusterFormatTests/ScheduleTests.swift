import Foundation
@testable import MusterBasics
@testable import MusterFormat
@testable import MusterEngine
@testable import MusterTesting
import Testing

private func at(_ s: String) -> Date {
    guard let d = UTCTime.parse(s) else { fatalError("bad test time \(s)") }
    return d
}

private func next(_ cron: String, after: String) throws -> String? {
    try CronSchedule(cron).next(after: at(after)).map(UTCTime.format)
}

private func previous(_ cron: String, atOrBefore: String) throws -> String? {
    try CronSchedule(cron).previous(atOrBefore: at(atOrBefore)).map(UTCTime.format)
}

@Suite("UTC calendar")
struct UTCTimeTests {
    @Test("ISO 8601 forms", arguments: [
        ("2026-11-27T09:00:00Z", "2026-11-27T09:00:00Z"),
        ("2026-11-27T09:00:00.750Z", "2026-11-27T09:00:00Z"),
        ("2026-11-27t09:00:00z", "2026-11-27T09:00:00Z"),
        ("2026-11-27 09:00:00Z", "2026-11-27T09:00:00Z"),
        ("2026-11-27T09:00Z", "2026-11-27T09:00:00Z"),
        ("2026-11-27T10:30:00+01:30", "2026-11-27T09:00:00Z"),
        ("2026-11-27T04:00:00-0500", "2026-11-27T09:00:00Z"),
        ("2026-11-27", "2026-11-27T00:00:00Z"),
        ("2024-02-29T23:59:59Z", "2024-02-29T23:59:59Z"),
        ("1969-12-31T23:59:59Z", "1969-12-31T23:59:59Z"),
    ])
    func parses(text: String, canonical: String) {
        #expect(UTCTime.parse(text).map(UTCTime.format) == canonical)
    }

    @Test("anything else is nil", arguments: [
        "", "2026-11-27T09:00:00", "2026-13-01", "2026-02-29", "2025-02-29T00:00:00Z", "2026-11-31", "2026-11-27T24:00:00Z",
        "2026-11-27T09:60:00Z", "2026-11-27T09:00:00.Z", "27/11/2026", "2026-11-27T09:00:00Z junk", "tomorrow", "2026-1-7",
    ])
    func refuses(text: String) {
        #expect(UTCTime.parse(text) == nil)
    }

    @Test func fractionsAreKept() {
        #expect(UTCTime.parse("2026-11-27T09:00:00.5Z")!.timeIntervalSince(UTCTime.parse("2026-11-27T09:00:00Z")!) == 0.5)
    }

    @Test func civilDaysRoundTrip() {
        for day in stride(from: -800_000, through: 800_000, by: 997) {
            let c = UTCDateTime.civil(fromDays: day)
            #expect(UTCDateTime.days(year: c.year, month: c.month, day: c.day) == day)
        }
    }

    @Test func weekdaysAndEpoch() {
        #expect(UTCDateTime.days(year: 1970, month: 1, day: 1) == 0)
        #expect(UTCDateTime.weekday(year: 1970, month: 1, day: 1) == 4)  // Thursday
        #expect(UTCDateTime.weekday(year: 2026, month: 11, day: 27) == 5)  // Friday
        #expect(UTCDateTime.weekday(year: 2000, month: 2, day: 29) == 2)  // Tuesday
        #expect(UTCDateTime.weekday(year: 1969, month: 12, day: 28) == 0)  // Sunday
    }

    @Test func leapYears() {
        #expect(UTCDateTime.isLeap(2024) && UTCDateTime.isLeap(2000) && !UTCDateTime.isLeap(2100) && !UTCDateTime.isLeap(2026))
        #expect(UTCDateTime.daysIn(month: 2, year: 2028) == 29 && UTCDateTime.daysIn(month: 2, year: 2100) == 28)
    }

    @Test func matchesFoundationsCalendar() {
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = TimeZone(identifier: "UTC")!
        for t in stride(from: -2_000_000_000.0, through: 4_000_000_000.0, by: 7_654_321.0) {
            let d = Date(timeIntervalSince1970: t)
            let c = UTCDateTime(d)
            let f = cal.dateComponents([.year, .month, .day, .hour, .minute, .second, .weekday], from: d)
            let ours: [Int] = [c.year, c.month, c.day, c.hour, c.minute, c.second, c.weekday + 1]
            let theirs: [Int] = [f.year!, f.month!, f.day!, f.hour!, f.minute!, f.second!, f.weekday!]
            #expect(ours == theirs)
            #expect(c.date == d)
        }
    }
}

@Suite("Cron dates")
struct CronDateTests {
    @Test func quarterlyRollsIntoTheNextYear() throws {
        #expect(try next("0 9 1 */3 *", after: "2026-10-01T09:00:00Z") == "2027-01-01T09:00:00Z")
        #expect(try next("0 9 1 */3 *", after: "2026-10-01T08:59:30Z") == "2026-10-01T09:00:00Z")
        #expect(try next("0 9 1 */3 *", after: "2026-10-01T09:00:30Z") == "2027-01-01T09:00:00Z")
        #expect(try next("0 9 1 */3 *", after: "2026-11-27T12:00:00Z") == "2027-01-01T09:00:00Z")
    }

    @Test func nextIsStrictlyAfter() throws {
        #expect(try next("* * * * *", after: "2026-11-27T12:00:00Z") == "2026-11-27T12:01:00Z")
        #expect(try next("* * * * *", after: "2026-11-27T12:00:59.9Z") == "2026-11-27T12:01:00Z")
        #expect(try next("*/5 * * * *", after: "2026-12-31T23:58:00Z") == "2027-01-01T00:00:00Z")
    }

    @Test func rangesStepsAndLists() throws {
        // Weekdays of odd months, every quarter hour in the night hours.
        let c = "*/15 0-6,22-23 * 1-12/2 1-5"
        #expect(try next(c, after: "2026-11-27T12:00:00Z") == "2026-11-27T22:00:00Z")  // a Friday
        #expect(try next(c, after: "2026-11-27T23:45:00Z") == "2026-11-30T00:00:00Z")  // over the weekend
        #expect(try next(c, after: "2026-11-30T23:59:00Z") == "2027-01-01T00:00:00Z")  // December is even
        #expect(try next("5,35 9-17/4 * * *", after: "2026-11-27T09:05:00Z") == "2026-11-27T09:35:00Z")
        #expect(try next("5,35 9-17/4 * * *", after: "2026-11-27T09:35:00Z") == "2026-11-27T13:05:00Z")
        #expect(try next("5,35 9-17/4 * * *", after: "2026-11-27T17:35:00Z") == "2026-11-28T09:05:00Z")
        #expect(try next("0 0 * * 7", after: "2026-11-27T00:00:00Z") == "2026-11-29T00:00:00Z")  // 7 is Sunday
    }

    @Test func eitherDayFieldMatchesWhenBothAreRestricted() throws {
        // The 13th, or any Friday. December 2026: Fridays 4, 11, 18; the 13th is a Sunday.
        let c = "0 0 13 * 5"
        #expect(try next(c, after: "2026-12-05T00:00:00Z") == "2026-12-11T00:00:00Z")
        #expect(try next(c, after: "2026-12-11T00:00:00Z") == "2026-12-13T00:00:00Z")
        #expect(try next(c, after: "2026-12-13T00:00:00Z") == "2026-12-18T00:00:00Z")
        #expect(try previous(c, atOrBefore: "2026-12-17T00:00:00Z") == "2026-12-13T00:00:00Z")
    }

    @Test func aStarStepDayFieldIsUnrestricted() throws {
        // As in Vixie cron and cronie: `*/2` starts with `*`, so both fields must match: odd days that are Mondays.
        let c = try CronSchedule("0 0 */2 * 1")
        #expect(!c.dayOfMonthRestricted && c.dayOfWeekRestricted)
        #expect(try next("0 0 */2 * 1", after: "2026-11-01T00:00:00Z") == "2026-11-09T00:00:00Z")
        #expect(try next("0 0 */2 * 1", after: "2026-11-09T00:00:00Z") == "2026-11-23T00:00:00Z")
        // Only one field restricted: that one decides.
        #expect(try next("0 0 15 * *", after: "2026-11-27T00:00:00Z") == "2026-12-15T00:00:00Z")
        #expect(try next("0 0 * * 3", after: "2026-11-27T00:00:00Z") == "2026-12-02T00:00:00Z")
    }

    @Test func namesAndMacrosGiveTheSameDatesAsNumbers() throws {
        // 2026-11-27 is a Friday.
        #expect(try next("30 6 * * mon-fri", after: "2026-11-27T07:00:00Z") == "2026-11-30T06:30:00Z")
        #expect(try next("0 9 1 JAN,Apr,jul,OCT *", after: "2026-11-27T12:00:00Z") == "2027-01-01T09:00:00Z")
        #expect(try next("@weekly", after: "2026-11-27T12:00:00Z") == "2026-11-29T00:00:00Z")
        #expect(try next("@monthly", after: "2026-11-27T12:00:00Z") == "2026-12-01T00:00:00Z")
        #expect(try next("@yearly", after: "2026-11-27T12:00:00Z") == "2027-01-01T00:00:00Z")
        #expect(try next("@hourly", after: "2026-11-27T12:00:00Z") == "2026-11-27T13:00:00Z")
        #expect(try previous("@daily", atOrBefore: "2026-11-27T12:00:00Z") == "2026-11-27T00:00:00Z")
    }

    @Test func february29th() throws {
        #expect(try next("0 12 29 2 *", after: "2026-01-01T00:00:00Z") == "2028-02-29T12:00:00Z")
        #expect(try next("0 12 29 2 *", after: "2028-02-29T12:00:00Z") == "2032-02-29T12:00:00Z")
        // 2100 is not a leap year: eight years between.
        #expect(try next("0 12 29 2 *", after: "2096-03-01T00:00:00Z") == "2104-02-29T12:00:00Z")
        #expect(try previous("0 12 29 2 *", atOrBefore: "2027-06-01T00:00:00Z") == "2024-02-29T12:00:00Z")
        #expect(try previous("0 12 29 2 *", atOrBefore: "2104-02-29T11:59:00Z") == "2096-02-29T12:00:00Z")
        #expect(try next("0 0 31 * *", after: "2026-04-01T00:00:00Z") == "2026-05-31T00:00:00Z")
    }

    @Test func yearRollover() throws {
        #expect(try next("59 23 31 12 *", after: "2026-12-31T23:59:00Z") == "2027-12-31T23:59:00Z")
        #expect(try next("0 0 1 1 *", after: "2026-12-31T23:59:59Z") == "2027-01-01T00:00:00Z")
        #expect(try previous("0 0 1 1 *", atOrBefore: "2026-12-31T23:59:59Z") == "2026-01-01T00:00:00Z")
        #expect(try previous("59 23 31 12 *", atOrBefore: "2027-01-01T00:00:00Z") == "2026-12-31T23:59:00Z")
    }

    @Test func previousIsAtOrBefore() throws {
        #expect(try previous("0 9 1 */3 *", atOrBefore: "2026-11-27T12:00:00Z") == "2026-10-01T09:00:00Z")
        #expect(try previous("0 9 1 */3 *", atOrBefore: "2026-10-01T09:00:00Z") == "2026-10-01T09:00:00Z")
        #expect(try previous("0 9 1 */3 *", atOrBefore: "2026-10-01T08:59:59Z") == "2026-07-01T09:00:00Z")
        #expect(try previous("0 10 * * 1", atOrBefore: "2026-11-27T12:00:00Z") == "2026-11-23T10:00:00Z")
        #expect(try previous("*/15 0-6,22-23 * 1-12/2 1-5", atOrBefore: "2026-12-15T12:00:00Z") == "2026-11-30T23:45:00Z")
    }

    @Test("a schedule that never fires gives nil", arguments: ["0 0 30 2 *", "0 0 31 4 *", "0 0 31 2,4,6,9,11 *"])
    func never(cron: String) throws {
        #expect(try next(cron, after: "2026-01-01T00:00:00Z") == nil)
        #expect(try previous(cron, atOrBefore: "2026-01-01T00:00:00Z") == nil)
    }

    /// Against the definition, minute by minute over a few days: `next` is
    /// the first match after the start, `previous` the last at or before it.
    @Test("agrees with a minute-by-minute search", arguments: [
        "*/7 * * * *", "0 */5 * * *", "30 9-17 * * 1-5", "0 0 13 * 5", "0 0 */2 * 1", "15 3 1,15 * *", "0 12 * * 0,6",
    ])
    func bruteForce(cron: String) throws {
        let c = try CronSchedule(cron)
        let starts = ["2026-11-27T12:34:56Z", "2026-12-30T22:00:00Z", "2028-02-27T00:00:00Z", "2026-03-08T23:59:00Z"].map(at)
        for start in starts {
            let first = Date(timeIntervalSince1970: (start.timeIntervalSince1970 / 60).rounded(.down) * 60 + 60)
            var expected: Date?
            var t = first
            for _ in 0..<(60 * 24 * 40) {
                if c.matches(t) { expected = t; break }
                t += 60
            }
            #expect(c.next(after: start) == expected, "\(cron) after \(UTCTime.format(start))")

            var expectedPrev: Date?
            t = first - 60
            for _ in 0..<(60 * 24 * 40) {
                if c.matches(t) { expectedPrev = t; break }
                t -= 60
            }
            #expect(c.previous(atOrBefore: start) == expectedPrev, "\(cron) at or before \(UTCTime.format(start))")
        }
    }

    /// `next` and `previous` agree: nothing fires between a time and the next
    /// firing, and the next firing is its own previous.
    @Test func nextAndPreviousAgree() throws {
        for cron in ["0 9 1 */3 *", "0 6 1 * *", "0 12 29 2 *", "45 23 * 12 0", "0 0 13 * 5"] {
            let c = try CronSchedule(cron)
            var t = at("2025-01-01T00:00:00Z")
            for _ in 0..<40 {
                let n = try #require(c.next(after: t))
                #expect(n > t && c.matches(n))
                #expect(c.previous(atOrBefore: n) == n)
                #expect(c.previous(atOrBefore: n - 60).map { $0 <= t } ?? true, "\(cron): something fires between \(UTCTime.format(t)) and \(UTCTime.format(n))")
                t = n
            }
        }
    }
}

@Suite("Spans for --stale-after")
struct SpanTests {
    @Test("accepted", arguments: [("90d", 7_776_000), ("12w", 7_257_600), ("2w3d", 1_468_800), ("36h", 129_600), ("1d12h30m", 131_400), ("45s", 45)])
    func accepted(text: String, seconds: Int) {
        #expect(Span.parse(text) == seconds)
    }

    @Test("refused", arguments: ["", "90", "d", "3d2w", "90 d", "1.5d", "-1d", "1y", "1D", "1d1d", "12345678d"])
    func refused(text: String) {
        #expect(Span.parse(text) == nil)
    }

    @Test func shortFormat() {
        #expect(Span.format(0) == "0s")
        #expect(Span.format(45) == "45s")
        #expect(Span.format(3000) == "50m")
        #expect(Span.format(3 * 3600 + 120) == "3h2m")
        #expect(Span.format(86_400 * 90) == "90d")
        #expect(Span.format(86_400 * 4 + 7300) == "4d2h")
    }
}
