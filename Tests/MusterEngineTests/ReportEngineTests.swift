import Foundation
@testable import MusterBasics
@testable import MusterFormat
@testable import MusterDrills
@testable import MusterPreflight
@testable import MusterRender
@testable import MusterTerminal
@testable import MusterApp
import Testing

/// What `muster report` and `muster due` make of a repository's drills and
/// records, in-process: the records read (and the ones refused), the
/// reports and due lists built from them and rendered as text, JSON and
/// HTML. The CLI's part (which drill an argument names, `--records-dir`
/// against the current folder, the exit codes, colour at a terminal) stays
/// in MusterCLITests' ReportTests, which reads the same fixture.

private let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
/// Five runbooks (one without a drill), four drills (three scheduled),
/// records of three drills (a failed and an aborted run among them) and
/// two records that do not read.
private let drillsRepo = packageRoot + "/Tests/MusterCLITests/Fixtures/drills-repo"
private let snapshots = packageRoot + "/Tests/MusterCLITests/Snapshots"
private let plain = Style(color: false, isTerminal: false)
private let now = UTCTime.parse("2026-11-27T12:00:00Z")!

/// The fixture's drill files as the catalog reads them: the runbook, the
/// schedule and the RTO (the drill's, else its runbook's).
private let definitions: [(name: String, runbook: String, schedule: String?, rto: Int?)] = [
    ("cache-flush-weekly", "cache-flush", "0 10 * * 1", nil),
    ("db-restore-monthly", "db-restore", "0 6 1 * *", 1800),
    ("failover-quarterly", "failover", "0 9 1 */3 *", 2700),
    ("legacy-dns-adhoc", "legacy-dns", nil, nil),
]
private let runbooks = ["cache-flush", "db-restore", "failover", "legacy-dns", "vendor-outage"]
/// failover.yaml runs db-restore as a step.
private let includes = ["failover": ["db-restore"]]

private func snapshot(_ name: String) throws -> String { try String(contentsOfFile: snapshots + "/" + name, encoding: .utf8) }

private func copyOfDrillsRepo() throws -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("muster-report-\(UUID().uuidString)").path
    try FileManager.default.copyItem(atPath: drillsRepo, toPath: dir)
    return dir
}

private func emptyRepo() throws -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("muster-report-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: dir + "/drills/records", withIntermediateDirectories: true)
    return dir
}

/// The records under `repo`'s drills/records, paths shown from `repo`.
private func load(_ repo: String, drills: [String]? = nil) -> (records: [String: [LoadedRecord]], problems: [RecordProblem]) {
    RecordStore(directory: repo + "/drills/records") { Paths.display($0, from: repo) }.load(drills: drills)
}

/// A drill's report as `report` builds it: runbook and RTO from its drill file.
private func reports(_ records: [String: [LoadedRecord]], _ names: [String]) -> [DrillReport] {
    names.map { name in
        let def = definitions.first { $0.name == name }
        return DrillReport(drill: name, records: records[name] ?? [], runbook: def?.runbook, rtoSeconds: def?.rto)
    }
}

private func dueReport(at: Date = now, staleAfter: Int = 90 * 86400, drills: [(name: String, runbook: String, schedule: String?, rto: Int?)] = definitions,
                       runbooks: [String] = runbooks, records: [String: [LoadedRecord]]) -> DueReport {
    DueReport(now: at, staleAfterSeconds: staleAfter, drills: drills.map { .init(name: $0.name, runbook: $0.runbook, schedule: $0.schedule) },
              runbooks: runbooks, includes: includes, records: records)
}

/// `due --json` as the command prints it: the report and the preflight section.
private func dueJSON(_ r: DueReport, runbooks: [String] = runbooks) -> String {
    guard case .object(var pairs) = r.json else { return "" }
    pairs.append(("preflight", PreflightDue(history: PreflightHistory(), runbooks: runbooks, now: r.now).json))
    return JSON.object(pairs).serialized(pretty: true)
}

private func object(_ text: String) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
}

/// One record file of drill `dr`, with `fields` spliced in.
private func writeRecord(_ repo: String, day: String, elapsed: Double, _ fields: String) throws {
    try FileManager.default.createDirectory(atPath: repo + "/drills/records/dr", withIntermediateDirectories: true)
    let text = """
    {"muster": 1, "drill": "dr", "runbook": "rb", "runbook_path": "runbooks/rb.yaml", "runbook_commit": null,
     "runbook_dirty": false, "mode": "live", "operator": "alice", "started_at": "2026-\(day)T09:00:00Z",
     "finished_at": "2026-\(day)T10:00:00Z", "outcome": "recovered", "elapsed_seconds": \(elapsed),
     "rto_met": true, "steps": [], "escalations": [], "faults": [], \(fields)}
    """
    try text.write(toFile: "\(repo)/drills/records/dr/2026\(day.replacingOccurrences(of: "-", with: ""))T090000Z.json", atomically: true, encoding: .utf8)
}

@Suite("report and due, in-process")
struct ReportEngineTests {
    private var allDrills: [String] { definitions.map(\.name) }

    @Test func textAndJSONAreTheSnapshotsAndTwoRecordsDoNotRead() throws {
        let loaded = load(drillsRepo)
        #expect(loaded.problems.map(\.text) == [
            "drills/records/db-restore-monthly/20260301T060000Z.json: not a drill record: 'elapsed_seconds' should be a number",
            "drills/records/failover-quarterly/20260215T090000Z.json: not a drill record: not valid JSON",
        ])
        let drills = reports(loaded.records, allDrills)
        let text = ReportText(style: plain).render(drills)
        #expect(!text.contains("\u{1B}"))
        #expect(text == (try snapshot("report.txt")))

        let json = try #require(try JSONSerialization.jsonObject(with: Data(JSON.array(drills.map(\.json)).serialized(pretty: true).utf8)) as? [[String: Any]])
        let expected = try #require(try object(try snapshot("report.json"))["drills"] as? [[String: Any]])
        #expect(NSArray(array: json).isEqual(to: expected))
        #expect(json.map { $0["drill"] as? String } == ["cache-flush-weekly", "db-restore-monthly", "failover-quarterly", "legacy-dns-adhoc"])
        let failover = json[2]
        #expect(failover["runs"] as? Int == 7 && failover["failed"] as? Int == 1 && failover["aborted"] as? Int == 1)
        // The fastest run was the aborted one (10m02s); best counts recoveries only.
        #expect((failover["best"] as? [String: Any])?["started_at"] as? String == "2026-07-02T09:00:00Z")
        #expect((failover["trend"] as? [String: Any])?["direction"] as? String == "faster")
    }

    @Test func namedDrillsReadOnlyTheirRecords() {
        let names = ["db-restore-monthly", "legacy-dns-adhoc"]
        let loaded = load(drillsRepo, drills: names)
        #expect(loaded.problems.map(\.text) == ["drills/records/db-restore-monthly/20260301T060000Z.json: not a drill record: 'elapsed_seconds' should be a number"])
        let text = ReportText(style: plain).render(reports(loaded.records, names))
        #expect(text.hasPrefix("db-restore-monthly  ·  runbook db-restore  ·  RTO 30m\n"))
        #expect(text.contains("\nlegacy-dns-adhoc  ·  "))
        #expect(!text.contains("failover-quarterly"))
    }

    @Test func htmlHasAChartPerDrillAndEscapesRecordText() throws {
        let repo = try copyOfDrillsRepo()
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
        try FileManager.default.createDirectory(atPath: repo + "/drills/records/hostile", withIntermediateDirectories: true)
        try hostile.write(toFile: repo + "/drills/records/hostile/20260501T100000Z.json", atomically: true, encoding: .utf8)

        let loaded = load(repo)
        let names = allDrills + ["hostile"]
        let html = ReportHTML.render(reports(loaded.records, names).map { ($0, loaded.records[$0.drill] ?? []) }, timelines: 3)
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

    /// Found by the outside review: `rto_seconds: Int.max` trapped
    /// `report --html` converting the chart's scale back to an integer.
    /// The record is refused with its path; the other one is reported in
    /// every form.
    @Test(arguments: ["\"rto_seconds\": 9223372036854775807", "\"rto_seconds\": -9223372036854775808", "\"rto_seconds\": 0",
                      "\"rto_seconds\": 2700, \"training\": {\"escalated_within\": true, \"contact_ok\": true, \"escalated_after_seconds\": 1e300}"])
    func absurdNumbersInARecordAreRefusedNotACrash(_ field: String) throws {
        let repo = try emptyRepo()
        try writeRecord(repo, day: "01-01", elapsed: 2000, field + (field.contains("training") ? "" : ", \"training\": null"))
        try writeRecord(repo, day: "02-01", elapsed: 2000, "\"rto_seconds\": 2700, \"training\": null")
        let loaded = load(repo)
        #expect(loaded.problems.count == 1)
        #expect(loaded.problems.first.map { $0.path.hasSuffix("20260101T090000Z.json") && $0.message.contains("not a") } == true, "\(loaded.problems)")
        let drills = reports(loaded.records, ["dr"])
        #expect(drills.first?.runs.count == 1)
        #expect(ReportHTML.render(drills.map { ($0, loaded.records[$0.drill] ?? []) }, timelines: 3).hasPrefix("<!DOCTYPE html>"))
        #expect(ReportText(style: plain).render(drills).contains("  runs     1: 1 recovered\n"))
        #expect(JSON.array(drills.map(\.json)).serialized(pretty: true).contains("\"runs\": 1"))
    }

    /// A `--yes` drill that "recovered" in 16 s with every checklist item
    /// answered by itself is no recovery time: listed and labelled, never
    /// best, never in the trend.
    @Test func unattendedRunsAreListedLabelledAndLeftOutOfBestAndTrend() throws {
        let repo = try emptyRepo()
        let base = "\"rto_seconds\": 2700, \"training\": null"
        try writeRecord(repo, day: "01-01", elapsed: 2400, base)  // written before muster recorded it
        try writeRecord(repo, day: "02-01", elapsed: 2000, base + ", \"unattended\": false")
        try writeRecord(repo, day: "03-01", elapsed: 16, base + ", \"unattended\": true")
        let loaded = load(repo)
        #expect(loaded.problems.isEmpty)
        let drills = reports(loaded.records, ["dr"])

        let first = try #require(drills.first)
        let drill = try object(first.json.serialized())
        #expect(drill["runs"] as? Int == 3 && drill["unattended"] as? Int == 1)
        #expect((drill["best"] as? [String: Any])?["elapsed_seconds"] as? Double == 2000)
        #expect((drill["trend"] as? [String: Any])?["elapsed_seconds"] as? [Double] == [2400, 2000])
        #expect((drill["last"] as? [String: Any])?["unattended"] as? Bool == true)
        #expect((drill["history"] as? [[String: Any]])?.map { $0["unattended"] as? Bool } == [false, false, true])

        let text = ReportText(style: plain).render(drills)
        #expect(text.contains("  runs     3: 3 recovered (1 unattended: not counted in best or trend)\n"), "\(text)")
        #expect(text.contains("  last     2026-03-01 09:00Z  recovered in 16s, unattended (--yes)\n"), "\(text)")
        #expect(text.contains("  best     2026-02-01 09:00Z  recovered in 33m20s"), "\(text)")
        #expect(text.contains("  trend    40m  33m20s  (last 2 recoveries, oldest first; unattended runs left out)\n"), "\(text)")
        #expect(text.contains("  2026-03-01 09:00Z  recovered (unattended)  "), "\(text)")

        let page = ReportHTML.render(drills.map { ($0, loaded.records[$0.drill] ?? []) }, timelines: 3)
        #expect(page.contains("<g class=\"run unattended\"><title>2026-03-01 09:00Z: recovered, unattended (--yes), 16s</title>"), "\(page)")
        #expect(page.contains("recovered in <strong>16s</strong>, <span class=\"warn\">unattended (--yes)</span>"))
        #expect(page.contains("(<span class=\"warn\">1 unattended</span>: not counted in best or trend)"))
        #expect(page.contains("<dt>Best</dt><dd><time>2026-02-01 09:00Z</time>"))
        #expect(page.contains("unattended (--yes): not counted"))  // the legend
        #expect(page.contains("· <span class=\"warn\">unattended (--yes)</span></figcaption>"))  // the timeline's caption
    }

    @Test func dueTextAndJSONAreTheSnapshots() throws {
        let r = dueReport(records: load(drillsRepo).records)
        #expect(r.anythingDue)
        let preflight = PreflightDue(history: PreflightHistory(), runbooks: runbooks, now: now)
        #expect(DueText(style: plain).render(r, staleAfter: "90d", preflight: preflight) == (try snapshot("due.txt")))
        let json = dueJSON(r)
        #expect(json + "\n" == (try snapshot("due.json")))
        let object = try object(json)
        #expect(object["due"] as? Bool == true)
        let drills = try #require(object["drills"] as? [[String: Any]])
        #expect(drills.map { $0["overdue"] as? Bool } == [true, true, false])
    }

    @Test func nothingDueUntilTheScheduleOrTheStalenessLimitPasses() {
        // Only the database runbook and its monthly drill, run on 1 October.
        let drills = definitions.filter { $0.name == "db-restore-monthly" }
        let records = load(drillsRepo, drills: ["db-restore-monthly"]).records
        let onTime = dueReport(at: UTCTime.parse("2026-10-15T00:00:00Z")!, drills: drills, runbooks: ["db-restore"], records: records)
        #expect(!onTime.anythingDue)
        let preflight = PreflightDue(history: PreflightHistory(), runbooks: ["db-restore"], now: onTime.now)
        #expect(DueText(style: plain).render(onTime, staleAfter: "90d", preflight: preflight)
            .hasSuffix("\nNothing due: every scheduled drill is on time and every runbook was drilled within 90d.\n"))
        // The same repository a month later: the monthly drill is overdue.
        #expect(dueReport(at: UTCTime.parse("2026-11-01T06:00:00Z")!, drills: drills, runbooks: ["db-restore"], records: records).anythingDue)
        // And with a shorter staleness limit the runbook is stale.
        let stale = dueReport(at: onTime.now, staleAfter: 7 * 86400, drills: drills, runbooks: ["db-restore"], records: records)
        #expect(stale.anythingDue)
        #expect(DueText(style: plain).render(stale, staleAfter: "1w", preflight: preflight)
            .contains("  stale   db-restore  2026-10-01 06:00Z (13d18h ago)  db-restore-monthly\n"))
    }

    @Test("--now and --stale-after that do not read are refused with what to write", arguments: [
        ("yesterday", "90d", "--now 'yesterday' is not an ISO 8601 time; write 2026-11-27T09:00:00Z (UTC), 2026-11-27T10:00:00+01:00 or 2026-11-27"),
        ("2026-02-30", "90d", "--now '2026-02-30' is not an ISO 8601 time; write 2026-11-27T09:00:00Z (UTC), 2026-11-27T10:00:00+01:00 or 2026-11-27"),
        (nil, "3 months", "--stale-after '3 months' is not a span; write a number with w, d, h, m or s, largest first: 90d, 12w, 2w3d, 36h"),
        (nil, "0d", "--stale-after '0d' is not a span; write a number with w, d, h, m or s, largest first: 90d, 12w, 2w3d, 36h"),
    ])
    func dueRefusesTimesAndSpansItCannotRead(now: String?, staleAfter: String, message: String) {
        let error = #expect(throws: CommandFailure.self) {
            try ShowDue(now: now, staleAfter: staleAfter, json: false, recordsDir: nil).run()
        }
        #expect(error?.message == message)
        #expect(error?.code == .usage)
    }

    @Test func withoutRecordsEveryScheduledDrillIsDueSinceItsScheduleLastFired() throws {
        let drills = try #require(try object(dueJSON(dueReport(records: [:])))["drills"] as? [[String: Any]])
        #expect(drills.map { $0["last_run"] is NSNull } == [true, true, true])
        #expect(drills.map { $0["next_due"] as? String } == ["2026-11-23T10:00:00Z", "2026-11-01T06:00:00Z", "2026-10-01T09:00:00Z"])
    }

    /// Cron's names and macros in a drill file: the validator takes them,
    /// `due` computes from them, and an unknown macro is an error at its line.
    @Test func namedSchedulesAndMacros() throws {
        let repo = try copyOfDrillsRepo()
        func edit(_ file: String, _ schedule: String) throws {
            let path = repo + "/drills/" + file
            let text = try String(contentsOfFile: path, encoding: .utf8)
            let line = try #require(text.split(separator: "\n").first { $0.hasPrefix("schedule: ") })
            try text.replacingOccurrences(of: line, with: "schedule: \"\(schedule)\"").write(toFile: path, atomically: true, encoding: .utf8)
        }
        func problems(_ file: String) -> [String] {
            let catalog = Catalog(currentDirectory: repo) { _ in repo }
            let path = repo + "/drills/" + file
            let entry = catalog.load(path)
            return (entry.diagnostics + (entry.document == nil ? [] : catalog.crossCheck(entry, at: path))).map(\.formatted)
        }
        try edit("cache-flush-weekly.yaml", "0 10 * * MON")
        try edit("db-restore-monthly.yaml", "@monthly")
        #expect(problems("cache-flush-weekly.yaml") == [] && problems("db-restore-monthly.yaml") == [])
        var schedules = definitions
        schedules[0].schedule = "0 10 * * MON"
        schedules[1].schedule = "@monthly"
        let drills = try #require(try object(dueJSON(dueReport(drills: schedules, records: [:])))["drills"] as? [[String: Any]])
        #expect(drills.map { $0["schedule"] as? String } == ["0 10 * * MON", "@monthly", "0 9 1 */3 *"])
        #expect(drills.map { $0["next_due"] as? String } == ["2026-11-23T10:00:00Z", "2026-11-01T00:00:00Z", "2026-10-01T09:00:00Z"])

        try edit("db-restore-monthly.yaml", "@reboot")
        #expect(problems("db-restore-monthly.yaml") == [#"drills/db-restore-monthly.yaml:4:11: error: schedule '@reboot' is not a cron macro Muster knows; use @yearly (or @annually), @monthly, @weekly, @daily (or @midnight), @hourly, or 5 fields like "0 9 1 */3 *""#])
    }

    @Test func anOffsetInNowIsShownInUTC() throws {
        let at = try #require(UTCTime.parse("2026-11-27T13:30:00+01:30"))
        #expect(dueJSON(dueReport(at: at, records: [:])).contains("\"now\": \"2026-11-27T12:00:00Z\""))
    }
}
