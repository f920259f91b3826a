import Foundation
import MusterBasics
import MusterDrills
import MusterTestSupport
import Testing

@Suite("the critical path in drills, reports and forecasts")
struct CriticalPathCLITests {
    static let parallel = """
    muster: 1
    name: par
    title: Parallel drill
    rto: 10m
    steps:
      - {id: prep, title: Prep, run: 'true'}
      - id: both
        title: Both at once
        parallel:
          branches:
            - {id: short, title: Short, run: 'sleep 1'}
            - id: long
              title: Long
              steps:
                - {id: one, title: One, run: 'sleep 1'}
                - {id: two, title: Two, run: 'sleep 1'}
      - {id: end, title: End, run: 'true'}
    """

    @Test func aDrillWithAParallelStepRecordsTheLongerBranchAsTheCriticalPath() throws {
        let s = try Sandbox(["par": Self.parallel])
        try FileManager.default.createDirectory(atPath: s.dir + "/drills", withIntermediateDirectories: true)
        try "muster: 1\ndrill: par-drill\nrunbook: par\n".write(toFile: s.dir + "/drills/par-drill.yaml", atomically: true, encoding: .utf8)
        let d = try s.run(["drill", "par-drill"])
        #expect(d.status == 0, "\(d.stdout)\(d.stderr)")
        let dir = s.dir + "/drills/records/par-drill"
        let file = dir + "/" + (try FileManager.default.contentsOfDirectory(atPath: dir).first ?? "")
        let record = try JSONDecoder().decode(DrillRecord.self, from: Data(contentsOf: URL(fileURLWithPath: file)))
        // Two seconds of `long` beside one of `short`.
        #expect(record.criticalPath == ["prep", "both/long/one", "both/long/two", "end"])
        let leaves = ["prep", "both/short", "both/long/one", "both/long/two", "end"]
        let sum = record.steps.filter { leaves.contains($0.id) }.reduce(0) { $0 + $1.seconds }
        let serial = try #require(record.serialSeconds)
        #expect(abs(serial - sum) < 0.3, "serial \(serial), steps \(sum)")
        #expect(serial >= 3)
        #expect(d.stdout.contains("Critical path "), "\(d.stdout)")
        #expect(d.stdout.contains(": prep → both/long/one → both/long/two → end"), "\(d.stdout)")
        let ok = try s.run(["verify", file])
        #expect(ok.status == 0 && ok.stdout.contains("matches its journal"), "\(ok.stdout)\(ok.stderr)")
        let report = try s.run(["report", "par-drill"])
        #expect(report.stdout.contains("critical path ") && report.stdout.contains("at the last run: prep → both/long/one → both/long/two → end"), "\(report.stdout)")
    }

    /// A record written by hand: `p` ran `a` (3 s) beside `b` (5 s).
    static func handMadeRecord(_ s: Sandbox) throws {
        func step(_ id: String, _ seconds: Double, at: String, parent: String?) -> DrillRecord.StepTiming {
            var t = DrillRecord.StepTiming(id: id, kind: parent == nil && id == "p" ? "parallel" : "run", outcome: "done", startedAt: at,
                                           seconds: seconds, attempts: 1, expectSeconds: nil, overExpect: false)
            t.parent = parent
            return t
        }
        var r = DrillRecord(drill: "d", runbook: "par", runbookPath: "runbooks/par.yaml", runbookCommit: nil, runbookDirty: false, mode: "live",
                            operatorName: "alice", startedAt: "2026-11-27T09:00:00Z", finishedAt: "2026-11-27T09:00:07Z", outcome: .recovered,
                            elapsedSeconds: 7, rtoSeconds: 600, rtoMet: true,
                            steps: [step("first", 1, at: "2026-11-27T09:00:00Z", parent: nil), step("p", 5, at: "2026-11-27T09:00:01Z", parent: nil),
                                    step("p/a", 3, at: "2026-11-27T09:00:01Z", parent: "p"), step("p/b", 5, at: "2026-11-27T09:00:01Z", parent: "p"),
                                    step("last", 1, at: "2026-11-27T09:00:06Z", parent: nil)],
                            escalations: [], faults: [], training: nil, runID: nil)
        r.criticalPath = ["first", "p/b", "last"]
        r.serialSeconds = 10
        try FileManager.default.createDirectory(atPath: s.dir + "/drills/records/d", withIntermediateDirectories: true)
        try (r.json.serialized(pretty: true) + "\n").write(toFile: s.dir + "/drills/records/d/20261127T090000Z.json", atomically: true, encoding: .utf8)
    }

    @Test func theReportSaysWhatTheCriticalPathWasAndWhatRunningInParallelSaved() throws {
        let s = try Sandbox(["par": Self.parallel])
        try Self.handMadeRecord(s)
        let text = try s.run(["report", "d"])
        #expect(text.status == 0, "\(text.stdout)\(text.stderr)")
        #expect(text.stdout.contains("  path     critical path 7s at the last run: first → p/b → last\n"), "\(text.stdout)")
        #expect(text.stdout.contains("           running in parallel saved 3s (the steps add up to 10s)\n"), "\(text.stdout)")
        let json = try s.run(["report", "d", "--json"])
        #expect(json.stdout.contains(#""critical_path": ["#) && json.stdout.contains(#""critical_path_seconds": 7"#) && json.stdout.contains(#""serial_seconds": 10"#), "\(json.stdout)")

        let page = s.dir + "/report.html"
        let html = try s.run(["report", "d", "--html", page])
        #expect(html.status == 0, "\(html.stdout)\(html.stderr)")
        let h = try String(contentsOfFile: page, encoding: .utf8)
        #expect(h.contains("<dt>Path</dt><dd>critical path <strong>7s</strong> at the last run: first → p/b → last; running in parallel saved <span class=\"good\">3s</span>"))
        // Each step on its row; the critical path's marked, and named in the legend.
        #expect(h.components(separatedBy: "<g class=\"step ok critical\">").count - 1 == 3)
        #expect(h.contains("<g class=\"step ok\"><title>p/a: done"))
        #expect(h.contains("<span class=\"key critical\"><i></i>on the critical path</span>"))
        #expect(h.contains(" · critical path 7s · running in parallel saved 3s</figcaption>"))
    }

    static let failover = """
    muster: 1
    name: failover
    title: Failover
    rto: 1h15m
    steps:
      - {id: declare, title: Declare, manual: [Open the incident]}
      - id: rebuild
        title: Rebuild
        parallel:
          branches:
            - {id: cluster, title: Cluster, run: create, expect: 12m}
            - id: database
              title: Database
              steps:
                - {id: snapshot, title: Snapshot, run: snap, expect: 5m}
                - {id: restore, title: Restore, run: restore, expect: 30m}
      - {id: switch, title: Switch, run: switch, expect: 4m}
    """

    @Test func showForecastGivesTheCriticalPathAgainstTheRTOFromExpectAndPastDrills() throws {
        let s = try Sandbox(["failover": Self.failover])
        let text = try s.run(["show", "failover", "--forecast"])
        #expect(text.status == 0, "\(text.stdout)\(text.stderr)")
        #expect(text.stdout.hasPrefix("failover: forecast 39m (critical path: declare → rebuild/database/snapshot → rebuild/database/restore → switch), RTO 1h15m: within by 36m\n"), "\(text.stdout)")
        #expect(text.stdout.contains("  rebuild/cluster            12m       expect\n"), "\(text.stdout)")
        #expect(text.stdout.contains("  declare                    ?         no drill record, no expect  (critical path)\n"), "\(text.stdout)")
        #expect(text.stdout.contains("Running in parallel saves 12m: the steps add up to 51m."))

        // A drill of it took 70 minutes to restore: the forecast goes over.
        var r = DrillRecord(drill: "failover-q", runbook: "failover", runbookPath: "runbooks/failover.yaml", runbookCommit: nil, runbookDirty: false,
                            mode: "live", operatorName: "alice", startedAt: "2026-11-27T09:00:00Z", finishedAt: "2026-11-27T10:00:00Z",
                            outcome: .recovered, elapsedSeconds: 3600, rtoSeconds: 4500, rtoMet: true,
                            steps: [.init(id: "rebuild/database/restore", kind: "run", outcome: "done", startedAt: nil, seconds: 4200, attempts: 1,
                                          expectSeconds: 1800, overExpect: true)],
                            escalations: [], faults: [], training: nil, runID: nil)
        r.steps[0].parent = "rebuild/database"
        try FileManager.default.createDirectory(atPath: s.dir + "/drills/records/failover-q", withIntermediateDirectories: true)
        try (r.json.serialized(pretty: true) + "\n").write(toFile: s.dir + "/drills/records/failover-q/20261127T090000Z.json", atomically: true, encoding: .utf8)
        let json = try s.run(["show", "failover", "--forecast", "--format", "json"])
        #expect(json.status == 0, "\(json.stdout)\(json.stderr)")
        let o = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(o["forecast_seconds"] as? Double == 4740)
        #expect(o["rto_met"] as? Bool == false)
        #expect(o["margin_seconds"] as? Double == -240)
        #expect(o["records"] as? Int == 1)
        let steps = try #require(o["steps"] as? [[String: Any]])
        let restore = try #require(steps.first { $0["key"] as? String == "rebuild/database/restore" })
        #expect(restore["source"] as? String == "records" && restore["records"] as? Int == 1 && restore["critical"] as? Bool == true)
        let over = try s.run(["show", "failover", "--forecast"])
        #expect(over.stdout.contains("RTO 1h15m: over by 4m\n"), "\(over.stdout)")
        #expect(over.stdout.contains("  rebuild/database/restore   1h10m     median of 1 drill  (critical path)\n"), "\(over.stdout)")

        let md = try s.run(["show", "failover", "--forecast", "--format", "markdown"])
        #expect(md.status != 0 && md.stderr.contains("--forecast prints text or json, not markdown"), "\(md.stderr)")
    }
}
