import Foundation
@testable import MusterBasics
@testable import MusterFormat
@testable import MusterEngine
@testable import MusterJournal
@testable import MusterDrills
@testable import MusterTesting
import Testing

/// The pure checks behind `muster verify RECORD.json` that the CLI tests
/// reach only on one side: the run id's slack, the store's skew and delay,
/// and the bytes a record's signature covers.
@Suite("record times and signed bytes")
struct RecordTimesTests {
    func record(started: String = "2026-12-05T15:33:00Z", finished: String = "2026-12-05T15:43:00Z", elapsed: Double = 600,
                runID: String? = "20261205T153258Z-drop") -> DrillRecord {
        DrillRecord(drill: "d", runbook: "drop", runbookPath: "runbooks/drop.yaml", runbookCommit: nil, runbookDirty: false, mode: "live",
                    operatorName: "alice", startedAt: started, finishedAt: finished, outcome: .recovered, elapsedSeconds: elapsed,
                    rtoSeconds: nil, rtoMet: nil, steps: [], escalations: [], faults: [], training: nil, runID: runID)
    }

    func events(_ pairs: [(String, Double)]) -> [JournalEvent] {
        pairs.enumerated().map { i, p in JournalEvent(seq: i + 1, at: p.0, t: p.1, event: i == 0 ? .runStarted : .runFinished) }
    }

    @Test func theRunIDBoundsTheStart() {
        #expect(RecordTimes.runIDStart("20261205T153258Z-drop") == UTCTime.parse("2026-12-05T15:32:58Z"))
        #expect(RecordTimes.runIDStart("20261205T153258Z-drop-2") == UTCTime.parse("2026-12-05T15:32:58Z"))
        #expect(RecordTimes.runIDStart("drop") == nil)
        #expect(RecordTimes.problem(record: record(), events: []) == nil)
        // Before the folder was made, or more than five minutes after.
        #expect(RecordTimes.problem(record: record(started: "2026-12-05T15:32:57Z", elapsed: 603), events: [])?.contains("disagrees with its run id") == true)
        #expect(RecordTimes.problem(record: record(started: "2026-12-05T15:38:00Z", elapsed: 300), events: [])?.contains("disagrees with its run id") == true)
        #expect(RecordTimes.problem(record: record(runID: "drop"), events: [])?.contains("does not start with a UTC stamp") == true)
    }

    @Test func eachStampAgreesWithItsClock() {
        let ok = events([("2026-12-05T15:33:00Z", 0), ("2026-12-05T15:43:00Z", 600.4)])
        #expect(RecordTimes.problem(record: record(), events: ok) == nil)
        let edited = events([("2026-12-05T15:33:00Z", 0), ("2026-12-05T15:43:00Z", 300)])
        #expect(RecordTimes.problem(record: record(), events: edited)?.contains("event 2 (run_finished)") == true)
        let otherStart = events([("2026-12-05T15:33:01Z", 0)])
        #expect(RecordTimes.problem(record: record(), events: otherStart)?.contains("not the time of the journal's run_started") == true)
        // finished_at minus started_at against elapsed_seconds, without a journal.
        #expect(RecordTimes.problem(record: record(elapsed: 60), events: [])?.contains("elapsed_seconds says 60") == true)
    }

    @Test func theStoresClockBoundsTheJournal() {
        let journal = events([("2026-12-05T15:33:00Z", 0), ("2026-12-05T15:43:00Z", 600)])
        let received = [1: "2026-12-05T15:33:00.512Z", 2: "2026-12-05T15:43:01.200Z"]
        var rec = record()
        rec.storeTimes = StoreTimesCheck.times(received: received, lastSeq: 2)
        #expect(rec.storeTimes == .init(firstSeq: 1, firstAt: "2026-12-05T15:33:00Z", lastSeq: 2, lastAt: "2026-12-05T15:43:01Z"))
        #expect(StoreTimesCheck.problem(record: rec, events: journal, received: received) == nil)
        // The machine's clock a little ahead of the store's: within the skew.
        #expect(StoreTimesCheck.problem(record: record(), events: journal, received: [1: "2026-12-05T15:32:10Z", 2: "2026-12-05T15:42:10Z"]) == nil)
        // Stamped after the store had it: moved later.
        #expect(StoreTimesCheck.problem(record: record(), events: journal, received: [1: "2026-12-05T15:31:00Z", 2: "2026-12-05T15:43:00Z"])?
            .contains("moved later") == true)
        // The last event reached the store an hour after its stamp: moved earlier.
        #expect(StoreTimesCheck.problem(record: record(), events: journal, received: [1: "2026-12-05T15:33:00Z", 2: "2026-12-05T16:43:00Z"])?
            .contains("moved earlier") == true)
        // The record's own store_times must be the store's.
        var edited = rec
        edited.storeTimes?.lastAt = "2026-12-05T15:40:00Z"
        #expect(StoreTimesCheck.problem(record: edited, events: journal, received: received)?.contains("store_times were edited") == true)
        // A record that says it was shared, of a run the store never saw.
        #expect(StoreTimesCheck.problem(record: rec, events: journal, received: [:])?.contains("holds no event") == true)
        #expect(StoreTimesCheck.problem(record: record(), events: journal, received: [:]) == nil)
    }

    @Test func theSignedBytesAreTheFileWithItsSignatureNull() {
        var rec = record()
        let unsigned = rec.json.serialized(pretty: true) + "\n"
        rec.signature = "-----BEGIN SSH SIGNATURE-----\nAAAA\n-----END SSH SIGNATURE-----\n"
        let signed = rec.json.serialized(pretty: true) + "\n"
        #expect(RecordSignature.signedBytes(Array(signed.utf8)) == Array(unsigned.utf8))
        #expect(RecordSignature.signedBytes(Array(unsigned.utf8)) == nil)
        // Anything after the signature, or a signature that is not a string.
        #expect(RecordSignature.signedBytes(Array((signed + " ").utf8)) == nil)
        #expect(RecordSignature.signedBytes(Array(signed.replacingOccurrences(of: "\"signature\": \"", with: "\"signature\": [\"").utf8)) == nil)
    }
}
