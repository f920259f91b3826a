import Foundation
@testable import MusterBasics
@testable import MusterFormat
@testable import MusterEngine
@testable import MusterTesting
import Testing

/// The fixture repositories: `valid/` must produce no diagnostics at all;
/// every file in `invalid/` is paired with `NAME.errors`, the exact
/// diagnostics `muster validate` prints for it (one per line, relative paths).
/// `MUSTER_RECORD=1 swift test` rewrites the goldens from the actual output;
/// read every changed line before committing it.
@Suite("Validator fixtures")
struct GoldenTests {
    /// Valid runbooks in `invalid/` that the other fixtures include or drill.
    static let helpers: Set<String> = ["runbooks/target.yaml"]

    static let validFiles = Fixtures.yamlFiles(in: "valid")
    static let invalidFiles = Fixtures.yamlFiles(in: "invalid")

    @Test func fixturesAreFound() {
        // Guards the parameterized tests below against running on nothing.
        #expect(Self.validFiles.count == 6)
        #expect(Self.invalidFiles.count >= 29)
        #expect(Self.invalidFiles.contains("drills/drill-checks.yaml"))
    }

    @Test("valid fixtures produce no diagnostics", arguments: validFiles)
    func valid(file: String) throws {
        let c = catalog(for: "valid")
        let entry = c.load(Paths.join(Fixtures.path("valid"), file))
        #expect(entry.document != nil)
        #expect(problems(of: file, in: "valid").map(\.formatted) == [])
        if file.hasPrefix("drills/") {
            #expect(entry.drill != nil)
        } else {
            #expect(entry.runbook != nil)
        }
    }

    @Test("invalid fixtures match their golden .errors", arguments: invalidFiles)
    func invalid(file: String) throws {
        let actual = problems(of: file, in: "invalid").map(\.formatted)
        let golden = String(file.dropLast(".yaml".count)) + ".errors"
        if Fixtures.recording {
            let out = actual.map { $0 + "\n" }.joined()
            try out.write(toFile: Paths.join(Paths.join(Fixtures.sourceRoot, "invalid"), golden), atomically: true, encoding: .utf8)
            // Recording is never a pass: a run that records checks nothing.
            Issue.record("recorded \(golden); run again without MUSTER_RECORD to check it")
        } else {
            let path = Paths.join(Fixtures.path("invalid"), golden)
            let text = try #require(try? String(contentsOfFile: path, encoding: .utf8), "missing golden \(golden); record it with MUSTER_RECORD=1")
            let expected = text.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
            #expect(actual == expected, "\(file) differs from \(golden)")
        }
        if Self.helpers.contains(file) {
            #expect(actual.isEmpty, "helper \(file) must stay valid")
        } else {
            #expect(!actual.isEmpty, "\(file) is in invalid/ but reports nothing")
            #expect(actual.allSatisfy { $0.hasPrefix(file + ":") }, "diagnostics name their own file")
        }
    }

    @Test func everyGoldenHasItsFixture() throws {
        let base = Fixtures.path("invalid")
        var goldens: [String] = []
        for dir in ["runbooks", "drills"] {
            let names = try FileManager.default.contentsOfDirectory(atPath: Paths.join(base, dir))
            goldens += names.filter { $0.hasSuffix(".errors") }.map { "\(dir)/\($0)" }
        }
        let yaml = Set(Self.invalidFiles.map { String($0.dropLast(".yaml".count)) })
        #expect(goldens.count == Self.invalidFiles.count)
        for g in goldens {
            #expect(yaml.contains(String(g.dropLast(".errors".count))), "orphan golden \(g)")
        }
    }
}
