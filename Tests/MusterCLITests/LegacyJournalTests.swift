import Foundation
import MusterTestSupport
import Testing

/// Runs journaled by the release before MusterCI (Fixtures/legacy-ci: the
/// pipeline in `value`, a Buildbot builder in `item`), killed while they
/// followed their pipeline, resume following the same pipeline.
enum LegacyRun {
    /// A sandbox holding the fixture's run, its runbook pointed at `base`.
    static func sandbox(_ name: String, base: String) throws -> Sandbox {
        let src = fixtures + "/legacy-ci/" + name
        let runbook = try String(contentsOfFile: src + "/deploy.yaml", encoding: .utf8)
        let old = try #require(runbook.firstMatch(of: /http:\/\/127\.0\.0\.1:\d+/)).output
        let s = try Sandbox(["deploy": runbook.replacingOccurrences(of: String(old), with: base)])
        let run = try #require(try FileManager.default.contentsOfDirectory(atPath: src).first { $0.hasSuffix("-deploy") })
        try FileManager.default.createDirectory(atPath: s.dir + "/.muster/runs", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: src + "/" + run, toPath: s.dir + "/.muster/runs/" + run)
        // The killed session's lock names a process of the machine that
        // wrote the fixture; here that pid may be anything.
        try? FileManager.default.removeItem(atPath: s.dir + "/.muster/runs/" + run + "/lock")
        return s
    }
}

@Suite("journals of the release before MusterCI resume", .serialized)
struct LegacyJournalTests {
    /// Starts, through the stand-in's API, the pipeline the fixture's run
    /// started (a fresh stand-in numbers them the same), finishing at its
    /// first look.
    func seed(_ name: String, _ ci: FakeCI) throws {
        let gh = "-H 'Authorization: Bearer \(FakeCI.githubToken)' -H 'User-Agent: t' -H 'Content-Type: application/json'"
        let inputs = #"{"region":"eu-north-1","outcome":"success","polls":"1"}"#
        switch name {
        case "github":
            try sh("curl -sf \(gh) -d '{\"ref\":\"main\",\"return_run_details\":true,\"inputs\":\(inputs)}' '\(ci.base)/repos/acme/platform/actions/workflows/deploy.yml/dispatches'", cwd: "/tmp")
        case "github-dispatched":
            try sh("curl -sf \(gh) -d '{\"ref\":\"main\",\"inputs\":\(inputs)}' '\(ci.base)/api/v3/repos/acme/platform/actions/workflows/deploy.yml/dispatches'", cwd: "/tmp")
        case "gitlab":
            try sh("curl -sf -H 'PRIVATE-TOKEN: \(FakeCI.gitlabToken)' -H 'Content-Type: application/json' -d '{\"ref\":\"main\",\"variables\":[{\"key\":\"POLLS\",\"value\":\"1\"}]}' '\(ci.base)/api/v4/projects/acme%2Fplatform/pipeline'", cwd: "/tmp")
        default:
            let auth = "-u '\(FakeCI.jenkinsAuth)'"
            try sh("curl -sf \(auth) -d 'region=eu-north-1&polls=1' '\(ci.base)/jenkins/job/ops/job/deploy/buildWithParameters'", cwd: "/tmp")
            if name == "jenkins-build" {
                // Two looks at the queue item give it its build, #12.
                for _ in 0..<2 { try sh("curl -sf \(auth) '\(ci.base)/jenkins/queue/item/31/api/json'", cwd: "/tmp") }
            }
        }
    }

    @Test(arguments: ["github", "github-dispatched", "gitlab", "jenkins-queue", "jenkins-build"])
    func aRunKilledMidPipelineFollowsTheSamePipeline(_ name: String) throws {
        let ci = try FakeCI()
        try seed(name, ci)
        let provider = String(name.prefix { $0 != "-" })
        #expect(try ci.started(provider) == 1)
        let s = try LegacyRun.sandbox(name, base: ci.base)
        let secret = ["github": "GITHUB_TOKEN", "gitlab": "GITLAB_TOKEN", "jenkins": "JENKINS_TOKEN"][provider]!
        let token = ["github": FakeCI.githubToken, "gitlab": FakeCI.gitlabToken, "jenkins": FakeCI.jenkinsAuth][provider]!
        let r = try s.run(["resume", "--yes", "--force"], env: [secret: token])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("before the last session ended"), "\(r.stdout)")
        #expect(!r.stdout.contains("$ POST"), "the resumed run triggered again:\n\(r.stdout)")
        #expect(try ci.started(provider) == 1, "the resumed run started a second pipeline")
        let followed = ["github": "run 9001", "github-dispatched": "run 9001", "gitlab": "pipeline 701", "jenkins-queue": "build #12", "jenkins-build": "build #12"][name]!
        #expect(r.stdout.contains(followed), "\(r.stdout)")
    }
}
