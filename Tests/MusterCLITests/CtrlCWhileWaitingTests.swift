import Foundation
import MusterTestSupport
import Testing

/// Ctrl-C while a `wait`, `http` or `ci` step waits asks what it asks during
/// a `run` step's command: `s` stops the step (the failure answers follow),
/// `w` keeps waiting. It never pauses the whole run on a terminal.
@Suite("Ctrl-C while a wait, http or ci step waits (tmux)", .serialized)
struct CtrlCWhileWaitingTests {
    @Test func ctrlCDuringAWaitAsksKeepWaitingGoesOnAndStopShowsTheFailureAnswers() throws {
        let s = try Sandbox(["t": """
        muster: 1
        name: t
        title: Waiting
        steps:
          - id: ready
            title: Wait for the standby
            wait:
              run: test -e ready && echo READY || echo not-yet
              until: READY
              every: 1s
              timeout: 2m
          - id: after
            title: After
            run: echo after-the-wait
          - id: again
            title: Wait again
            wait:
              run: test -e never && echo READY || echo not-yet
              until: READY
              every: 1s
              timeout: 2m
        """])
        let term = try Tmux(cwd: s.dir)
        try term.type("\(musterBinary) run t")
        _ = try term.waitFor("poll 2:")
        try term.key("C-c")
        _ = try term.waitFor("Ctrl-C: stop 'ready' now, or keep waiting?")
        try term.type("w")
        // The wait goes on: it polls again, then passes once the file exists.
        _ = try term.waitFor("poll 4:")
        try "".write(toFile: s.dir + "/ready", atomically: true, encoding: .utf8)
        var screen = try term.waitFor("after-the-wait")
        #expect(!screen.contains("paused"))

        _ = try term.waitFor("[3/3] Wait again")
        _ = try term.waitFor("poll 2:")
        try term.key("C-c")
        _ = try term.waitFor("Ctrl-C: stop 'again' now, or keep waiting?")
        try term.type("s")
        screen = try term.waitFor("Step 'again' did not succeed. What now?")
        #expect(screen.contains("stopped by the operator"))
        try term.type("s not needed today")
        screen = try term.waitFor("completed after")
        let events = try s.journal()
        #expect(!events.contains { $0["event"] as? String == "run_paused" })
        #expect(events.contains { $0["event"] as? String == "attempt_finished" && $0["step"] as? String == "again" && $0["text"] as? String == "stopped by the operator" })
    }

    @Test func ctrlCDuringAnHTTPRequestKeepsItWhenTheOperatorWaits() throws {
        let requests = try temporaryDirectory() + "/requests.txt"
        let server = try HTTPTestServer(environment: ["REQUEST_LOG": requests])
        let s = try Sandbox(["t": """
        muster: 1
        name: t
        title: Slow API
        steps:
          - id: slow
            title: A slow health check
            http:
              url: \(server.base)/slow
              body_contains: late
        """])
        let term = try Tmux(cwd: s.dir)
        try term.type("\(musterBinary) run t")
        _ = try term.waitFor("GET \(server.base)/slow")
        // Into the exchange: the server holds the request (5 s).
        #expect(Self.waitForRequests(requests, "GET /slow", count: 1), "the request never reached the server")
        try term.key("C-c")
        _ = try term.waitFor("Ctrl-C: stop 'slow' now, or keep waiting?")
        try term.type("w")
        let screen = try term.waitFor("completed after", seconds: 15)
        #expect(screen.contains("late"))
        #expect(!screen.contains("paused"))
    }

    @Test func ctrlCDuringACIStepKeepsFollowingOrStopsTheStep() throws {
        let requests = try temporaryDirectory() + "/requests.txt"
        let server = try HTTPTestServer(environment: ["REQUEST_LOG": requests])
        let s = try Sandbox(["t": """
        muster: 1
        name: t
        title: Stuck pipeline
        steps:
          - id: deploy
            title: Deploy through CI
            ci:
              provider: buildbot
              url: \(server.base)/bbstuck
              builder: deploy
              timeout: 5m
        """])
        let term = try Tmux(cwd: s.dir)
        try term.type("\(musterBinary) run t")
        _ = try term.waitFor("build 1: building")
        try term.key("C-c")
        _ = try term.waitFor("Ctrl-C: stop 'deploy' now, or keep waiting?")
        try term.type("w")
        let polled = Self.requestCount(requests, "GET /bbstuck/api/v2/builds")
        // Kept following: the build is asked about again after the answer.
        #expect(Self.waitForRequests(requests, "GET /bbstuck/api/v2/builds", count: polled + 1), "the step stopped following the build")
        var screen = try term.screen()
        #expect(!screen.contains("paused"))
        #expect(!screen.contains("did not succeed"))
        try term.key("C-c")
        // Asked a second time: the first question is on the screen already.
        _ = try eventually(within: 10) { try term.screen().components(separatedBy: "Ctrl-C: stop 'deploy' now").count >= 3 }
        try term.type("s")
        screen = try term.waitFor("Step 'deploy' did not succeed. What now?")
        #expect(screen.contains("stopped by the operator"))
        try term.type("a")
        _ = try term.waitFor("Continue with: muster resume")
    }

    /// How many of the server's logged requests start with `prefix`.
    static func requestCount(_ log: String, _ prefix: String) -> Int {
        ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n").filter { $0.hasPrefix(prefix) }.count
    }

    /// Waits (up to 15 s) until the server has logged `count` requests starting with `prefix`.
    static func waitForRequests(_ log: String, _ prefix: String, count: Int) -> Bool {
        eventually(within: 15) { requestCount(log, prefix) >= count }
    }
}
