import Foundation
@testable import MusterBasics
@testable import MusterFormat
@testable import MusterEngine
@testable import MusterTesting
import MusterTerminal
import MusterYAML
import Testing

/// Found while fuzzing the validator: files within the 1 MiB limit whose
/// checks took quadratic time, or whose messages took gigabytes. Before the
/// fixes each of the first four ran for more than 90 seconds (or past 4 GB)
/// in the runbook fuzz target; now each takes well under a second.
@Suite("Hostile files: bounded time and memory", .serialized)
struct HostileFileTests {
    /// What `muster validate` reports for `text` as runbooks/fuzz.yaml of a
    /// scratch repository.
    func validate(_ text: String) throws -> [Diagnostic] {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("muster-hostile-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: root + "/runbooks", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let path = root + "/runbooks/fuzz.yaml"
        #expect(FileManager.default.createFile(atPath: path, contents: Data(text.utf8)))
        #expect(text.utf8.count <= YAMLLimits.maxFileBytes)
        let catalog = Catalog(currentDirectory: root, rootFinder: { _ in root })
        let entry = catalog.load(path)
        var out = entry.diagnostics
        if entry.document != nil { out += catalog.crossCheck(entry, at: path) }
        // Shown on a terminal, each with its line and caret.
        let printer = DiagnosticPrinter(style: Style(color: true, isTerminal: true))
        for d in out { #expect(printer.render(d, source: entry.source).utf8.count < 3000) }
        return out.sorted()
    }

    func header(_ extra: String = "") -> String { "muster: 1\nname: fuzz\ntitle: t\n" + extra }

    @Test(.timeLimit(.minutes(1)))
    func thousandsOfUnknownNamesAmongThousandsOfParameters() throws {
        let params = (0..<4000).map { "  param_\(String(format: "%05d", $0)): {default: x}\n" }.joined()
        let refs = (0..<20000).map { "{{ zaram_\(String(format: "%05d", $0)) }}" }.joined(separator: " ")
        let d = try validate(header("params:\n" + params) + "steps:\n  - id: a\n    title: t\n    run: \"\(refs)\"\n")
        #expect(d.count == Diagnostic.limit + 1)
        #expect(d.first?.message == Diagnostic.tooMany)
        #expect(d.contains { $0.message.contains("(did you mean 'param_00007'?)") })
    }

    @Test(.timeLimit(.minutes(1)))
    func aStepWithSixtyThousandQuestions() throws {
        let ask = (0..<60000).map { "      q\($0): p\n" }.joined()
        #expect(try validate(header() + "steps:\n  - id: a\n    title: t\n    manual: [x]\n    ask:\n" + ask).isEmpty)
    }

    /// Each guard is a thread polling all run long: thousands of them,
    /// most with the same id, are one error at the first past the limit and
    /// a duplicate per level, found with a dictionary, not a scan each.
    @Test(.timeLimit(.minutes(1)))
    func thirtyThousandGuards() throws {
        let guards = (0..<30_000).map { "{id: g\($0 % 3), title: t, run: x}" }.joined(separator: ", ")
        let d = try validate("{muster: 1, name: fuzz, title: t, guards: [\(guards)], steps: [{id: a, title: t, run: 'true'}]}\n")
        #expect(d.filter { $0.message.hasPrefix("a runbook may have at most 64 guards") }.count == 1, "\(d.prefix(5))")
        #expect(d.filter { $0.message.hasPrefix("duplicate guard id") }.count == 61, "\(d.prefix(5))")
        #expect(d.count == 62, "\(d.prefix(5))")
    }

    @Test(.timeLimit(.minutes(1)))
    func aLoopOverAHundredThousandItems() throws {
        // Each item checked against those before it: a scan per item took
        // minutes; a set keeps it linear.
        let items = (0..<100_000).map { "i\($0)" }.joined(separator: ", ")
        let d = try validate("{muster: 1, name: fuzz, title: t, steps: [{id: a, title: t, for_each: {in: [\(items), i7], as: x}, run: 'true'}]}\n")
        #expect(d.map(\.message) == ["for_each item 'i7' is listed twice"])
    }

    @Test(.timeLimit(.minutes(1)))
    func aOneLineListOfManyChecklistItems() throws {
        let items = Array(repeating: "x", count: 150_000).joined(separator: ", ")
        #expect(try validate("{muster: 1, name: fuzz, title: t, steps: [{id: a, title: t, manual: [\(items)]}]}\n").isEmpty)
        // A comment after such a list is reported once, not once per item.
        let commented = try validate("muster: 1\nname: fuzz\ntitle: t\nsteps:\n  - {id: a, title: t, manual: [\(items)]} # \(String(repeating: "c", count: 300_000))\n")
        #expect(commented.count == 1)
        #expect(commented.allSatisfy { $0.severity == .warning && $0.message.utf8.count < 1200 })
    }

    @Test func anErrorPastTheLimitStillMakesTheFileInvalid() throws {
        let items = (0..<1200).map { "      - item \($0) # note\n" }.joined()
        // Warnings only: the note is a warning too, and the file is valid.
        let warned = try validate(header() + "steps:\n  - id: a\n    title: t\n    manual:\n" + items)
        #expect(warned.count == Diagnostic.limit + 1)
        #expect(warned.allSatisfy { $0.severity == .warning })
        let d = try validate(header() + "steps:\n  - id: a\n    title: t\n    manual:\n" + items + "  - {id: b, title: t, run: x, bogus: 1}\n")
        #expect(d.count == Diagnostic.limit + 1)
        #expect(d.filter { $0.severity == .error }.map(\.message) == [Diagnostic.tooMany])
    }

    @Test(.timeLimit(.minutes(1)))
    func aliasesOfAHugeValue() throws {
        let d = try validate(header("x: &s {id: \"\(String(repeating: "A", count: 500_000))\", title: t, run: r}\n")
                             + "steps: [" + Array(repeating: "*s", count: 10000).joined(separator: ", ") + "]\n")
        #expect(d.count == 1)
        #expect(d.first?.message == "aliases copy in more than \(YAMLLimits.maxAliasExpansionCharacters) characters of text; refusing an explosive document")
    }

    @Test(.timeLimit(.minutes(1)))
    func longNamesThatAlmostMatch() throws {
        let name = String(repeating: "a", count: 200_000)
        // An explicit key (`? `): libyaml refuses simple keys over 1024 characters.
        let d = try validate(header("params:\n  ? \(name)\n  : {default: x}\n") + "steps:\n  - id: a\n    title: t\n    run: echo {{ \(name.dropLast())b }}\n")
        #expect(d.count == 1)
        #expect(d.first.map { $0.message.hasPrefix("unknown name 'aaaa") && $0.message.utf8.count < 1200 && $0.message.contains(" … ") } == true)
    }

    @Test(.timeLimit(.minutes(1)))
    func thousandsOfStepsIncludingAMissingRunbook() throws {
        let steps = (0..<20000).map { "  - {id: s\($0), title: t, runbook: nope}\n" }.joined()
        let d = try validate(header() + "steps:\n" + steps)
        #expect(d.count == Diagnostic.limit + 1)
        #expect(d.last?.message.hasPrefix("step 's") == true)
    }

    @Test func aLongLineShowsAWindowAroundTheCaret() {
        let line = String(repeating: "x", count: 500_000) + "HERE" + String(repeating: "y", count: 500_000)
        let source = SourceText(path: "f.yaml", bytes: Array(line.utf8))
        let d = Diagnostic(path: "f.yaml", mark: Mark(line: 1, column: 500_001), message: "m")
        let out = DiagnosticPrinter(style: Style(color: false, isTerminal: true)).render(d, source: source)
        let lines = out.split(separator: "\n")
        #expect(lines.count == 3)
        #expect(lines[1].count < 200 && lines[1].contains("HERE"))
        let caret = lines[2].count - 1
        #expect(Array(lines[1])[caret] == "H")
    }

    /// Found by review (issue 11, finding 9): a pattern with nested
    /// quantifiers backtracked exponentially on a default it does not match,
    /// and this 150-byte file ran for minutes. PCRE2's match limit stops it:
    /// the pattern is refused at its own line and column.
    @Test(.timeLimit(.minutes(1)))
    func nestedQuantifiersAgainstADefault() throws {
        let d = try validate(header("params:\n  p:\n    pattern: \"^(a+)+$\"\n    default: \"\(String(repeating: "a", count: 30))b\"\n")
                             + "steps:\n  - id: a\n    title: t\n    run: echo\n")
        #expect(d.count == 1)
        #expect(d.first?.message.hasPrefix("the pattern of 'p' (^(a+)+$) backtracks too much to check") == true)
        #expect(d.first?.message.hasSuffix("(checking the default)") == true)
        let lines = header("").split(separator: "\n", omittingEmptySubsequences: false).count
        #expect(d.first?.mark == Mark(line: lines + 2, column: 14))
    }

    /// Found by the runbook fuzzer: a file ending in a lone CR had its error
    /// after that CR, but the shown line had the CR stripped as if it were
    /// half of a CRLF.
    @Test func aLoneCarriageReturnEndingTheFileIsPartOfTheLastLine() throws {
        let text = "muster: 1\rname: fuzz\rtitle\n x []\r"
        let d = try validate(text)
        let source = SourceText(path: "f.yaml", bytes: Array(text.utf8))
        #expect(source.line(2) == " x []\r")
        #expect(d.map(\.mark) == [Mark(line: 2, column: 7)])
        // A CR before a line feed still ends the line with it.
        #expect(SourceText(path: "f.yaml", bytes: Array("a\r\nb\r".utf8)).line(1) == "a")
    }

    @Test func shortLinesAreShownWhole() {
        let source = SourceText(path: "f.yaml", bytes: [0xEF, 0xBB, 0xBF] + Array("títle: x\nbogus: 1\n".utf8))
        let printer = DiagnosticPrinter(style: Style(color: false, isTerminal: true))
        #expect(printer.render(Diagnostic(path: "f.yaml", mark: Mark(line: 2, column: 8), message: "m"), source: source)
                == "f.yaml:2:8: error: m\n  bogus: 1\n         ^")
        #expect(printer.render(Diagnostic(path: "f.yaml", mark: Mark(line: 1, column: 3), message: "m"), source: source)
                == "f.yaml:1:3: error: m\n  títle: x\n    ^")
        // Past the end of the line: the caret just after it.
        #expect(printer.render(Diagnostic(path: "f.yaml", mark: Mark(line: 2, column: 40), message: "m"), source: source)
                == "f.yaml:2:40: error: m\n  bogus: 1\n          ^")
    }

    @Test func boundedEditDistanceAgreesWithTheFullTable() {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<3000 {
            let a = (0..<Int.random(in: 0...9, using: &rng)).map { _ in UInt8.random(in: 97...100, using: &rng) }
            let b = (0..<Int.random(in: 0...9, using: &rng)).map { _ in UInt8.random(in: 97...100, using: &rng) }
            let d = editDistance(a, b)
            for limit in 0...4 {
                #expect(boundedEditDistance(a, b, limit: limit) == (d <= limit ? d : nil), "\(a) \(b) limit \(limit)")
            }
        }
    }
}
