#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import MusterBasics
import MusterFormat
import MusterEngine

/// Buildbot's REST API (`/api/v2`): the builder's id from `builders?name=`,
/// a JSON-RPC `force` call on the force scheduler (answered with the build
/// request id), then the build request followed to its end.
///
/// The request, not a build, is what is followed: Buildbot completes it
/// only when it is over. A build that ends in RETRY (5: the worker was
/// lost) leaves the request open and a newer build of it follows; a
/// request cancelled (6) or collapsed into a newer one (`collapseRequests`,
/// on by default: completed SKIPPED without a build) ends the step saying so.
///
/// With `token`, the secret holds `USER:PASSWORD` of a user of the
/// master's `www` auth: Muster logs in (`/auth/login`, HTTP Basic) and
/// sends the session cookie with each request, as the web UI does; that is
/// what a master whose `authz` restricts forcing needs.
///
/// The newest build request of the builder, read before the force, is the
/// trigger's token; the force's reason names the run and the step. A force
/// whose answer never came is found as the oldest newer request of the
/// builder whose buildset has that reason, and shown absent when there is
/// none (Buildbot makes the request within the force call).
struct Buildbot: CIService {
    let s: CIStepSettings
    let builder: String
    let scheduler: String
    /// The session cookie, once logged in.
    private let session = Session()

    final class Session { var cookie: String? }

    static func make(_ s: CIStepSettings) -> Result<any CIService, CIFailure> {
        if let t = s.token, !t.value.contains(":") {
            return .failure(CIFailure("cannot run: secret \(t.secret) must hold USER:PASSWORD of a Buildbot user (the master's www auth)"))
        }
        return .success(Buildbot(s: s, builder: s["builder"], scheduler: s.settings["scheduler"] ?? "force"))
    }

    var api: String { "\(s.base)/api/v2" }

    func headers(_ client: CIClient) -> Result<[(name: String, value: String)], CIFailure> {
        var h: [(name: String, value: String)] = [("Content-Type", "application/json"), ("Accept", "application/json")]
        guard let token = s.token else { return .success(h) }
        if session.cookie == nil {
            let login = CIRequest("GET", "\(s.base)/auth/login", headers: [("Authorization", "Basic " + Data(token.value.utf8).base64EncodedString())],
                                  what: "logging in to Buildbot", refused: { $0 == 401 ? "Buildbot did not accept the user and password in secret \(token.secret)" : nil })
            switch client.send(login) {
            case .failure(let f): return .failure(f)
            case .success(let reply):
                let cookies = reply.headers.filter { $0.name.lowercased() == "set-cookie" }.compactMap { $0.value.split(separator: ";").first }
                guard let c = cookies.last(where: { $0.contains("SESSION") }) else {
                    return .failure(CIFailure("logging in to Buildbot: it set no session cookie; is its www auth a user and password one (UserPasswordAuth, HTPasswdAuth)?"))
                }
                session.cookie = c.drop { $0 == " " }.description
            }
        }
        h.append(("Cookie", session.cookie ?? ""))
        return .success(h)
    }

    func refused(_ status: Int) -> String? {
        switch (status, s.token) {
        case (403, nil): "Buildbot's authz refuses anonymous users; set 'token' to a secret holding USER:PASSWORD of a user allowed to force \(builder)"
        case (403, let t?): "the user in secret \(t.secret) may not do this in Buildbot's authz"
        default: nil
        }
    }

    struct Builders: Decodable { var builders: [Builder]; struct Builder: Decodable { var builderid: Int } }
    struct Forced: Decodable {
        var result: [ResultPart]?
        var error: RPCError?
        struct RPCError: Decodable { var message: String }
        /// `[{"<builderid>": <request>}, <buildset>]`
        enum ResultPart: Decodable {
            case requests([String: Int]), other
            init(from decoder: any Decoder) throws {
                let c = try decoder.singleValueContainer()
                self = (try? c.decode([String: Int].self)).map(ResultPart.requests) ?? .other
            }
        }
    }

    func check(_ client: CIClient) -> Result<String, CIFailure> {
        headers(client).flatMap { h in
            client.fetch(Builders.self, CIRequest("GET", "\(api)/builders?name=\(builder.percentEncoded())", headers: h, what: "finding builder '\(builder)'", refused: refused))
        }.flatMap { found, _ in
            found.builders.isEmpty ? .failure(CIFailure("Buildbot at \(s.base) has no builder named '\(builder)'")) : .success("builder '\(builder)' found")
        }
    }

    /// The builder's id, by its name.
    func builderID(_ client: CIClient, _ h: [(name: String, value: String)]) -> Result<Int, CIFailure> {
        client.fetch(Builders.self, CIRequest("GET", "\(api)/builders?name=\(builder.percentEncoded())", headers: h, what: "finding builder '\(builder)'", refused: refused))
            .flatMap { b, _ in
                b.builders.first.map { .success($0.builderid) } ?? .failure(CIFailure("Buildbot at \(s.base) has no builder named '\(builder)'"))
            }
    }

    struct Listed: Decodable {
        var buildrequests: [Request]
        struct Request: Decodable { var buildrequestid: Int; var buildsetid: Int }
    }
    struct Buildsets: Decodable { var buildsets: [Buildset]; struct Buildset: Decodable { var reason: String? } }

    func mark(_ client: CIClient) -> Result<PipelineRef, CIFailure> {
        headers(client).flatMap { h in
            builderID(client, h).flatMap { id in
                client.fetch(Listed.self, CIRequest("GET", "\(api)/builders/\(id)/buildrequests?order=-buildrequestid&limit=1", headers: h,
                                                    what: "reading the newest build request of '\(builder)'", refused: refused))
                    .map { listed, _ in BuildbotPipeline.trigger(after: listed.buildrequests.first?.buildrequestid ?? 0, builder: id).ref }
            }
        }
    }

    func find(_ mark: PipelineRef, age: Double, _ client: CIClient) -> Result<PipelineSearch, CIFailure> {
        guard case .trigger(let after, let id)? = BuildbotPipeline(mark) else { return .failure(CIFailure("not a Buildbot trigger: \(mark)")) }
        let what = "looking for the build request of '\(builder)' forced after request \(after)"
        let h: [(name: String, value: String)]
        let newer: [Listed.Request]
        switch headers(client).flatMap({ h in
            client.fetch(Listed.self, CIRequest("GET", "\(api)/builders/\(id)/buildrequests?buildrequestid__gt=\(after)&order=buildrequestid", headers: h, what: what, refused: refused))
                .map { (h, $0.0.buildrequests) }
        }) {
        case .failure(let f): return .failure(f)
        case .success(let (x, r)): (h, newer) = (x, r)
        }
        for request in newer {
            switch client.fetch(Buildsets.self, CIRequest("GET", "\(api)/buildsets/\(request.buildsetid)", headers: h, what: what, refused: refused)) {
            case .failure(let f): return .failure(f)
            case .success(let (sets, _)):
                // ForceScheduler's reasonString ends with the reason given.
                if let r = sets.buildsets.first?.reason, r == s.reason || r.hasSuffix(": " + s.reason) { return .success(.found(.buildbotRequest(request.buildrequestid, builder: id))) }
            }
        }
        return .success(.absent)
    }

    func trigger(_ client: CIClient, mark: PipelineRef) -> Result<PipelineRef, CIFailure> {
        guard case .trigger(_, let id)? = BuildbotPipeline(mark) else { return .failure(CIFailure("not a Buildbot trigger: \(mark)")) }
        let h: [(name: String, value: String)]
        switch headers(client) {
        case .success(let x): h = x
        case .failure(let f): return .failure(f)
        }
        var params: [(String, JSON)] = [
            ("builderid", .string(String(id))),
            ("reason", .string(s.reason)),
            // Buildbot wants "Name <address>"; the address is a placeholder.
            ("username", .string("\(s.operatorName) via Muster <muster@example.com>")),
        ]
        for (name, value) in s.inputs { params.append((name, .string(value))) }
        let call = JSON.object([("jsonrpc", "2.0"), ("method", "force"), ("id", 1), ("params", .object(params))])
        client.showCommand("POST \(api)/forceschedulers/\(scheduler) (builder \(builder))")
        switch client.fetch(Forced.self, CIRequest("POST", "\(api)/forceschedulers/\(scheduler.percentEncoded())", headers: h, body: .json(call),
                                                   what: "triggering builder '\(builder)'", refused: refused)) {
        case .failure(let f): return .failure(f)
        case .success(let (forced, reply)):
            if let e = forced.error { return .failure(CIFailure("Buildbot refused to start '\(builder)': \(e.message)")) }
            for part in forced.result ?? [] {
                if case .requests(let r) = part, let request = r.values.first { return .success(.buildbotRequest(request, builder: id)) }
            }
            return .failure(CIFailure("Buildbot's answer to the force call has no build request id: \(client.quoted(reply.body, limit: 120))"))
        }
    }

    struct Requests: Decodable {
        var buildrequests: [Request]
        struct Request: Decodable { var complete: Bool; var results: Int?; var claimed: Bool? }
    }
    struct Builds: Decodable {
        var builds: [Build]
        struct Build: Decodable { var number: Int; var buildid: Int?; var complete: Bool; var results: Int?; var state_string: String? }
    }

    func look(_ ref: PipelineRef, _ client: CIClient) -> Result<PipelineLook, CIFailure> {
        guard case .request(let request, let builderID)? = BuildbotPipeline(ref) else { return .failure(CIFailure("not a Buildbot build request: \(ref)")) }
        // (a `trigger` is found by `find`, never followed)
        let h: [(name: String, value: String)]
        switch headers(client) {
        case .success(let x): h = x
        case .failure(let f): return .failure(f)
        }
        let what = "following build request \(request)"
        let req: Requests.Request
        switch client.fetch(Requests.self, CIRequest("GET", "\(api)/buildrequests/\(request)", headers: h, what: what, refused: refused)) {
        case .failure(let f): return .failure(f)
        case .success(let (r, _)):
            guard let first = r.buildrequests.first else { return .failure(CIFailure("\(what): Buildbot no longer knows it")) }
            req = first
        }
        let builds: Builds.Build?, body: String
        switch client.fetch(Builds.self, CIRequest("GET", "\(api)/builds?buildrequestid=\(request)", headers: h, what: what, refused: refused)) {
        case .failure(let f): return .failure(f)
        case .success(let (b, reply)):
            builds = b.builds.max { ($0.buildid ?? $0.number) < ($1.buildid ?? $1.number) }
            body = reply.body
        }
        let builderURL = "\(s.base)/#/builders/\(builderID)"
        guard let build = builds else {
            guard req.complete else { return .success(PipelineLook(.queued, line: "queued", url: builderURL)) }
            let why = req.results == 6
                ? "Buildbot cancelled build request \(request) before it got a build"
                : "Buildbot merged build request \(request) into a newer request of the same builder (collapseRequests) and will not build it; that build is the one to check"
            return .success(PipelineLook(.cancelled(why: why), line: "build request \(request): \(req.results == 6 ? "cancelled" : "collapsed")", url: builderURL))
        }
        let url = "\(builderURL)/builds/\(build.number)"
        let line = "build \(build.number): \(build.state_string ?? "running") · \(url)"
        guard req.complete else {
            // A build that ended RETRY: Buildbot queues the request again.
            if build.complete, build.results == 5 {
                return .success(PipelineLook(.queued, line: "build \(build.number) will be retried (RETRY: its worker was lost); waiting for the next build · \(url)", url: url))
            }
            return .success(PipelineLook(build.complete ? .queued : .running, line: line, url: url))
        }
        // 0 success, 1 warnings; 2 failure, 3 skipped, 4 exception, 5 retry, 6 cancelled.
        switch req.results ?? build.results ?? -1 {
        case 0, 1: return .success(PipelineLook(.succeeded, line: line, url: url, output: body))
        case 6: return .success(PipelineLook(.cancelled(why: "Buildbot cancelled build \(build.number)"), line: line, url: url))
        case let r: return .success(PipelineLook(.failed(why: "Buildbot result \(r)", status: Int32(r)), line: line, url: url))
        }
    }

    /// Stops the request's running build (`stop` on `/builds/{id}`) or,
    /// while it has none, cancels the request (`cancel` on
    /// `/buildrequests/{id}`): JSON-RPC control calls.
    func cancel(_ ref: PipelineRef, _ client: CIClient) -> Result<String, CIFailure> {
        guard case .request(let request, _)? = BuildbotPipeline(ref) else { return .failure(CIFailure("not a Buildbot build request: \(ref)")) }
        let h: [(name: String, value: String)]
        switch headers(client) {
        case .success(let x): h = x
        case .failure(let f): return .failure(f)
        }
        let what = "cancelling build request \(request)"
        func call(_ url: String, _ method: String) -> Result<Void, CIFailure> {
            let body = JSON.object([("jsonrpc", "2.0"), ("method", .string(method)), ("id", 1), ("params", .object([("reason", .string("cancel_on_stop: \(s.reason)"))]))])
            return client.fetch(Forced.self, CIRequest("POST", url, headers: h, body: .json(body), what: what, refused: refused)).flatMap { answer, _ in
                answer.error.map { .failure(CIFailure("\(what): Buildbot refused: \($0.message)")) } ?? .success(())
            }
        }
        switch client.fetch(Builds.self, CIRequest("GET", "\(api)/builds?buildrequestid=\(request)", headers: h, what: what, refused: refused)) {
        case .failure(let f): return .failure(f)
        case .success(let (b, _)):
            let running = b.builds.filter { !$0.complete }
            if !running.isEmpty {
                for build in running {
                    if case .failure(let f) = call("\(api)/builds/\(build.buildid ?? build.number)", "stop") { return .failure(f) }
                }
                return .success("stopped build \(running.map { String($0.number) }.joined(separator: ", ")) of build request \(request)")
            }
        }
        return call("\(api)/buildrequests/\(request)", "cancel").map { "cancelled build request \(request)" }
    }

    func describe(_ ref: PipelineRef) -> String {
        switch BuildbotPipeline(ref) {
        case .request(let r, _)?: return "build request \(r)"
        case .trigger(let after, _)?: return "the build request of '\(builder)' forced after request \(after)"
        case nil: return "\(ref)"
        }
    }
}
