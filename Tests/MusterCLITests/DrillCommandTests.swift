import Foundation
import MusterTestSupport
import Testing

/// `muster drill` through the built binary: records on disk in the
/// documented shape, aborted and resumed drills, JUnit, usage errors. A
/// rehearsal with a fault is DrillCommandEngineTests' in-process.
@Suite("muster drill")
struct DrillCommandTests {
    static let runbook = FeatureRunbooks.drillCommand

    static let drill = FeatureRunbooks.drillCommandDrill

    func sandbox(drill: String = Self.drill) throws -> Sandbox {
        let s = try Sandbox(["failover": Self.runbook])
        try FileManager.default.createDirectory(atPath: s.dir + "/drills", withIntermediateDirectories: true)
        try drill.write(toFile: s.dir + "/drills/failover-drill.yaml", atomically: true, encoding: .utf8)
        return s
    }

    func records(_ s: Sandbox) throws -> [(name: String, json: [String: Any])] {
        let dir = s.dir + "/drills/records/failover-drill"
        return try FileManager.default.contentsOfDirectory(atPath: dir).sorted().map { name in
            let data = try Data(contentsOf: URL(fileURLWithPath: dir + "/" + name))
            return (name, try JSONSerialization.jsonObject(with: data) as! [String: Any])
        }
    }

    @Test func aDrillWritesItsRecordInTheDocumentedShape() throws {
        let s = try sandbox()
        let r = try s.run(["drill", "failover-drill", "--junit", "junit.xml"], stdin: "y\ny\ny\n")
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("DRILL failover-drill"))
        #expect(r.stdout.contains("RTO 20m met"))
        #expect(try String(contentsOfFile: s.dir + "/created.txt", encoding: .utf8) == "created in eu-north-1\n")
        let recs = try records(s)
        #expect(recs.count == 1)
        let (name, rec) = try #require(recs.first)
        #expect(name.range(of: #"^\d{8}T\d{6}Z\.json$"#, options: .regularExpression) != nil, "\(name)")
        let keys = ["muster", "drill", "runbook", "runbook_path", "runbook_commit", "runbook_dirty", "mode", "operator", "started_at",
                    "finished_at", "outcome", "elapsed_seconds", "rto_seconds", "rto_met", "steps", "escalations", "faults", "training"]
        for k in keys { #expect(rec.keys.contains(k), "record lacks \(k)") }
        #expect(rec["drill"] as? String == "failover-drill")
        #expect(rec["runbook"] as? String == "failover")
        #expect(rec["runbook_path"] as? String == "runbooks/failover.yaml")
        #expect(rec["mode"] as? String == "live")
        #expect(rec["outcome"] as? String == "recovered")
        #expect(rec["rto_seconds"] as? Int == 1200)
        #expect(rec["rto_met"] as? Bool == true)
        let steps = try #require(rec["steps"] as? [[String: Any]])
        #expect(steps.map { $0["id"] as? String } == ["declare", "create", "verify"])
        #expect(steps.map { $0["kind"] as? String } == ["manual", "run", "manual"])
        #expect(steps[1]["expect_seconds"] as? Int == 60)
        #expect(steps[1]["attempts"] as? Int == 1)
        #expect((rec["started_at"] as? String)?.hasSuffix("Z") == true)
        let junit = try String(contentsOfFile: s.dir + "/junit.xml", encoding: .utf8)
        #expect(junit.contains(#"<testcase classname="failover-drill" name="create""#))
    }

    @Test func anAbortedDrillLeavesARecordAndItsResumeRewritesTheSameOne() throws {
        let s = try sandbox()
        let first = try s.run(["drill", "failover-drill"], stdin: "y\na\n")
        #expect(first.status == 3, "\(first.stdout)\(first.stderr)")
        var recs = try records(s)
        #expect(recs.count == 1)
        #expect(recs.first?.json["outcome"] as? String == "aborted")
        #expect(recs.first?.json["rto_met"] as? Bool == false)
        let name = try #require(recs.first?.name)

        let resumed = try s.run(["resume"], stdin: "y\ny\n")
        #expect(resumed.status == 0, "\(resumed.stdout)\(resumed.stderr)")
        #expect(resumed.stdout.contains("DRILL failover-drill"))
        recs = try records(s)
        #expect(recs.map(\.name) == [name])
        #expect(recs.first?.json["outcome"] as? String == "recovered")
        let steps = try #require(recs.first?.json["steps"] as? [[String: Any]])
        #expect(steps.map { $0["id"] as? String } == ["declare", "create", "verify"])
    }

    @Test func recordsDirAndParameterOverrides() throws {
        let s = try sandbox()
        let r = try s.run(["drill", "drills/failover-drill.yaml", "--yes", "--records-dir", "out", "-p", "region=eu-central-1"])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stderr.contains("-p region overrides the drill's value 'eu-north-1'"))
        let files = try FileManager.default.contentsOfDirectory(atPath: s.dir + "/out/failover-drill")
        #expect(files.count == 1)
        #expect(!FileManager.default.fileExists(atPath: s.dir + "/drills/records"))
    }

    @Test func unknownDrillsAndRunbooksAreUsageErrors() throws {
        let s = try sandbox()
        let unknown = try s.run(["drill", "failover-dril"])
        #expect(unknown.status == 2)
        #expect(unknown.stderr.contains("no drill 'failover-dril'"))
        #expect(unknown.stderr.contains("Did you mean 'failover-drill'?"))
        let notADrill = try s.run(["drill", "runbooks/failover.yaml"])
        #expect(notADrill.status == 2)
        #expect(notADrill.stderr.contains("is a runbook, not a drill; use `muster run`"))
        let notARunbook = try s.run(["run", "drills/failover-drill.yaml"])
        #expect(notARunbook.status == 2)
        #expect(notARunbook.stderr.contains("is a drill, not a runbook"))
    }

    @Test func aRecordThatCouldNotBeWrittenIsWrittenByResumeOnceTheFolderIsFixed() throws {
        let s = try sandbox()
        // The records folder's parent is a file: the folder cannot be made.
        try "".write(toFile: s.dir + "/blocker", atomically: true, encoding: .utf8)
        let r = try s.run(["drill", "failover-drill", "--yes", "--records-dir", "blocker/records"])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stderr.contains("could not write the drill record: cannot create the folder"), "\(r.stderr)")
        #expect(r.stderr.contains("Not a directory"))
        let runID = try #require(r.stderr.components(separatedBy: "`muster resume ").last?.components(separatedBy: "`").first)
        try FileManager.default.removeItem(atPath: s.dir + "/blocker")
        let again = try s.run(["resume", runID])
        #expect(again.status == 0, "\(again.stdout)\(again.stderr)")
        #expect(again.stderr.contains("already finished (completed); writing its drill record again"))
        let files = try FileManager.default.contentsOfDirectory(atPath: s.dir + "/blocker/records/failover-drill")
        #expect(files.count == 1)
        #expect(!again.stdout.contains("[1/3]"), "nothing runs again")
    }

    /// Issue 11: two drills started in the same second named their records
    /// alike and the second replaced the first. The contract: a name already
    /// taken by another drill gets `-2`, `-3`; a resumed drill rewrites its own.
    @Test func aRecordNeverReplacesAnotherDrillsRecordOfTheSameSecond() throws {
        let s = try sandbox()
        let r = try s.run(["drill", "failover-drill", "--yes"])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        let (name, rec) = try #require(try records(s).first)
        let runID = try #require(rec["run_id"] as? String)
        // Another drill of the same second wrote this name first.
        let path = s.dir + "/drills/records/failover-drill/" + name
        let text = try String(contentsOfFile: path, encoding: .utf8)
        try text.replacingOccurrences(of: runID, with: "another-run").write(toFile: path, atomically: true, encoding: .utf8)
        for _ in 0..<2 {
            let again = try s.run(["resume", runID])
            #expect(again.status == 0, "\(again.stdout)\(again.stderr)")
        }
        let recs = try records(s)
        let stem = String(name.dropLast(".json".count))
        #expect(recs.map(\.name).sorted() == ["\(stem)-2.json", name], "the other drill's record is kept, and resuming twice rewrites one file")
        #expect(recs.first { $0.name == name }?.json["run_id"] as? String == "another-run")
        #expect(recs.first { $0.name == "\(stem)-2.json" }?.json["run_id"] as? String == runID)
    }
}
