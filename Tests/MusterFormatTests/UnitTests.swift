import Foundation
@testable import MusterBasics
@testable import MusterFormat
@testable import MusterEngine
@testable import MusterTesting
import MusterYAML
import Testing

@Suite("Durations")
struct DurationTests {
    @Test("the forms the format allows", arguments: [
        ("90s", 90), ("15m", 900), ("1h", 3600), ("1h30m", 5400), ("2h15m30s", 8130),
        ("1m30s", 90), ("1h5s", 3605), ("0s", 0), ("45m", 2700), ("100h", 360_000),
    ])
    func valid(text: String, seconds: Int) {
        #expect(DurationFormat.parse(text) == seconds)
    }

    @Test("anything else is refused", arguments: [
        "90", "1m1h", "5 m", "1.5h", "", "h", "1h1h", "30s1m", "1d", "1H", " 1h", "1h ", "-5m", "+5m", "1h30", "m30", "1,5h",
        "1234567890s",
    ])
    func invalid(text: String) {
        #expect(DurationFormat.parse(text) == nil)
    }

    @Test("canonical spelling", arguments: [
        (0, "0s"), (90, "1m30s"), (900, "15m"), (3600, "1h"), (5400, "1h30m"), (8130, "2h15m30s"), (3605, "1h00m05s"), (65, "1m05s"), (59, "59s"),
    ])
    func format(seconds: Int, text: String) {
        #expect(DurationFormat.format(seconds) == text)
    }

    @Test func formatThenParseIsTheIdentity() {
        for seconds in [0, 1, 59, 60, 61, 3599, 3600, 3601, 86_399, 90_061] {
            #expect(DurationFormat.parse(DurationFormat.format(seconds)) == seconds)
        }
    }
}

@Suite("Cron schedules")
struct CronTests {
    @Test func quarterly() throws {
        let c = try CronSchedule("0 9 1 */3 *")
        #expect(c.minutes == [0])
        #expect(c.hours == [9])
        #expect(c.daysOfMonth == [1])
        #expect(c.months == [1, 4, 7, 10])
        #expect(c.daysOfWeek == Set(0...6))
        #expect(c.dayOfMonthRestricted)
        #expect(!c.dayOfWeekRestricted)
    }

    @Test func listsRangesAndSteps() throws {
        let c = try CronSchedule("*/15 0-6,22-23 * 1-12/2 1-5")
        #expect(c.minutes == [0, 15, 30, 45])
        #expect(c.hours == [0, 1, 2, 3, 4, 5, 6, 22, 23])
        #expect(c.daysOfMonth == Set(1...31))
        #expect(c.months == [1, 3, 5, 7, 9, 11])
        #expect(c.daysOfWeek == [1, 2, 3, 4, 5])
        #expect(!c.dayOfMonthRestricted)
        #expect(c.dayOfWeekRestricted)
    }

    @Test func startWithStepRunsToTheEnd() throws {
        #expect(try CronSchedule("5/20 * * * *").minutes == [5, 25, 45])
    }

    @Test func sundayIsZeroOrSeven() throws {
        #expect(try CronSchedule("0 0 * * 7").daysOfWeek == [0])
        #expect(try CronSchedule("0 0 * * 0,7").daysOfWeek == [0])
        #expect(try CronSchedule("0 0 * * 5-7").daysOfWeek == [0, 5, 6])
    }

    @Test func tabsSeparateFieldsToo() throws {
        #expect(try CronSchedule("0\t9 * * *").hours == [9])
    }

    @Test("month and weekday names, any case, also in ranges, lists and steps", arguments: [
        ("0 9 * * mon-fri", "dow", Set([1, 2, 3, 4, 5])),
        ("0 9 * * SUN,Sat", "dow", Set([0, 6])),
        ("0 9 * * Thu", "dow", Set([4])),
        ("0 9 * * mon-5", "dow", Set([1, 2, 3, 4, 5])),
        ("0 9 * * sun-sat/2", "dow", Set([0, 2, 4, 6])),
        ("0 9 1 JAN,apr,Jul,oct *", "month", Set([1, 4, 7, 10])),
        ("0 9 1 jan-dec/3 *", "month", Set([1, 4, 7, 10])),
        ("0 9 1 nov-12 *", "month", Set([11, 12])),
        ("0 9 1 feb/5 *", "month", Set([2, 7, 12])),
    ])
    func names(text: String, field: String, expected: Set<Int>) throws {
        let c = try CronSchedule(text)
        #expect((field == "dow" ? c.daysOfWeek : c.months) == expected)
    }

    @Test func namesAreTheSameScheduleAsNumbers() throws {
        #expect(try CronSchedule("30 6 * mar-may mon-fri") == CronSchedule("30 6 * 3-5 1-5"))
        #expect(try CronSchedule("0 0 13 * fri").dayOfWeekRestricted)
    }

    @Test("macros stand for their cron lines", arguments: [
        ("@yearly", "0 0 1 1 *"), ("@annually", "0 0 1 1 *"), ("@monthly", "0 0 1 * *"), ("@weekly", "0 0 * * 0"),
        ("@daily", "0 0 * * *"), ("@midnight", "0 0 * * *"), ("@hourly", "0 * * * *"), ("@Weekly", "0 0 * * 0"),
        (" @daily ", "0 0 * * *"),
    ])
    func macros(macro: String, line: String) throws {
        #expect(try CronSchedule(macro) == CronSchedule(line))
    }

    @Test("an unknown macro names the ones there are", arguments: ["@reboot", "@fortnightly", "@", "@daily 5", "@daily @weekly"])
    func unknownMacro(text: String) {
        #expect {
            _ = try CronSchedule(text)
        } throws: { error in
            (error as? CronError)?.message == "schedule '\(text)' is not a cron macro Muster knows; use @yearly (or @annually), @monthly, @weekly, @daily (or @midnight), @hourly, or 5 fields like \"0 9 1 */3 *\""
        }
    }

    @Test("wrong field counts", arguments: [("0 9 * *", 4), ("daily", 1), ("0 9 * * * *", 6), ("", 0)])
    func fieldCount(text: String, count: Int) {
        #expect {
            _ = try CronSchedule(text)
        } throws: { error in
            (error as? CronError)?.message == "schedule '\(text)' has \(count) field\(count == 1 ? "" : "s"); cron needs 5: minute hour day-of-month month day-of-week (UTC), like \"0 9 1 */3 *\""
        }
    }

    @Test("invalid fields name the field and its range", arguments: [
        ("60 * * * *", "minute", "60", "0-59"),
        ("0 24 * * *", "hour", "24", "0-23"),
        ("0 0 0 * *", "day of month", "0", "1-31"),
        ("0 0 32 * *", "day of month", "32", "1-31"),
        ("0 0 * 13 *", "month", "13", "1-12 or jan-dec"),
        ("0 0 * * 8", "day of week", "8", "0-7 or sun-sat"),
        ("*/0 * * * *", "minute", "*/0", "0-59"),
        ("5-1 * * * *", "minute", "5-1", "0-59"),
        ("1,,2 * * * *", "minute", "1,,2", "0-59"),
        ("0 0 * * MONDAY", "day of week", "MONDAY", "0-7 or sun-sat"),
        ("0 0 * JANUARY *", "month", "JANUARY", "1-12 or jan-dec"),
        ("0 0 * * fri-sun", "day of week", "fri-sun", "0-7 or sun-sat"),
        ("0 0 * dec-jan *", "month", "dec-jan", "1-12 or jan-dec"),
        ("0 0 * * 1/mon", "day of week", "1/mon", "0-7 or sun-sat"),
        ("0 mon * * *", "hour", "mon", "0-23"),
        ("0 0 jan * *", "day of month", "jan", "1-31"),
        ("1-2-3 * * * *", "minute", "1-2-3", "0-59"),
        ("*/5/2 * * * *", "minute", "*/5/2", "0-59"),
        ("-5 * * * *", "minute", "-5", "0-59"),
        ("? * * * *", "minute", "?", "0-59"),
    ])
    func invalidField(text: String, field: String, value: String, range: String) {
        #expect {
            _ = try CronSchedule(text)
        } throws: { error in
            (error as? CronError)?.message == "schedule's \(field) field '\(value)' is not valid; use *, N, N-M, */S or N-M/S with values \(range)"
        }
    }
}

@Suite("Shell quoting")
struct ShellQuoteTests {
    @Test("safe values stay bare", arguments: ["eu-north-1", "a_b", "v1.2.3", "user@host:/path", "x=y,z+%"])
    func bare(value: String) {
        #expect(shellQuote(value) == value)
    }

    @Test("other values are single-quoted", arguments: [
        ("", "''"),
        ("a b", "'a b'"),
        ("it's", "'it'\\''s'"),
        ("$(id)", "'$(id)'"),
        ("x'; touch pwned; echo '", "'x'\\''; touch pwned; echo '\\'''"),
        // Found by the template fuzzer: a quote followed by a combining mark
        // is one Character with it, and was left unescaped.
        ("'\u{301}", "''\\''\u{301}'"),
    ])
    func quoted(value: String, expected: String) {
        #expect(shellQuote(value) == expected)
    }

    static let hostile = [
        "x'; touch pwned; echo '",
        "$(touch pwned)",
        "`touch pwned`",
        "a b\tc",
        "line one\nline two",
        "'",
        "''",
        "\\'",
        "\"; touch pwned; \"",
        "*",
        "~",
        "$HOME",
        "-n",
        "",
        "café ☕",
        "a;b|c&d>e<f",
        "!x",
        "x'\u{301}; touch pwned; echo '\u{301}",
        "'\u{20DD}$(touch pwned)'\u{20DD}",
    ]

    /// bash itself must read the quoted value back as exactly one word equal to it.
    @Test("bash reads a quoted value back as one word", arguments: hostile)
    func bashReadsOneWord(value: String) throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("muster-quote-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }

        let out = try bash("printf '%s\\n' \(shellQuote(value))", in: dir)
        #expect(out == value + "\n")
        let count = try bash("set -- \(shellQuote(value)); printf '%s' $#", in: dir)
        #expect(count == "1")
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("pwned").path))
    }

    private func bash(_ script: String, in dir: URL) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/bash")
        p.arguments = ["-c", script]
        p.currentDirectoryURL = dir
        let pipe = Pipe()
        p.standardOutput = pipe
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        return String(decoding: data, as: UTF8.self)
    }
}

@Suite("Templates")
struct TemplateTests {
    /// A template scanned the way the validator scans one, from a YAML value.
    func template(_ yaml: String) throws -> Template {
        let root = try YAMLLoader.load(Array(yaml.utf8))
        let node = try #require(root.pairs?.first?.value)
        let source = SourceText(path: "t.yaml", bytes: Array(yaml.utf8))
        let (t, problems) = TemplateScanner(source: source).scan(node, try #require(node.scalar))
        #expect(problems.isEmpty)
        return t
    }

    @Test func referencesHaveSourcePositionsAndRanges() throws {
        let t = try template("v: deploy {{ region }} {{region}}\n")
        #expect(t.references.map(\.name) == ["region", "region"])
        #expect(t.references.map(\.mark) == [Mark(line: 1, column: 11), Mark(line: 1, column: 24)])
        #expect(t.references.map(\.range) == [7..<19, 20..<30])
    }

    @Test func expandWithoutQuoting() throws {
        let t = try template("v: \"{{ a }}-{{ b }} and {{ a }}\"\n")
        #expect(t.expand(["a": "x y", "b": "it's"]) == "x y-it's and x y")
    }

    @Test func shellDisplayQuotesWords() throws {
        let t = try template("v: echo {{ a }} {{ b }} {{ c }}\n")
        #expect(t.shellDisplay(["a": "x y", "b": "plain", "c": "x'; touch pwned; echo '"])
                == "echo 'x y' plain 'x'\\''; touch pwned; echo '\\'''")
    }

    @Test func unknownNamesStayAsWritten() throws {
        let t = try template("v: echo {{ a }} {{  missing }}\n")
        #expect(t.expand(["a": "1"]) == "echo 1 {{  missing }}")
        #expect(t.shellDisplay([:]) == "echo {{ a }} {{  missing }}")
    }

    @Test func textWithoutReferencesIsReturnedAsIs() {
        let t = Template(raw: "no {templates} here }}", mark: Mark(line: 1, column: 1))
        #expect(t.expand(["templates": "x"]) == "no {templates} here }}")
    }

    @Test func multiByteTextAroundReferences() throws {
        let t = try template("v: é {{ a }} ☕ {{ b }}\n")
        #expect(t.references.map(\.mark) == [Mark(line: 1, column: 6), Mark(line: 1, column: 16)])
        #expect(t.expand(["a": "ü", "b": "ß"]) == "é ü ☕ ß")
    }

    @Test func referencesInABlockLiteral() throws {
        let yaml = "v: |\n  one {{ a }}\n    two {{ b }} {{ c }}\n"
        let t = try template(yaml)
        #expect(t.references.map(\.mark) == [Mark(line: 2, column: 7), Mark(line: 3, column: 9), Mark(line: 3, column: 17)])
        #expect(t.expand(["a": "1", "b": "2", "c": "3"]) == "one 1\n  two 2 3\n")
    }
}

@Suite("Did you mean")
struct SuggestionTests {
    static let keys = ["timeout", "retries", "retry_delay", "expect", "confirm", "on_failure", "idempotent", "rollback", "outputs"]

    @Test("close misspellings", arguments: [
        ("timout", "timeout"), ("tiemout", "timeout"), ("TIMEOUT", "timeout"), ("retires", "retries"),
        ("retry-delay", "retry_delay"), ("onfailure", "on_failure"), ("rolback", "rollback"), ("output", "outputs"),
    ])
    func close(word: String, expected: String) {
        #expect(suggestion(for: word, among: Self.keys) == expected)
    }

    @Test("nothing plausibly meant", arguments: ["banana", "x", "owners", "timeoutXYZW"])
    func far(word: String) {
        #expect(suggestion(for: word, among: Self.keys) == nil)
    }

    @Test func shortWordsAllowOneEdit() {
        #expect(suggestion(for: "rn", among: ["run", "ci"]) == "run")
        #expect(suggestion(for: "xy", among: ["run", "ci"]) == nil)
    }

    @Test func noCandidates() {
        #expect(suggestion(for: "anything", among: [String]()) == nil)
    }

    @Test func closestWins() {
        #expect(suggestion(for: "github", among: ["gitlab", "github"]) == "github")
        #expect(suggestion(for: "gitlub", among: ["gitlab", "github"]) == "gitlab")
    }

    @Test func editDistanceCountsATranspositionAsOne() {
        #expect(editDistance(Array("ab".utf8), Array("ba".utf8)) == 1)
        #expect(editDistance(Array("kitten".utf8), Array("sitting".utf8)) == 3)
        #expect(editDistance([], Array("abc".utf8)) == 3)
    }

    @Test func quotedLists() {
        #expect(quotedList(["a"]) == "'a'")
        #expect(quotedList(["a", "b"]) == "'a' or 'b'")
        #expect(quotedList(["a", "b", "c"], conjunction: "and") == "'a', 'b' and 'c'")
    }
}
