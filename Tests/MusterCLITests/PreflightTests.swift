import Foundation
import MusterTestSupport
import Testing

/// `muster preflight`: "do I have access?", asked before the incident.
@Suite("muster preflight", .serialized)
struct PreflightTests {
    static func runbook(ci: String, extra: String = "") -> String {
        """
        muster: 1
        name: access
        title: Access
        params:
          region: {default: eu-west-1}
          target: {description: only known at run time}
        secrets:
          GITHUB_TOKEN: {description: a token with Actions read and write}
          GITLAB_TOKEN:
          DEPLOY_KEY: {env: DEPLOY_KEY_ENV, description: "ask #platform-access"}
        requires: [bash, no-such-tool-muster-test]
        preflight:
          - title: Logged in for {{ region }}
            run: test "$(printf %s {{ region }})" = eu-west-1 && echo "logged in"
            fix: Log in with `aws sso login --profile breakglass`
          - title: The CI API answers with our token
            http: {url: "\(ci)/api/v4/projects/acme%2Fplatform", headers: {PRIVATE-TOKEN: "${GITLAB_TOKEN}"}}
            fix: Ask the CI admins for a deploy token
        \(extra)
        steps:
          - id: trigger-github
            title: Deploy through GitHub
            ci: {provider: github, url: "\(ci)", repo: acme/platform, workflow: deploy.yml, token: GITHUB_TOKEN}
          - id: trigger-gitlab
            title: Deploy through GitLab
            ci: {provider: gitlab, url: "\(ci)", project: acme/platform, token: GITLAB_TOKEN}
          - id: probe-dead
            title: A host that is down
            http: {url: "http://127.0.0.1:9/health"}
          - id: probe-later
            title: A host known at run time
            wait: {http: {url: "{{ target }}/health"}, every: 1s, timeout: 5s}
          - id: use-key
            title: Use the key
            run: test -n "$DEPLOY_KEY"
        """
    }

    @Test func eachFailureSaysWhatFailedWhichStepNeedsItAndTheFix() throws {
        let ci = try FakeCI()
        let s = try Sandbox(["access": Self.runbook(ci: ci.base)])
        let env = ["GITHUB_TOKEN": "ghp_wrong_token_0000", "GITLAB_TOKEN": FakeCI.gitlabToken]
        let r = try s.run(["preflight", "access"], env: env)
        #expect(r.status == 1, "\(r.stdout)\(r.stderr)")
        let out = r.stdout
        // Passing checks: the declared command (its value through the shell's
        // safe path), the declared request with the token, PATH, the GitLab token.
        #expect(out.contains("✓ Logged in for eu-west-1"), "\(out)")
        #expect(out.contains("✓ The CI API answers with our token"), "\(out)")
        #expect(out.contains("✓ bash is on PATH"))
        #expect(out.contains("✓ GitLab project acme/platform at \(ci.base) answers with the token in GITLAB_TOKEN"))
        // A wrong CI token, with the step that needs it and the fix.
        #expect(out.contains("✗ GitHub workflow deploy.yml of acme/platform at \(ci.base) answers with the token in GITHUB_TOKEN"))
        #expect(out.contains("GitHub did not accept the token in secret GITHUB_TOKEN"))
        #expect(out.contains("needed by: trigger-github"))
        #expect(out.contains("fix: ask the CI admins for a token that may read and run this, and put it in secret GITHUB_TOKEN"))
        // A missing tool, an unreachable host, an unset secret.
        #expect(out.contains("✗ no-such-tool-muster-test is on PATH"))
        #expect(out.contains("✗ http://127.0.0.1:9/ resolves and answers"))
        #expect(out.contains("needed by: probe-dead"))
        #expect(out.contains("✗ secret DEPLOY_KEY is set (environment variable DEPLOY_KEY_ENV)"))
        #expect(out.contains("environment variable DEPLOY_KEY_ENV is not set"))
        #expect(out.contains("needed by: use-key"))
        #expect(out.contains("fix: set environment variable DEPLOY_KEY_ENV: ask #platform-access"))
        // A URL only known at run time is skipped, saying why.
        #expect(out.contains("– the host of {{ target }}/health answers  skipped: {{ target }} has no value before the run"))
        // Secrets never shown; nothing was triggered.
        #expect(!out.contains(FakeCI.gitlabToken) && !out.contains("ghp_wrong_token_0000"))
        #expect(try ci.started("github") == 0)
        #expect(try ci.started("gitlab") == 0)

        // Fixed: every check passes, exit 0 (the tool and the dead host dropped).
        let fixed = Self.runbook(ci: ci.base).replacingOccurrences(of: ", no-such-tool-muster-test", with: "")
            .replacingOccurrences(of: "http://127.0.0.1:9/health", with: "\(ci.base)/health")
        let good = try Sandbox(["access": fixed])
        var goodEnv = env
        goodEnv["GITHUB_TOKEN"] = FakeCI.githubToken
        goodEnv["DEPLOY_KEY_ENV"] = "k"
        let ok = try good.run(["preflight"], env: goodEnv)
        #expect(ok.status == 0, "\(ok.stdout)\(ok.stderr)")
        #expect(ok.stdout.contains("Every check passed."))
    }

    @Test func jsonAndJUnitSayTheSame() throws {
        let s = try Sandbox(["access": Self.runbook(ci: "http://127.0.0.1:9")])
        let junit = s.dir + "/out/preflight.xml"
        let r = try s.run(["preflight", "access", "--json", "--junit", junit], env: ["GITLAB_TOKEN": "glpat-secret-value-77"])
        #expect(r.status == 1)
        let doc = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        #expect(doc?["ok"] as? Bool == false)
        let checks = ((doc?["runbooks"] as? [[String: Any]])?.first?["checks"] as? [[String: Any]]) ?? []
        let tool = checks.first { $0["title"] as? String == "no-such-tool-muster-test is on PATH" }
        #expect(tool?["status"] as? String == "fail")
        #expect(tool?["kind"] as? String == "program")
        #expect(checks.contains { $0["status"] as? String == "skip" })
        #expect(checks.contains { $0["status"] as? String == "pass" })
        let xml = try String(contentsOfFile: junit, encoding: .utf8)
        #expect(xml.contains("<testsuite name=\"preflight access\""))
        #expect(xml.contains("<failure message=\"no-such-tool-muster-test is not on PATH\">"))
        #expect(!r.stdout.contains("glpat-secret-value-77") && !xml.contains("glpat-secret-value-77"))
    }

    @Test func aSlowCheckTimesOutWithoutHoldingTheOthers() throws {
        let slow = """
          - title: A check that hangs
            run: sleep 60
            fix: Find out why the API hangs
        """
        let s = try Sandbox(["access": Self.runbook(ci: "http://127.0.0.1:9", extra: slow)])
        let start = Date()
        let r = try s.run(["preflight", "access"])
        let took = Date().timeIntervalSince(start)
        #expect(r.status == 1)
        #expect(took < 20, "took \(took)s")
        #expect(r.stdout.contains("✗ A check that hangs"))
        #expect(r.stdout.contains("timed out after 10s"))
        #expect(r.stdout.contains("fix: Find out why the API hangs"))
        #expect(r.stdout.contains("✓ Logged in for eu-west-1"))
    }

    @Test func aRunChecksFirstAndTheOperatorChoosesToGoOnOrStop() throws {
        let rb = """
        muster: 1
        name: needs
        title: Needs a tool
        requires: [no-such-tool-muster-test]
        steps:
          - id: one
            title: One
            run: echo ran-the-step
        """
        let s = try Sandbox(["needs": rb])
        let stopped = try s.run(["run", "needs"], stdin: "n\n")
        #expect(stopped.status == 2, "\(stopped.stdout)\(stopped.stderr)")
        #expect(stopped.stdout.contains("Preflight: 1 of 1 checks failed"))
        #expect(stopped.stdout.contains("no-such-tool-muster-test is not on PATH"))
        #expect(stopped.stderr.contains("stopped before the first step: preflight failed; nothing was run"))
        #expect(!stopped.stdout.contains("ran-the-step"))
        #expect(!s.exists(".muster/runs"))

        let goOn = try s.run(["run", "needs"], stdin: "y\n")
        #expect(goOn.status == 0, "\(goOn.stdout)\(goOn.stderr)")
        #expect(goOn.stdout.contains("ran-the-step"))

        let yes = try s.run(["run", "needs", "--yes"])
        #expect(yes.status == 0, "\(yes.stdout)\(yes.stderr)")
        #expect(yes.stdout.contains("going on anyway (--yes); the failed checks are journaled"))
        let started = try s.journal().first { $0["event"] as? String == "run_started" }
        let failed = (started?["run"] as? [String: Any])?["preflight_failed"] as? [String]
        #expect(failed == ["no-such-tool-muster-test is on PATH (no-such-tool-muster-test is not on PATH)"])

        // All passing: one line, no question.
        let fine = try Sandbox(["needs": rb.replacingOccurrences(of: "no-such-tool-muster-test", with: "bash")])
        let r = try fine.run(["run", "needs"])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("Preflight: all 1 checks passed"))
    }

    @Test func dueMentionsRunbooksWhosePreflightHasNotPassedThisWeek() throws {
        let ok = """
        muster: 1
        name: fine
        title: Fine
        requires: [bash]
        steps:
          - {id: one, title: One, manual: [Do it]}
        """
        let s = try Sandbox(["fine": ok, "broken": ok.replacingOccurrences(of: "name: fine", with: "name: broken").replacingOccurrences(of: "[bash]", with: "[no-such-tool-muster-test]")])
        let before = try s.run(["due"])
        #expect(before.stdout.contains("never run"), "\(before.stdout)")
        _ = try s.run(["preflight"])
        let after = try s.run(["due"])
        #expect(after.stdout.contains("broken"))
        #expect(after.stdout.contains("never passed"), "\(after.stdout)")
        let json = try s.run(["due", "--json"])
        let doc = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        let pf = doc?["preflight"] as? [[String: Any]] ?? []
        #expect(pf.map { $0["runbook"] as? String } == ["broken"])
        // A week later the passing one is due for a check again.
        let later = try s.run(["due", "--now", "2099-01-01"])
        #expect(later.stdout.contains("fine"))
    }

    /// Issue 29: the preflight a run or a drill does before its first step
    /// counts for `due` as `muster preflight` does; `due` said "never run"
    /// right after runs whose own preflight had passed.
    @Test func aRunsOrDrillsOwnPreflightCountsForDue() throws {
        let ok = """
        muster: 1
        name: fine
        title: Fine
        requires: [bash]
        steps:
          - {id: one, title: One, manual: [Do it]}
        """
        let broken = ok.replacingOccurrences(of: "name: fine", with: "name: broken").replacingOccurrences(of: "[bash]", with: "[no-such-tool-muster-test]")
        let s = try Sandbox(["fine": ok, "broken": broken, "drilled": ok.replacingOccurrences(of: "name: fine", with: "name: drilled")])
        try FileManager.default.createDirectory(atPath: s.dir + "/drills", withIntermediateDirectories: true)
        try "muster: 1\ndrill: drilled-weekly\nrunbook: drilled\n".write(toFile: s.dir + "/drills/drilled-weekly.yaml", atomically: true, encoding: .utf8)
        func preflightRows() throws -> [String: String] {
            let json = try s.run(["due", "--json"])
            let doc = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any], "\(json.stderr)")
            let rows = try #require(doc["preflight"] as? [[String: Any]])
            return Dictionary(uniqueKeysWithValues: rows.map { ($0["runbook"] as? String ?? "", $0["why"] as? String ?? "") })
        }
        #expect(try preflightRows() == ["broken": "never run", "drilled": "never run", "fine": "never run"])

        let run = try s.run(["run", "fine", "--yes"])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(run.stdout.contains("Preflight: all 1 checks passed"))
        let drill = try s.run(["drill", "drilled-weekly", "--yes"])
        #expect(drill.status == 0, "\(drill.stdout)\(drill.stderr)")
        let failing = try s.run(["run", "broken", "--yes"])
        #expect(failing.stdout.contains("Preflight: 1 of 1 checks failed"), "\(failing.stdout)")
        // The passing ones are no longer due; the failing one ran, and never passed.
        #expect(try preflightRows() == ["broken": "never passed"])
    }
}
