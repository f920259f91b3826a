import Foundation
import MusterTestSupport
import Testing

/// A copy of `Fixtures/drills-repo` outside any git repository: five
/// runbooks (one without a drill), four drills (three scheduled), records of three drills (a failed
/// and an aborted run among them) and two records that do not read.
func drillsRepo() throws -> String {
    let dir = try temporaryDirectory()
    try sh("cp -R '\(fixtures)/drills-repo/.' .", cwd: dir)
    return dir
}

private let now = "2026-11-27T12:00:00Z"
private let warnings = """
    muster: warning: drills/records/db-restore-monthly/20260301T060000Z.json: not a drill record: 'elapsed_seconds' should be a number
    muster: warning: drills/records/failover-quarterly/20260215T090000Z.json: not a drill record: not valid JSON

    """

@Suite("muster report")
struct ReportCommandTests {
    @Test func textReport() throws {
        let r = try muster(["report"], cwd: try drillsRepo())
        #expect(r.status == 0)
        #expect(r.stderr == warnings)
        #expect(!r.stdout.contains("\u{1B}"))
        try assertSnapshot(r.stdout, named: "report.txt")
    }

    @Test func jsonReport() throws {
        let r = try muster(["report", "--json"], cwd: try drillsRepo())
        #expect(r.status == 0)
        try assertSnapshot(r.stdout, named: "report.json")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let drills = try #require(object["drills"] as? [[String: Any]])
        #expect(drills.map { $0["drill"] as? String } == ["cache-flush-weekly", "db-restore-monthly", "failover-quarterly", "legacy-dns-adhoc"])
        #expect((object["problems"] as? [Any])?.count == 2)
        let failover = drills[2]
        #expect(failover["runs"] as? Int == 7 && failover["failed"] as? Int == 1 && failover["aborted"] as? Int == 1)
        // The fastest run was the aborted one (10m02s); best counts recoveries only.
        #expect((failover["best"] as? [String: Any])?["started_at"] as? String == "2026-07-02T09:00:00Z")
        #expect((failover["trend"] as? [String: Any])?["direction"] as? String == "faster")
    }

    @Test func namedDrillsOnly() throws {
        let r = try muster(["report", "db-restore-monthly", "drills/legacy-dns-adhoc.yaml"], cwd: try drillsRepo())
        #expect(r.status == 0)
        #expect(r.stdout.hasPrefix("db-restore-monthly  ·  runbook db-restore  ·  RTO 30m\n"))
        #expect(r.stdout.contains("\nlegacy-dns-adhoc  ·  "))
        #expect(!r.stdout.contains("failover-quarterly"))
        // Only the named drills' records are read.
        #expect(r.stderr == "muster: warning: drills/records/db-restore-monthly/20260301T060000Z.json: not a drill record: 'elapsed_seconds' should be a number\n")
    }

    @Test func unknownDrillIsAUsageError() throws {
        let repo = try drillsRepo()
        let r = try muster(["report", "failover-quartely"], cwd: repo)
        #expect(r.status == 2)
        #expect(r.stdout == "")
        #expect(r.stderr == "muster: no drill 'failover-quartely': no drills/failover-quartely.yaml and no records in drills/records/failover-quartely. Did you mean 'failover-quarterly'?\n")
        let other = try muster(["report", "zzz"], cwd: repo)
        #expect(other.status == 2)
        #expect(other.stderr.contains("Known drills: cache-flush-weekly, db-restore-monthly, failover-quarterly, legacy-dns-adhoc."))
    }

    @Test func recordsDirElsewhere() throws {
        let repo = try drillsRepo()
        try sh("mkdir -p elsewhere && mv drills/records/legacy-dns-adhoc elsewhere/ && rm -r drills/records", cwd: repo)
        let r = try muster(["report", "--records-dir", "elsewhere", "--json"], cwd: repo)
        #expect(r.status == 0)
        #expect(r.stderr == "")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let drills = try #require(object["drills"] as? [[String: Any]])
        #expect(drills.map { $0["runs"] as? Int } == [0, 0, 0, 1])
        #expect(object["records_dir"] as? String == "elsewhere")
    }

    @Test func emptyRepository() throws {
        let r = try muster(["report"], cwd: try temporaryDirectory())
        #expect(r.status == 0)
        #expect(r.stdout.hasPrefix("No drills yet"))
    }

    @Test func htmlHasAChartPerDrillAndEscapesRecordText() throws {
        let repo = try drillsRepo()
        // A record whose texts try to break out of the page.
        let hostile = """
        {"muster": 1, "drill": "hostile", "runbook": "x<y", "runbook_path": "runbooks/x.yaml", "runbook_commit": null,
         "runbook_dirty": true, "mode": "live", "operator": "Bob & \\"Alice\\" <ops@example.com>",
         "started_at": "2026-05-01T10:00:00Z", "finished_at": "2026-05-01T10:05:00Z", "outcome": "failed",
         "elapsed_seconds": 300.0, "rto_seconds": 600, "rto_met": false,
         "steps": [{"id": "<script>alert('x')</script>", "kind": "run", "outcome": "failed", "started_at": "2026-05-01T10:00:10Z",
                    "seconds": 250.0, "attempts": 2, "expect_seconds": 60, "over_expect": true}],
         "escalations": [{"at_seconds": 120.0, "contact": "</title><img src=x onerror=alert(1)> & co"}],
         "faults": [{"step": "<script>alert('x')</script>", "at_seconds": 30.0}], "training": null}
        """
        try sh("mkdir -p drills/records/hostile", cwd: repo)
        try hostile.write(toFile: repo + "/drills/records/hostile/20260501T100000Z.json", atomically: true, encoding: .utf8)

        let r = try muster(["report", "--html", "report.html"], cwd: repo)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.hasSuffix("\nHTML report written to report.html\n"))
        let html = try String(contentsOfFile: repo + "/report.html", encoding: .utf8)
        #expect(html.hasPrefix("<!DOCTYPE html>"))

        // One section per drill; each drill with runs has its trend chart and a timeline per run shown.
        let sections = html.components(separatedBy: "<section class=\"drill\"").dropFirst()
        #expect(sections.count == 5)
        for s in sections where !s.contains("No runs yet") {
            #expect(s.contains("<svg class=\"chart trend\""))
            #expect(s.contains("<svg class=\"chart gantt\""))
        }
        #expect(sections.first { $0.contains(">failover-quarterly</h2>") }?.components(separatedBy: "<svg class=\"chart gantt\"").count == 4)
        #expect(html.contains("class=\"rto\""))

        // Nothing from a record is markup.
        #expect(!html.contains("<script"))
        #expect(!html.contains("<img"))
        #expect(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"))
        #expect(html.contains("Bob &amp; &quot;Alice&quot; &lt;ops@example.com&gt;"))
        #expect(html.contains("&lt;/title&gt;&lt;img src=x onerror=alert(1)&gt; &amp; co"))
        #expect(html.contains("runbook <strong>x&lt;y</strong>"))
        // Self-contained: nothing to fetch.
        #expect(!html.contains("http://") && !html.contains("https://") && !html.contains("src=\"") && !html.contains("<link"))
        #expect(html.contains("@media print"))
    }

    /// A `--yes` drill that "recovered" in 16 s with every checklist item
    /// answered by itself is no recovery time: listed and labelled, never
    /// best, never in the trend.
    /// Found by the outside review: `rto_seconds: Int.max` trapped
    /// `report --html` converting the chart's scale back to an integer.
    @Test(arguments: ["\"rto_seconds\": 9223372036854775807", "\"rto_seconds\": -9223372036854775808", "\"rto_seconds\": 0",
                      "\"rto_seconds\": 2700, \"training\": {\"escalated_within\": true, \"contact_ok\": true, \"escalated_after_seconds\": 1e300}"])
    func absurdNumbersInARecordAreRefusedNotACrash(_ field: String) throws {
        let dir = try temporaryDirectory()
        try sh("mkdir -p drills/records/dr", cwd: dir)
        for (day, rto) in [("01", field), ("02", "\"rto_seconds\": 2700")] {
            let text = """
            {"muster": 1, "drill": "dr", "runbook": "rb", "runbook_path": "runbooks/rb.yaml", "runbook_commit": null,
             "runbook_dirty": false, "mode": "live", "operator": "alice", "started_at": "2026-01-\(day)T09:00:00Z",
             "finished_at": "2026-01-\(day)T10:00:00Z", "outcome": "recovered", "elapsed_seconds": 2000, \(rto),
             "rto_met": true, "steps": [], "escalations": [], "faults": []\(rto.contains("training") ? "" : ", \"training\": null")}
            """
            try text.write(toFile: "\(dir)/drills/records/dr/202601\(day)T090000Z.json", atomically: true, encoding: .utf8)
        }
        for args in [["report", "--html", "r.html"], ["report"], ["report", "--json"]] {
            let r = try muster(args, cwd: dir)
            #expect(r.status == 0, "\(args) \(r.stderr)")
            #expect(r.stderr.contains("20260101T090000Z.json") && r.stderr.contains("not a"), "\(args) \(r.stderr)")
        }
    }

    @Test func unattendedRunsAreListedLabelledAndLeftOutOfBestAndTrend() throws {
        let dir = try temporaryDirectory()
        try sh("mkdir -p drills/records/dr", cwd: dir)
        func record(_ day: String, _ elapsed: Double, unattended: Bool?) throws {
            let flag = unattended.map { ", \"unattended\": \($0)" } ?? ""
            let text = """
            {"muster": 1, "drill": "dr", "runbook": "rb", "runbook_path": "runbooks/rb.yaml", "runbook_commit": null,
             "runbook_dirty": false, "mode": "live", "operator": "alice", "started_at": "2026-\(day)T09:00:00Z",
             "finished_at": "2026-\(day)T10:00:00Z", "outcome": "recovered", "elapsed_seconds": \(elapsed), "rto_seconds": 2700,
             "rto_met": true, "steps": [], "escalations": [], "faults": [], "training": null\(flag)}
            """
            try text.write(toFile: "\(dir)/drills/records/dr/2026\(day.replacingOccurrences(of: "-", with: ""))T090000Z.json", atomically: true, encoding: .utf8)
        }
        try record("01-01", 2400, unattended: nil)  // written before muster recorded it
        try record("02-01", 2000, unattended: false)
        try record("03-01", 16, unattended: true)

        let json = try muster(["report", "--json"], cwd: dir)
        #expect(json.status == 0, "\(json.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let drill = try #require((object["drills"] as? [[String: Any]])?.first)
        #expect(drill["runs"] as? Int == 3 && drill["unattended"] as? Int == 1)
        #expect((drill["best"] as? [String: Any])?["elapsed_seconds"] as? Double == 2000)
        #expect((drill["trend"] as? [String: Any])?["elapsed_seconds"] as? [Double] == [2400, 2000])
        #expect((drill["last"] as? [String: Any])?["unattended"] as? Bool == true)
        #expect((drill["history"] as? [[String: Any]])?.map { $0["unattended"] as? Bool } == [false, false, true])

        let text = try muster(["report"], cwd: dir)
        #expect(text.status == 0)
        #expect(text.stdout.contains("  runs     3: 3 recovered (1 unattended: not counted in best or trend)\n"), "\(text.stdout)")
        #expect(text.stdout.contains("  last     2026-03-01 09:00Z  recovered in 16s, unattended (--yes)\n"), "\(text.stdout)")
        #expect(text.stdout.contains("  best     2026-02-01 09:00Z  recovered in 33m20s"), "\(text.stdout)")
        #expect(text.stdout.contains("  trend    40m  33m20s  (last 2 recoveries, oldest first; unattended runs left out)\n"), "\(text.stdout)")
        #expect(text.stdout.contains("  2026-03-01 09:00Z  recovered (unattended)  "), "\(text.stdout)")

        let html = try muster(["report", "--html", "r.html"], cwd: dir)
        #expect(html.status == 0, "\(html.stderr)")
        let page = try String(contentsOfFile: dir + "/r.html", encoding: .utf8)
        #expect(page.contains("<g class=\"run unattended\"><title>2026-03-01 09:00Z: recovered, unattended (--yes), 16s</title>"), "\(page)")
        #expect(page.contains("recovered in <strong>16s</strong>, <span class=\"warn\">unattended (--yes)</span>"))
        #expect(page.contains("(<span class=\"warn\">1 unattended</span>: not counted in best or trend)"))
        #expect(page.contains("<dt>Best</dt><dd><time>2026-02-01 09:00Z</time>"))
        #expect(page.contains("unattended (--yes): not counted"))  // the legend
        #expect(page.contains("· <span class=\"warn\">unattended (--yes)</span></figcaption>"))  // the timeline's caption
    }

    @Test func htmlToAMissingFolderIsAUsageError() throws {
        let r = try muster(["report", "--html", "no/such/dir/r.html"], cwd: try drillsRepo())
        #expect(r.status == 2)
        #expect(r.stderr.hasSuffix("muster: cannot write no/such/dir/r.html: no folder no/such/dir\n"))
    }
}

@Suite("muster due")
struct DueCommandTests {
    @Test func overdueAndStaleExitOne() throws {
        let r = try muster(["due", "--now", now], cwd: try drillsRepo())
        #expect(r.status == 1)
        #expect(r.stderr == warnings)
        try assertSnapshot(r.stdout, named: "due.txt")
    }

    @Test func json() throws {
        let r = try muster(["due", "--now", now, "--json"], cwd: try drillsRepo())
        #expect(r.status == 1)
        try assertSnapshot(r.stdout, named: "due.json")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        #expect(object["due"] as? Bool == true)
        let drills = try #require(object["drills"] as? [[String: Any]])
        #expect(drills.map { $0["overdue"] as? Bool } == [true, true, false])
    }

    @Test func nothingDueExitsZero() throws {
        let repo = try drillsRepo()
        // Only the database runbook and its monthly drill, run on 1 October.
        try sh("rm runbooks/failover.yaml runbooks/cache-flush.yaml runbooks/legacy-dns.yaml runbooks/vendor-outage.yaml drills/failover-quarterly.yaml drills/cache-flush-weekly.yaml drills/legacy-dns-adhoc.yaml && rm -r drills/records/failover-quarterly drills/records/legacy-dns-adhoc drills/records/db-restore-monthly/20260301T060000Z.json", cwd: repo)
        let r = try muster(["due", "--now", "2026-10-15T00:00:00Z"], cwd: repo)
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stderr == "")
        #expect(r.stdout.hasSuffix("\nNothing due: every scheduled drill is on time and every runbook was drilled within 90d.\n"))
        // The same repository a month later: the monthly drill is overdue.
        #expect(try muster(["due", "--now", "2026-11-01T06:00:00Z"], cwd: repo).status == 1)
        // And with a shorter staleness limit the runbook is stale.
        let stale = try muster(["due", "--now", "2026-10-15T00:00:00Z", "--stale-after", "1w"], cwd: repo)
        #expect(stale.status == 1)
        #expect(stale.stdout.contains("  stale   db-restore  2026-10-01 06:00Z (13d18h ago)  db-restore-monthly\n"))
    }

    @Test("usage errors exit 2", arguments: [
        (["--now", "yesterday"], "muster: --now 'yesterday' is not an ISO 8601 time; write 2026-11-27T09:00:00Z (UTC), 2026-11-27T10:00:00+01:00 or 2026-11-27\n"),
        (["--now", "2026-02-30"], "muster: --now '2026-02-30' is not an ISO 8601 time; write 2026-11-27T09:00:00Z (UTC), 2026-11-27T10:00:00+01:00 or 2026-11-27\n"),
        (["--stale-after", "3 months"], "muster: --stale-after '3 months' is not a span; write a number with w, d, h, m or s, largest first: 90d, 12w, 2w3d, 36h\n"),
        (["--stale-after", "0d"], "muster: --stale-after '0d' is not a span; write a number with w, d, h, m or s, largest first: 90d, 12w, 2w3d, 36h\n"),
    ])
    func usageErrors(args: [String], message: String) throws {
        let r = try muster(["due"] + args, cwd: try drillsRepo())
        #expect(r.status == 2)
        #expect(r.stdout == "")
        #expect(r.stderr == message)
    }

    @Test func unknownFlagIsAUsageError() throws {
        let r = try muster(["due", "--stale", "9d"], cwd: try drillsRepo())
        #expect(r.status == 2)
    }

    @Test func recordsDirWithoutRecordsMakesEveryScheduledDrillDue() throws {
        let repo = try drillsRepo()
        try sh("mkdir empty", cwd: repo)
        let r = try muster(["due", "--now", now, "--records-dir", "empty", "--json"], cwd: repo)
        #expect(r.status == 1)
        #expect(r.stderr == "")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let drills = try #require(object["drills"] as? [[String: Any]])
        #expect(drills.map { $0["last_run"] is NSNull } == [true, true, true])
        #expect(drills.map { $0["next_due"] as? String } == ["2026-11-23T10:00:00Z", "2026-11-01T06:00:00Z", "2026-10-01T09:00:00Z"])
    }

    /// Cron's names and macros in a drill file: `validate` takes them, `due`
    /// computes from them, and an unknown macro is an error at its line.
    @Test func namedSchedulesAndMacros() throws {
        let repo = try drillsRepo()
        let file = repo + "/drills/cache-flush-weekly.yaml"
        let text = try String(contentsOfFile: file, encoding: .utf8)
        try text.replacingOccurrences(of: "schedule: \"0 10 * * 1\"", with: "schedule: \"0 10 * * MON\"").write(toFile: file, atomically: true, encoding: .utf8)
        try sh("sed -i 's/^schedule: .*/schedule: \"@monthly\"/' drills/db-restore-monthly.yaml", cwd: repo)
        #expect(try muster(["validate"], cwd: repo).status == 0)
        try sh("mkdir -p empty", cwd: repo)
        let due = try muster(["due", "--now", now, "--records-dir", "empty", "--json"], cwd: repo)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(due.stdout.utf8)) as? [String: Any], "\(due.stderr)")
        let drills = try #require(object["drills"] as? [[String: Any]])
        #expect(drills.map { $0["schedule"] as? String } == ["0 10 * * MON", "@monthly", "0 9 1 */3 *"])
        #expect(drills.map { $0["next_due"] as? String } == ["2026-11-23T10:00:00Z", "2026-11-01T00:00:00Z", "2026-10-01T09:00:00Z"])

        try sh("sed -i 's/^schedule: .*/schedule: \"@reboot\"/' drills/db-restore-monthly.yaml", cwd: repo)
        let bad = try muster(["validate", "drills/db-restore-monthly.yaml"], cwd: repo)
        #expect(bad.status == 1)
        #expect(bad.stderr.contains(#"drills/db-restore-monthly.yaml:4:11: error: schedule '@reboot' is not a cron macro Muster knows; use @yearly (or @annually), @monthly, @weekly, @daily (or @midnight), @hourly, or 5 fields like "0 9 1 */3 *""#), "\(bad.stderr)")
    }

    @Test func offsetsInNowAreUTC() throws {
        let r = try muster(["due", "--now", "2026-11-27T13:30:00+01:30", "--json"], cwd: try drillsRepo())
        #expect(r.stdout.contains("\"now\": \"2026-11-27T12:00:00Z\""))
    }

    @Test func colourOnlyOnATerminal() throws {
        let repo = try drillsRepo()
        let plain = try muster(["due", "--now", now], cwd: repo, env: ["NO_COLOR": ""])
        #expect(!plain.stdout.contains("\u{1B}"))
        let term = try Tmux(cwd: repo)
        try term.type("\(musterBinary) due --now \(now) 2>/dev/null; echo exit=$?")
        _ = try term.waitFor("exit=1")
        let screen = try term.screen(escapes: true)
        #expect(screen.contains("\u{1B}[31m"))  // overdue in red
        #expect(screen.contains("overdue"))
    }
}

@Suite("validate beside drill records and CI files")
struct ValidateDrillFoldersTests {
    @Test func recordsAndCIFilesAreNotCheckedAsDrills() throws {
        let repo = try drillsRepo()
        // drills/ci/github-actions.yml is a workflow and drills/records/ holds JSON: neither is a drill.
        let r = try muster(["validate"], cwd: repo)
        #expect(r.stderr == "")
        #expect(r.status == 0)
        #expect(r.stdout == "ok: 9 files valid (5 runbooks, 4 drills)\n")
        let folder = try muster(["validate", "drills"], cwd: repo)
        #expect(folder.status == 0 && folder.stdout == "ok: 4 files valid (0 runbooks, 4 drills)\n")
        // Named on its own, a CI file is checked (and is not a runbook).
        let named = try muster(["validate", "drills/ci/github-actions.yml"], cwd: repo)
        #expect(named.status == 1)
    }

    @Test func aFolderNamedCIElsewhereIsStillChecked() throws {
        let repo = try drillsRepo()
        try sh("mkdir -p runbooks/ci && cp runbooks/cache-flush.yaml runbooks/ci/cache-flush-ci.yaml && sed -i 's/name: cache-flush/name: cache-flush-ci/' runbooks/ci/cache-flush-ci.yaml", cwd: repo)
        let r = try muster(["validate"], cwd: repo)
        #expect(r.stdout == "ok: 10 files valid (6 runbooks, 4 drills)\n", "\(r.stderr)")
    }
}

@Suite("drills/ci examples")
struct CIExampleTests {
    /// The workflow and the CronJob parse, schedule with valid cron, and run
    /// the commands the docs say they run.
    @Test func workflowAndCronJobSayWhatTheDocsSay() throws {
        let script = """
        import json, yaml
        wf = yaml.safe_load(open('drills/ci/github-actions.yml'))
        cj = yaml.safe_load(open('drills/ci/cronjob.yaml'))
        pf = yaml.safe_load(open('drills/ci/preflight-cronjob.yaml'))
        on = wf[True]  # YAML 1.1 reads the key `on` as true
        steps = wf['jobs']['drills']['steps']
        runs = '\\n'.join(s.get('run', '') for s in steps)
        uses = [s.get('uses', '') for s in steps]
        job = cj['spec']['jobTemplate']['spec']
        pod = job['template']['spec']
        print(json.dumps({
            'crons': [on['schedule'][0]['cron'], cj['spec']['schedule']],
            'auto': wf['env']['AUTO_DRILL'],
            'due': 'muster due' in runs, 'drill': 'muster drill "$AUTO_DRILL" --yes' in runs,
            'commit': 'git add drills/records' in runs and 'git push' in runs,
            'upload': any(u.startswith('actions/upload-artifact@') for u in uses),
            'write': wf['jobs']['drills']['permissions']['contents'] == 'write',
            'kind': cj['apiVersion'] + ' ' + cj['kind'],
            'command': pod['containers'][0]['command'][:2],
            'retries': job['backoffLimit'], 'restart': pod['restartPolicy'], 'tz': cj['spec']['timeZone'],
            'preflight': 'muster preflight' in '\\n'.join(s.get('run', '') for s in wf['jobs']['preflight']['steps']),
            'nightly': [on['schedule'][1]['cron'], pf['spec']['schedule']],
            'pfcommand': pf['spec']['jobTemplate']['spec']['template']['spec']['containers'][0]['command'],
        }))
        """
        let out = try sh("python3 -c \"$SCRIPT\"", cwd: packageRoot, env: ["SCRIPT": script])
        let facts = try #require(try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any])
        #expect(facts["due"] as? Bool == true && facts["drill"] as? Bool == true)
        #expect(facts["commit"] as? Bool == true && facts["upload"] as? Bool == true && facts["write"] as? Bool == true)
        #expect(facts["kind"] as? String == "batch/v1 CronJob")
        #expect(facts["command"] as? [String] == ["muster", "due"])
        #expect(facts["retries"] as? Int == 0 && facts["restart"] as? String == "Never" && facts["tz"] as? String == "Etc/UTC")
        // The nightly preflight, from both.
        #expect(facts["preflight"] as? Bool == true)
        #expect(facts["nightly"] as? [String] == ["23 2 * * *", "23 2 * * *"])
        #expect(facts["pfcommand"] as? [String] == ["muster", "preflight"])

        // The drill the workflow runs exists, and both schedules are cron as muster reads it.
        let auto = try #require(facts["auto"] as? String)
        #expect(FileManager.default.fileExists(atPath: packageRoot + "/drills/\(auto).yaml"))
        let dir = try temporaryDirectory()
        try sh("mkdir runbooks drills && cp '\(packageRoot)/runbooks/'*.yaml runbooks/", cwd: dir)
        for (i, cron) in (facts["crons"] as? [String] ?? []).enumerated() {
            try "muster: 1\ndrill: ci-\(i)\nrunbook: region-failover\nschedule: \"\(cron)\"\n".write(toFile: "\(dir)/drills/ci-\(i).yaml", atomically: true, encoding: .utf8)
        }
        let r = try muster(["validate", "drills"], cwd: dir)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("2 drills"))
    }
}
