import Foundation
import MusterTestSupport
import Testing

/// http steps through the binary against a real server: the smoke test
/// (a secret from the environment in a header, never on the screen or in
/// the state folder) and curl's own failures. The steps' checks, outputs
/// and waits are HTTPStepEngineTests'.
@Suite("http steps and HTTP waits")
struct HTTPStepTests {
    @Test func anHTTPStepChecksStatusAndBodyAndCapturesJSONOutputs() throws {
        let server = try HTTPTestServer()
        let secret = "bearer-secret-42"
        let s = try Sandbox(["h": FeatureRunbooks.httpSteps(base: server.base)])
        let r = try s.run(["run", "h", "--yes"], env: ["API_TOKEN": secret])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("GET \(server.base)/json"))
        #expect(r.stdout.contains("poll 1: ok (200)"))
        #expect(!r.stdout.contains(secret))
        for (name, text) in try s.stateFiles() { #expect(!text.contains(secret), "secret in \(name)") }
        let finished = try s.journal().first { $0["event"] as? String == "step_finished" && $0["step"] as? String == "cluster" }
        #expect((finished?["outputs"] as? [String: String]) == ["arn": "arn:aws:eks:1", "team": "platform"])
    }

    /// What only libcurl says: a refused connection and a request past
    /// the step's timeout, in its words. The engine's own failures (a
    /// status, a body, outputs, a wait) are HTTPStepEngineTests'.
    @Test func aRefusedConnectionAndATimeoutFailInCurlsWords() throws {
        let server = try HTTPTestServer()
        let deadPort = try HTTPTestServer().port
        let s = try Sandbox(["h": """
        muster: 1
        name: h
        title: HTTP failures
        steps:
          - id: refused
            title: Nobody listens
            http: {url: "http://127.0.0.1:\(deadPort)/ok"}
            on_failure: continue
          - id: slow
            title: Too slow
            http: {url: "\(server.base)/slow"}
            timeout: 1s
            on_failure: continue
        """])
        let r = try s.run(["run", "h", "--yes"])
        #expect(r.status == 1)
        #expect(r.stdout.contains("Failed to connect to 127.0.0.1 port \(deadPort)"), "\(r.stdout)")
        #expect(r.stdout.contains("Operation timed out"), "\(r.stdout)")
        let failed = try s.journal().filter { $0["event"] as? String == "step_finished" && $0["outcome"] as? String == "failed" }
        #expect(failed.count == 2)
    }
}

@Suite("notification webhook")
struct WebhookTests {
    static func runbook(_ steps: String) -> String {
        """
        muster: 1
        name: n
        title: Notify
        notify: {webhook: CHAT_HOOK}
        secrets:
          CHAT_HOOK: {env: CHAT_HOOK}
        escalation:
          - after: 30m
            contact: Secondary on-call
        steps:
        \(steps)
        """
    }

    @Test func runEventsArePostedAsChatMessages() throws {
        let log = try temporaryDirectory() + "/hooks.txt"
        let server = try HTTPTestServer(hookLog: log)
        let s = try Sandbox(["n": Self.runbook("""
          - id: check
            title: Check
            manual: [Ready]
        """)])
        #expect(try s.run(["run", "n"], stdin: "e\n1\n", env: ["CHAT_HOOK": server.base + "/hook"]).status == 3)
        #expect(try s.run(["resume"], stdin: "y\n", env: ["CHAT_HOOK": server.base + "/hook"]).status == 0)
        let posts = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n").map {
            (try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: String])?["text"] ?? ""
        }
        #expect(posts.count == 5, "\(posts)")
        #expect(posts[0].hasPrefix("[n] run started by"))
        #expect(posts[1].hasPrefix("[n] escalated to Secondary on-call"))
        #expect(posts[2].hasPrefix("[n] run paused: answers ran out"))
        #expect(posts[3].hasPrefix("[n] run resumed by"), "\(posts)")
        #expect(posts[4].hasPrefix("[n] run completed"))
    }

    @Test func aFailingWebhookIsReportedAndTheRunGoesOn() throws {
        let dead = try HTTPTestServer().port
        let s = try Sandbox(["n": Self.runbook("""
          - id: touch
            title: Touch
            run: touch ran
        """)])
        let r = try s.run(["run", "n", "--yes"], env: ["CHAT_HOOK": "http://127.0.0.1:\(dead)/hook"])
        #expect(r.status == 0)
        #expect(s.exists("ran"))
        #expect(r.stdout.contains("the notification webhook failed"))
        #expect(r.stdout.contains("the run goes on"))
    }
}
