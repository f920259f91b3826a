import Foundation
import MusterTestSupport
import Testing

/// Journals written by the executor before it became a state machine
/// (Fixtures/current-v13: a run paused at a failure menu, a run killed
/// with SIGKILL while a non-idempotent step ran) resume after it, with the
/// same questions and the same effects.
@Suite("journals of the walking executor resume")
struct CurrentJournalTests {
    /// A sandbox holding the fixture's runbook and run.
    func sandbox(_ name: String) throws -> Sandbox {
        let src = fixtures + "/current-v13/" + name
        let s = try Sandbox(["restore": try String(contentsOfFile: src + "/restore.yaml", encoding: .utf8)])
        let run = try #require(try FileManager.default.contentsOfDirectory(atPath: src).first { $0.hasSuffix("-restore") })
        try FileManager.default.createDirectory(atPath: s.dir + "/.muster/runs", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: src + "/" + run, toPath: s.dir + "/.muster/runs/" + run)
        return s
    }

    @Test func aRunPausedAtTheFailureMenuAsksItAgainAndGoesOn() throws {
        let s = try sandbox("paused-at-menu")
        #expect(FileManager.default.createFile(atPath: s.dir + "/promote-ok", contents: nil))
        let r = try s.run(["resume"], stdin: "r\n")
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("'promote' failed in the last session and no choice was made"), "\(r.stdout)")
        #expect(!r.stdout.contains("touch snapshot"), "a finished step ran again:\n\(r.stdout)")
        #expect(r.stdout.contains("| verified snap-1"), "the output journaled before the pause was lost:\n\(r.stdout)")
        let events = try s.journal()
        #expect(events.filter { $0["event"] as? String == "run_resumed" }.count == 1)
        #expect(events.last?["outcome"] as? String == "completed")
    }

    @Test func aRunKilledInANonIdempotentStepAsksThenRollsBack() throws {
        let s = try sandbox("killed-mid-step")
        let r = try s.run(["resume"], stdin: "r\ny\nb\ny\n")
        #expect(r.status == 1, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("'snapshot' was running when the last session ended"), "\(r.stdout)")
        #expect(r.stdout.contains("1. snapshot"), "\(r.stdout)")
        #expect(r.stdout.contains("↶ rolled back"), "\(r.stdout)")
        #expect(!s.exists("snapshot-T-42"), "the rollback did not undo the snapshot")
        let events = try s.journal()
        #expect(events.last?["outcome"] as? String == "rolled_back")
        #expect(events.filter { $0["event"] as? String == "gate_answered" }.count == 1)
    }
}
