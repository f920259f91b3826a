import Foundation
import MusterTestSupport
import Testing

/// The stand-in for GitHub Actions, GitLab and Jenkins (ci_server.py): a
/// local server answering their documented REST endpoints, and refusing what
/// they refuse. The real services cannot be reached from here.
final class FakeCI {
    static let githubToken = "ghp_FAKEgithubTOKENfor0muster0tests0042"
    static let gitlabToken = "glpat-FAKEgitlabTOKEN-muster-0042"
    static let jenkinsAuth = "deploybot:11fa6e0jenkins0api0token0042"

    let server: HTTPTestServer
    var base: String { server.base }

    init(_ extra: [String: String] = [:]) throws {
        server = try HTTPTestServer(script: "ci_server.py", environment: [
            "GITHUB_TOKEN_OK": Self.githubToken, "GITLAB_TOKEN_OK": Self.gitlabToken, "JENKINS_AUTH_OK": Self.jenkinsAuth,
        ].merging(extra) { $1 })
    }

    /// What the server saw: pipelines started per provider, and their inputs.
    func stats() throws -> [String: Any] {
        let text = try sh("curl -sf '\(base)/_fake/stats'", cwd: "/tmp")
        return try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] ?? [:]
    }

    func started(_ provider: String) throws -> Int { try stats()[provider] as? Int ?? -1 }

    /// Pipelines started with polls "hold" finish at their next look.
    func release() throws { try sh("curl -sf -X POST '\(base)/_fake/release'", cwd: "/tmp") }

    func inputs(ofLast provider: String) throws -> [String: String] {
        let triggers = try stats()["triggers"] as? [[String: Any]] ?? []
        return triggers.last { $0["provider"] as? String == provider }?["inputs"] as? [String: String] ?? [:]
    }
}

/// Serialized, and every muster run waited for off the shared test threads:
/// two dozen stand-ins and muster processes at once would slow a two-core
/// machine enough to starve the kill-and-resume tests that drive a live muster.
@Suite("ci steps on GitHub Actions, GitLab and Jenkins, against a local stand-in", .serialized)
struct CIProviderTests {
    enum Provider: String, CaseIterable, CustomTestStringConvertible, Sendable {
        /// api.github.com: the dispatch answers with the run's id.
        case github
        /// An older GitHub Enterprise Server: the run is found by listing.
        case githubEnterprise
        case gitlab
        case jenkins

        var testDescription: String { rawValue }
        var stats: String { self == .githubEnterprise ? "github" : rawValue }
        var secret: String { ["github": "GITHUB_TOKEN", "gitlab": "GITLAB_TOKEN", "jenkins": "JENKINS_TOKEN"][stats]! }
        var token: String { ["github": FakeCI.githubToken, "gitlab": FakeCI.gitlabToken, "jenkins": FakeCI.jenkinsAuth][stats]! }
        /// What the pipeline's inputs call a failing outcome.
        var failure: String { self == .gitlab ? "failed" : "failure" }

        func ci(_ base: String) -> String {
            switch self {
            case .github, .githubEnterprise:
                """
                      provider: github
                      url: \(base)\(self == .githubEnterprise ? "/api/v3" : "")
                      repo: acme/platform
                      workflow: deploy.yml
                      ref: "{{ ref }}"
                      inputs: {region: eu-north-1, outcome: "{{ outcome }}", polls: "{{ polls }}"}
                """
            case .gitlab:
                """
                      provider: gitlab
                      url: \(base)
                      project: acme/platform
                      ref: "{{ ref }}"
                      inputs: {REGION: eu-north-1, OUTCOME: "{{ outcome }}", POLLS: "{{ polls }}"}
                """
            case .jenkins:
                """
                      provider: jenkins
                      url: \(base)/jenkins
                      job: ops/deploy
                      inputs: {region: eu-north-1, outcome: "{{ outcome }}", polls: "{{ polls }}"}
                """
            }
        }

        /// The pipeline's page, as the stand-in names it.
        func page(_ base: String) -> String {
            switch self {
            case .github, .githubEnterprise: "\(base)/acme/platform/actions/runs/"
            case .gitlab: "\(base)/acme/platform/-/pipelines/"
            case .jenkins: "\(base)/jenkins/job/ops/job/deploy/"
            }
        }
    }

    /// A runbook with one ci step on `provider`; `secret` declares the token
    /// (nil: the step names none).
    static func runbook(_ provider: Provider, _ base: String, secret: String? = "{env: TOKEN_NAME}", timeout: String = "2m") -> String {
        let name = provider.secret
        return """
        muster: 1
        name: deploy
        title: Redeploy
        params:
          outcome: {default: success}
          polls: {default: "3"}
          ref: {default: main}
        \(secret.map { "secrets:\n  \(name): \($0.replacingOccurrences(of: "TOKEN_NAME", with: name))" } ?? "")
        steps:
          - id: redeploy
            title: Redeploy through CI
            ci:
        \(provider.ci(base))
        \(secret == nil ? "" : "      token: \(name)")
              timeout: \(timeout)
            on_failure: abort
        """
    }

    func env(_ p: Provider, token: String? = nil) -> [String: String] { [p.secret: token ?? p.token] }

    /// `muster` in the sandbox, waited for on a thread of its own: these runs
    /// last seconds, and blocking the shared test threads (one per core) with
    /// them would starve the tests that poll a live muster.
    func run(_ s: Sandbox, _ args: [String], env: [String: String] = [:]) async throws -> Result {
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<Result, Error>) in
            Thread { c.resume(with: Swift.Result { try s.run(args, env: env) }) }.start()
        }
    }

    /// The secret appears in no output and in no file the run wrote.
    func expectNowhere(_ secret: String, _ r: Result, _ s: Sandbox, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let encoded = Data(secret.utf8).base64EncodedString()
        for text in [r.stdout, r.stderr] {
            #expect(!text.contains(secret) && !text.contains(encoded), "the token was shown", sourceLocation: sourceLocation)
        }
        for (name, text) in try s.stateFiles() {
            #expect(!text.contains(secret) && !text.contains(encoded), "the token is in \(name)", sourceLocation: sourceLocation)
        }
    }

    @Test(arguments: Provider.allCases)
    func aPipelineIsTriggeredFollowedAndSucceeds(_ p: Provider) async throws {
        let ci = try FakeCI()
        let s = try Sandbox(["deploy": Self.runbook(p, ci.base)])
        let r = try await run(s, ["run", "deploy", "--yes"], env: env(p))
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(try ci.started(p.stats) == 1)
        let inputs = try ci.inputs(ofLast: p.stats)
        #expect(inputs[p == .gitlab ? "REGION" : "region"] == "eu-north-1", "\(inputs)")
        #expect(inputs[p == .gitlab ? "OUTCOME" : "outcome"] == "success", "\(inputs)")
        // Each state is shown once, with the pipeline's page.
        let states = r.stdout.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.hasPrefix("$") && $0.contains(p.page(ci.base)) }
        #expect(states.count >= 2, "\(r.stdout)")
        #expect(Set(states).count == states.count, "a state was shown twice:\n\(r.stdout)")
        let final = ["github": "completed, success", "gitlab": "success", "jenkins": "SUCCESS"][p.stats]!
        #expect(states.last?.contains(": \(final) · ") == true, "\(r.stdout)")
        // The pipeline was journaled before it was followed.
        let journal = try s.journal()
        let started = journal.firstIndex { $0["event"] as? String == "pipeline_started" }
        let finished = journal.firstIndex { $0["event"] as? String == "step_finished" }
        #expect(started != nil && finished != nil && started! < finished!)
        #expect(finished.map { journal[$0]["outcome"] as? String } == "done")
        // As a typed reference in its own field.
        let ref = started.flatMap { journal[$0]["pipeline"] as? [String: Any] }
        #expect(ref?["provider"] as? String == p.stats && ref?["kind"] != nil, "\(journal)")
        try expectNowhere(p.token, r, s)
    }

    @Test(arguments: Provider.allCases)
    func aFailedPipelineFailsTheStepWithItsPage(_ p: Provider) async throws {
        let ci = try FakeCI()
        let s = try Sandbox(["deploy": Self.runbook(p, ci.base)])
        let r = try await run(s, ["run", "deploy", "--yes", "-p", "outcome=\(p.failure)", "-p", "polls=2"], env: env(p))
        #expect(r.status == 1, "\(r.stdout)\(r.stderr)")
        let why = ["github": "the pipeline failed (GitHub conclusion failure): ", "gitlab": "the pipeline failed (GitLab status failed): ",
                   "jenkins": "the pipeline failed (Jenkins result FAILURE): "][p.stats]!
        #expect(r.stdout.contains(why + p.page(ci.base)), "\(r.stdout)")
        let failed = try s.journal().first { $0["event"] as? String == "step_finished" }
        #expect(failed?["outcome"] as? String == "failed")
        #expect((failed?["text"] as? String)?.contains(why) == true)
        #expect(try ci.started(p.stats) == 1)
        try expectNowhere(p.token, r, s)
    }

    @Test(arguments: Provider.allCases)
    func aWrongTokenIsRefusedNamingTheSecretAndIsNeverShown(_ p: Provider) async throws {
        let ci = try FakeCI()
        let s = try Sandbox(["deploy": Self.runbook(p, ci.base)])
        let wrong = p == .jenkins ? "deploybot:wrong-api-token-7731" : "wrong-token-value-7731"
        let r = try await run(s, ["run", "deploy", "--yes"], env: env(p, token: wrong))
        #expect(r.status == 1, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("the CI server answered 401"), "\(r.stdout)")
        #expect(r.stdout.contains("token in secret \(p.secret)"), "\(r.stdout)")
        #expect(try ci.started(p.stats) == 0)
        try expectNowhere(wrong, r, s)
        try expectNowhere(p.token, r, s)
    }

    @Test(arguments: Provider.allCases)
    func aMissingOrEmptyTokenStopsWithTheSecretsName(_ p: Provider) async throws {
        let ci = try FakeCI()
        // Not set at all: nothing runs.
        let unset = try Sandbox(["deploy": Self.runbook(p, ci.base)])
        let r = try await run(unset, ["run", "deploy", "--yes"], env: [p.secret: ""])
        #expect(r.status == 2, "\(r.stdout)\(r.stderr)")
        #expect((r.stdout + r.stderr).contains("missing secret, nothing was run: \(p.secret) (set environment variable \(p.secret))"), "\(r.stdout)\(r.stderr)")
        // An empty file: the step says which secret is empty.
        let dir = try temporaryDirectory()
        try "\n".write(toFile: dir + "/token", atomically: true, encoding: .utf8)
        let empty = try Sandbox(["deploy": Self.runbook(p, ci.base, secret: "{file: \(dir)/token}")])
        let e = try await run(empty, ["run", "deploy", "--yes"])
        #expect(e.status == 1, "\(e.stdout)\(e.stderr)")
        #expect(e.stdout.contains("cannot run: secret \(p.secret), which 'token' names, has no value"), "\(e.stdout)")
        #expect(try ci.started(p.stats) == 0)
    }

    /// Killed while following: the resumed run follows the same pipeline.
    /// The pipeline is held until the killed session is gone, so a busy
    /// machine cannot let it finish first.
    @Test(arguments: Provider.allCases)
    func aResumedRunFollowsThePipelineItStartedAndStartsNoOther(_ p: Provider) async throws {
        let ci = try FakeCI()
        let s = try Sandbox(["deploy": Self.runbook(p, ci.base)])
        let live = try LiveMuster(["run", "deploy", "--yes", "-p", "polls=hold"], cwd: s.dir, env: env(p))
        _ = eventually(within: 60) { (try? s.journal().contains { $0["event"] as? String == "pipeline_started" }) == true }
        live.kill()
        _ = await live.finish()
        #expect(try s.journal().contains { $0["event"] as? String == "pipeline_started" }, "\(live.stdout)")
        try ci.release()
        let resumed = try await run(s, ["resume", "--yes"], env: env(p))
        #expect(resumed.status == 0, "killed session:\n\(live.stdout)\(live.stderr)\nresumed:\n\(resumed.stdout)\(resumed.stderr)")
        #expect(resumed.stdout.contains("before the last session ended"), "\(resumed.stdout)")
        #expect(!resumed.stdout.contains("$ POST"), "the resumed run triggered again:\n\(resumed.stdout)")
        #expect(try ci.started(p.stats) == 1, "the resumed run started a second pipeline")
        try expectNowhere(p.token, resumed, s)
    }

    @Test func refusalsOfTheRefOrJobOrAnonymousCallersAreShownInTheServersWords() async throws {
        let ci = try FakeCI()
        let gh = try Sandbox(["deploy": Self.runbook(.github, ci.base)])
        let noRef = try await run(gh, ["run", "deploy", "--yes", "-p", "ref=nope"], env: env(.github))
        #expect(noRef.status == 1)
        #expect(noRef.stdout.contains("dispatching workflow deploy.yml on nope: the CI server answered 422: No ref found for: nope"), "\(noRef.stdout)")
        let gl = try Sandbox(["deploy": Self.runbook(.gitlab, ci.base)])
        let glRef = try await run(gl, ["run", "deploy", "--yes", "-p", "ref=nope"], env: env(.gitlab))
        #expect(glRef.stdout.contains(#"creating a pipeline of acme/platform on nope: the CI server answered 400: {"base":["Reference not found"]}"#), "\(glRef.stdout)")
        let noJob = try Sandbox(["deploy": Self.runbook(.jenkins, ci.base).replacingOccurrences(of: "job: ops/deploy", with: "job: ops/deplyo")])
        let nj = try await run(noJob, ["run", "deploy", "--yes"], env: env(.jenkins))
        #expect(nj.stdout.contains("starting job ops/deplyo: the CI server answered 404: Error 404 Not Found (no job ops/deplyo, or the user in secret JENKINS_TOKEN cannot see it)"), "\(nj.stdout)")
        // Jenkins without a token: anonymous, refused already when the job's
        // parameters are read (a Jenkins that lets anonymous users read
        // would refuse the POST for want of a crumb, with the same advice).
        let anonymous = try Sandbox(["deploy": Self.runbook(.jenkins, ci.base, secret: nil)])
        let a = try await run(anonymous, ["run", "deploy", "--yes"])
        #expect(a.stdout.contains("the CI server answered 403: Error 403 Authentication required (Muster called Jenkins anonymously; set 'token'"), "\(a.stdout)")
        // A Jenkins token must be USER:APITOKEN.
        let bare = try Sandbox(["deploy": Self.runbook(.jenkins, ci.base)])
        let b = try await run(bare, ["run", "deploy", "--yes"], env: ["JENKINS_TOKEN": "11fa6e0jenkins0api0token0042"])
        #expect(b.stdout.contains("cannot run: secret JENKINS_TOKEN must hold USER:APITOKEN"), "\(b.stdout)")
        try expectNowhere("11fa6e0jenkins0api0token0042", b, bare)
        #expect(try ci.stats()["jenkins"] as? Int == 0 && ci.stats()["gitlab"] as? Int == 0 && ci.stats()["github"] as? Int == 0)
    }

    @Test func aCancelledQueueItemOrAPipelineThatOutlastsTheTimeoutFails() async throws {
        let ci = try FakeCI()
        let cancelled = try Sandbox(["deploy": Self.runbook(.jenkins, ci.base)])
        let c = try await run(cancelled, ["run", "deploy", "--yes", "-p", "outcome=cancel"], env: env(.jenkins))
        #expect(c.status == 1)
        #expect(c.stdout.contains("the pipeline failed: Jenkins cancelled the queued build (queue item 31): \(ci.base)/jenkins/queue/item/31/"), "\(c.stdout)")
        let slow = try Sandbox(["deploy": Self.runbook(.gitlab, ci.base, timeout: "3s")])
        let t = try await run(slow, ["run", "deploy", "--yes", "-p", "polls=100"], env: env(.gitlab))
        #expect(t.status == 1)
        #expect(t.stdout.contains("the pipeline is still running after 3s; it was not cancelled (pipeline 701 of acme/platform on main: \(ci.base)/acme/platform/-/pipelines/701)"), "\(t.stdout)")
    }

    // MARK: - What the real services do (issue 18)

    @Test func gitlabRefusalsOfPipelineVariablesAndProtectedBranchesNameTheSettingToChange() async throws {
        let locked = try FakeCI(["GITLAB_VARIABLES_ROLE": "no_one_allowed"])
        let s = try Sandbox(["deploy": Self.runbook(.gitlab, locked.base)])
        let v = try await run(s, ["run", "deploy", "--yes"], env: env(.gitlab))
        #expect(v.status == 1)
        #expect(v.stdout.contains("Insufficient permissions to set pipeline variables"), "\(v.stdout)")
        #expect(v.stdout.contains("\"Minimum role to use pipeline variables\""), "\(v.stdout)")
        #expect(v.stdout.contains("declare them under spec:inputs in .gitlab-ci.yml and add 'inputs_as: inputs' to the step"), "\(v.stdout)")
        let p = try await run(s, ["run", "deploy", "--yes", "--new", "-p", "ref=protected"], env: env(.gitlab))
        #expect(p.stdout.contains("protected is protected: in acme/platform, Settings > Repository > Protected branches"), "\(p.stdout)")
        #expect(try locked.started("gitlab") == 0)
    }

    /// GitLab.com's default for new groups refuses pipeline variables;
    /// pipeline inputs (spec:inputs) are not refused so.
    @Test func gitlabInputsSentAsPipelineInputsRunWherePipelineVariablesAreRefused() async throws {
        let locked = try FakeCI(["GITLAB_VARIABLES_ROLE": "no_one_allowed"])
        let hostile = #"eu"north","ref":"x"&polls=9"#
        let text = Self.runbook(.gitlab, locked.base).replacingOccurrences(
            of: #"inputs: {REGION: eu-north-1, OUTCOME: "{{ outcome }}", POLLS: "{{ polls }}"}"#,
            with: #"inputs_as: inputs"# + "\n      " + #"inputs: {region: 'eu"north","ref":"x"&polls=9', outcome: "{{ outcome }}", polls: "{{ polls }}"}"#)
        let s = try Sandbox(["deploy": text])
        let r = try await run(s, ["run", "deploy", "--yes", "-p", "polls=1"], env: env(.gitlab))
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        let last = (try locked.stats()["triggers"] as? [[String: Any]])?.last
        #expect(last?["how"] as? String == "inputs", "\(String(describing: last))")
        #expect(last?["ref"] as? String == "main")
        #expect(last?["inputs"] as? [String: String] == ["region": hostile, "outcome": "success", "polls": "1"], "\(String(describing: last))")
        try expectNowhere(FakeCI.gitlabToken, r, s)

        // An input the project does not declare is refused in GitLab's words.
        let unknown = try Sandbox(["deploy": text.replacingOccurrences(of: "polls: \"{{ polls }}\"", with: "pols: \"{{ polls }}\"")])
        let u = try await run(unknown, ["run", "deploy", "--yes"], env: env(.gitlab))
        #expect(u.status == 1 && u.stdout.contains("unknown input arguments: pols"), "\(u.stdout)")
        #expect(try locked.started("gitlab") == 1)
    }

    @Test func inputsAsIsVariablesOrInputsAndOnlyForGitlab() async throws {
        let ci = try FakeCI()
        let bogus = Self.runbook(.gitlab, ci.base).replacingOccurrences(of: "project: acme/platform", with: "project: acme/platform\n      inputs_as: \"{{ ref }}\"")
        let b = try await run(try Sandbox(["deploy": bogus]), ["validate", "runbooks/deploy.yaml"])
        #expect(b.status == 1 && (b.stdout + b.stderr).contains("'inputs_as' is 'variables' (pipeline variables, the default) or 'inputs'"), "\(b.stdout)\(b.stderr)")
        let github = Self.runbook(.github, ci.base).replacingOccurrences(of: "repo: acme/platform", with: "repo: acme/platform\n      inputs_as: inputs")
        let g = try await run(try Sandbox(["deploy": github]), ["validate", "runbooks/deploy.yaml"])
        #expect(g.status == 1 && (g.stdout + g.stderr).contains("'inputs_as' is not used by the github provider"), "\(g.stdout)\(g.stderr)")
        let variables = Self.runbook(.gitlab, ci.base).replacingOccurrences(of: "project: acme/platform", with: "project: acme/platform\n      inputs_as: variables")
        let v = try await run(try Sandbox(["deploy": variables]), ["run", "deploy", "--yes", "-p", "polls=1"], env: env(.gitlab))
        #expect(v.status == 0, "\(v.stdout)\(v.stderr)")
        #expect((try ci.stats()["triggers"] as? [[String: Any]])?.last?["how"] as? String == "variables")
    }

    @Test func aGitlabPipelineBlockedOnAManualJobIsShownAsWaitingForSomeone() async throws {
        let ci = try FakeCI()
        let s = try Sandbox(["deploy": Self.runbook(.gitlab, ci.base, timeout: "5s")])
        let r = try await run(s, ["run", "deploy", "--yes", "-p", "outcome=manual"], env: env(.gitlab))
        #expect(r.status == 1)
        #expect(r.stdout.contains("pipeline 701: manual · waiting for someone to press play in GitLab: \(ci.base)/acme/platform/-/pipelines/701"), "\(r.stdout)")
        #expect(r.stdout.contains("the pipeline is still waiting for someone to start a manual job after 5s"), "\(r.stdout)")
        #expect(!r.stdout.contains("pipeline 701: running"), "\(r.stdout)")
    }

    @Test func githubRateLimitsAreWaitedOutAndSaidOnScreen() async throws {
        let ci = try FakeCI()
        let s = try Sandbox(["deploy": Self.runbook(.github, ci.base).replacingOccurrences(of: "ref: \"{{ ref }}\"", with: "ref: refs/heads/main")])
        let r = try await run(s, ["run", "deploy", "--yes", "-p", "outcome=limited", "-p", "polls=1"], env: env(.github))
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("the CI server answered 429: You have exceeded a secondary rate limit"), "\(r.stdout)")
        #expect(r.stdout.contains("waiting 3s for the limit to reset"), "\(r.stdout)")
        #expect(try ci.stats()["early_looks"] as? Int == 0, "muster looked again while limited")
        #expect(try ci.inputs(ofLast: "github")["region"] == "eu-north-1")
    }

    @Test func aJenkinsStepWithoutInputsRunsTheParameterizedJobWithItsDefaults() async throws {
        let ci = try FakeCI()
        let text = Self.runbook(.jenkins, ci.base).replacingOccurrences(of: #"      inputs: {region: eu-north-1, outcome: "{{ outcome }}", polls: "{{ polls }}"}"# + "\n", with: "")
        #expect(!text.contains("inputs:"))
        let s = try Sandbox(["deploy": text])
        let r = try await run(s, ["run", "deploy", "--yes"], env: env(.jenkins))
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("buildWithParameters"), "\(r.stdout)")
    }

    /// Jenkins core serves `buildWithParameters` only for a parameterized
    /// job and `build` only (without a form) for one without parameters;
    /// the stand-in answers as it does, so the wrong choice fails here.
    @Test func aJenkinsJobWithoutParametersIsStartedWithBuildAndAParameterizedOneWithItsParameters() async throws {
        let ci = try FakeCI()
        let auth = "-u '\(FakeCI.jenkinsAuth)'"
        let wrong = try sh("curl -s -o /dev/null -w '%{http_code}' \(auth) -X POST '\(ci.base)/jenkins/job/ops/job/smoke/buildWithParameters'", cwd: "/tmp")
        #expect(wrong == "500", "the stand-in must refuse buildWithParameters on a job without parameters")
        let inputsLine = #"      inputs: {region: eu-north-1, outcome: "{{ outcome }}", polls: "{{ polls }}"}"# + "\n"
        let smoke = Self.runbook(.jenkins, ci.base).replacingOccurrences(of: "job: ops/deploy", with: "job: ops/smoke").replacingOccurrences(of: inputsLine, with: "")
        let s = try Sandbox(["deploy": smoke])
        let r = try await run(s, ["run", "deploy", "--yes"], env: env(.jenkins))
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("$ POST \(ci.base)/jenkins/job/ops/job/smoke/build\n"), "\(r.stdout)")
        #expect(r.stdout.contains(": SUCCESS · \(ci.base)/jenkins/job/ops/job/smoke/"), "\(r.stdout)")
        var triggers = try ci.stats()["triggers"] as? [[String: Any]] ?? []
        #expect(triggers.count == 1 && triggers.last?["job"] as? String == "smoke" && triggers.last?["how"] as? String == "build", "\(triggers)")
        try expectNowhere(FakeCI.jenkinsAuth, r, s)

        // The parameterized job still gets its parameters, through buildWithParameters.
        let deploy = try Sandbox(["deploy": Self.runbook(.jenkins, ci.base)])
        let d = try await run(deploy, ["run", "deploy", "--yes", "-p", "polls=1"], env: env(.jenkins))
        #expect(d.status == 0, "\(d.stdout)\(d.stderr)")
        triggers = try ci.stats()["triggers"] as? [[String: Any]] ?? []
        #expect(triggers.last?["how"] as? String == "buildWithParameters", "\(triggers)")
        #expect(try ci.inputs(ofLast: "jenkins") == ["region": "eu-north-1", "outcome": "success", "polls": "1"])
    }

    /// Jenkins drops parameters a job does not declare, and all of them for a
    /// job without parameters: such a step is refused before anything starts.
    @Test func jenkinsInputsTheJobDoesNotDeclareAreRefusedBeforeAnythingStarts() async throws {
        let ci = try FakeCI()
        let smoke = try Sandbox(["deploy": Self.runbook(.jenkins, ci.base).replacingOccurrences(of: "job: ops/deploy", with: "job: ops/smoke")])
        let a = try await run(smoke, ["run", "deploy", "--yes"], env: env(.jenkins))
        #expect(a.status == 1, "\(a.stdout)\(a.stderr)")
        #expect(a.stdout.contains("cannot run: job ops/smoke takes no parameters, so Jenkins would ignore the step's inputs (region, outcome, polls); drop 'inputs' or add the parameters to the job"), "\(a.stdout)")
        let typo = try Sandbox(["deploy": Self.runbook(.jenkins, ci.base).replacingOccurrences(of: "inputs: {region:", with: "inputs: {regoin:")])
        let b = try await run(typo, ["run", "deploy", "--yes"], env: env(.jenkins))
        #expect(b.status == 1, "\(b.stdout)\(b.stderr)")
        #expect(b.stdout.contains("cannot run: job ops/deploy has no parameter regoin (it declares region, outcome, polls); Jenkins would drop it"), "\(b.stdout)")
        #expect(try ci.started("jenkins") == 0)
    }
}
