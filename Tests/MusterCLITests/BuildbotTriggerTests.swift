import Foundation
import MusterTestSupport
import Testing

/// One build per attempt and cancel_on_stop, on a real master.
extension BuildbotTests {
    /// The force was answered and the session died before it journaled the
    /// answer (the journal is cut back to the trigger's token): the resumed
    /// run finds the build request by the force's reason and follows it.
    @Test func aForceWhoseAnswerWasNeverJournaledIsFoundByItsReason() async throws {
        let ci = try Buildbot()
        let s = try Sandbox(["deploy": Self.runbook(ci.url)])
        let live = try LiveMuster(["run", "deploy", "--yes", "-p", "hold=6"], cwd: s.dir)
        _ = eventually(within: 120) { (try? s.journal().contains { $0["event"] as? String == "pipeline_started" }) == true }
        live.kill()
        _ = await live.finish()
        let runs = try FileManager.default.contentsOfDirectory(atPath: s.dir + "/.muster/runs").sorted()
        let path = "\(s.dir)/.muster/runs/\(try #require(runs.last))/journal.jsonl"
        var lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        try #require(lines.last?.contains(#""event":"pipeline_started""#) == true, "\(lines)")
        lines.removeLast()
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        #expect(try s.journal().last?["event"] as? String == "pipeline_triggering")
        let resumed = try s.run(["resume", "--yes"])
        #expect(resumed.status == 0, "\(resumed.stdout)\(resumed.stderr)")
        #expect(resumed.stdout.contains("found build request 1, which that trigger started"), "\(resumed.stdout)")
        #expect(!resumed.stdout.contains("$ POST"), "\(resumed.stdout)")
        #expect(try ci.buildCount() == 1, "the resumed run forced a second build")
    }

    /// `s` at the Ctrl-C question stops the running build through
    /// Buildbot's API: the build ends CANCELLED (6).
    @Test func aBuildStoppedWithSIsCancelledWhenTheStepSaysCancelOnStop() throws {
        let ci = try Buildbot()
        let s = try Sandbox(["deploy": Self.runbook(ci.url).replacingOccurrences(of: "timeout: 2m", with: "timeout: 2m\n      cancel_on_stop: true")])
        let term = try Tmux(cwd: s.dir)
        try term.type("\(musterBinary) run deploy -p hold=60")
        _ = try term.waitFor("build 1: ", seconds: 60)
        #expect(ci.waitFor(20) { $0.first?["complete"] as? Bool == false }, "no build running")
        try term.key("C-c")
        _ = try term.waitFor("Ctrl-C: stop 'redeploy' now, or keep waiting?")
        try term.type("s")
        let screen = try term.waitFor("failed: step 'redeploy' stopped by the operator", seconds: 30)
        #expect(screen.contains("cancel_on_stop: stopped build 1 of build request 1"), "\(screen)")
        #expect(ci.waitFor(30) { $0.first?["results"] as? Int == 6 }, "\(String(describing: try? ci.builds()))")
        #expect(try s.journal().contains { $0["event"] as? String == "pipeline_cancelled" })
    }
}
