#if canImport(Glibc)
@preconcurrency import Glibc
#endif
import Foundation
import MusterTestSupport
import Testing

/// A signal may come while Muster waits on anything, not only on a step or a
/// prompt: a webhook, an HTTP call, a CI server, the sleep between probes.
/// Whatever it interrupts, the run pauses (exit 3) before its next action,
/// and the journal says which signal it was.
extension LiveMuster {
    /// `finish` without the concurrency pool: on two busy cores, a test
    /// whose sleeps wait for a pool thread may look for a moment seconds
    /// after it has passed.
    func finishBlocking(within seconds: Double) -> Int32 {
        if !eventually(within: seconds, { !isRunning }) {
            Issue.record("muster still running after \(seconds)s; killed")
            kill()
        }
        process.waitUntilExit()
        // The output threads may still hold the last lines: wait for the
        // end of both streams (bounded: a step's child may hold a pipe).
        _ = eventually(within: 5) { outputEnded }
        return process.terminationStatus
    }

    /// No process of its own is running (every thread's `children` in
    /// /proc is empty): a `wait` step's probe has ended and Muster is in
    /// the sleep before the next one.
    var hasNoChildren: Bool {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
        return !tasks.isEmpty && tasks.allSatisfy {
            ((try? String(contentsOfFile: "/proc/\(pid)/task/\($0)/children", encoding: .utf8)) ?? "x")
                .trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
        }
    }
}

@Suite("a signal at any moment pauses before the next action")
struct SignalMomentTests {
    enum Moment: String, CaseIterable, CustomTestStringConvertible {
        case webhook, httpStep, waitSleep, ciPoll
        var testDescription: String { rawValue }
    }

    /// The runbook that stops at `moment`; its last step would create `after`.
    static func runbook(_ moment: Moment, base: String) -> String {
        let after = """
          - id: after
            title: The destructive step
            run: touch after
        """
        switch moment {
        case .webhook:
            return """
            muster: 1
            name: m
            title: Moment
            notify: {webhook: CHAT_HOOK}
            secrets:
              CHAT_HOOK: {env: CHAT_HOOK}
            steps:
            \(after)
            """
        case .httpStep:
            return """
            muster: 1
            name: m
            title: Moment
            steps:
              - id: call
                title: Call a stalled API
                http: {url: "\(base)/hang"}
            \(after)
            """
        case .waitSleep:
            return """
            muster: 1
            name: m
            title: Moment
            steps:
              - id: wait
                title: Wait for it
                wait: {run: "touch polled; false", every: 20s, timeout: 1m}
            \(after)
            """
        case .ciPoll:
            return """
            muster: 1
            name: m
            title: Moment
            steps:
              - id: redeploy
                title: Redeploy through CI
                ci: {provider: buildbot, url: "\(base)/bbstuck", builder: deploy, timeout: 2m}
            \(after)
            """
        }
    }

    /// True once Muster is inside the moment: the server holds its request
    /// (the hang log), the wait's probe is over, or the CI server's answer
    /// was shown (the next thing is the sleep before the next poll).
    static func reached(_ moment: Moment, sandbox s: Sandbox, hangLog: String, live: LiveMuster) -> Bool {
        switch moment {
        case .webhook, .httpStep: (try? String(contentsOfFile: hangLog, encoding: .utf8))?.isEmpty == false
        // The probe ran and has ended: Muster sleeps until the next.
        case .waitSleep: s.exists("polled") && live.hasNoChildren
        case .ciPoll: live.stdout.contains("build 1: building")
        }
    }

    static let names: [Int32: String] = [SIGINT: "SIGINT", SIGTERM: "SIGTERM", SIGHUP: "SIGHUP", SIGQUIT: "SIGQUIT"]

    @Test(arguments: [(Moment.webhook, SIGHUP), (.webhook, SIGINT), (.webhook, SIGTERM), (.webhook, SIGQUIT),
                      (.httpStep, SIGTERM), (.waitSleep, SIGHUP), (.ciPoll, SIGINT)])
    func aSignalPausesBeforeTheNextStep(moment: Moment, signal: Int32) throws {
        let hangLog = try temporaryDirectory() + "/hang.txt"
        let server = try HTTPTestServer(environment: ["HANG_LOG": hangLog])
        let s = try Sandbox(["m": Self.runbook(moment, base: server.base)])
        let live = try LiveMuster(["run", "m", "--yes"], cwd: s.dir, env: ["CHAT_HOOK": server.base + "/hang"])
        #expect(eventually(within: 15) { Self.reached(moment, sandbox: s, hangLog: hangLog, live: live) }, "\(live.stdout)")
        kill(live.pid, signal)
        let status = live.finishBlocking(within: 20)
        let name = Self.names[signal]!
        #expect(status == 3, "\(live.stdout)\(live.stderr)")
        #expect(!s.exists("after"), "the next step ran after \(name)")
        let paused = try s.journal().last
        #expect(paused?["event"] as? String == "run_paused")
        #expect((paused?["text"] as? String)?.contains(name) == true, "\(paused ?? [:])")
        #expect(live.stdout.contains(name))
        #expect(!live.stderr.contains("crashed"), "\(live.stderr)")
    }

    /// A step past its timeout that ignores SIGTERM gets 5 s before SIGKILL;
    /// a signal in those seconds is not lost, even one (Ctrl-C) that the
    /// runner cannot act on there, nor with `on_failure: continue`.
    @Test(arguments: [SIGINT, SIGTERM])
    func aSignalWhileATimedOutStepIsBeingStoppedStillPauses(signal: Int32) throws {
        let s = try Sandbox(["t": """
        muster: 1
        name: t
        title: Timed out
        steps:
          - id: stubborn
            title: Stubborn
            run: trap 'touch termed' TERM; touch started; (trap '' TERM; exec sleep 30) & while ! wait; do :; done
            timeout: 1s
            on_failure: continue
          - id: after
            title: After
            run: touch after
        """])
        let live = try LiveMuster(["run", "t", "--yes"], cwd: s.dir)
        // The shell notes the SIGTERM of the timeout and goes on, its
        // sleep ignoring it: the signal below comes in the seconds before
        // the SIGKILL.
        #expect(eventually(within: 10) { s.exists("termed") }, "the step was never stopped for its timeout")
        kill(live.pid, signal)
        let status = live.finishBlocking(within: 20)
        #expect(status == 3, "\(live.stdout)")
        #expect(!s.exists("after"))
        #expect((try s.journal().last?["text"] as? String)?.contains(Self.names[signal]!) == true)
    }

    /// A signal at a parameter question, before the run exists: nothing
    /// ran and nothing can be resumed (exit 2), and the message says so,
    /// naming the signal instead of blaming a missing value.
    @Test func aSignalAtAParameterQuestionStopsBeforeTheRunAndSaysWhy() throws {
        let s = try Sandbox(["p": """
        muster: 1
        name: p
        title: Parameters
        params:
          region: {description: Region}
        steps:
          - id: a
            title: A
            run: touch after
        """])
        let live = try LiveMuster(["run", "p"], cwd: s.dir)
        _ = eventually(within: 10) { live.stdout.contains("Value for parameter 'region'") }
        kill(live.pid, SIGTERM)
        let status = live.finishBlocking(within: 10)
        #expect(status == 2)
        #expect(live.stderr.contains("stopped by SIGTERM before the first step; nothing was run"), "\(live.stderr)")
        #expect(!s.exists("after"))
    }

    /// Ctrl-C on a terminal asks whether to stop the step; an operator who
    /// walks away from that question must not let the step outlive its
    /// timeout: when it passes, the step is stopped as timed out.
    @Test func theCtrlCQuestionDoesNotLetAStepOutliveItsTimeout() throws {
        let s = try Sandbox(["t": """
        muster: 1
        name: t
        title: Asked
        steps:
          - id: slow
            title: Slow
            run: touch started; sleep 30; touch finished
            timeout: 3s
        """])
        let term = try Tmux(cwd: s.dir)
        try term.type("\(musterBinary) run t")
        _ = eventually(within: 10) { s.exists("started") }
        try term.key("C-c")
        _ = try term.waitFor("stop 'slow' now, or keep waiting?")
        // No answer.
        let screen = try term.waitFor("timed out after 3s", seconds: 8)
        #expect(screen.contains("(no answer in time)"))
        #expect(!s.exists("finished"))
        try term.type("a")
    }

    /// Muster stopped (Ctrl-Z) while a step runs: the step's own process
    /// group goes on, so its timeout is enforced the moment Muster continues.
    @Test func aStepWhoseTimeoutPassedWhileMusterWasStoppedIsStoppedOnContinue() throws {
        let s = try Sandbox(["t": """
        muster: 1
        name: t
        title: Stopped
        steps:
          - id: slow
            title: Slow
            run: touch started; sleep 2.5; touch overdue; sleep 30; touch finished
            timeout: 2s
            on_failure: abort
          - id: after
            title: After
            run: touch after
        """])
        let live = try LiveMuster(["run", "t", "--yes"], cwd: s.dir)
        _ = eventually(within: 10) { s.exists("started") }
        kill(live.pid, SIGTSTP)
        func state() -> Substring? { (try? String(contentsOfFile: "/proc/\(live.pid)/stat", encoding: .utf8))?.split(separator: " ").dropFirst(2).first }
        #expect(eventually(within: 10) { state() == "T" }, "muster did not stop on SIGTSTP")
        // Stopped until the step's timeout (2 s from its start) has passed:
        // the step's own process group goes on, and its script marks the
        // moment (`overdue`, 2.5 s after it began).
        try waitUntil("the step's script to outlast its timeout", timeout: 20) { s.exists("overdue") }
        let continued = Date()
        kill(live.pid, SIGCONT)
        let status = live.finishBlocking(within: 20)
        #expect(Date().timeIntervalSince(continued) < 3, "the step outlived its timeout after SIGCONT")
        #expect(status == 1, "\(live.stdout)")
        #expect(live.stdout.contains("timed out after 2s"))
        #expect(!s.exists("after"))
        let attempt = try s.journal().first { $0["event"] as? String == "attempt_finished" }
        #expect(attempt?["timed_out"] as? Bool == true)
    }
}
