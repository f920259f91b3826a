import Foundation
import MusterTestSupport
import Testing

/// `decide:` steps end to end: a drill answered through a pipe, its exit
/// status, the record file it writes and the report of its run. What the
/// engine decides (options, reasons, `--yes`, resume, `default_after`) and
/// what validate says of a decision are DecisionEngineTests'.
@Suite("decide: decisions on the record")
struct DecisionTests {
    static let runbook = FeatureRunbooks.decision

    func sandbox() throws -> Sandbox {
        let s = try Sandbox(["failover": Self.runbook])
        try FileManager.default.createDirectory(atPath: s.dir + "/drills", withIntermediateDirectories: true)
        try "muster: 1\ndrill: failover-drill\nrunbook: failover\n".write(toFile: s.dir + "/drills/failover-drill.yaml", atomically: true, encoding: .utf8)
        return s
    }

    @Test func aDrillDecidesThroughAPipeAndItsRecordAndReportCarryTheDecision() throws {
        let s = try sandbox()
        // A word that is no option is asked again; the number picks the first.
        let r = try s.run(["drill", "failover-drill"], stdin: "y\nfail over\n1\n\nthe primary region's API is gone\n", env: ["NO_COLOR": "1"])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("Decide: 1 failover · 2 wait-15m · 3 abort"), "\(r.stdout)")
        #expect(r.stdout.contains("not understood: answer one of failover, wait-15m, abort (or its number 1-3)"), "\(r.stdout)")
        #expect(r.stdout.contains("Switch (failover)"))
        #expect(s.exists("switched.txt") && !s.exists("held.txt"))
        let dir = s.dir + "/drills/records/failover-drill"
        let name = try #require(try FileManager.default.contentsOfDirectory(atPath: dir).first)
        let record = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/" + name))) as! [String: Any]
        let decisions = try #require(record["decisions"] as? [[String: Any]])
        #expect(decisions.count == 1)
        #expect(decisions[0]["step"] as? String == "go-no-go" && decisions[0]["option"] as? String == "failover")
        #expect(decisions[0]["reason"] as? String == "the primary region's API is gone")
        #expect((decisions[0]["by"] as? String)?.isEmpty == false)
        #expect(record["time_to_decide_seconds"] as? Double == decisions[0]["at_seconds"] as? Double)
        // The run's report and postmortem draft carry it.
        let report = try s.run(["report", try s.runID()], env: ["NO_COLOR": "1"])
        #expect(report.status == 0, "\(report.stderr)")
        #expect(report.stdout.contains("go-no-go: failover (the primary region's API is gone)"), "\(report.stdout)")
        let postmortem = try s.run(["report", try s.runID(), "--postmortem"])
        #expect(postmortem.stdout.contains("go-no-go: decided failover: the primary region's API is gone"), "\(postmortem.stdout)")
    }
}
