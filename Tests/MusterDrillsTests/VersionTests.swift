import Foundation
@testable import MusterBasics
@testable import MusterFormat
@testable import MusterEngine
@testable import MusterJournal
@testable import MusterDrills
@testable import MusterTesting
import Testing

@Suite("Runbook versions: journal facts and drills per version")
struct VersionTests {
    func rec(_ drill: String, path: String = "runbooks/rb.yaml", commit: String?, dirty: Bool = false,
             _ outcome: DrillRecord.Outcome, _ elapsed: Double) -> DrillRecord {
        DrillRecord(drill: drill, runbook: "rb", runbookPath: path, runbookCommit: commit, runbookDirty: dirty, mode: "live",
                    operatorName: "alice", startedAt: "2026-01-01T09:00:00Z", finishedAt: "2026-01-01T09:30:00Z", outcome: outcome,
                    elapsedSeconds: elapsed, rtoSeconds: nil, rtoMet: nil, steps: [], escalations: [], faults: [], training: nil, runID: nil)
    }

    @Test func drillsAreCountedForTheVersionAndPathTheyRan() {
        let versions = [(commit: "c3", path: "runbooks/rb.yaml"), (commit: "c2", path: "runbooks/old.yaml"), (commit: "c1", path: "runbooks/old.yaml")]
        let (by, unpinned) = VersionDrills.tally(versions: versions, records: [
            rec("a", path: "runbooks/old.yaml", commit: "c2", .recovered, 1800),
            rec("b", path: "runbooks/old.yaml", commit: "c2", .recovered, 1500),
            rec("a", path: "runbooks/old.yaml", commit: "c2", .failed, 100),          // failed fast: not a best time
            rec("a", path: "runbooks/other.yaml", commit: "c2", .recovered, 10),      // another runbook changed in c2
            rec("a", commit: "c3", dirty: true, .recovered, 20),                      // ran uncommitted changes
            rec("a", commit: nil, .recovered, 30),                                    // outside git
            rec("a", path: "runbooks/elsewhere.yaml", commit: nil, .recovered, 30),   // not this runbook at all
            rec("a", commit: "c9", .recovered, 40),                                   // a commit not in this history
        ])
        #expect(by["c2"]?.drills == 3)
        #expect(by["c2"]?.recovered == 2)
        #expect(by["c2"]?.bestSeconds == 1500)
        #expect(by["c2"]?.drillNames == ["a", "b"])
        #expect(by["c1"] == nil && by["c3"] == nil)
        #expect(unpinned == 2)
    }

    @Test func anUnattendedRecoveryCountsButIsNeverTheBestTime() {
        var yes = rec("a", commit: "c1", .recovered, 16)
        yes.unattended = true
        let (by, _) = VersionDrills.tally(versions: [(commit: "c1", path: "runbooks/rb.yaml")],
                                          records: [rec("a", commit: "c1", .recovered, 1800), yes])
        #expect(by["c1"]?.drills == 2 && by["c1"]?.recovered == 2)
        #expect(by["c1"]?.bestSeconds == 1800)
    }

    @Test func theJournalSaysNullForNoCommitAndOldJournalsStillRead() throws {
        let info = JournalEvent.RunInfo(runID: "r", runbook: "rb", runbookPath: "runbooks/rb.yaml", runbookHash: "h", operatorName: "o",
                                        host: "h", params: [:], yes: false, startedAt: "2026-01-01T00:00:00Z", runbookDirty: false)
        let text = String(decoding: try JSONEncoder().encode(info), as: UTF8.self)
        #expect(text.contains(#""runbook_commit":null"#), "\(text)")
        #expect(text.contains(#""runbook_dirty":false"#))
        #expect(!text.contains("runbook_rev"))
        #expect(try JSONDecoder().decode(JournalEvent.RunInfo.self, from: Data(text.utf8)) == info)
        let old = #"{"run_id":"r","runbook":"rb","runbook_path":"p","runbook_hash":"h","operator":"o","host":"h","params":{},"yes":false,"started_at":"s"}"#
        let read = try JSONDecoder().decode(JournalEvent.RunInfo.self, from: Data(old.utf8))
        #expect(read.runbookCommit == nil && read.runbookDirty == nil && read.runbookRev == nil && read.includedCommits == nil)
    }

    @Test func aDrillRecordCarriesTheRunsGitFactsAndHash() throws {
        var started = JournalEvent(seq: 1, at: "2026-01-01T09:00:00Z", t: 0, event: .runStarted)
        started.run = .init(runID: "r", runbook: "rb", runbookPath: "runbooks/rb.yaml", runbookHash: "abc", operatorName: "o", host: "h",
                            params: [:], yes: true, startedAt: "2026-01-01T09:00:00Z", runbookCommit: "c1", runbookDirty: false)
        var finished = JournalEvent(seq: 2, at: "2026-01-01T09:01:00Z", t: 60, event: .runFinished)
        finished.outcome = "completed"
        let setup = DrillSetup(name: "d", mode: "live", rtoSeconds: nil, faults: [], expectEscalation: nil, recordsDir: "x", junit: nil)
        let record = try #require(DrillRecorder.record(events: [started, finished], drill: setup, steps: [], runbookCommit: "c1", runbookDirty: false))
        #expect(record.runbookHash == "abc")
        let json = record.json.serialized()
        #expect(json.contains(#""run_id":"r","runbook_hash":"abc","#), "\(json)")
        let back = try JSONDecoder().decode(DrillRecord.self, from: Data(json.utf8))
        #expect(back.runbookHash == "abc" && back.runbookCommit == "c1")
    }
}
