import Foundation
import MusterTestSupport
import Testing

/// `muster drill DRILL --replay RUN_ID` as a trainee meets it: the steps
/// reply what they replied to the on-call, checked on the stand-ins' own
/// logs to have run nothing (no command, no request), and the record
/// compares the trainee with what happened.
@Suite("muster drill --replay")
struct ReplayDrillTests {
    static func runbook(_ base: String) -> String {
        """
        muster: 1
        name: failover
        title: Failover
        rto: 30m
        steps:
          - id: lag
            title: Measure the replica lag
            run: echo "lag=42" && echo ran >> commands.txt
            outputs:
              lag: {regex: 'lag=([0-9]+)', type: int}
          - id: health
            title: The public check
            http:
              url: \(base)/status/503
            retries: 1
            retry_delay: 1s
          - id: promote
            title: Promote (lag {{ lag }})
            run: echo promoted >> commands.txt
        """
    }

    @Test func aReplayRunsNothingRepliesAsBeforeAndIsScoredAgainstIt() throws {
        let dir = try temporaryDirectory()
        let requests = dir + "/requests.log"
        let server = try HTTPTestServer(environment: ["REQUEST_LOG": requests])
        let s = try Sandbox(["failover": Self.runbook(server.base)])
        try FileManager.default.createDirectory(atPath: s.dir + "/drills", withIntermediateDirectories: true)
        try "muster: 1\ndrill: practice\nrunbook: failover\n".write(toFile: s.dir + "/drills/practice.yaml", atomically: true, encoding: .utf8)
        // The on-call's night: the check failed twice, they skipped it.
        let original = try s.run(["run", "failover"], stdin: "s the CDN answers for us\n", env: ["NO_COLOR": "1"])
        #expect(original.status == 0, "\(original.stdout)\(original.stderr)")
        let originalID = try s.runID()
        #expect(try String(contentsOfFile: s.dir + "/commands.txt", encoding: .utf8) == "ran\npromoted\n")
        let requestsBefore = try String(contentsOfFile: requests, encoding: .utf8)
        #expect(requestsBefore == "GET /status/503\nGET /status/503\n")
        try FileManager.default.removeItem(atPath: s.dir + "/commands.txt")

        // The trainee meets the same failure, retries once more, then skips too.
        let r = try s.run(["drill", "practice", "--replay", originalID], stdin: "r\ns as the on-call did\n", env: ["NO_COLOR": "1"])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("REPLAY of run \(originalID)"), "\(r.stdout)")
        #expect(r.stdout.contains("Promote (lag 42)"), "the replayed output is read as the output: \(r.stdout)")
        #expect(r.stdout.contains("status 503"), "\(r.stdout)")
        #expect(!FileManager.default.fileExists(atPath: s.dir + "/commands.txt"), "no command ran")
        #expect(try String(contentsOfFile: requests, encoding: .utf8) == requestsBefore, "no request was sent")

        let records = s.dir + "/drills/records/practice"
        let name = try #require(try FileManager.default.contentsOfDirectory(atPath: records).first)
        let record = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: records + "/" + name))) as! [String: Any]
        #expect(record["environment"] as? String == "training")
        let replay = try #require(record["replay"] as? [String: Any])
        #expect(replay["run_id"] as? String == originalID)
        #expect(replay["original_outcome"] as? String == "recovered" && replay["same_outcome"] as? Bool == true, "\(replay)")
        #expect(replay["steps_differing"] as? [String] == [], "\(replay)")
        #expect(replay["original_elapsed_seconds"] is Double)
    }

    @Test func aRunOfAnotherRunbookOrNoRunIsRefusedBeforeAnythingStarts() throws {
        let s = try Sandbox(["failover": Self.runbook("http://127.0.0.1:9"), "other": "muster: 1\nname: other\ntitle: Other\nsteps:\n  - {id: a, title: A, manual: [Do it]}\n"])
        try FileManager.default.createDirectory(atPath: s.dir + "/drills", withIntermediateDirectories: true)
        try "muster: 1\ndrill: practice\nrunbook: failover\n".write(toFile: s.dir + "/drills/practice.yaml", atomically: true, encoding: .utf8)
        _ = try s.run(["run", "other"], stdin: "y\n")
        let other = try s.runID()
        let r = try s.run(["drill", "practice", "--replay", other])
        #expect(r.status == 2, "\(r.stdout)\(r.stderr)")
        #expect(r.stderr.contains("run \(other) is a run of runbook 'other', not 'failover'"), "\(r.stderr)")
        let none = try s.run(["drill", "practice", "--replay", "20991231T000000Z-failover"])
        #expect(none.status == 2 && none.stderr.contains("no run 20991231T000000Z-failover in"), "\(none.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: s.dir + "/.muster/runs").count == 1, "nothing started")
    }
}
