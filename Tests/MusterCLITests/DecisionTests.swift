import Foundation
import MusterTestSupport
import Testing

/// `decide:` steps as an operator meets them through a pipe: the option
/// by name or number, then why; the option steers `when:` and templates;
/// the decision is journaled, goes into the drill record with how long it
/// took, survives a resume, and `--yes` never makes it.
@Suite("decide: decisions on the record")
struct DecisionTests {
    static let runbook = """
    muster: 1
    name: failover
    title: Failover
    rto: 30m
    steps:
      - id: declare
        title: Declare
        manual: [Open the incident]
      - id: go-no-go
        title: Fail over now?
        decide:
          options: [failover, wait-15m, abort]
      - id: switch
        title: Switch ({{ go-no-go }})
        when: go-no-go == "failover"
        run: echo "switched after $0" > switched.txt
      - id: hold
        title: Hold
        when: go-no-go != "failover"
        run: touch held.txt
    """

    func sandbox() throws -> Sandbox {
        let s = try Sandbox(["failover": Self.runbook])
        try FileManager.default.createDirectory(atPath: s.dir + "/drills", withIntermediateDirectories: true)
        try "muster: 1\ndrill: failover-drill\nrunbook: failover\n".write(toFile: s.dir + "/drills/failover-drill.yaml", atomically: true, encoding: .utf8)
        return s
    }

    @Test func theOptionAndItsReasonSteerTheRunAndGoIntoTheRecord() throws {
        let s = try sandbox()
        // A word that is no option is asked again; the number picks the first.
        let r = try s.run(["drill", "failover-drill"], stdin: "y\nfail over\n1\n\nthe primary region's API is gone\n", env: ["NO_COLOR": "1"])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("Decide: 1 failover · 2 wait-15m · 3 abort"), "\(r.stdout)")
        #expect(r.stdout.contains("not understood: answer one of failover, wait-15m, abort (or its number 1-3)"), "\(r.stdout)")
        #expect(r.stdout.contains("say in one line why failover"), "an empty reason is asked again: \(r.stdout)")
        #expect(r.stdout.contains("Switch (failover)"))
        #expect(s.exists("switched.txt") && !s.exists("held.txt"))
        let decision = try #require(try s.journal().first { $0["event"] as? String == "decision" })
        #expect(decision["step"] as? String == "go-no-go" && decision["value"] as? String == "failover")
        #expect(decision["text"] as? String == "the primary region's API is gone")
        let dir = s.dir + "/drills/records/failover-drill"
        let name = try #require(try FileManager.default.contentsOfDirectory(atPath: dir).first)
        let record = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/" + name))) as! [String: Any]
        let decisions = try #require(record["decisions"] as? [[String: Any]])
        #expect(decisions.count == 1)
        #expect(decisions[0]["step"] as? String == "go-no-go" && decisions[0]["option"] as? String == "failover")
        #expect(decisions[0]["reason"] as? String == "the primary region's API is gone")
        #expect((decisions[0]["by"] as? String)?.isEmpty == false)
        #expect((decisions[0]["waited_seconds"] as? Double ?? -1) >= 0)
        #expect(record["time_to_decide_seconds"] as? Double == decisions[0]["at_seconds"] as? Double)
    }

    @Test func yesNeverDecidesAndTheDecisionIsAskedOnResume() throws {
        let s = try sandbox()
        let r = try s.run(["run", "failover", "--yes"])
        #expect(r.status == 3, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("'go-no-go' is a decision and --yes never decides"), "\(r.stdout)")
        #expect(try s.journal().contains { $0["event"] as? String == "decision" } == false)
        // The option alone, with no reason, decides nothing.
        let half = try s.run(["resume"], stdin: "wait-15m\n")
        #expect(half.status == 3, "\(half.stdout)\(half.stderr)")
        #expect(try s.journal().contains { $0["event"] as? String == "decision" } == false)
        let done = try s.run(["resume"], stdin: "WAIT-15M\nthe replica is still catching up\n")
        #expect(done.status == 0, "\(done.stdout)\(done.stderr)")
        #expect(s.exists("held.txt") && !s.exists("switched.txt"))
        let decisions = try s.journal().filter { $0["event"] as? String == "decision" }
        #expect(decisions.count == 1 && decisions[0]["value"] as? String == "wait-15m", "the option as the runbook spells it")
        // The incident run's report and postmortem draft carry it.
        let report = try s.run(["report", try s.runID()], env: ["NO_COLOR": "1"])
        #expect(report.status == 0, "\(report.stderr)")
        #expect(report.stdout.contains("go-no-go: wait-15m (the replica is still catching up)"), "\(report.stdout)")
        let postmortem = try s.run(["report", try s.runID(), "--postmortem"])
        #expect(postmortem.stdout.contains("go-no-go: decided wait-15m: the replica is still catching up"), "\(postmortem.stdout)")
    }

    @Test func aConditionOnAnOptionTheDecisionDoesNotHaveIsAnError() throws {
        let s = try Sandbox(["failover": Self.runbook.replacingOccurrences(of: "when: go-no-go == \"failover\"", with: "when: go-no-go == \"fail-over\"")
            .replacingOccurrences(of: "options: [failover, wait-15m, abort]", with: "options: [failover, wait-15m, failover, 2nd]")])
        let r = try s.run(["validate"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("runbooks/failover.yaml:12:37: error: option 'failover' is listed twice"), "\(r.stderr)")
        #expect(r.stderr.contains("runbooks/failover.yaml:12:47: error: option '2nd' must be lower-case letters"), "\(r.stderr)")
        #expect(r.stderr.contains("\"fail-over\" is not one of the choices for 'go-no-go' (did you mean 'failover'?)"), "\(r.stderr)")
    }

    /// In a drill, `default_after` takes the default when nobody decides
    /// in time: the trainee's stdin stays open and says nothing.
    @Test func aDrillTakesTheDefaultWhenNobodyDecidesInTime() throws {
        let s = try Sandbox(["failover": Self.runbook.replacingOccurrences(of: "options: [failover, wait-15m, abort]",
                                                                          with: "options: [failover, wait-15m, abort]\n      default: wait-15m\n      default_after: 1s")
            .replacingOccurrences(of: "manual: [Open the incident]", with: "run: 'true'")])
        try FileManager.default.createDirectory(atPath: s.dir + "/drills", withIntermediateDirectories: true)
        try "muster: 1\ndrill: failover-drill\nrunbook: failover\n".write(toFile: s.dir + "/drills/failover-drill.yaml", atomically: true, encoding: .utf8)
        let out = try sh("{ sleep 4; } | \"$MUSTER\" drill failover-drill; echo \"exit=$?\"", cwd: s.dir, env: ["MUSTER": musterBinary, "NO_COLOR": "1"])
        #expect(out.contains("exit=0"), "\(out)")
        #expect(out.contains("decided: wait-15m (nobody decided within 1s: the drill took its default)"), "\(out)")
        #expect(s.exists("held.txt") && !s.exists("switched.txt"))
        let decision = try #require(try s.journal().first { $0["event"] as? String == "decision" })
        #expect(decision["value"] as? String == "wait-15m" && decision["by"] as? String == "muster (default_after)" && decision["auto"] == nil)
        #expect(!out.contains("Unattended"), "nobody gave --yes: \(out)")
        // A run is no drill: there the question waits for a person.
        let run = try s.run(["run", "failover"])
        #expect(run.status == 3 && run.stdout.contains("answers ran out"), "\(run.stdout)")
        let bad = try Sandbox(["failover": Self.runbook.replacingOccurrences(of: "options: [failover, wait-15m, abort]",
                                                                            with: "options: [failover, wait-15m, abort]\n      default: wait15m")])
        let v = try bad.run(["validate"])
        #expect(v.stderr.contains("default 'wait15m' is not one of the options (did you mean 'wait-15m'?)"), "\(v.stderr)")
        #expect(v.stderr.contains("'default' and 'default_after' go together"), "\(v.stderr)")
    }
}
