import Foundation
import MusterTestSupport
import Testing

/// Exactly one pipeline per step attempt: a trigger's token is journaled
/// before it is sent, and a trigger whose answer never came (muster was
/// killed, or the request timed out) is looked up before anything triggers
/// again. The stand-in makes each pipeline at once and answers its trigger
/// `CI_TRIGGER_DELAY` seconds later, as a slow server does. Here are the
/// sessions killed during the trigger and resumed; a retry's lookup after
/// a trigger that timed out or was refused is CITriggerOnceEngineTests'.
@Suite("ci steps start one pipeline per attempt, whatever happens during the trigger", .serialized)
struct CITriggerOnceTests {
    typealias Provider = CIProviderTests.Provider

    /// One ci step on `p`; `extra` adds step keys (retries, idempotent).
    static func runbook(_ p: Provider, _ base: String, timeout: String = "2m", extra: String = "") -> String {
        """
        muster: 1
        name: deploy
        title: Redeploy
        params:
          outcome: {default: success}
          polls: {default: "1"}
          ref: {default: main}
        secrets:
          \(p.secret): {env: \(p.secret)}
        steps:
          - id: redeploy
            title: Redeploy through CI
            ci:
        \(p.ci(base))
              token: \(p.secret)
              timeout: \(timeout)
        \(extra.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n"))
        """
    }

    func env(_ p: Provider) -> [String: String] { [p.secret: p.token] }

    func events(_ s: Sandbox, _ kind: String) throws -> [[String: Any]] {
        try s.journal().filter { $0["event"] as? String == kind }
    }

    /// Kills muster once the stand-in has made the pipeline and before it
    /// answers the trigger: the journal then holds the trigger's token only.
    func killDuringTheTrigger(_ p: Provider, _ ci: FakeCI, _ s: Sandbox, _ args: [String]) async throws -> LiveMuster {
        let live = try LiveMuster(args, cwd: s.dir, env: env(p))
        let made = eventually(within: 60) {
            (try? ci.started(p.stats)) == 1 && (try? self.events(s, "pipeline_triggering").count) == 1
        }
        live.kill()
        _ = await live.finish()
        #expect(made, "no slow trigger to kill muster in:\n\(live.stdout)\(live.stderr)")
        #expect(try events(s, "pipeline_started").isEmpty, "the trigger was answered before the kill:\n\(live.stdout)")
        return live
    }

    @Test(arguments: [Provider.github, .gitlab, .jenkins])
    func killedDuringASlowTriggerTheResumedRunFollowsThePipelineItStarted(_ p: Provider) async throws {
        let ci = try FakeCI(["CI_TRIGGER_DELAY": "60"])
        let s = try Sandbox(["deploy": Self.runbook(p, ci.base)])
        let killed = try await killDuringTheTrigger(p, ci, s, ["run", "deploy"])
        // The token went to the journal before the trigger did.
        let mark = try events(s, "pipeline_triggering").first?["pipeline"] as? [String: Any]
        #expect(mark?["provider"] as? String == p.stats && mark?["kind"] as? String == "trigger", "\(String(describing: mark))")
        let resumed = try s.run(["resume"], stdin: "r\n", env: env(p))
        #expect(resumed.status == 0, "killed:\n\(killed.stdout)\nresumed:\n\(resumed.stdout)\(resumed.stderr)")
        #expect(try ci.started(p.stats) == 1, "a second pipeline was started:\n\(resumed.stdout)")
        #expect(!resumed.stdout.contains("$ POST"), "the resumed run triggered again:\n\(resumed.stdout)")
        #expect(resumed.stdout.contains("found "), "\(resumed.stdout)")
        // One pipeline journaled (a Jenkins queue item then names its build).
        let kinds = try events(s, "pipeline_started").compactMap { ($0["pipeline"] as? [String: Any])?["kind"] as? String }
        #expect(kinds == (p == .jenkins ? ["queue_item", "build"] : [p == .gitlab ? "pipeline" : "run"]), "\(kinds)")
    }

    @Test func anIdempotentStepKilledDuringASlowTriggerLooksBeforeRunningAgain() async throws {
        let p = Provider.gitlab
        let ci = try FakeCI(["CI_TRIGGER_DELAY": "60"])
        let s = try Sandbox(["deploy": Self.runbook(p, ci.base, extra: "idempotent: true")])
        let killed = try await killDuringTheTrigger(p, ci, s, ["run", "deploy", "--yes"])
        let resumed = try s.run(["resume", "--yes"], env: env(p))
        #expect(resumed.status == 0, "killed:\n\(killed.stdout)\nresumed:\n\(resumed.stdout)\(resumed.stderr)")
        #expect(try ci.started(p.stats) == 1, "a second pipeline was started:\n\(resumed.stdout)")
        #expect(!resumed.stdout.contains("$ POST"), "\(resumed.stdout)")
    }

    /// A session that ended before any trigger was journaled (or a journal
    /// of an older release): the step cannot be looked up, so the operator
    /// is told to check the CI before choosing.
    @Test func aCIStepInterruptedWithoutATokenSaysToCheckTheCIBeforeChoosing() async throws {
        let p = Provider.gitlab
        let ci = try FakeCI(["CI_TRIGGER_DELAY": "60"])
        let s = try Sandbox(["deploy": Self.runbook(p, ci.base)])
        _ = try await killDuringTheTrigger(p, ci, s, ["run", "deploy"])
        let runs = try FileManager.default.contentsOfDirectory(atPath: s.dir + "/.muster/runs").sorted()
        let path = "\(s.dir)/.muster/runs/\(try #require(runs.last))/journal.jsonl"
        var lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        try #require(lines.last?.contains(#""event":"pipeline_triggering""#) == true, "\(lines)")
        lines.removeLast()
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        let resumed = try s.run(["resume"], stdin: "d pipeline 701 ran it\n", env: env(p))
        #expect(resumed.status == 0, "\(resumed.stdout)\(resumed.stderr)")
        #expect(resumed.stdout.contains("'redeploy' was starting its pipeline when the last session ended, and no trigger of it was journaled: if the CI shows a pipeline started for it"), "\(resumed.stdout)")
        #expect(try ci.started(p.stats) == 1)
    }
}
