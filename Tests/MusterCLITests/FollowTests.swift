#if canImport(Glibc)
@preconcurrency import Glibc
#endif
import Foundation
import MusterTestSupport
import Testing

/// `muster follow` beside a real operator: the operator's session in one
/// terminal or pipe, the follower in another, each a real `muster`.
@Suite("muster follow", .serialized)
struct FollowTests {
    static let incident = """
    muster: 1
    name: incident
    title: Incident drill
    secrets:
      TOKEN: {}
    escalation:
      - after: 30m
        contact: Secondary on-call
    steps:
      - id: declare
        title: Declare the incident
        manual:
          - Open an incident
      - id: flaky
        title: Flaky step
        run: echo "using $TOKEN"; test -e fixed || { echo "not fixed yet" >&2; exit 1; }
      - id: confirm
        title: Confirm recovery
        manual:
          - Check the dashboard
    """

    /// The exit status of a process once it has ended (SIGKILLed after `seconds`).
    func exitStatus(_ m: LiveMuster, seconds: Double = 30) -> Int32? {
        guard eventually(within: seconds, { !m.isRunning }) else {
            Issue.record("never happened: muster \(m.process.arguments ?? []) to exit")
            m.kill()
            return nil
        }
        m.process.waitUntilExit()
        // Its output is read by threads of its own: wait until they read its end.
        // (Not an issue if it never does: a step's child may hold the pipe.)
        _ = eventually(within: 5) { m.outputEnded }
        return m.process.terminationStatus
    }

    struct NoRunYet: Error {}

    func runDir(_ s: Sandbox) throws -> String {
        // The runs folder may be there a moment before the run's own.
        guard let last = try FileManager.default.contentsOfDirectory(atPath: s.dir + "/.muster/runs").sorted().last else {
            throw NoRunYet()
        }
        return s.dir + "/.muster/runs/" + last
    }

    func screenLog(_ s: Sandbox) throws -> String {
        (try? String(contentsOfFile: try runDir(s) + "/screen.jsonl", encoding: .utf8)) ?? ""
    }

    @Test func followInASecondTerminalWhileTheOperatorWorks() throws {
        let s = try Sandbox(["incident": Self.incident])
        try "".write(toFile: s.dir + "/fixed", atomically: true, encoding: .utf8)
        let op = try Tmux(cwd: s.dir)
        try op.type("MUSTER_OPERATOR=alice TOKEN=hunter2-secret \(musterBinary) run incident")
        _ = try op.waitFor("[ ] Open an incident")
        let follower = try Tmux(cwd: s.dir)
        try follower.type("\(musterBinary) follow; echo \"exit\"\"=$?\"")
        var screen = try follower.waitFor("waiting for alice's answer")
        #expect(screen.contains("Following run ") && screen.contains("(read-only) of incident"), "\(screen)")
        #expect(screen.contains("executed now by user \(NSUserName()), pid "), "\(screen)")
        #expect(screen.contains("[1/3] Declare the incident"))
        #expect(screen.contains("[ ] Open an incident"))
        // The operator's status line: step, elapsed time, next escalation rung.
        #expect(screen.contains("[step 1 of 3 · elapsed "))
        #expect(screen.contains("next escalation at 30m: Secondary on-call"))
        try op.type("y")
        screen = try follower.waitFor("[ ] Check the dashboard")
        #expect(screen.contains("    │ using ***"), "\(screen)")
        #expect(screen.contains("✓ done in"))
        let raw = try follower.screen(escapes: true)
        #expect(screen.contains("[1/3] Declare the incident") && screen.contains("[2/3] Flaky step"), "\(raw)")
        #expect(!screen.contains("hunter2"))
        // Answered once the operator's own screen shows it: keys pressed
        // before that are ignored.
        _ = try op.waitFor("[ ] Check the dashboard")
        try op.type("y")
        screen = try follower.waitFor("exit=")
        #expect(screen.contains("completed after"), "\(screen)")
        #expect(screen.contains("exit=0"), "\(screen)")
        // The follower typed nothing, and the operator's screen is as it was.
        #expect(try op.screen().contains("completed after"))
    }

    @Test func jsonLinesForBotsAndWithUntilPauseExit3WhenTheRunPauses() throws {
        let s = try Sandbox(["incident": Self.incident])
        let op = try LiveMuster(["run", "incident"], cwd: s.dir, env: ["MUSTER_OPERATOR": "alice", "TOKEN": "hunter2-secret"])
        try waitUntil("the first question in the screen log") { (try? screenLog(s))?.contains("Open an incident") == true }
        let follower = try LiveMuster(["follow", "--json", "--until-pause"], cwd: s.dir)
        try waitUntil("the follower to show the question") { follower.stdout.contains("\"event\":\"question\"") }
        op.send("y")
        // The failure menu (no `fixed` file): then the answers run out.
        try waitUntil("the failure question") { follower.stdout.contains("did not succeed") }
        op.closeInput()
        #expect(exitStatus(op) == 3)
        #expect(exitStatus(follower) == 3)
        let lines = follower.stdout.split(separator: "\n")
        let objects = lines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(objects.count == lines.count, "every line is a JSON object:\n\(follower.stdout)")
        let events = objects.compactMap { $0["event"] as? String }
        #expect(events.first == "following")
        #expect(objects.first?["operator"] as? String == "alice")
        for e in ["run_started", "step_started", "item_answered", "attempt_finished", "question", "question_closed", "run_paused"] {
            #expect(events.contains(e), "no \(e) in \(events)")
        }
        let question = objects.first { $0["event"] as? String == "question" }
        #expect(question?["question"] as? String == "[ ] Open an incident")
        #expect((question?["status"] as? String)?.contains("step 1 of 3") == true)
        #expect(!follower.stdout.contains("hunter2"))
    }

    @Test func aSecretNeverReachesTheScreenLog() throws {
        let s = try Sandbox(["incident": Self.incident])
        let r = try s.run(["run", "incident"], stdin: "y\n", env: ["TOKEN": "hunter2-secret"])
        #expect(r.status == 3)
        let log = try screenLog(s)
        #expect(log.contains("using ***"), "\(log)")
        #expect(log.contains("Open an incident"))
        #expect(!log.contains("hunter2"))
        // Followed after the fact: the run replays, and it is paused.
        let f = try s.run(["follow", URL(fileURLWithPath: try runDir(s)).lastPathComponent, "--until-pause"])
        #expect(f.status == 3)
        #expect(f.stdout.contains("    | using ***"))
        #expect(f.stdout.contains("paused: answers ran out"))
        #expect(!f.stdout.contains("hunter2"))
    }

    /// Follow only reads: the run's folder is the same before and after.
    @Test func followNeverWritesIntoTheRun() throws {
        let s = try Sandbox(["incident": Self.incident])
        try "".write(toFile: s.dir + "/fixed", atomically: true, encoding: .utf8)
        #expect(try s.run(["run", "incident"], stdin: "y\ny\n", env: ["TOKEN": "x"]).status == 0)
        let dir = try runDir(s)
        func listing() throws -> [String] {
            try FileManager.default.contentsOfDirectory(atPath: dir).sorted().map { name in
                let a = try FileManager.default.attributesOfItem(atPath: dir + "/" + name)
                return "\(name) \(a[.size] ?? 0) \(a[.modificationDate] ?? "")"
            }
        }
        let before = try listing()
        let f = try s.run(["follow", URL(fileURLWithPath: dir).lastPathComponent])
        #expect(f.status == 0)
        #expect(f.stdout.contains("completed after"))
        #expect(try listing() == before)
        let none = try s.run(["follow"])
        #expect(none.status == 2)
        #expect(none.stderr.contains("no run is being executed now"), "\(none.stderr)")
        let wrong = try s.run(["follow", "20990101T000000Z-nothing"])
        #expect(wrong.status == 2)
        #expect(wrong.stderr.contains("no run 20990101T000000Z-nothing"))
    }

    @Test func followsAcrossTheOperatorsCrashAndAResume() throws {
        let s = try Sandbox(["incident": Self.incident])
        let op = try LiveMuster(["run", "incident"], cwd: s.dir, env: ["MUSTER_OPERATOR": "alice", "TOKEN": "t0ken-value"])
        try waitUntil("the first question in the screen log") { (try? screenLog(s))?.contains("Open an incident") == true }
        let follower = try LiveMuster(["follow"], cwd: s.dir)
        try waitUntil("the follower to show the question") { follower.stdout.contains("waiting for alice's answer") }
        op.kill()
        _ = exitStatus(op)
        try waitUntil("the follower to say the session ended") { follower.stdout.contains("ended unexpectedly") }
        #expect(follower.isRunning, "a crash is not the end of the run")
        try "".write(toFile: s.dir + "/fixed", atomically: true, encoding: .utf8)
        let resumed = try LiveMuster(["resume"], cwd: s.dir, env: ["MUSTER_OPERATOR": "bob", "TOKEN": "t0ken-value"])
        try waitUntil("the follower to see the resumed session") { follower.stdout.contains("waiting for bob's answer") }
        resumed.send("y")
        resumed.send("y")
        #expect(exitStatus(resumed) == 0)
        #expect(exitStatus(follower) == 0)
        let out = follower.stdout
        #expect(out.contains("--- resumed by bob on "), "\(out)")
        #expect(out.contains("· resumed"))
        #expect(out.contains("[ ] Check the dashboard"))
        #expect(out.contains("completed after"))
    }

    /// A pause is not the end: the follower waits for the next session and
    /// follows it to the end of the run.
    @Test func staysAttachedThroughAPauseAndAResumeUntilTheRunEnds() throws {
        let s = try Sandbox(["incident": Self.incident])
        let op = try LiveMuster(["run", "incident"], cwd: s.dir, env: ["MUSTER_OPERATOR": "alice", "TOKEN": "t0ken-value"])
        try waitUntil("the first question in the screen log") { (try? screenLog(s))?.contains("Open an incident") == true }
        let follower = try LiveMuster(["follow"], cwd: s.dir)
        try waitUntil("the follower to show the question") { follower.stdout.contains("waiting for alice's answer") }
        op.send("y")
        try waitUntil("the failure question") { follower.stdout.contains("did not succeed") }
        op.send("a")
        #expect(exitStatus(op) == 3)
        try waitUntil("the follower to say the run waits") { follower.stdout.contains("--- paused — waiting for a resume ---") }
        #expect(follower.isRunning, "a pause is not the end of the run")
        #expect(!follower.stdout.contains("ended unexpectedly"))
        try "".write(toFile: s.dir + "/fixed", atomically: true, encoding: .utf8)
        let resumed = try LiveMuster(["resume"], cwd: s.dir, env: ["MUSTER_OPERATOR": "bob", "TOKEN": "t0ken-value"])
        try waitUntil("the follower to see the resumed session") { follower.stdout.contains("waiting for bob's answer") }
        resumed.send("r")
        try waitUntil("the last question") { follower.stdout.contains("[ ] Check the dashboard") }
        resumed.send("y")
        #expect(exitStatus(resumed) == 0, "\(resumed.stdout)")
        #expect(exitStatus(follower) == 0)
        let out = follower.stdout
        let pause = try #require(out.range(of: "--- paused — waiting for a resume ---"), "\(out)")
        let resume = try #require(out.range(of: "--- resumed by bob on "), "\(out)")
        #expect(pause.upperBound <= resume.lowerBound)
        #expect(out.contains("completed after"), "\(out)")
    }

    /// A takeover of a live session: the old session pauses, the new one
    /// resumes; the follower says who took over and why, and goes on.
    @Test func followsAcrossAHandOff() throws {
        let s = try Sandbox(["incident": Self.incident])
        try "".write(toFile: s.dir + "/fixed", atomically: true, encoding: .utf8)
        let op = try LiveMuster(["run", "incident"], cwd: s.dir, env: ["MUSTER_OPERATOR": "alice", "TOKEN": "x"])
        try waitUntil("the first question in the screen log") { (try? screenLog(s))?.contains("Open an incident") == true }
        let follower = try LiveMuster(["follow"], cwd: s.dir)
        try waitUntil("the follower to show the question") { follower.stdout.contains("waiting for alice's answer") }
        let id = URL(fileURLWithPath: try runDir(s)).lastPathComponent
        let taker = try LiveMuster(["takeover", id, "--reason", "shift change"], cwd: s.dir, env: ["MUSTER_OPERATOR": "carol", "TOKEN": "x"])
        #expect(exitStatus(op) == 3)
        try waitUntil("the follower to see the new operator's question") { follower.stdout.contains("waiting for carol's answer") }
        #expect(follower.isRunning)
        taker.send("y")
        try waitUntil("the last question") { follower.stdout.contains("[ ] Check the dashboard") }
        taker.send("y")
        #expect(exitStatus(taker) == 0, "\(taker.stdout)\(taker.stderr)")
        #expect(exitStatus(follower) == 0)
        let out = follower.stdout
        #expect(out.contains("--- taken over by carol (OS user \(NSUserName())): shift change ---"), "\(out)")
        #expect(out.contains("--- resumed by carol on "), "\(out)")
        #expect(out.contains("completed after"))
    }

    /// Ctrl-C stops following; the status says whether the run was left paused.
    @Test func ctrlCStopsFollowingWith3WhileTheRunIsPaused() throws {
        let s = try Sandbox(["incident": Self.incident])
        #expect(try s.run(["run", "incident"], stdin: "y\n", env: ["TOKEN": "x"]).status == 3)
        let id = URL(fileURLWithPath: try runDir(s)).lastPathComponent
        let paused = try LiveMuster(["follow", id], cwd: s.dir)
        try waitUntil("the follower to say the run waits") { paused.stdout.contains("--- paused — waiting for a resume ---") }
        #expect(paused.isRunning)
        kill(paused.pid, SIGINT)
        #expect(exitStatus(paused) == 3)
        let json = try LiveMuster(["follow", id, "--json"], cwd: s.dir)
        try waitUntil("the JSON follower to say the run waits") { json.stdout.contains("\"event\":\"waiting_for_resume\"") }
        kill(json.pid, SIGTERM)
        #expect(exitStatus(json) == 3)
        // A run going on: Ctrl-C leaves it going, and says so by 130.
        let op = try LiveMuster(["resume", id], cwd: s.dir, env: ["MUSTER_OPERATOR": "bob", "TOKEN": "x"])
        try waitUntil("the resumed question in the screen log") { (try? screenLog(s))?.contains("\"by\":\"bob\"") == true }
        let live = try LiveMuster(["follow", id], cwd: s.dir)
        try waitUntil("the follower to show the question") { live.stdout.contains("waiting for bob's answer") }
        kill(live.pid, SIGINT)
        #expect(exitStatus(live) == 130)
        #expect(op.isRunning)
        op.closeInput()
        #expect(exitStatus(op) == 3)
    }

    @Test func keepsUpWithThousandsOfOutputLines() throws {
        let lines = 20000
        let s = try Sandbox(["noisy": """
        muster: 1
        name: noisy
        title: Noisy
        steps:
          - id: go
            title: Go
            manual:
              - Start
          - id: print
            title: Print a lot
            run: for i in $(seq 1 \(lines)); do echo "line $i"; done
        """])
        let op = try LiveMuster(["run", "noisy"], cwd: s.dir)
        try waitUntil("the first question in the screen log") { (try? screenLog(s))?.contains("Start") == true }
        let follower = try LiveMuster(["follow"], cwd: s.dir)
        try waitUntil("the follower to show the question") { follower.stdout.contains("[ ] Start") }
        op.send("y")
        #expect(exitStatus(op, seconds: 120) == 0)
        #expect(exitStatus(follower, seconds: 120) == 0)
        let shown = follower.stdout.split(separator: "\n").filter { $0.hasPrefix("    | line ") }
        #expect(shown.count == lines)
        #expect(shown.last == "    | line \(lines)")
    }

    /// Joining a run whose screen log is huge shows its last 8 MiB, and says so.
    @Test func aHugeScreenIsShownFromItsLastMegabytes() throws {
        let s = try Sandbox(["huge": """
        muster: 1
        name: huge
        title: Huge
        steps:
          - id: print
            title: Print a lot
            run: seq 1 300000
        """])
        #expect(try s.run(["run", "huge", "--yes"]).status == 0)
        let f = try s.run(["follow", URL(fileURLWithPath: try runDir(s)).lastPathComponent])
        #expect(f.status == 0)
        #expect(f.stdout.contains("MiB of this run's screen are not shown; `muster log "), "\(f.stdout.prefix(500))")
        let shown = f.stdout.split(separator: "\n").filter { $0.hasPrefix("    | ") }
        #expect(shown.count > 100_000 && shown.count < 300_000)
        #expect(shown.last == "    | 300000")
        #expect(f.stdout.contains("completed after"))
    }

    /// A trainer follows a trainee's drill: the fault, the escalation, and
    /// the verdict with the escalation score.
    @Test func aTrainerFollowsATraineesDrill() throws {
        let s = try Sandbox(["incident": Self.incident])
        try FileManager.default.createDirectory(atPath: s.dir + "/drills", withIntermediateDirectories: true)
        try """
        muster: 1
        drill: incident-training
        runbook: incident
        rto: 10m
        faults:
          - step: flaky
            fail: "AccessDenied: you are not allowed to do that"
            times: 1
        expect_escalation:
          within: 5m
          contact: Secondary on-call
        """.write(toFile: s.dir + "/drills/incident-training.yaml", atomically: true, encoding: .utf8)
        try "".write(toFile: s.dir + "/fixed", atomically: true, encoding: .utf8)
        let trainee = try LiveMuster(["drill", "incident-training"], cwd: s.dir, env: ["MUSTER_OPERATOR": "trainee", "TOKEN": "x"])
        try waitUntil("the first question in the screen log") { (try? screenLog(s))?.contains("Open an incident") == true }
        let trainer = try LiveMuster(["follow"], cwd: s.dir)
        try waitUntil("the trainer to see the question") { trainer.stdout.contains("waiting for trainee's answer") }
        #expect(trainer.stdout.contains("DRILL incident-training"))
        #expect(trainer.stdout.contains("RTO 10m:"))
        trainee.send("y")
        try waitUntil("the trainer to see the fault") { trainer.stdout.contains("AccessDenied: you are not allowed to do that") }
        trainee.send("e")
        trainee.send("1")
        trainee.send("r")
        trainee.send("y")
        #expect(exitStatus(trainee) == 0)
        #expect(exitStatus(trainer) == 0)
        let out = trainer.stdout
        #expect(out.contains("escalation recorded: Secondary on-call"), "\(out)")
        #expect(out.contains("Drill incident-training (live): recovered after"))
        #expect(out.contains("Fault injected at flaky"))
        #expect(out.contains("Training: escalated to Secondary on-call"))
        #expect(out.contains("in time, the right rung"))
    }
}
