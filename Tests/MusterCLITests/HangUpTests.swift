#if canImport(Glibc)
@preconcurrency import Glibc
#endif
import Foundation
import MusterTestSupport
import Testing

/// A dropped terminal (the tmux session or the SSH connection gone) kills
/// no step: the step goes on, its end is journaled by the process that
/// stayed for it, and `resume` goes on from there without running it again.
@Suite("a dropped terminal kills no step", .serialized)
struct HangUpTests {
    static func runbook(_ work: String) -> String {
        """
        muster: 1
        name: hangup
        title: Hang-up
        notify: {webhook: CHAT_HOOK}
        secrets:
          CHAT_HOOK: {env: CHAT_HOOK}
        steps:
          - id: work
            title: The long step
            run: \(work)
          - id: after
            title: After it
            run: echo after-ran
        """
    }

    static func events(_ s: Sandbox) -> [[String: Any]] { (try? s.journal()) ?? [] }

    /// The run's own folder (the newest run).
    static func runDir(_ s: Sandbox) throws -> String {
        let runs = try FileManager.default.contentsOfDirectory(atPath: s.dir + "/.muster/runs").sorted()
        return s.dir + "/.muster/runs/" + runs.last!
    }

    /// True when nobody holds the lock at `path` (flock(1), shared, at once).
    static func free(_ path: String) -> Bool {
        (try? sh("flock -n -s '\(path)' true", cwd: "/")) != nil
    }

    /// Starts `muster run hangup` in a tmux session and kills the session
    /// once the step has begun: the terminal is gone mid-step.
    static func dropTerminalDuringStep(_ s: Sandbox, hook: String) throws {
        let term = try Tmux(cwd: s.dir)
        try term.type("CHAT_HOOK='\(hook)' \(musterBinary) run hangup --yes")
        try waitUntil("the step to begin; the screen: \((try? term.screen()) ?? "")", timeout: 15) { s.exists("started") }
        try term.tmux(["kill-session", "-t", "t"])
    }

    @Test func killingTheTmuxSessionLeavesTheStepRunningAndResumeReadsItsEnd() throws {
        let log = try temporaryDirectory() + "/hooks.txt"
        let server = try HTTPTestServer(hookLog: log)
        let s = try Sandbox(["hangup": Self.runbook("touch started; sleep 5; touch done; echo finished")])
        try Self.dropTerminalDuringStep(s, hook: server.base + "/hook")
        try waitUntil("the step to end (was it stopped with its terminal?)", timeout: 20) { s.exists("done") }
        // Its end, journaled by the process that stayed for it, and that process gone.
        let dir = try Self.runDir(s)
        try waitUntil("the step's end in the journal: \(Self.events(s))", timeout: 20) {
            Self.events(s).contains { $0["event"] as? String == "step_finished" && $0["step"] as? String == "work" }
        }
        try waitUntil("the step's keeper to let go of its lock", timeout: 20) { Self.free(StepKeeperPath.of(dir)) }
        let events = Self.events(s)
        let pauses = events.filter { $0["event"] as? String == "run_paused" }.compactMap { $0["text"] as? String }
        #expect(pauses.first?.contains("terminal lost") == true, "\(pauses)")
        #expect(!pauses.contains { $0.contains("answers ran out") }, "\(pauses)")
        let end = events.first { $0["event"] as? String == "step_finished" && $0["step"] as? String == "work" }
        #expect(end?["exit"] as? Int == 0 && end?["outcome"] as? String == "done", "\(end ?? [:])")

        let resumed = try s.run(["resume"], env: ["CHAT_HOOK": server.base + "/hook"])
        #expect(resumed.status == 0, "\(resumed.stdout)\(resumed.stderr)")
        #expect(resumed.stdout.contains("Ended while the terminal was lost: work: The long step, done, exit status 0"), "\(resumed.stdout)")
        #expect(resumed.stdout.contains("after-ran"))
        // Never run again: one start, no second attempt.
        let all = Self.events(s)
        #expect(all.filter { ["step_started", "attempt_started"].contains($0["event"] as? String) && $0["step"] as? String == "work" }.count == 1)
        #expect(all.last?["event"] as? String == "run_finished")
        // Two processes wrote to it, one after the other: the chain holds.
        let verified = try s.run(["verify", URL(fileURLWithPath: dir).lastPathComponent])
        #expect(verified.status == 0, "\(verified.stdout)\(verified.stderr)")
        let posts = try String(contentsOfFile: log, encoding: .utf8)
        #expect(posts.contains("terminal lost (SIGHUP) during 'work'"), "\(posts)")
        #expect(posts.contains("run resumed by"), "\(posts)")
        #expect(!posts.contains("answers ran out"), "\(posts)")
    }

    @Test func resumeReattachesToAStepStillRunning() throws {
        let log = try temporaryDirectory() + "/hooks.txt"
        let server = try HTTPTestServer(hookLog: log)
        let s = try Sandbox(["hangup": Self.runbook("touch started; sleep 4; echo finished; touch done")])
        try Self.dropTerminalDuringStep(s, hook: server.base + "/hook")
        // The session lets the run go at once; the step is still at work.
        let dir = try Self.runDir(s)
        try waitUntil("the session to let the run go", timeout: 10) { Self.free(dir + "/lock") }
        #expect(!s.exists("done"))
        let resumed = try s.run(["resume"], env: ["CHAT_HOOK": server.base + "/hook"])
        #expect(resumed.status == 0, "\(resumed.stdout)\(resumed.stderr)")
        #expect(resumed.stdout.contains("re-attached to step 'work' (pid "), "\(resumed.stdout)")
        #expect(resumed.stdout.contains("| finished"), "its output as it came: \(resumed.stdout)")
        #expect(resumed.stdout.contains("Ended while the terminal was lost: work: The long step, done, exit status 0"), "\(resumed.stdout)")
        #expect(resumed.stdout.contains("after-ran"))
        let all = Self.events(s)
        #expect(all.filter { ["step_started", "attempt_started"].contains($0["event"] as? String) && $0["step"] as? String == "work" }.count == 1)
        #expect(all.last?["event"] as? String == "run_finished")
    }

    @Test func aLostTerminalAtAPromptIsJournaledAsTerminalLost() throws {
        let s = try Sandbox(["prompt": """
        muster: 1
        name: prompt
        title: Prompt
        steps:
          - id: check
            title: Check
            manual:
              - Look at the dashboard
        """])
        let term = try Tmux(cwd: s.dir)
        try term.type("\(musterBinary) run prompt")
        _ = try term.waitFor("[ ] Look at the dashboard")
        try term.tmux(["kill-session", "-t", "t"])
        try waitUntil("run_paused in the journal: \(Self.events(s))", timeout: 10) { Self.events(s).contains { $0["event"] as? String == "run_paused" } }
        let pause = Self.events(s).last { $0["event"] as? String == "run_paused" }?["text"] as? String
        #expect(pause?.contains("terminal lost") == true, "\(pause ?? "none")")
        #expect(pause?.contains("answers ran out") == false, "\(pause ?? "none")")
    }

    /// SIGHUP without tmux (a parent that hangs up, `kill -HUP`): the same.
    /// The process ends, paused, once the step's end is journaled.
    @Test func aHangUpDuringAStepLeavesItRunningAndJournalsItsEnd() async throws {
        let s = try Sandbox(["hangup": Self.runbook("touch started; sleep 2; echo finished; exit 4")])
        let live = try LiveMuster(["run", "hangup", "--yes"], cwd: s.dir, env: ["CHAT_HOOK": "http://127.0.0.1:9/none"])
        try waitUntil("the step to begin: \(live.stdout)", timeout: 15) { s.exists("started") }
        kill(live.pid, SIGHUP)
        #expect(await live.finish().status == 3)
        let events = Self.events(s)
        let failed = events.first { $0["event"] as? String == "attempt_finished" }
        #expect(failed?["exit"] as? Int == 4 && failed?["interrupted"] == nil, "\(failed ?? [:])")
        #expect((failed?["tail"] as? [String]) == ["finished"], "\(failed ?? [:])")
        #expect(events.last?["event"] as? String == "run_paused")
        #expect((events.last?["text"] as? String)?.contains("terminal lost (SIGHUP) during 'work'; it ended with nobody attached: failed: exited with status 4") == true,
                "\(events.last ?? [:])")
        #expect(!events.contains { $0["event"] as? String == "step_started" && $0["step"] as? String == "after" })
    }

    /// While the kept step runs, the run cannot be closed or started again
    /// beside it; `takeover --now` stops the step as SIGTERM would, through
    /// the process that keeps it, and takes the run over.
    @Test func takeoverNowStopsAKeptStepAndAbandonWaitsForIt() async throws {
        let s = try Sandbox(["hangup": Self.runbook("touch started; sleep 30; touch done")])
        let live = try LiveMuster(["run", "hangup", "--yes"], cwd: s.dir, env: ["CHAT_HOOK": "http://127.0.0.1:9/none"])
        try waitUntil("the step to begin: \(live.stdout)", timeout: 15) { s.exists("started") }
        kill(live.pid, SIGHUP)
        let dir = try Self.runDir(s)
        let id = URL(fileURLWithPath: dir).lastPathComponent
        try waitUntil("the session to let the run go", timeout: 10) { Self.free(dir + "/lock") }
        let abandon = try s.run(["abandon", id, "--reason", "gone"])
        #expect(abandon.status == 2 && abandon.stderr.contains("step 'work' is still running"), "\(abandon.stderr)")
        let again = try s.run(["run", "hangup", "--yes"], env: ["CHAT_HOOK": "http://127.0.0.1:9/none"])
        #expect(again.status == 2 && again.stderr.contains("is already being run: \(id)"), "\(again.stderr)")
        let taken = try s.run(["takeover", id, "--now", "--reason", "shift change"], env: ["CHAT_HOOK": "http://127.0.0.1:9/none"])
        #expect(taken.stdout.contains("stopping it (--now)"), "\(taken.stdout)\(taken.stderr)")
        #expect(taken.stdout.contains("re-attached to step 'work'"), "\(taken.stdout)")
        // Stopped, so it may have done part of its work: asked, and the pipe has no answer.
        #expect(taken.status == 3, "\(taken.stdout)\(taken.stderr)")
        #expect(await live.finish().status == 3)
        #expect(!s.exists("done"))
        let events = Self.events(s)
        let stopped = events.first { $0["event"] as? String == "attempt_finished" }
        #expect(stopped?["text"] as? String == "stopped by SIGTERM" && stopped?["interrupted"] as? Bool == true, "\(stopped ?? [:])")
        #expect(events.contains { $0["event"] as? String == "handoff" && $0["text"] as? String == "shift change" })
        #expect(taken.stdout.contains("Ended while the terminal was lost: work: The long step, stopped by SIGTERM, exit status 143"), "\(taken.stdout)")
    }
}

/// Where the step lock lives (the CLI's `StepKeeper.path`).
enum StepKeeperPath {
    static func of(_ runDir: String) -> String { runDir + "/step.lock" }
}
