import Foundation
@testable import MusterBasics
@testable import MusterFormat
import MusterYAML
import Testing

/// `when:` conditions: the language, its checks before the run and its
/// decisions during it.
@Suite("Conditions")
struct ConditionTests {
    let at = Mark(line: 7, column: 11)

    func parse(_ text: String) throws(ConditionError) -> Condition { try Condition.parse(text, at: at) }

    /// The parse error of `text`, or a failed expectation.
    func parseError(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> ConditionError? {
        do {
            let c = try parse(text)
            Issue.record("parsed \(text.debugDescription) as \(c.root.source)", sourceLocation: sourceLocation)
            return nil
        } catch {
            return error
        }
    }

    func decide(_ text: String, _ values: [String: String] = [:], mode: String = "drill", outcomes: [String: String] = [:]) throws -> Condition.Verdict {
        try parse(text).evaluate(lookup: { values[$0] }, mode: mode, outcome: { outcomes[$0] })
    }

    func failure(_ text: String, _ values: [String: String] = [:], outcomes: [String: String] = [:],
                 sourceLocation: SourceLocation = #_sourceLocation) -> Condition.Failure? {
        do {
            let v = try decide(text, values, outcomes: outcomes)
            Issue.record("decided \(text) as \(v.holds)", sourceLocation: sourceLocation)
            return nil
        } catch let f as Condition.Failure {
            return f
        } catch {
            Issue.record("unexpected \(error)", sourceLocation: sourceLocation)
            return nil
        }
    }

    // MARK: parsing

    @Test func precedenceIsNotThenComparisonThenAndThenOr() throws {
        let c = try parse("a or b and not c == 1")
        guard case .any(let ors) = c.root.kind, ors.count == 2, case .name("a") = ors[0].kind,
              case .all(let ands) = ors[1].kind, ands.count == 2, case .name("b") = ands[0].kind,
              case .not(let negated) = ands[1].kind, case .compare(.equal, _, _) = negated.kind
        else {
            Issue.record("wrong tree: \(c.root)")
            return
        }
        // `not` negates the whole comparison, as in Python.
        #expect(try parse("not mode == \"drill\"").root.source == "not mode == \"drill\"")
        guard case .not(let inner) = try parse("not mode == \"drill\"").root.kind, case .compare = inner.kind else {
            Issue.record("not did not take the comparison")
            return
        }
        // Parentheses regroup; the printed form keeps them where they matter.
        #expect(try parse("(a or b) and c").root.source == "(a or b) and c")
        #expect(try parse("not (a and b)").root.source == "not (a and b)")
        #expect(try parse("((x)) < 3").root.source == "x < 3")
        // And and or chains are flat: a thousand terms are one level.
        guard case .all(let many) = try parse(Array(repeating: "a", count: 1000).joined(separator: " and ")).root.kind else {
            Issue.record("not flat")
            return
        }
        #expect(many.count == 1000)
        // The same grouping decides differently.
        #expect(try decide("true or false and false").holds == true)
        #expect(try decide("(true or false) and false").holds == false)
        #expect(try decide("not false and false").holds == false)
        #expect(try decide("not (false and false)").holds == true)
    }

    @Test("every operator", arguments: [
        ("n == 3", true), ("n != 3", false), ("n < 4", true), ("n < 3", false), ("n <= 3", true), ("n > 2", true),
        ("n > 3", false), ("n >= 3", true), ("n >= 4", false), ("n in [1, 2, 3]", true), ("n not in [1, 2, 3]", false),
        ("n in []", false), ("r == \"eu-west-1\"", true), ("r != \"eu-west-1\"", false), ("r in [\"us\", \"eu-west-1\",]", true),
        ("flag", true), ("not flag", false), ("flag == true", true), ("off == false", true), ("off or flag", true),
        ("off and flag", false), ("mode == \"drill\"", true), ("mode in [\"incident\", \"training\"]", false),
        ("steps.rebuild/cluster/create.outcome == \"done\"", true), ("steps.redeploy[api].outcome != \"failed\"", true),
        ("steps.deploy[v1.2].outcome == \"skipped\"", true), ("true", true), ("false", false),
    ])
    func operators(text: String, expected: Bool) throws {
        let values = ["n": "3", "r": "eu-west-1", "flag": "true", "off": "false"]
        let outcomes = ["rebuild/cluster/create": "done", "redeploy[api]": "done", "deploy[v1.2]": "skipped"]
        #expect(try decide(text, values, outcomes: outcomes).holds == expected)
    }

    @Test func numbersCompareAsNumbersAndQuotedTextAsText() throws {
        // A value is a number when it reads as one; a quoted literal never is.
        #expect(try decide("x == 42", ["x": "42.0"]).holds)
        #expect(try decide("x == \"42\"", ["x": "42.0"]).holds == false)
        #expect(try decide("x == \"42\"", ["x": "42"]).holds)
        #expect(try decide("v == 1.10", ["v": "1.1"]).holds)
        #expect(try decide("v == \"1.10\"", ["v": "1.1"]).holds == false)
        #expect(try decide("x < 100", ["x": "99.5"]).holds)
        #expect(try decide("x > -1", ["x": "-0.5"]).holds)
        #expect(try decide("x < -1", ["x": "-2"]).holds)
        #expect(try decide("x == 0", ["x": "-0.00"]).holds)
        #expect(try decide("x == 7", ["x": " 7\n"]).holds)
        // Exact, not through a Double: these differ in the 20th digit.
        #expect(try decide("id < 12345678901234567891", ["id": "12345678901234567890"]).holds)
        #expect(try decide("id == 12345678901234567891", ["id": "12345678901234567890"]).holds == false)
        // Two names compare as numbers when both values are numbers, else as text.
        #expect(try decide("a < b", ["a": "9", "b": "10"]).holds)
        #expect(try decide("a == b", ["a": "abc", "b": "abc"]).holds)
        #expect(try decide("a == b", ["a": "010", "b": "10"]).holds)
    }

    @Test func inLooksThroughLiteralsJSONArraysAndLines() throws {
        #expect(try decide("s in [\"api\", \"web\"]", ["s": "web"]).holds)
        #expect(try decide("s in list", ["s": "web", "list": #"["api", "web"]"#]).holds)
        #expect(try decide("s in list", ["s": "worker", "list": #"["api", "web"]"#]).holds == false)
        #expect(try decide("s in list", ["s": "web", "list": "api\n  web \r\n\nworker\n"]).holds)
        #expect(try decide("n in list", ["n": "2.0", "list": "[1, 2, 3]"]).holds)
        #expect(try decide("n not in list", ["n": "4", "list": "[1, 2, 3]"]).holds)
        #expect(try decide("s in list", ["s": "a\"b", "list": #"["a\"b", "\u00e9"]"#]).holds)
        #expect(try decide("s in list", ["s": "é", "list": #"["a\"b", "\u00e9"]"#]).holds)
        #expect(try decide("s in list", ["s": "x", "list": ""]).holds == false)
        #expect(ValueList.items(#"[true, false, -1.5e3, "😀"]"#) == ["true", "false", "-1.5e3", "😀"])
        #expect(ValueList.items(#"["\ud83d\ude00"]"#) == ["😀"])
        for broken in [#"["a", ["b"]]"#, #"[{"a": 1}]"#, "[null]", "[1,]", #"["a"] x"#, "[", #"["\ud83d"]"#, "[01]"] {
            #expect(ValueList.items(broken) == nil, "\(broken)")
        }
        let f = failure("s in list", ["s": "a", "list": "[a, b]"])
        #expect(f?.message == "cannot decide 'when: s in list': list starts with '[' but is not a JSON array of strings, numbers and booleans")
    }

    @Test("parse errors point at the offending character", arguments: [
        ("lag_seconds = 30", 12, "'=' does not compare; write '==' (or '!=')"),
        ("a && b", 2, "write 'and', not '&&'"),
        ("a || b", 2, "write 'or', not '||'"),
        ("region == 'eu'", 10, "strings are written in double quotes"),
        ("region == \"eu", 10, "the string is not closed with '\"'"),
        ("region == \"e\\u\"", 12, "unknown escape '\\u' in a string"),
        ("{{ lag }} < 30", 0, "write the name, not '{{ name }}'"),
        ("$DB_PASSWORD == \"x\"", 0, "cannot read variables or secrets"),
        ("lag < 30s", 6, "'30s' is not a number"),
        ("lag < 1.2.3", 6, "'1.2.3' is not a number"),
        ("x < -y", 4, "'-' is only the sign of a number"),
        ("a.b == 1", 0, "names have no fields"),
        ("steps.create.outcom == \"done\"", 0, "(did you mean 'outcome'?)"),
        ("steps.create.status == \"done\"", 0, "'steps.create.status' is not something a condition can read; a step gives only its outcome"),
        ("steps.create == \"done\"", 0, "write steps.ID.outcome"),
        ("(a or b", 0, "'(' is not closed with ')'"),
        ("(a or b c)", 0, "'(' is not closed with ')'; found 'c'"),
        ("x in [1, 2", 5, "'[' is not closed with ']'"),
        ("x in [a, b]", 6, "write \"a\" in double quotes"),
        ("a < b < c", 2, "comparisons do not chain"),
        ("(a < b) == true", 3, "compares values, not conditions"),
        ("x in 3", 5, "needs a [list]"),
        ("x == [1]", 5, "compared with 'in' only"),
        ("[1] in x", 0, "a list stands after 'in' only"),
        ("lag_seconds", -1, ""),
        ("42", 0, "42 is a number, not a condition"),
        ("mode", 0, "'mode' is a word, not a condition; compare it: mode == \"drill\""),
        ("steps.a.outcome", 0, "compare it: steps.a.outcome == \"done\""),
        ("a and \"b\"", 6, "is text, not a condition"),
        ("a b", 2, "unexpected 'b' after a complete condition; join conditions with 'and' or 'or'"),
        ("a AND b", 2, "'AND' is written in lower case: and"),
        ("a == True", 5, "'True' is written in lower case: true"),
        ("a and", 5, "the condition ends where a value is expected after 'and'"),
        ("and a", 0, "a value is missing before 'and'"),
        ("", 0, "empty condition"),
        ("   ", 3, "empty condition"),
        ("()", 1, "empty parentheses"),
        ("x == é", 5, "unexpected 'é'"),
        ("x == \u{1b}[31m", 5, "unexpected 'U+1B'"),
    ])
    func parseErrors(text: String, offset: Int, message: String) throws {
        if offset < 0 {
            _ = try parse(text)   // a bare name is a condition: its value must be true or false
            return
        }
        guard let e = parseError(text) else { return }
        #expect(e.offset == offset, "\(text): \(e.message)")
        #expect(e.mark == Mark(line: at.line, column: at.column + offset))
        #expect(e.message.contains(message), "\(e.message)")
        #expect(e.diagnostic(path: "rb.yaml").formatted.hasPrefix("rb.yaml:7:\(at.column + offset): error: "))
    }

    /// Quoted and block scalars: the value differs from its source, and
    /// each node still lands on its own line and column.
    @Test func positionsInQuotedAndBlockScalarsAreTheSources() throws {
        let yaml = """
        steps:
          - when: 'mode == "dril" and it''s_x == 1'
          - {id: b, when: "lag < \\"30\\" or mode == \\"drill\\""}
          - when: >
              steps.measure.outcome == "done"
              and lagg < 30
          - when: |
              region in ["eu", "us"] and
                nope
        """
        let source = SourceText(path: "rb.yaml", bytes: Array(yaml.utf8))
        let root = try YAMLLoader.load(source.bytes)
        let nodes = root.pairs![0].value.items!.map { item in item.pairs!.first { $0.key.scalar == "when" }!.value }
        let scope = ConditionScope(names: ["lag": ValueRule(type: .int), "region": ValueRule()], steps: ["measure"])

        // Single-quoted, with '' for a quote: `it''s_x` is not a name at all.
        #expect(throws: ConditionError.self) { try Condition.parse(nodes[0].scalar!, node: nodes[0], source: source) }
        do {
            _ = try Condition.parse(nodes[0].scalar!, node: nodes[0], source: source)
        } catch {
            #expect(error.mark == Mark(line: 2, column: 33), "\(error.message)")   // the first ' of it''s
        }
        func marks(_ k: Int) throws -> [String] {
            try Condition.parse(nodes[k].scalar!, node: nodes[k], source: source).problems(in: scope, path: "rb.yaml").map(\.formatted)
        }
        let doubled = try marks(1)
        #expect(doubled == ["rb.yaml:3:27: error: '<' compares numbers, and \"30\" is quoted text; write 30 without quotes to compare numbers"])
        let folded = try marks(2)
        #expect(folded == ["rb.yaml:6:11: error: unknown name 'lagg' in condition (did you mean 'lag'?); a condition may use parameters, built-ins, answers and outputs of earlier steps, mode and steps.ID.outcome"])
        let literal = try marks(3)
        #expect(literal == ["rb.yaml:9:9: error: unknown name 'nope' in condition; a condition may use parameters, built-ins, answers and outputs of earlier steps, mode and steps.ID.outcome"])
        // Without the source, a one-line plain scalar: its start plus the offset.
        let plain = try Condition.parse("mode == \"dril\"", at: Mark(line: 2, column: 13))
        #expect(plain.problems(in: scope, path: "rb.yaml").first?.mark == Mark(line: 2, column: 21))
    }

    // MARK: checks before the run

    let scope = ConditionScope(
        names: ["lag_seconds": ValueRule(type: .int), "region": ValueRule(choices: ["eu-west-1", "us-east-1"]), "note": ValueRule(),
                "dry_run": ValueRule(type: .bool), "timeout": ValueRule(type: .duration), "run_id": ValueRule()],
        later: ["replica_id": "find-replica"],
        secrets: ["DB_PASSWORD", "unseal_key"],
        steps: ["measure-lag", "rebuild/cluster/create"],
        otherSteps: ["promote", "rebuild/database"])

    func problems(_ text: String) throws -> [String] {
        try parse(text).problems(in: scope, path: "rb.yaml").map(\.message)
    }

    @Test func aConditionThatFitsItsScopeHasNoProblems() throws {
        let ok = """
        lag_seconds < 30 and mode != "rehearsal" and region in ["eu-west-1"] and not dry_run \
        and steps.rebuild/cluster/create.outcome == "done" and (note == "x" or note < 3 or run_id != "") and dry_run == false
        """
        #expect(try problems(ok) == [])
    }

    @Test func unknownNamesGetDidYouMean() throws {
        #expect(try problems("lag_second < 30") == ["unknown name 'lag_second' in condition (did you mean 'lag_seconds'?); a condition may use parameters, built-ins, answers and outputs of earlier steps, mode and steps.ID.outcome"])
        #expect(try problems("mod == \"drill\"").first?.contains("(did you mean 'mode'?)") == true)
        #expect(try problems("replica_id == \"x\"") == ["'replica_id' is set by step 'find-replica', which does not run before this point"])
        #expect(try problems("mode == drill") == ["'drill' is not a name; words are written in double quotes: mode == \"drill\""])
        #expect(try problems("steps.measure-lg.outcome == \"done\"") == ["unknown step 'measure-lg' in steps.measure-lg.outcome (did you mean 'measure-lag'?); name a step by its key, nested ones joined with '/' (rebuild/cluster/create)"])
        #expect(try problems("steps.promote.outcome == \"done\"") == ["step 'promote' does not end before this point, so it has no outcome yet; a condition reads the outcome of steps that run before it"])
        // Each problem at its own column.
        let d = try parse("lag_seconds < 30 or lagsecs > 1").problems(in: scope, path: "rb.yaml")
        #expect(d.map(\.mark) == [Mark(line: 7, column: 11 + 20)])
    }

    @Test func aSecretCannotBeNamed() throws {
        for text in ["DB_PASSWORD == \"hunter2\"", "unseal_key in [\"a\"]", "not unseal_key"] {
            let p = try problems(text)
            #expect(p.count == 1 && p[0].contains("is a secret, and a condition cannot name a secret"), "\(p)")
            #expect(p[0].contains("compare that step's output or outcome instead"))
            #expect(!p[0].contains("hunter2"))
        }
    }

    @Test("type mistakes it can see", arguments: [
        ("note < \"30\"", "'<' compares numbers, and \"30\" is quoted text; write 30 without quotes to compare numbers"),
        ("lag_seconds >= \"high\"", "'>=' compares numbers, and \"high\" is quoted text"),
        ("lag_seconds < true", "'<' compares numbers, not true or false"),
        ("mode > 2", "'>' cannot compare mode, which is a word; write mode == \"drill\" or mode in [\"drill\", \"training\"]"),
        ("steps.measure-lag.outcome < 1", "'<' cannot compare a step's outcome, which is a word; write steps.measure-lag.outcome == \"done\""),
        ("dry_run < 1", "'<' compares numbers, and 'dry_run' is true or false (type: bool); compare it with == or in instead"),
        ("timeout > 5", "'timeout' is a duration (type: duration)"),
        ("region < 5", "'region' is one of \"eu-west-1\", \"us-east-1\""),
        ("mode == \"dril\"", "\"dril\" is not a mode (did you mean 'drill'?); mode is \"incident\", \"drill\", \"training\" or \"rehearsal\""),
        ("mode in [\"drill\", \"live\"]", "\"live\" is not a mode"),
        ("\"incident\" != mode", ""),
        ("mode == 1", "1 is not a mode"),
        ("steps.measure-lag.outcome == \"succeeded\"", "\"succeeded\" is not an outcome; a step's outcome is \"done\", \"skipped\" or \"failed\""),
        ("steps.measure-lag.outcome == \"don\"", "(did you mean 'done'?)"),
        ("lag_seconds == \"30\"", "'lag_seconds' is a number (type: int) and \"30\" is quoted text, so they compare as text; write 30 without quotes"),
        ("lag_seconds != \"n/a\"", "'lag_seconds' is a number (type: int), so '!=' \"n/a\" is always true"),
        ("dry_run == \"yes\"", "'dry_run' is true or false (type: bool), never \"yes\""),
        ("region == \"eu-west1\"", "\"eu-west1\" is not one of the choices for 'region' (did you mean 'eu-west-1'?): \"eu-west-1\", \"us-east-1\""),
        ("lag_seconds", "'lag_seconds' is a number (type: int), not true or false; compare it, e.g. lag_seconds == 0"),
        ("region or dry_run", "'region' is one of \"eu-west-1\", \"us-east-1\", not true or false; compare it, e.g. region == \"eu-west-1\""),
    ])
    func typeMistakes(text: String, message: String) throws {
        let p = try problems(text)
        if message.isEmpty {
            #expect(p == [])
        } else {
            #expect(p.count == 1 && p[0].contains(message), "\(p)")
        }
    }

    // MARK: decisions during the run

    @Test func theVerdictNamesTheValuesItSaw() throws {
        let v = try decide("lag_seconds < 30", ["lag_seconds": "42"])
        #expect(v.holds == false)
        #expect(v.seen == [.init(name: "lag_seconds", value: "42")])
        #expect(v.because == "lag_seconds < 30 is false (lag_seconds = 42)")

        let w = try decide("lag_seconds < 30 and mode != \"rehearsal\"", ["lag_seconds": "12"], mode: "incident")
        #expect(w.because == "lag_seconds < 30 and mode != \"rehearsal\" is true (lag_seconds = 12, mode = incident)")
        #expect(try decide("true").because == "true is true")

        // Line breaks of a block scalar become spaces; each value is listed once, in the order read.
        let x = try decide("a == b\n  or steps.x/y.outcome == \"done\"\n  or a == 1", ["a": "1", "b": "2"], outcomes: ["x/y": "failed"])
        #expect(x.because == "a == b or steps.x/y.outcome == \"done\" or a == 1 is true (a = 1, b = 2, steps.x/y.outcome = failed)")
        #expect(x.seen.map(\.name) == ["a", "b", "steps.x/y.outcome"])
    }

    @Test func andAndOrStopAtTheFirstOperandThatDecides() throws {
        // lag_seconds has no value: the step that measures it was skipped, and the guard says so first.
        let v = try decide("steps.measure.outcome == \"done\" and lag_seconds < 30", [:], outcomes: ["measure": "skipped"])
        #expect(v.holds == false)
        #expect(v.because == "steps.measure.outcome == \"done\" and lag_seconds < 30 is false (steps.measure.outcome = skipped)")
        #expect(try decide("mode == \"drill\" or missing", [:]).seen.map(\.name) == ["mode"])
    }

    @Test func whatItCannotDecideIsAPlainFailure() throws {
        let f = failure("region < 30", ["region": "us-east-1"])
        #expect(f?.message == "cannot decide 'when: region < 30': cannot compare region (= us-east-1) with 30 using '<': it compares numbers, and region (= us-east-1) is not one")
        #expect(f?.seen == [.init(name: "region", value: "us-east-1")])
        #expect(failure("lag_seconds < 30")?.message == "cannot decide 'when: lag_seconds < 30': lag_seconds has no value: the step that sets it was skipped, or did not produce it")
        #expect(failure("steps.a.outcome == \"done\"")?.message == "cannot decide 'when: steps.a.outcome == \"done\"': step 'a' has no outcome yet")
        #expect(failure("flag", ["flag": "yes"])?.message == "cannot decide 'when: flag': flag is yes, not true or false")
        #expect(failure("1 < \"2\"")?.message.contains("\"2\" is not one") == true)
        let longName = String(repeating: "n", count: 5000)
        #expect((failure("\(longName) < 1")?.message.count ?? 0) < 500)
    }

    /// Values are data: compared as text, never read as a condition, a
    /// template or a command, and shown escaped.
    @Test func valuesAreDataNeverEvaluated() throws {
        var asked: [String] = []
        let hostile = ["x": "mode == \"drill\"", "y": "{{ secret }}", "z": "$(touch /tmp/pwned)", "esc": "\u{1b}]0;owned\u{7}\nline"]
        let c = try parse("x == \"mode == \\\"drill\\\"\" and y != z and esc != \"\"")
        let v = try c.evaluate(lookup: { asked.append($0); return hostile[$0] }, mode: "drill", outcome: { _ in nil })
        #expect(v.holds)
        #expect(asked == ["x", "y", "z", "esc"])
        #expect(v.seen.map(\.value) == ["mode == \"drill\"", "{{ secret }}", "$(touch /tmp/pwned)", "\u{1b}]0;owned\u{7}\nline"])
        #expect(!v.because.unicodeScalars.contains { $0.value < 0x20 }, "\(v.because.debugDescription)")
        #expect(v.because.hasSuffix(#"esc = "\u001b]0;owned\u0007\nline")"#), "\(v.because)")
        #expect(!FileManager.default.fileExists(atPath: "/tmp/pwned"))
        // A long value is shown by its length, never cut (a piece could be a piece of a secret).
        let long = String(repeating: "s3cr3t", count: 100)
        #expect(try decide("a == \"b\"", ["a": long]).because == "a == \"b\" is false (a = <600 characters>)")
    }

    // MARK: hostile text

    @Test func deepNestingIsRefusedAtTheLimitNotACrash() throws {
        let ok = String(repeating: "(", count: Condition.maxDepth) + "a" + String(repeating: ")", count: Condition.maxDepth)
        #expect(try decide(ok, ["a": "true"]).holds)
        // Where the 33rd level opens: `not (` is two levels at a time.
        for (opener, offset) in [("(", 32), ("not ", 128), ("not (", 80), ("(a == 1 or ", 352)] {
            let deep = String(repeating: opener, count: 100_000) + "a"
            guard let e = parseError(deep) else { continue }
            #expect(e.message == "the condition nests deeper than 32 levels of parentheses, 'not' and lists; write it flatter or split it across steps")
            #expect(e.offset == offset, "\(opener)")
        }
        // Lists hold literals, so they never nest.
        #expect(parseError("x in [[1]]")?.message == "a list holds numbers, \"strings\", true or false, not '['")
    }

    @Test func aVeryLongConditionCostsItsLength() throws {
        // 100,000 terms, 1.4 MB: parsed, checked and decided in one pass each.
        let text = (0..<100_000).map { "n == \($0)" }.joined(separator: " or ")
        let c = try parse(text)
        let v = try c.evaluate(lookup: { $0 == "n" ? "99999" : nil }, mode: "drill", outcome: { _ in nil })
        #expect(v.holds)
        #expect(v.seen == [.init(name: "n", value: "99999")])
        // A thousand-character string literal and name are clipped in messages.
        let name = String(repeating: "x", count: 5000)
        let p = try problems("\(name) == \"\(String(repeating: "y", count: 5000))\"")
        #expect(p.count == 1 && p[0].count < 400, "\(p.first?.count ?? 0)")
        // Problems stop at the file's limit, and did-you-mean at a few.
        let unknown = (0..<3000).map { "lag_secondz\($0) == 1" }.joined(separator: " or ")
        let d = try parse(unknown).problems(in: scope, path: "rb.yaml")
        #expect(d.count == Diagnostic.limit)
        #expect(d.filter { $0.message.contains("did you mean") }.count <= 20)
    }
}
