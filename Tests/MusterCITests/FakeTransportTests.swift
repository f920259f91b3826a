import Foundation
import MusterCI
import MusterBasics
import MusterFormat
import MusterEngine
import Testing

/// A CI server that answers from a script: each request is matched by
/// method and URL suffix to the next reply queued for it; what was sent is
/// kept. Non-2xx replies come back as failures, as the executor's client
/// returns them.
final class FakeClient: CIClient {
    var replies: [(method: String, suffix: String, reply: HTTPReply)] = []
    var sent: [CIRequest] = []
    var shown: [String] = []

    func on(_ method: String, _ suffix: String, _ status: Int = 200, _ body: String = "", headers: [(name: String, value: String)] = []) {
        replies.append((method, suffix, HTTPReply(status: status, body: body, seconds: 0, headers: headers)))
    }

    func send(_ request: CIRequest) -> Result<HTTPReply, CIFailure> {
        sent.append(request)
        let path = request.url.split(separator: "?").first.map(String.init) ?? request.url
        guard let i = replies.firstIndex(where: { $0.method == request.method && (path.hasSuffix($0.suffix) || request.url.hasSuffix($0.suffix)) }) else {
            return .failure(CIFailure("\(request.what): no reply scripted for \(request.method) \(request.url)", status: 599))
        }
        let reply = replies.remove(at: i).reply
        guard (200..<300).contains(reply.status) else {
            return .failure(CIFailure("\(request.what): the CI server answered \(reply.status): \(reply.body)", status: reply.status))
        }
        return .success(reply)
    }

    func showCommand(_ line: String) { shown.append("$ " + line) }
    func showInfo(_ line: String) { shown.append(line) }
    func showWarning(_ line: String) { shown.append("! " + line) }
    func quoted(_ text: String, limit: Int) -> String { String(text.prefix(limit)) }
}

func settings(_ p: CIProvider, _ settings: [String: String], inputs: [(String, String)] = [], token: String? = "secret-token-value") -> CIStepSettings {
    CIStepSettings(provider: p, base: "https://ci.example", settings: settings, inputs: inputs.map { (name: $0.0, value: $0.1) },
                   token: token.map { (value: $0, secret: "TOKEN") }, reason: "muster run R, step s", operatorName: "alice")
}

func service(_ s: CIStepSettings) throws -> any CIService {
    try CIServices.make(s).get()
}

@Suite("CI providers against a fake transport")
struct FakeTransportTests {
    @Test func gitlabShowsABlockedPipelineAsWaitingForSomeone() throws {
        let gl = try service(settings(.gitlab, ["project": "acme/platform", "ref": "main"]))
        let c = FakeClient()
        for status in ["manual", "scheduled", "waiting_for_resource", "running", "canceled", "failed", "success"] {
            c.on("GET", "/pipelines/701", 200, #"{"id":701,"status":"\#(status)","web_url":"https://gl/p/701"}"#)
        }
        let states = try (0..<7).map { _ in try gl.look(.gitlabPipeline(701), c).get() }
        #expect(states[0].state == .waiting(for: .someone))
        #expect(states[0].line == "pipeline 701: manual · waiting for someone to press play in GitLab: https://gl/p/701")
        #expect(states[1].state == .waiting(for: .schedule))
        #expect(states[2].state == .waiting(for: .resource))
        #expect(states[3].state == .running)
        #expect(states[4].state == .cancelled(why: "GitLab status canceled"))
        #expect(states[5].state == .failed(why: "GitLab status failed", status: 1))
        #expect(states[6].state == .succeeded)
        #expect(c.sent.first?.url == "https://ci.example/api/v4/projects/acme%2Fplatform/pipelines/701")
    }

    @Test func gitlabPipelineVariablesRefusedNameTheSettingToChange() throws {
        let gl = try service(settings(.gitlab, ["project": "acme/platform", "ref": "main"], inputs: [("REGION", "eu")]))
        let c = FakeClient()
        c.on("POST", "/pipeline", 400, #"{"message":{"base":["Insufficient permissions to set pipeline variables"]}}"#)
        let f = try #require(gl.trigger(c, mark: .gitlabTrigger(after: 700)).failureValue)
        #expect(f.message.contains("Minimum role to use pipeline variables"), "\(f.message)")
        // Without inputs, no variables key at all.
        let bare = try service(settings(.gitlab, ["project": "acme/platform", "ref": "main"]))
        c.on("POST", "/pipeline", 201, #"{"id":702}"#)
        #expect(try bare.trigger(c, mark: .gitlabTrigger(after: 700)).get() == .gitlabPipeline(702))
        #expect(c.sent.last?.body == #"{"ref":"main"}"#)
    }

    @Test func buildbotFollowsTheRequestThroughARetryAndEndsACollapsedOne() throws {
        let bb = try service(settings(.buildbot, ["builder": "deploy", "scheduler": "force"], token: nil))
        let c = FakeClient()
        let ref = PipelineRef.buildbotRequest(3, builder: 1)
        // Build 1 lost its worker (RETRY); the request is still open.
        c.on("GET", "/buildrequests/3", 200, #"{"buildrequests":[{"complete":false,"results":-1,"claimed":true}]}"#)
        c.on("GET", "/builds", 200, #"{"builds":[{"number":1,"buildid":1,"complete":true,"results":5,"state_string":"retry"}]}"#)
        let retried = try bb.look(ref, c).get()
        #expect(retried.state == .queued)
        #expect(retried.line.contains("will be retried"), "\(retried.line)")
        // Build 2 succeeds and completes the request.
        c.on("GET", "/buildrequests/3", 200, #"{"buildrequests":[{"complete":true,"results":0}]}"#)
        c.on("GET", "/builds", 200, #"{"builds":[{"number":1,"buildid":1,"complete":true,"results":5},{"number":2,"buildid":2,"complete":true,"results":0,"state_string":"build successful"}]}"#)
        let done = try bb.look(ref, c).get()
        #expect(done.state == .succeeded)
        #expect(done.url == "https://ci.example/#/builders/1/builds/2")
        // Collapsed: completed SKIPPED without a build of its own.
        c.on("GET", "/buildrequests/3", 200, #"{"buildrequests":[{"complete":true,"results":3}]}"#)
        c.on("GET", "/builds", 200, #"{"builds":[]}"#)
        guard case .cancelled(let why) = try bb.look(ref, c).get().state else { Issue.record("not ended"); return }
        #expect(why.contains("collapseRequests"))
        // Cancelled before it got a build.
        c.on("GET", "/buildrequests/3", 200, #"{"buildrequests":[{"complete":true,"results":6}]}"#)
        c.on("GET", "/builds", 200, #"{"builds":[]}"#)
        #expect(try bb.look(ref, c).get().state == .cancelled(why: "Buildbot cancelled build request 3 before it got a build"))
    }

    @Test func buildbotLogsInWithAUserAndPasswordAndSendsTheSessionCookie() throws {
        #expect(CIServices.make(settings(.buildbot, ["builder": "deploy"], token: "no-colon")).failureValue?.message.contains("USER:PASSWORD") == true)
        let bb = try service(settings(.buildbot, ["builder": "deploy", "scheduler": "force"], token: "ops:pw"))
        let c = FakeClient()
        c.on("GET", "/auth/login", 200, "<html/>", headers: [("Set-Cookie", "TWISTED_SESSION=abc123; Path=/; HttpOnly")])
        c.on("GET", "/builders", 200, #"{"builders":[{"builderid":4}]}"#)
        c.on("GET", "/builders/4/buildrequests", 200, #"{"buildrequests":[{"buildrequestid":16,"buildsetid":8}]}"#)
        c.on("POST", "/forceschedulers/force", 200, #"{"id":1,"jsonrpc":"2.0","result":[{"4":17},9]}"#)
        let mark = try bb.mark(c).get()
        #expect(mark == .buildbotTrigger(after: 16, builder: 4))
        #expect(try bb.trigger(c, mark: mark).get() == .buildbotRequest(17, builder: 4))
        #expect(c.sent[0].headers.contains { $0.name == "Authorization" && $0.value == "Basic " + Data("ops:pw".utf8).base64EncodedString() })
        #expect(c.sent[1...].allSatisfy { r in r.headers.contains { $0.name == "Cookie" && $0.value == "TWISTED_SESSION=abc123" } })
    }

    @Test func githubRetriesWithoutRunDetailsOnA400AndFollowsBranchRefs() throws {
        let gh = try service(settings(.github, ["repo": "acme/platform", "workflow": "deploy.yml", "ref": "refs/heads/main"]))
        let c = FakeClient()
        c.on("GET", "/workflows/deploy.yml/runs", 200, #"{"workflow_runs":[{"id":8999}]}"#)
        c.on("POST", "/dispatches", 400, #"{"message":"Invalid request. \"return_run_details\" is not a permitted key."}"#)
        c.on("POST", "/dispatches", 204)
        let mark = try gh.mark(c).get()
        #expect(try gh.trigger(c, mark: mark).get() == .githubDispatch(after: 8999))
        #expect(c.sent[0].url.contains("branch=main&"), "\(c.sent[0].url)")
        #expect(c.sent[2].body?.contains("return_run_details") == false)
        c.on("GET", "/workflows/deploy.yml/runs", 200, #"{"workflow_runs":[{"id":9002,"html_url":"u2"},{"id":9001,"html_url":"u1"},{"id":8999}]}"#)
        let found = try gh.look(.githubDispatch(after: 8999), c).get()
        #expect(found.next == .githubRun(9001))
    }

    @Test func jenkinsWithoutInputsUsesBuildWithParameters() throws {
        let j = try service(settings(.jenkins, ["job": "ops/deploy"], token: "u:t"))
        let c = FakeClient()
        c.on("GET", "/job/ops/job/deploy/api/json", 200, #"{"property":[{"_class":"x"},{"parameterDefinitions":[{"name":"region"}]}]}"#)
        c.on("POST", "/job/ops/job/deploy/buildWithParameters", 201, headers: [("Location", "https://ci.example/queue/item/31/")])
        #expect(try j.trigger(c, mark: .jenkinsTrigger(after: 12)).get() == .jenkinsQueueItem(31))
        #expect(c.sent[0].url.hasSuffix("/job/ops/job/deploy/api/json?tree=property%5BparameterDefinitions%5Bname%5D%5D"), "\(c.sent[0].url)")
        #expect(c.sent[1].body == "")
        c.on("GET", "/queue/item/31/api/json", 200, #"{"executable":{"number":12}}"#)
        #expect(try j.look(.jenkinsQueueItem(31), c).get().next == .jenkinsBuild(12))
    }

    /// A trigger whose answer never came, or that was refused: the oldest
    /// API pipeline on the ref newer than the one read before it, and
    /// absent when there is none, so the retry triggers again.
    @Test func gitlabFindsAnUnansweredTriggerAsTheOldestNewerAPIPipelineOrNone() throws {
        let gl = try service(settings(.gitlab, ["project": "acme/platform", "ref": "main"]))
        let c = FakeClient()
        c.on("GET", "/pipelines?ref=main&order_by=id&sort=desc&per_page=100", 200, #"[{"id":700},{"id":650}]"#)
        let mark = try gl.mark(c).get()
        #expect(c.sent[0].url == "https://ci.example/api/v4/projects/acme%2Fplatform/pipelines?ref=main&order_by=id&sort=desc&per_page=100")
        c.on("GET", "/pipelines?ref=main&source=api&order_by=id&sort=desc&per_page=100", 200, #"[{"id":703},{"id":702},{"id":700}]"#)
        #expect(try gl.find(mark, age: 0, c).get() == .found(.gitlabPipeline(702)))
        #expect(c.sent[1].url == "https://ci.example/api/v4/projects/acme%2Fplatform/pipelines?ref=main&source=api&order_by=id&sort=desc&per_page=100")
        c.on("GET", "/pipelines?ref=main&source=api&order_by=id&sort=desc&per_page=100", 200, #"[{"id":700},{"id":650}]"#)
        #expect(try gl.find(mark, age: 0, c).get() == .absent)
    }

    /// A force whose answer never came: the oldest newer request of the
    /// builder whose buildset's reason ends with this run's and step's.
    @Test func buildbotFindsAnUnansweredForceByItsReasonAndCancelsWhatRuns() throws {
        let bb = try service(settings(.buildbot, ["builder": "deploy", "scheduler": "force"], token: nil))
        let c = FakeClient()
        let mark = PipelineRef.buildbotTrigger(after: 16, builder: 4)
        c.on("GET", "/builders/4/buildrequests", 200, #"{"buildrequests":[{"buildrequestid":17,"buildsetid":8},{"buildrequestid":18,"buildsetid":9}]}"#)
        c.on("GET", "/buildsets/8", 200, #"{"buildsets":[{"reason":"A build was forced by 'bob': muster run R, step s2"}]}"#)
        c.on("GET", "/buildsets/9", 200, #"{"buildsets":[{"reason":"A build was forced by 'alice via Muster': muster run R, step s"}]}"#)
        #expect(try bb.find(mark, age: 0, c).get() == .found(.buildbotRequest(18, builder: 4)))
        #expect(c.sent[0].url == "https://ci.example/api/v2/builders/4/buildrequests?buildrequestid__gt=16&order=buildrequestid")
        c.on("GET", "/builders/4/buildrequests", 200, #"{"buildrequests":[]}"#)
        #expect(try bb.find(mark, age: 0, c).get() == .absent)
        // A request with a running build: the build is stopped; without one, the request is cancelled.
        c.on("GET", "/builds", 200, #"{"builds":[{"number":3,"buildid":21,"complete":false}]}"#)
        c.on("POST", "/builds/21", 200, #"{"id":1,"jsonrpc":"2.0","result":null}"#)
        #expect(try bb.cancel(.buildbotRequest(18, builder: 4), c).get() == "stopped build 3 of build request 18")
        #expect(c.sent.last?.body?.contains(#""method":"stop""#) == true)
        c.on("GET", "/builds", 200, #"{"builds":[]}"#)
        c.on("POST", "/buildrequests/18", 200, #"{"id":1,"jsonrpc":"2.0","result":null}"#)
        #expect(try bb.cancel(.buildbotRequest(18, builder: 4), c).get() == "cancelled build request 18")
        #expect(c.sent.last?.body?.contains(#""method":"cancel""#) == true)
    }

    @Test func rateLimitHeadersSayHowLongToWait() {
        func reply(_ status: Int, _ headers: [(String, String)], body: String = "") -> HTTPReply {
            HTTPReply(status: status, body: body, seconds: 0, headers: headers.map { (name: $0.0, value: $0.1) })
        }
        #expect(reply(429, [("Retry-After", "7")]).rateLimit(now: 0)! == (7, true))
        #expect(reply(403, [("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", "1090")]).rateLimit(now: 1000)! == (90, true))
        #expect(reply(403, [], body: #"{"message":"You have exceeded a secondary rate limit."}"#).rateLimit(now: 0)! == (60, true))
        #expect(reply(200, [("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", "1030")]).rateLimit(now: 1000)! == (30, false))
        #expect(reply(200, [("x-ratelimit-remaining", "12")]).rateLimit(now: 0) == nil)
        #expect(reply(403, [("x-ratelimit-remaining", "50")], body: "Resource not accessible").rateLimit(now: 0) == nil)
    }

    @Test func journaledReferencesRoundTripAndLegacyValuesAreRead() throws {
        let refs: [PipelineRef] = [.buildbotRequest(3, builder: 1), .githubRun(9001), .githubDispatch(after: 8999), .gitlabPipeline(701), .jenkinsQueueItem(31), .jenkinsBuild(12)]
        for r in refs {
            let data = try JSONEncoder().encode(r)
            #expect(try JSONDecoder().decode(PipelineRef.self, from: data) == r)
        }
        // The journal's bytes (sorted keys) stay those of every release.
        let journalEncoder = JSONEncoder()
        journalEncoder.outputFormatting = [.sortedKeys]
        #expect(String(decoding: try journalEncoder.encode(PipelineRef.buildbotRequest(3, builder: 1)), as: UTF8.self)
                    == #"{"builder":1,"id":3,"kind":"build_request","provider":"buildbot"}"#)
        #expect(String(decoding: try journalEncoder.encode(PipelineRef.githubDispatch(after: 8999)), as: UTF8.self)
                    == #"{"after":8999,"kind":"dispatch","provider":"github"}"#)
        #expect(try JSONDecoder().decode(PipelineRef.self, from: Data(#"{"builder":1,"kind":"build_request","id":3,"provider":"buildbot"}"#.utf8)) == .buildbotRequest(3, builder: 1))
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(PipelineRef.self, from: Data(#"{"provider":"travis","kind":"build","id":3}"#.utf8)) }
        let bb = try service(settings(.buildbot, ["builder": "deploy", "scheduler": "force"], token: nil))
        let gh = try service(settings(.github, ["repo": "acme/platform", "workflow": "deploy.yml", "ref": "refs/heads/main"]))
        let j = try service(settings(.jenkins, ["job": "ops/deploy"], token: "u:t"))
        #expect(bb.pipeline(legacy: "3", item: 1) == .buildbotRequest(3, builder: 1))
        #expect(gh.pipeline(legacy: "dispatched:8999", item: nil) == .githubDispatch(after: 8999))
        #expect(gh.pipeline(legacy: "9001", item: nil) == .githubRun(9001))
        #expect(j.pipeline(legacy: "queue/item/31", item: nil) == .jenkinsQueueItem(31))
        #expect(j.pipeline(legacy: "job/ops/job/deploy/12", item: nil) == .jenkinsBuild(12))
        #expect(bb.pipeline(legacy: "not a number", item: nil) == nil)
    }
}

extension Result {
    var failureValue: Failure? {
        if case .failure(let f) = self { return f }
        return nil
    }
}
