import Foundation
@testable import MusterBasics
@testable import MusterFormat
@testable import MusterEngine
@testable import MusterDrills
import Testing

/// Issue 29: only drills of the environment a runbook's schedule names
/// count for `due`, `history` and the best and trend of `report`.
@Suite("Drill environments in due, history and report")
struct EnvironmentCountTests {
    func rec(_ drill: String, at start: String, _ elapsed: Double, environment: String?, training: Bool = false, runbook: String = "rb") -> LoadedRecord {
        var r = DrillRecord(drill: drill, runbook: runbook, runbookPath: "runbooks/\(runbook).yaml", runbookCommit: "c1", runbookDirty: false, mode: "live",
                            operatorName: "alice", startedAt: start, finishedAt: start, outcome: .recovered, elapsedSeconds: elapsed,
                            rtoSeconds: 4500, rtoMet: true, steps: [], escalations: [], faults: [],
                            training: training ? .init(escalatedWithin: true, contactOK: true, escalatedAfterSeconds: 30) : nil, runID: nil)
        r.environment = environment
        return LoadedRecord(path: "drills/records/\(drill)/\(DrillRecord.fileStem(startedAt: start)).json", record: r, startedAt: UTCTime.parse(start)!)
    }

    @Test func aRecordWithoutEnvironmentTakesItsDrillsThenItsOwnFacts() {
        let old = rec("x", at: "2026-01-01T09:00:00Z", 60, environment: nil)
        #expect(RecordEnvironment.of(old.record, definition: nil) == .production)
        #expect(RecordEnvironment.of(old.record, definition: .sandbox) == .sandbox)
        #expect(RecordEnvironment.of(rec("x", at: "2026-01-01T09:00:00Z", 60, environment: nil, training: true).record, definition: nil) == .training)
        #expect(RecordEnvironment.of(rec("x", at: "2026-01-01T09:00:00Z", 60, environment: "staging").record, definition: .training) == .staging)
        #expect(RecordEnvironment.counted(scheduled: []) == .production)
        #expect(RecordEnvironment.counted(scheduled: [.training, .staging, .sandbox]) == .staging)
    }

    @Test func dueCountsOnlyTheScheduledEnvironmentAndListsTheRestApart() {
        let now = UTCTime.parse("2026-12-05T10:00:00Z")!
        let drills: [DueReport.DrillInput] = [
            .init(name: "quarterly", runbook: "rb", schedule: "0 9 1 */3 *", environment: .production),
            .init(name: "training", runbook: "rb", schedule: nil, environment: .training),
            .init(name: "staging-weekly", runbook: "st", schedule: "0 9 * * 1", environment: .staging),
            .init(name: "sandbox", runbook: "st", schedule: nil, environment: .sandbox),
        ]
        let records = [
            "training": [rec("training", at: "2026-12-05T09:58:00Z", 82, environment: "training")],
            // The production drill pointed at the sandbox with -p: not its scheduled run.
            "quarterly": [rec("quarterly", at: "2026-12-05T09:00:00Z", 90, environment: "sandbox")],
            "staging-weekly": [rec("staging-weekly", at: "2026-12-01T09:00:00Z", 900, environment: "staging", runbook: "st")],
            "sandbox": [rec("sandbox", at: "2026-12-05T08:00:00Z", 70, environment: nil, runbook: "st")],
        ]
        let d = DueReport(now: now, staleAfterSeconds: 90 * 86_400, drills: drills, runbooks: ["rb", "st"], records: records)
        let q = d.drills.first { $0.drill == "quarterly" }
        #expect(q?.lastRun == nil && q?.overdue == true)
        let rb = d.runbooks.first { $0.runbook == "rb" }
        #expect(rb?.environment == .production && rb?.stale == true && rb?.lastDrilled == nil)
        #expect(rb?.elsewhere.map(\.environment) == [.sandbox, .training])
        #expect(rb?.elsewhere.map(\.lastDrill) == ["quarterly", "training"])
        // A runbook whose schedule names staging counts staging drills.
        let st = d.runbooks.first { $0.runbook == "st" }
        #expect(st?.environment == .staging && st?.stale == false && st?.lastDrill == "staging-weekly")
        #expect(st?.elsewhere.map(\.environment) == [.sandbox])
    }

    @Test func reportsBestAndTrendLeaveOtherEnvironmentsApart() {
        let r = DrillReport(drill: "quarterly", records: [
            rec("quarterly", at: "2026-01-01T09:00:00Z", 3000, environment: "production"),
            rec("quarterly", at: "2026-02-01T09:00:00Z", 82, environment: "sandbox"),
            rec("quarterly", at: "2026-03-01T09:00:00Z", 2800, environment: nil),
            rec("quarterly", at: "2026-04-01T09:00:00Z", 70, environment: "sandbox"),
        ], runbook: "rb", environment: .production, definition: .production)
        #expect(r.best?.elapsedSeconds == 2800)
        #expect(r.trend?.elapsed == [3000, 2800])
        #expect(r.elsewhere.count == 1 && r.elsewhere.first?.environment == .sandbox && r.elsewhere.first?.runs == 2)
        #expect(r.elsewhere.first?.best?.elapsedSeconds == 70)
        #expect(r.runs.map(\.apart) == [false, true, false, true])
    }

    @Test func historyTalliesOtherEnvironmentsApart() {
        let (by, _) = VersionDrills.tally(versions: [(commit: "c1", path: "runbooks/rb.yaml")], records: [
            rec("quarterly", at: "2026-01-01T09:00:00Z", 3000, environment: "production").record,
            rec("training", at: "2026-01-02T09:00:00Z", 82, environment: nil, training: true).record,
            rec("training", at: "2026-01-03T09:00:00Z", 75, environment: "training").record,
        ])
        #expect(by["c1"]?.drills == 1 && by["c1"]?.bestSeconds == 3000 && by["c1"]?.drillNames == ["quarterly"])
        #expect(by["c1"]?.elsewhere[.training]?.drills == 2 && by["c1"]?.elsewhere[.training]?.bestSeconds == 75)
        let staging = VersionDrills.tally(versions: [(commit: "c1", path: "runbooks/rb.yaml")],
                                          records: [rec("s", at: "2026-01-01T09:00:00Z", 10, environment: "staging").record], counted: .staging)
        #expect(staging.byCommit["c1"]?.drills == 1)
    }

    /// `when: mode == "training"` sees a drill declared `environment: training`
    /// as it sees one with faults; a sandbox drill is still a drill.
    @Test func aDrillDeclaredTrainingIsTrainingToConditions() throws {
        var setup = DrillSetup(name: "d", mode: "live", rtoSeconds: nil, faults: [], expectEscalation: nil, recordsDir: "r", junit: nil)
        #expect(setup.conditionMode == "drill")
        setup.environment = "sandbox"
        #expect(setup.conditionMode == "drill")
        setup.environment = "training"
        #expect(setup.conditionMode == "training")
        // Journals of earlier releases have neither key.
        let old = try JSONDecoder().decode(DrillSetup.self, from: Data(#"{"name":"d","mode":"live","faults":[],"records_dir":"r"}"#.utf8))
        #expect(old.environment == nil && old.overrides == nil)
    }

    @Test func aRecordNamingAnUnknownEnvironmentIsAProblemNotACount() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("muster-env-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir + "/dr", withIntermediateDirectories: true)
        var r = rec("dr", at: "2026-01-01T09:00:00Z", 10, environment: "prod").record
        r.params = ["url": "https://x"]
        try (r.json.serialized(pretty: true) + "\n").write(toFile: dir + "/dr/20260101T090000Z.json", atomically: true, encoding: .utf8)
        let out = RecordStore(directory: dir).load()
        #expect(out.problems.map(\.message) == ["environment 'prod' is not one of production, staging, sandbox, training"])
    }
}
