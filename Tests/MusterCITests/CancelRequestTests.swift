import MusterCI
import MusterEngine
import Testing

/// `cancel_on_stop`: the request each provider cancels a pipeline with,
/// and what it says it did; that the engine cancels at the step's timeout
/// is CICancelEngineTests'.
@Suite("CI providers cancel a pipeline through their API")
struct CancelRequestTests {
    @Test func gitlabCancelsThePipeline() throws {
        let gl = try service(settings(.gitlab, ["project": "acme/platform", "ref": "main"]))
        let c = FakeClient()
        c.on("POST", "/pipelines/701/cancel", 200, #"{"id":701,"status":"canceled"}"#)
        #expect(try gl.cancel(.gitlabPipeline(701), c).get() == "cancelled pipeline 701 of acme/platform")
        #expect(c.sent.map(\.url) == ["https://ci.example/api/v4/projects/acme%2Fplatform/pipelines/701/cancel"])
    }

    @Test func githubCancelsTheRunAndSaysSoWhenItIsAlreadyOver() throws {
        let gh = try service(settings(.github, ["repo": "acme/platform", "workflow": "deploy.yml", "ref": "main"]))
        let c = FakeClient()
        c.on("POST", "/actions/runs/9001/cancel", 202)
        #expect(try gh.cancel(.githubRun(9001), c).get() == "cancelled run 9001 of deploy.yml")
        #expect(c.sent.map(\.url) == ["https://ci.example/repos/acme/platform/actions/runs/9001/cancel"])
        c.on("POST", "/actions/runs/9001/cancel", 409, #"{"message": "Cannot cancel a workflow run that is completed."}"#)
        let f = try #require(gh.cancel(.githubRun(9001), c).failureValue)
        #expect(f.message.contains("Cannot cancel a workflow run that is completed"), "\(f.message)")
    }

    /// A queue item is cancelled; a build is stopped, and Jenkins answers
    /// that with a redirect to the build's page, which is success.
    @Test func jenkinsCancelsAQueueItemAndStopsABuild() throws {
        let j = try service(settings(.jenkins, ["job": "ops/deploy"], token: "u:t"))
        let c = FakeClient()
        c.on("POST", "/queue/cancelItem", 204)
        #expect(try j.cancel(.jenkinsQueueItem(31), c).get() == "cancelled queue item 31 of ops/deploy")
        #expect(c.sent.last?.url == "https://ci.example/queue/cancelItem?id=31")
        c.on("POST", "/12/stop", 302)
        #expect(try j.cancel(.jenkinsBuild(12), c).get() == "stopped build #12 of ops/deploy")
        #expect(c.sent.last?.url.hasSuffix("/job/ops/job/deploy/12/stop") == true, "\(c.sent.last?.url ?? "")")
        #expect(c.sent.allSatisfy { $0.method == "POST" })
    }
}
