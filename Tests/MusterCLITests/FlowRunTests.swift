import Foundation
import MusterTestSupport
import Testing

/// Groups and `finally` end to end: real commands through a pipe, a pause
/// inside a group that resumes there with its recap on screen, the exit
/// statuses, and `abandon` over the state folder. The deadline, loops,
/// conditions, includes, preflight's plan and drill records of groups are
/// FlowRunEngineTests'.
@Suite("muster run: groups, finally and the deadline")
struct FlowRunTests {
    static let flow = FeatureRunbooks.flow

    @Test func aPauseInsideAGroupResumesThereAndFinallyRunsOnlyWhenTheRunEnds() throws {
        let s = try Sandbox(["flow": Self.flow])
        let first = try s.run(["run", "flow"])
        #expect(first.status == 3, "end of input at the checklist pauses: \(first.stdout)\(first.stderr)")
        #expect(first.stdout.contains("Rebuild  steps · rebuild"))
        #expect(first.stdout.contains("Create  run · rebuild/create"))
        #expect(s.exists("created.txt"))
        #expect(!s.exists("cleaned.txt"), "a paused run has not ended: its finally steps wait")

        let second = try s.run(["resume"], stdin: "y\n", env: ["NO_COLOR": "1"])
        #expect(second.status == 1, "\(second.stdout)\(second.stderr)")
        #expect(second.stdout.contains("✓ rebuild/create: Create"), "the recap lists it")
        #expect(!second.stdout.contains("Create  run · rebuild/create"), "a finished step of the group is not run again")
        #expect(second.stdout.contains("finally: the steps that always run"))
        #expect(second.stdout.contains("Run \(try s.runID()) failed: step 'rebuild/deploy' exited with status 4"))
        #expect(s.exists("cleaned.txt"), "the abort ends the steps, not the cleanup")
        #expect(!s.exists("never.txt"))
        let finished = try s.journal().filter { $0["event"] as? String == "step_finished" }.map { "\($0["step"]!) \($0["outcome"]!)" }
        #expect(finished == ["first done", "rebuild/create done", "rebuild/confirm done", "rebuild/deploy failed", "cleanup done"])
        let end = try s.journal().last
        #expect(end?["event"] as? String == "run_finished" && end?["outcome"] as? String == "failed")
    }

    @Test func abandonAsksWhetherToRunTheFinallyStepsAndNeverAssumesYes() throws {
        let s = try Sandbox(["flow": Self.flow])
        #expect(try s.run(["run", "flow"]).status == 3)
        let id = try s.runID()
        let yes = try s.run(["abandon", id, "--reason", "superseded by a new run"], stdin: "y\n")
        #expect(yes.status == 0, "\(yes.stdout)\(yes.stderr)")
        #expect(yes.stdout.contains("has finally steps that have not run: cleanup. Run them now, before it is closed?"))
        #expect(s.exists("cleaned.txt") && !s.exists("never.txt"), "only the finally steps ran")
        let events = try s.journal().map { "\($0["event"]!)" }
        #expect(Array(events.suffix(5)) == ["run_closing", "run_resumed", "step_started", "step_finished", "run_abandoned"], "\(events)")
        #expect(try s.journal().last?["text"] as? String == "superseded by a new run")
        #expect(try s.run(["resume", id]).status == 2, "an abandoned run stays closed")

        // No answer (or any other) closes the run without them.
        let t = try Sandbox(["flow": Self.flow])
        #expect(try t.run(["run", "flow"]).status == 3)
        let quiet = try t.run(["abandon", try t.runID(), "--reason", "nobody home"])
        #expect(quiet.status == 0, "\(quiet.stdout)\(quiet.stderr)")
        #expect(quiet.stdout.contains("Closing without the finally steps."))
        #expect(!t.exists("cleaned.txt"))
        #expect(try t.journal().last?["event"] as? String == "run_abandoned")
    }
}
