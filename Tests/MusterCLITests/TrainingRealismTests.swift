import Foundation
import MusterTestSupport
import Testing

/// A training drill as the trainee meets it through the binary: the
/// scenario on screen (and for followers), a rung the drill makes
/// unavailable that does not answer, and the record file's score. The
/// scoring and the drill file's check are TrainingRealismEngineTests'.
@Suite("training drills: scenario and unavailable rungs")
struct TrainingRealismTests {
    static let runbook = FeatureRunbooks.training

    static let drill = FeatureRunbooks.trainingDrill

    func sandbox(drill: String = Self.drill) throws -> Sandbox {
        let s = try Sandbox(["failover": Self.runbook])
        try FileManager.default.createDirectory(atPath: s.dir + "/drills", withIntermediateDirectories: true)
        try drill.write(toFile: s.dir + "/drills/practice.yaml", atomically: true, encoding: .utf8)
        return s
    }

    @Test func theUnavailableRungDoesNotAnswerAndTheNextOneCounts() throws {
        let s = try sandbox()
        // At the failure menu: escalate to rung 1 (no answer), then to 2, then retry.
        let r = try s.run(["drill", "practice"], stdin: "e\n1\ne\n2\nr\n", env: ["NO_COLOR": "1"])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("SCENARIO\nIt is 03:10. The **primary region** is failing.\nThe secondary on-call is on a flight."), "\(r.stdout)")
        #expect(r.stdout.contains("Secondary on-call (PagerDuty platform-secondary) does not answer (this drill makes them unavailable): escalate again, to the next rung"), "\(r.stdout)")
        let escalated = try s.journal().filter { $0["event"] as? String == "escalated" }
        #expect(escalated.count == 2)
        #expect(escalated[0]["text"] as? String == "no answer" && escalated[1]["text"] == nil)
        let dir = s.dir + "/drills/records/practice"
        let name = try #require(try FileManager.default.contentsOfDirectory(atPath: dir).first)
        let record = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/" + name))) as! [String: Any]
        let escalations = try #require(record["escalations"] as? [[String: Any]])
        #expect(escalations.count == 2 && escalations[0]["answered"] as? Bool == false && escalations[1]["answered"] == nil)
        let training = try #require(record["training"] as? [String: Any])
        #expect(training["contact_ok"] as? Bool == true, "the first rung that answered counts: \(training)")
        #expect(training["escalated_within"] as? Bool == true)
        #expect(training["unanswered_escalations"] as? Int == 1 && training["went_on_after_no_answer"] as? Bool == true, "\(training)")
        #expect(record["environment"] as? String == "training", "unavailable rungs make it a training drill")
        // A mentor following the drill sees the scenario under the header.
        let follow = try s.run(["follow", try s.runID()], env: ["NO_COLOR": "1"])
        #expect(follow.status == 0, "\(follow.stdout)\(follow.stderr)")
        let header = follow.stdout.components(separatedBy: "[1/1]").first ?? ""
        #expect(header.contains("SCENARIO\nIt is 03:10. The **primary region** is failing."), "\(follow.stdout)")
    }
}
