import Foundation
@testable import MusterBasics
@testable import MusterFormat
@testable import MusterEngine
@testable import MusterJournal
@testable import MusterDrills
@testable import MusterTesting
import Testing

/// A record as `muster drill` writes it, with only what a test varies.
private func record(_ drill: String = "dr", runbook: String = "rb", at start: String, _ outcome: DrillRecord.Outcome, _ elapsed: Double,
                    rto: Int? = 2700, steps: [DrillRecord.StepTiming] = [], unattended: Bool? = nil) -> LoadedRecord {
    var rec = DrillRecord(drill: drill, runbook: runbook, runbookPath: "runbooks/\(runbook).yaml", runbookCommit: nil, runbookDirty: false,
                          mode: "live", operatorName: "alice", startedAt: start, finishedAt: start, outcome: outcome,
                          elapsedSeconds: elapsed, rtoSeconds: rto, rtoMet: rto.map { outcome == .recovered && elapsed <= Double($0) },
                          steps: steps, escalations: [], faults: [], training: nil, runID: nil)
    rec.unattended = unattended
    return LoadedRecord(path: "drills/records/\(drill)/\(DrillRecord.fileStem(startedAt: start)).json", record: rec, startedAt: UTCTime.parse(start)!)
}

private func step(_ id: String, _ seconds: Double, _ outcome: String = "done", expect: Int? = nil) -> DrillRecord.StepTiming {
    .init(id: id, kind: "run", outcome: outcome, startedAt: nil, seconds: seconds, attempts: 1, expectSeconds: expect,
          overExpect: expect.map { seconds > Double($0) } ?? false)
}

@Suite("Drill report")
struct DrillReportTests {
    @Test func bestAndTrendCountRecoveriesOnly() {
        let r = DrillReport(drill: "dr", records: [
            record(at: "2026-01-01T09:00:00Z", .recovered, 3000),
            record(at: "2026-02-01T09:00:00Z", .failed, 600),   // failed fast: not a best time
            record(at: "2026-03-01T09:00:00Z", .recovered, 2400),
            record(at: "2026-04-01T09:00:00Z", .aborted, 60),
            record(at: "2026-05-01T09:00:00Z", .recovered, 2520),
        ])
        #expect(r.runs.count == 5)
        #expect(r.count(.recovered) == 3 && r.count(.failed) == 1 && r.count(.aborted) == 1)
        #expect(r.last?.outcome == .recovered && r.last?.elapsedSeconds == 2520)
        #expect(r.best?.elapsedSeconds == 2400)
        #expect(r.trend == DrillReport.Trend(elapsed: [3000, 2400, 2520], deltaSeconds: -180, direction: .faster, comparedWith: 2))
        #expect(r.rtoSeconds == 2700)
    }

    @Test func unattendedRunsAreListedButNeverBestNorInTheTrend() {
        let r = DrillReport(drill: "dr", records: [
            record(at: "2026-01-01T09:00:00Z", .recovered, 3000),
            record(at: "2026-02-01T09:00:00Z", .recovered, 16, unattended: true),
            record(at: "2026-03-01T09:00:00Z", .recovered, 2400, unattended: false),
            record(at: "2026-04-01T09:00:00Z", .recovered, 20, unattended: true),
        ])
        #expect(r.runs.count == 4 && r.count(.recovered) == 4)
        #expect(r.runs.map(\.unattended) == [false, true, false, true])
        #expect(r.unattendedCount == 2)
        #expect(r.last?.elapsedSeconds == 20)
        #expect(r.best?.elapsedSeconds == 2400)
        #expect(r.trend?.elapsed == [3000, 2400])
    }

    @Test func recordsAreOrderedByStartNotByInput() {
        let r = DrillReport(drill: "dr", records: [
            record(at: "2026-05-01T09:00:00Z", .failed, 100),
            record(at: "2026-01-01T09:00:00Z", .recovered, 1000),
        ])
        #expect(r.runs.map(\.elapsedSeconds) == [1000, 100])
        #expect(r.last?.outcome == .failed)
        #expect(r.trend == nil)
    }

    @Test func noRecoveryNoBest() {
        let r = DrillReport(drill: "dr", records: [record(at: "2026-01-01T09:00:00Z", .failed, 100), record(at: "2026-02-01T09:00:00Z", .aborted, 50)])
        #expect(r.best == nil && r.trend == nil && r.runs.count == 2)
    }

    @Test func noRecordsTakesRunbookAndRTOFromTheDefinition() {
        let r = DrillReport(drill: "dr", records: [], runbook: "failover", rtoSeconds: 900)
        #expect(r.runs.isEmpty && r.last == nil && r.runbook == "failover" && r.rtoSeconds == 900)
    }

    @Test func trendLooksAtTheLastFiveRecoveries() throws {
        let values: [Double] = [9000, 3000, 3100, 2900, 3000, 2400]
        let recs = values.enumerated().map { i, v in record(at: "2026-0\(i + 1)-01T09:00:00Z", .recovered, v) }
        let t = try #require(DrillReport(drill: "dr", records: recs).trend)
        #expect(t.elapsed == [3000, 3100, 2900, 3000, 2400])
        #expect(t.comparedWith == 4 && t.deltaSeconds == -600 && t.direction == .faster)
    }

    @Test func smallChangesAreSteady() {
        #expect(DrillReport.trend([1000, 1009])?.direction == .steady)      // under 10 s
        #expect(DrillReport.trend([3000, 3050])?.direction == .steady)      // under 2 %
        #expect(DrillReport.trend([3000, 3070])?.direction == .slower)
        #expect(DrillReport.trend([100, 80])?.direction == .faster)
        #expect(DrillReport.trend([100]) == nil)
    }

    @Test func stepStatistics() throws {
        let r = DrillReport(drill: "dr", records: [
            record(at: "2026-01-01T09:00:00Z", .recovered, 2000, steps: [step("a", 100), step("slow", 700, expect: 600), step("skip", 0, "skipped")]),
            record(at: "2026-02-01T09:00:00Z", .failed, 900, steps: [step("a", 120), step("slow", 800, "failed", expect: 600)]),
            record(at: "2026-03-01T09:00:00Z", .recovered, 2000, steps: [step("a", 110), step("slow", 500, expect: 600), step("skip", 0, "skipped")]),
        ])
        #expect(r.steps.map(\.id) == ["slow", "a", "skip"])
        let slow = try #require(r.steps.first)
        #expect(slow.runs == 3 && slow.timed == 3 && slow.meanSeconds == 2000.0 / 3 && slow.maxSeconds == 800)
        #expect(slow.overExpect == 2 && slow.failed == 1 && slow.expectSeconds == 600)
        let skip = try #require(r.steps.last)
        #expect(skip.runs == 2 && skip.timed == 0 && skip.meanSeconds == 0)
        #expect(r.overExpectSteps.map(\.id) == ["slow"])
    }

    @Test func jsonHasTheDocumentedKeys() {
        let r = DrillReport(drill: "dr", records: [record(at: "2026-01-01T09:00:00Z", .recovered, 2000.04), record(at: "2026-02-01T09:00:00Z", .recovered, 1800)])
        guard case .object(let pairs) = r.json else { Issue.record("not an object"); return }
        #expect(pairs.map(\.0) == ["drill", "runbook", "rto_seconds", "runs", "recovered", "failed", "aborted", "unattended", "last", "best", "trend", "steps", "history", "rpo_trend", "human_trend", "environment", "elsewhere"])
        #expect(r.json.serialized().contains("\"elapsed_seconds\":2000.0"))
    }
}

@Suite("Drill records on disk")
struct RecordStoreTests {
    let dir: String

    init() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("muster-records-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir + "/dr", withIntermediateDirectories: true)
    }

    func write(_ name: String, _ text: String, drill: String = "dr") throws {
        try FileManager.default.createDirectory(atPath: dir + "/" + drill, withIntermediateDirectories: true)
        try text.write(toFile: "\(dir)/\(drill)/\(name)", atomically: true, encoding: .utf8)
    }

    var good: String { record(at: "2026-01-01T09:00:00Z", .recovered, 1234.5).record.json.serialized(pretty: true) }

    @Test func readsWhatDrillWrites() throws {
        try write("20260101T090000Z.json", good)
        let out = RecordStore(directory: dir).load()
        #expect(out.problems.isEmpty)
        let r = try #require(out.records["dr"]?.first)
        #expect(r.record.elapsedSeconds == 1234.5 && r.record.outcome == .recovered)
        #expect(r.startedAt == UTCTime.parse("2026-01-01T09:00:00Z"))
    }

    @Test("a bad record is a problem with its path, and the rest still read", arguments: [
        ("{\"muster\": 1, \"drill\": ", "not a drill record: not valid JSON"),
        ("[1, 2]", "not a drill record: the record should be a JSON object"),
        ("", "not a drill record: not valid JSON"),
    ])
    func malformed(text: String, message: String) throws {
        try write("20260101T090000Z.json", good)
        try write("20260201T090000Z.json", text)
        let out = RecordStore(directory: dir, display: { $0.replacingOccurrences(of: dir + "/", with: "") }).load()
        #expect(out.records["dr"]?.count == 1)
        #expect(out.problems == [RecordProblem(path: "dr/20260201T090000Z.json", message: message)])
    }

    @Test("wrong values name the key", arguments: [
        ("\"elapsed_seconds\": 1234.5", "\"elapsed_seconds\": \"fast\"", "not a drill record: 'elapsed_seconds' should be a number"),
        ("\"outcome\": \"recovered\"", "\"outcome\": \"succeeded\"", "not a drill record: 'outcome' should be one of recovered, failed, aborted"),
        ("\"drill\": \"dr\",", "", "not a drill record: key 'drill' is missing"),
        ("\"operator\": \"alice\"", "\"operator\": null", "not a drill record: 'operator' should be a string, not null"),
        ("\"steps\": []", "\"steps\": [{\"id\": 3}]", "not a drill record: 'steps[0].id' should be a string"),
        ("\"started_at\": \"2026-01-01T09:00:00Z\"", "\"started_at\": \"yesterday\"", "started_at 'yesterday' is not an ISO 8601 time like 2026-11-27T09:00:00Z"),
        ("\"muster\": 1", "\"muster\": 2", "format version 2 is not supported; this muster reads version 1"),
        ("\"drill\": \"dr\"", "\"drill\": \"other\"", "record of drill 'other' filed under 'dr'; move it to that drill's folder"),
        // Found by the journal fuzzer's neighbour: charts cannot place 1e300 seconds.
        ("\"elapsed_seconds\": 1234.5", "\"elapsed_seconds\": 1e300", "elapsed_seconds 1e+300 is not a duration (0 to one year)"),
    ])
    func wrongValues(find: String, replace: String, message: String) throws {
        #expect(good.contains(find))
        try write("20260101T090000Z.json", good.replacingOccurrences(of: find, with: replace))
        let out = RecordStore(directory: dir).load()
        #expect(out.records["dr"]?.isEmpty == true)
        #expect(out.problems.map(\.message) == [message])
    }

    @Test func otherFilesAndMissingFoldersAreIgnored() throws {
        try write(".gitkeep", "")
        try write("notes.txt", "hello")
        let out = RecordStore(directory: dir).load(drills: ["dr", "nothing-here"])
        #expect(out.problems.isEmpty && out.records["dr"]?.isEmpty == true && out.records["nothing-here"] == nil)
        #expect(RecordStore(directory: dir + "/missing").load().records.isEmpty)
    }
}

@Suite("Due")
struct DueTests {
    let now = UTCTime.parse("2026-11-27T12:00:00Z")!
    let drills: [DueReport.DrillInput] = [
        .init(name: "quarterly", runbook: "failover", schedule: "0 9 1 */3 *"),
        .init(name: "monthly", runbook: "db", schedule: "0 6 1 * *"),
        .init(name: "weekly", runbook: "cache", schedule: "0 10 * * 1"),
        .init(name: "adhoc", runbook: "dns", schedule: nil),
    ]

    @Test func scheduleAgainstTheLastRun() throws {
        let d = DueReport(now: now, staleAfterSeconds: 90 * 86_400, drills: drills, runbooks: ["cache", "db", "dns", "failover", "lonely"],
                          includes: ["failover": ["db"]],
                          records: ["quarterly": [record("quarterly", runbook: "failover", at: "2026-10-01T09:00:00Z", .recovered, 100)],
                                    "monthly": [record("monthly", runbook: "db", at: "2026-10-01T06:00:00Z", .failed, 100),
                                                record("monthly", runbook: "db", at: "2026-09-01T06:00:00Z", .recovered, 100)],
                                    "adhoc": [record("adhoc", runbook: "dns", at: "2025-06-10T10:00:00Z", .recovered, 5)]])
        #expect(d.drills.map(\.drill) == ["monthly", "quarterly", "weekly"])  // unscheduled drills are not listed
        let monthly = d.drills[0], quarterly = d.drills[1], weekly = d.drills[2]
        #expect(quarterly.nextDue.map(UTCTime.format) == "2027-01-01T09:00:00Z" && !quarterly.overdue)
        // Any outcome counts as held; the newest decides.
        #expect(monthly.lastRun.map(UTCTime.format) == "2026-10-01T06:00:00Z" && monthly.lastOutcome == .failed)
        #expect(monthly.nextDue.map(UTCTime.format) == "2026-11-01T06:00:00Z" && monthly.overdue)
        // Never run: due since the schedule's latest time.
        #expect(weekly.lastRun == nil && weekly.nextDue.map(UTCTime.format) == "2026-11-23T10:00:00Z" && weekly.overdue)

        let rb = Dictionary(uniqueKeysWithValues: d.runbooks.map { ($0.runbook, $0) })
        #expect(rb["failover"]?.stale == false && rb["failover"]?.lastDrill == "quarterly" && rb["failover"]?.via == nil)
        // db was drilled on its own at 06:00 and by the failover drill (which includes it) at 09:00.
        #expect(rb["db"]?.lastDrilled.map(UTCTime.format) == "2026-10-01T09:00:00Z" && rb["db"]?.via == "failover")
        #expect(rb["dns"]?.stale == true && rb["dns"]?.lastDrill == "adhoc")
        #expect(rb["cache"]?.stale == true && rb["cache"]?.lastDrilled == nil)
        #expect(rb["lonely"]?.stale == true && rb["lonely"]?.drills == [])
        #expect(rb["cache"]?.drills == ["weekly"] && rb["db"]?.drills == ["monthly"])
        #expect(d.anythingDue && d.overdue.count == 2 && d.stale.count == 3)
    }

    @Test func dueExactlyNowIsOverdueAndStaleIsStrictlyLonger() {
        let runAt = "2026-11-01T06:00:00Z"
        let input = [DueReport.DrillInput(name: "monthly", runbook: "db", schedule: "0 6 1 * *")]
        let records = ["monthly": [record("monthly", runbook: "db", at: runAt, .recovered, 100)]]
        let onTime = DueReport(now: UTCTime.parse("2026-11-30T23:59:59Z")!, staleAfterSeconds: 30 * 86_400, drills: input, runbooks: ["db"], records: records)
        #expect(!onTime.anythingDue)
        let dueNow = DueReport(now: UTCTime.parse("2026-12-01T06:00:00Z")!, staleAfterSeconds: 30 * 86_400, drills: input, runbooks: ["db"], records: records)
        #expect(dueNow.drills[0].overdue)
        #expect(!dueNow.runbooks[0].stale)  // exactly 30 days: not longer than 30 days
        let later = DueReport(now: UTCTime.parse("2026-12-01T06:00:01Z")!, staleAfterSeconds: 30 * 86_400, drills: input, runbooks: ["db"], records: records)
        #expect(later.runbooks[0].stale)
    }

    @Test func aScheduleThatNeverFiresIsNeverDue() {
        let d = DueReport(now: now, staleAfterSeconds: 86_400, drills: [.init(name: "feb30", runbook: "x", schedule: "0 0 30 2 *")], runbooks: [], records: [:])
        #expect(d.drills[0].nextDue == nil && !d.drills[0].overdue && !d.anythingDue)
    }

    @Test func includeCyclesEnd() {
        let d = DueReport(now: now, staleAfterSeconds: 86_400 * 365, drills: [.init(name: "a-drill", runbook: "a", schedule: nil)], runbooks: ["a", "b"],
                          includes: ["a": ["b"], "b": ["a"]], records: ["a-drill": [record("a-drill", runbook: "a", at: "2026-11-01T00:00:00Z", .recovered, 1)]])
        #expect(d.runbooks.map(\.stale) == [false, false])
        #expect(d.runbooks[1].via == "a")
    }
}
