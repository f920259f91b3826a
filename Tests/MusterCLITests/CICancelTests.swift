import Foundation
import MusterTestSupport
import Testing

/// `cancel_on_stop: true`: a ci step's timeout or the operator's `s`
/// cancels its pipeline through the provider's API, journaled and shown;
/// without it the pipeline is left running, as before.
@Suite("cancel_on_stop cancels a ci step's pipeline when the step stops", .serialized)
struct CICancelTests {
    typealias Provider = CIProviderTests.Provider

    static func runbook(_ p: Provider, _ base: String, timeout: String, cancel: Bool) -> String {
        CITriggerOnceTests.runbook(p, base, timeout: timeout, extra: "on_failure: abort")
            .replacingOccurrences(of: "      timeout: \(timeout)", with: "      timeout: \(timeout)\(cancel ? "\n      cancel_on_stop: true" : "")")
    }

    func cancelled(_ ci: FakeCI) throws -> [String] { try ci.stats()["cancelled"] as? [String] ?? [] }

    /// The smoke test: Jenkins' stop answered with a redirect to the
    /// build's page, through libcurl. The timeout and the journal are
    /// CICancelEngineTests'; each provider's cancel request MusterCITests'.
    @Test func aPipelineThatOutlastsTheTimeoutIsCancelled() throws {
        let ci = try FakeCI()
        let p = Provider.jenkins
        let s = try Sandbox(["deploy": Self.runbook(p, ci.base, timeout: "5s", cancel: true)])
        let r = try s.run(["run", "deploy", "--yes", "-p", "polls=hold"], env: [p.secret: p.token])
        #expect(r.status == 1, "\(r.stdout)\(r.stderr)")
        let gone = try cancelled(ci)
        #expect(gone.count == 1 && gone.first?.hasPrefix(p.stats + ":") == true, "\(gone)\n\(r.stdout)")
        #expect(r.stdout.contains("cancel_on_stop: cancelled") || r.stdout.contains("cancel_on_stop: stopped"), "\(r.stdout)")
        let journaled = try s.journal().filter { $0["event"] as? String == "pipeline_cancelled" }
        #expect(journaled.count == 1 && journaled.first?["pipeline"] != nil, "\(journaled)")
    }

    @Test func stoppedWithSThePipelineIsCancelled() throws {
        let ci = try FakeCI()
        let p = Provider.gitlab
        // The token from a file: nothing of it on the terminal.
        let dir = try temporaryDirectory()
        try p.token.write(toFile: dir + "/token", atomically: true, encoding: .utf8)
        let s = try Sandbox(["deploy": Self.runbook(p, ci.base, timeout: "5m", cancel: true)
            .replacingOccurrences(of: "{env: \(p.secret)}", with: "{file: \(dir)/token}")])
        let term = try Tmux(cwd: s.dir)
        try term.type("\(musterBinary) run deploy -p polls=hold")
        _ = try term.waitFor(": running · ")
        try term.key("C-c")
        _ = try term.waitFor("Ctrl-C: stop 'redeploy' now, or keep waiting?")
        try term.type("s")
        // on_failure: abort: the stopped step ends the run.
        let screen = try term.waitFor("failed: step 'redeploy' stopped by the operator")
        #expect(screen.contains("cancel_on_stop: cancelled pipeline 701 of acme/platform"), "\(screen)")
        #expect(try cancelled(ci) == ["gitlab:701"])
        #expect(try s.journal().contains { $0["event"] as? String == "pipeline_cancelled" })
    }

    @Test func cancelOnStopIsABooleanInTheCIMappingAtItsLineWithDidYouMean() throws {
        let base = "http://127.0.0.1:9"
        let misspelt = Self.runbook(.gitlab, base, timeout: "5m", cancel: true).replacingOccurrences(of: "cancel_on_stop", with: "cancel_on_stp")
        let m = try Sandbox(["deploy": misspelt]).run(["validate", "runbooks/deploy.yaml"])
        #expect(m.status == 1, "\(m.stdout)\(m.stderr)")
        let mm = m.stdout + m.stderr
        #expect(mm.contains("deploy.yaml:21:7") && mm.contains("cancel_on_stp") && mm.contains("did you mean 'cancel_on_stop'"), "\(mm)")
        let word = Self.runbook(.gitlab, base, timeout: "5m", cancel: true).replacingOccurrences(of: "cancel_on_stop: true", with: "cancel_on_stop: sometimes")
        let w = try Sandbox(["deploy": word]).run(["validate", "runbooks/deploy.yaml"])
        #expect(w.status == 1 && (w.stdout + w.stderr).contains("'cancel_on_stop' must be true or false, not a string 'sometimes'"), "\(w.stdout)\(w.stderr)")
        let fine = try Sandbox(["deploy": Self.runbook(.gitlab, base, timeout: "5m", cancel: true)]).run(["validate", "runbooks/deploy.yaml"])
        #expect(fine.status == 0, "\(fine.stdout)\(fine.stderr)")
        let schema = try Sandbox([:]).run(["schema"])
        #expect(schema.stdout.contains(#""cancel_on_stop": {"type": "boolean"}"#) || schema.stdout.contains(#""cancel_on_stop":{"type":"boolean"}"#), "\(schema.stdout.prefix(200))")
    }

    /// Killed while its pipeline runs, then abandoned: the pipeline is
    /// offered for cancelling, cancelled on `y`, and journaled before the
    /// run's end.
    @Test func abandonOffersToCancelAPipelineStillRunning() async throws {
        let ci = try FakeCI()
        let p = Provider.gitlab
        let s = try Sandbox(["deploy": Self.runbook(p, ci.base, timeout: "5m", cancel: true)])
        let live = try LiveMuster(["run", "deploy", "--yes", "-p", "polls=hold"], cwd: s.dir, env: [p.secret: p.token])
        _ = eventually(within: 60) { (try? s.journal().contains { $0["event"] as? String == "pipeline_started" }) == true }
        live.kill()
        _ = await live.finish()
        let r = try s.run(["abandon", try s.runID(), "--reason", "the incident is over"], stdin: "y\n", env: [p.secret: p.token])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("Step 'redeploy' started pipeline 701 of acme/platform on main, which may still be running. Cancel it (cancel_on_stop)?"), "\(r.stdout)")
        #expect(try cancelled(ci) == ["gitlab:701"])
        let events = try s.journal().map { $0["event"] as? String ?? "" }
        #expect(Array(events.suffix(2)) == ["pipeline_cancelled", "run_abandoned"], "\(events)")
        let verified = try s.run(["verify", try s.runID()])
        #expect(!verified.stdout.contains("not intact") && !verified.stderr.contains("not intact"), "\(verified.stdout)\(verified.stderr)")
    }
}
