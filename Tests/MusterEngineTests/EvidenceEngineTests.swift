import Foundation
@testable import MusterBasics
@testable import MusterFormat
@testable import MusterEngine
@testable import MusterJournal
@testable import MusterTesting
import MusterTestSupport
import Testing

/// A run's journal as the executor writes it to a real file, then altered,
/// cut, reordered or padded by hand, and checked as `muster verify RUN_ID`
/// checks it: each kind of tampering is named at its event. The CLI's part
/// (`verify` over the state folder, its exit status, a journal from before
/// chaining resumed, records against their journals, bundles, traces)
/// stays in EvidenceTests.
@Suite("drill evidence: a tampered journal, in-process")
struct EvidenceEngineTests {
    /// The lines of the journal of the evidence runbook run to the end.
    func journal() throws -> [String] {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("muster-evidence-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let path = dir + "/journal.jsonl"
        let file = try FileJournal(path: path)
        let console = FakeConsole(["y", "y", "y"])
        // The snapshot step finds one 30 minutes old.
        let runner = FakeRunner { $0.contains("snapshot_time=") ? (0, ["snapshot_time=2026-11-27T08:30:00Z"]) : (0, []) }
        let outcome = executor(try loadRunbook(FeatureRunbooks.evidence, name: "failover"), journal: file, console: console, runner: runner)
            .execute(resumed: false)
        #expect(outcome == .completed, "\(console.text)")
        try file.settle()
        return try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
    }

    func verify(_ lines: [String]) -> JournalVerification {
        JournalVerifier.verify(Array((lines.joined(separator: "\n") + "\n").utf8))
    }

    @Test func anUntouchedJournalIsIntactFromItsFirstLine() throws {
        let lines = try journal()
        #expect(lines.count > 5)
        #expect(lines.allSatisfy { $0.range(of: #","hash":"[0-9a-f]{64}"\}$"#, options: .regularExpression) != nil }, "\(lines)")
        let v = verify(lines)
        #expect(v.intact && v.lines == lines.count && v.chainStartsAt == 1, "\(v)")
    }

    @Test("an altered, removed, reordered or inserted event is named", arguments: ["alter", "remove", "reorder", "insert", "rehash"])
    func tamperingIsCaught(how: String) throws {
        var lines = try journal()
        switch how {
        case "alter":
            lines[3] = lines[3].replacingOccurrences(of: #""seq":4"#, with: #""seq":4,"note":"x""#)
                .replacingOccurrences(of: "\"at\":\"", with: "\"at\":\"1")
        case "remove":
            lines.remove(at: 3)
        case "reorder":
            lines.swapAt(3, 4)
        case "insert":
            lines.insert(lines[3], at: 4)
        default:
            // The hash of the altered line recomputed by hand: the next line's link breaks.
            lines[3] = lines[3].replacingOccurrences(of: "\"at\":\"", with: "\"at\":\"1")
        }
        let v = verify(lines)
        #expect(!v.intact)
        let problem = try #require(v.problem)
        switch how {
        case "alter", "rehash": #expect(problem.contains("event 4 ") && problem.contains("was altered"), "\(problem)")
        case "remove": #expect(problem.contains("event 4 is missing before event 5"), "\(problem)")
        default: #expect(problem.contains("out of order"), "\(problem)")
        }
    }
}
