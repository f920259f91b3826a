#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import MusterBasics
import MusterFormat
import MusterEngine

/// `POST /job/{job}/buildWithParameters` for a parameterized job, `POST
/// /job/{job}/build` for one without parameters, answered 201 with the
/// queue item in `Location`; then `GET /queue/item/{n}/api/json` until it
/// has an `executable` (or is `cancelled`), then `GET
/// /job/{job}/{number}/api/json` until `building` is false; only the result
/// `SUCCESS` succeeds. Neither endpoint serves both kinds of job (Jenkins
/// core answers `buildWithParameters` on a job without parameters with 500
/// "This build is not parameterized!", and `build` on a parameterized one
/// wants a form), so the trigger reads the job's parameter definitions
/// first. Inputs the job does not declare are refused before anything
/// starts: Jenkins would silently drop them.
///
/// The token secret holds `USER:APITOKEN`, sent as basic authentication;
/// Jenkins needs no CSRF crumb for requests authenticated with an API
/// token. Without a token Muster is anonymous, which a Jenkins with CSRF
/// protection refuses for the trigger (403).
///
/// The job's `nextBuildNumber`, read before the trigger, is its token: a
/// trigger whose answer never came is found as the job's queue item, or
/// else its first build numbered from the token on, and shown absent when
/// the job has neither. Jenkins drops parameters a job does not declare,
/// so no token of Muster's own travels with the build: a build someone
/// else starts meanwhile would be taken for it.
struct Jenkins: CIService {
    let s: CIStepSettings
    let job: String
    let headers: [(name: String, value: String)]

    static func make(_ s: CIStepSettings) -> Result<any CIService, CIFailure> {
        var headers: [(name: String, value: String)] = [("Accept", "application/json")]
        if let t = s.token {
            guard t.value.contains(":") else {
                return .failure(CIFailure("cannot run: secret \(t.secret) must hold USER:APITOKEN (a Jenkins user name, a colon, and an API token of that user)"))
            }
            headers.append(("Authorization", "Basic " + Data(t.value.utf8).base64EncodedString()))
        }
        return .success(Jenkins(s: s, job: s["job"], headers: headers))
    }

    /// A job in folders (`team/deploy`) is `/job/team/job/deploy`.
    var jobURL: String { s.base + "/" + job.split(separator: "/").map { "job/" + String($0).percentEncoded() }.joined(separator: "/") }
    func queueURL(_ n: Int) -> String { "\(s.base)/queue/item/\(n)/" }
    func buildURL(_ n: Int) -> String { "\(jobURL)/\(n)/" }

    func refused(_ status: Int) -> String? {
        switch (status, s.token?.secret) {
        case (401, let s?): "Jenkins did not accept the user and API token in secret \(s)"
        case (401, nil), (403, nil): "Muster called Jenkins anonymously; set 'token' to a secret holding USER:APITOKEN (requests with an API token need no CSRF crumb)"
        case (403, let s?): "the user in secret \(s) may not do this (it needs Job/Build and Job/Read)"
        case (404, let s?): "no job \(job), or the user in secret \(s) cannot see it"
        case (404, nil): "no job \(job), or anonymous users cannot see it"
        default: nil
        }
    }

    func check(_ client: CIClient) -> Result<String, CIFailure> {
        client.send(CIRequest("GET", "\(jobURL)/api/json", headers: headers, what: "reading job \(job)", refused: refused))
            .map { _ in "job \(job) answered" }
    }

    /// The job's `property` list, as much of it as says which parameters it takes.
    struct JobParameters: Decodable {
        var property: [Property]?
        struct Property: Decodable { var parameterDefinitions: [Definition]? }
        struct Definition: Decodable { var name: String }

        /// The declared names, or nil for a job without parameters.
        var names: [String]? {
            let lists = (property ?? []).compactMap(\.parameterDefinitions)
            return lists.isEmpty ? nil : lists.flatMap { $0.map(\.name) }
        }
    }

    /// `build` or `buildWithParameters`, by what the job declares.
    func endpoint(_ client: CIClient) -> Result<String, CIFailure> {
        let url = "\(jobURL)/api/json?tree=property%5BparameterDefinitions%5Bname%5D%5D"
        let request = CIRequest("GET", url, headers: headers, what: "starting job \(job)", refused: refused)
        return client.fetch(JobParameters.self, request).flatMap { job, _ in
            let given = s.inputs.map(\.name)
            guard let declared = job.names else {
                guard given.isEmpty else {
                    return .failure(CIFailure("cannot run: job \(self.job) takes no parameters, so Jenkins would ignore the step's inputs (\(given.joined(separator: ", "))); drop 'inputs' or add the parameters to the job"))
                }
                return .success("build")
            }
            let unknown = given.filter { !declared.contains($0) }
            guard unknown.isEmpty else {
                let has = declared.isEmpty ? "it declares none" : "it declares \(declared.joined(separator: ", "))"
                return .failure(CIFailure("cannot run: job \(self.job) has no parameter \(unknown.joined(separator: ", ")) (\(has)); Jenkins would drop it"))
            }
            return .success("buildWithParameters")
        }
    }

    /// The job's queue and builds, as far as the token needs them.
    struct JobState: Decodable {
        var nextBuildNumber: Int?
        var queueItem: Item?
        var builds: [Build]?
        struct Item: Decodable { var id: Int }
        struct Build: Decodable { var number: Int }
    }

    func jobState(_ client: CIClient, tree: String, what: String) -> Result<JobState, CIFailure> {
        let request = CIRequest("GET", "\(jobURL)/api/json?tree=\(tree.percentEncoded())", headers: headers, what: what, refused: refused)
        return client.fetch(JobState.self, request).map { job, _ in job }
    }

    func mark(_ client: CIClient) -> Result<PipelineRef, CIFailure> {
        jobState(client, tree: "nextBuildNumber", what: "starting job \(job)").flatMap { job in
            guard let next = job.nextBuildNumber else { return .failure(CIFailure("starting job \(self.job): Jenkins did not say its next build number")) }
            return .success(JenkinsPipeline.trigger(after: next).ref)
        }
    }

    func find(_ mark: PipelineRef, age: Double, _ client: CIClient) -> Result<PipelineSearch, CIFailure> {
        guard case .trigger(let after)? = JenkinsPipeline(mark) else { return .failure(CIFailure("not a Jenkins trigger: \(mark)")) }
        return jobState(client, tree: "queueItem[id],builds[number]", what: "looking for the build of job \(job) from #\(after) on").map { job in
            if let item = job.queueItem { return .found(.jenkinsQueueItem(item.id)) }
            if let n = (job.builds ?? []).map(\.number).filter({ $0 >= after }).min() { return .found(.jenkinsBuild(n)) }
            return .absent
        }
    }

    func trigger(_ client: CIClient, mark: PipelineRef) -> Result<PipelineRef, CIFailure> {
        let action: String
        switch endpoint(client) {
        case .success(let a): action = a
        case .failure(let f): return .failure(f)
        }
        let form = s.inputs.map { "\($0.name.percentEncoded())=\($0.value.percentEncoded())" }.joined(separator: "&")
        client.showCommand("POST \(jobURL)/\(action)")
        let request = CIRequest("POST", "\(jobURL)/\(action)", headers: headers + [("Content-Type", "application/x-www-form-urlencoded")],
                                body: form, what: "starting job \(job)", refused: refused)
        return client.send(request).flatMap { reply in
            // Location: {root}/queue/item/N/
            let location = reply.header("Location") ?? ""
            let parts = location.split(separator: "/")
            guard let at = parts.indices.first(where: { parts[$0] == "queue" && $0 + 2 < parts.count && parts[$0 + 1] == "item" }),
                  let n = Int(parts[at + 2]) else {
                return .failure(CIFailure("Jenkins accepted job \(job) (\(reply.status)) but did not say where it queued it (Location: '\(location)'); look for the build in Jenkins before trying again"))
            }
            return .success(.jenkinsQueueItem(n))
        }
    }

    struct QueueItem: Decodable {
        var cancelled: Bool?
        var why: String?
        var executable: Executable?
        struct Executable: Decodable { var number: Int }
    }
    struct Build: Decodable { var building: Bool?; var result: String? }

    func look(_ ref: PipelineRef, _ client: CIClient) -> Result<PipelineLook, CIFailure> {
        switch JenkinsPipeline(ref) {
        case .queueItem(let item)?:
            let url = queueURL(item)
            let request = CIRequest("GET", "\(url)api/json", headers: headers, what: "following queue item \(item)", refused: refused)
            switch client.fetch(QueueItem.self, request) {
            case .failure(let f) where f.status == 404:
                return .success(PipelineLook(.failed(why: "Jenkins no longer knows queue item \(item): it forgets items some minutes after they start; find the build of \(job) in Jenkins", status: 1),
                                             line: "queue item \(item): gone · \(url)", url: "\(s.base)/\(job.split(separator: "/").map { "job/" + String($0) }.joined(separator: "/"))/"))
            case .failure(let f):
                return .failure(f)
            case .success(let (q, _)):
                if q.cancelled == true {
                    return .success(PipelineLook(.cancelled(why: "Jenkins cancelled the queued build (queue item \(item))"), line: "queue item \(item): cancelled · \(url)", url: url))
                }
                if let n = q.executable?.number {
                    return .success(PipelineLook(.queued, line: "build #\(n): started · \(buildURL(n))", url: buildURL(n), next: .jenkinsBuild(n)))
                }
                return .success(PipelineLook(.queued, line: "queued: \(q.why ?? "waiting") · \(url)", url: url))
            }
        case .build(let number)?:
            let url = buildURL(number)
            let request = CIRequest("GET", "\(url)api/json", headers: headers, what: "following build #\(number)", refused: refused)
            return client.fetch(Build.self, request).map { b, reply in
                let result = b.result ?? ""
                // A build's result is set just before `building` turns false.
                guard b.building == false, !result.isEmpty else { return PipelineLook(.running, line: "build #\(number): building · \(url)", url: url) }
                let line = "build #\(number): \(result) · \(url)"
                switch result {
                case "SUCCESS": return PipelineLook(.succeeded, line: line, url: url, output: reply.body)
                case "ABORTED": return PipelineLook(.cancelled(why: "Jenkins result ABORTED"), line: line, url: url)
                default: return PipelineLook(.failed(why: "Jenkins result \(result)", status: 1), line: line, url: url)
                }
            }
        case .trigger?, nil:
            return .failure(CIFailure("not a Jenkins queue item or build: \(ref)"))
        }
    }

    /// `POST /queue/cancelItem?id=N` for a queued build, `POST
    /// /job/{job}/{number}/stop` for a running one; Jenkins answers a stop
    /// with a redirect to the build's page, which is its success.
    func cancel(_ ref: PipelineRef, _ client: CIClient) -> Result<String, CIFailure> {
        let (url, what, done): (String, String, String)
        switch JenkinsPipeline(ref) {
        case .queueItem(let n)?: (url, what, done) = ("\(s.base)/queue/cancelItem?id=\(n)", "cancelling queue item \(n)", "cancelled queue item \(n) of \(job)")
        case .build(let n)?: (url, what, done) = ("\(buildURL(n))stop", "stopping build #\(n)", "stopped build #\(n) of \(job)")
        default: return .failure(CIFailure("not a Jenkins queue item or build: \(ref)"))
        }
        switch client.send(CIRequest("POST", url, headers: headers, what: what, refused: refused)) {
        case .success: return .success(done)
        case .failure(let f) where f.status == 302 || f.status == 303: return .success(done)
        case .failure(let f): return .failure(f)
        }
    }

    func describe(_ ref: PipelineRef) -> String {
        switch JenkinsPipeline(ref) {
        case .queueItem(let n)?: "queue item \(n) of \(job): \(queueURL(n))"
        case .build(let n)?: "build #\(n) of \(job): \(buildURL(n))"
        case .trigger(let n)?: "the build of \(job) numbered #\(n) or later"
        case nil: "\(ref)"
        }
    }
}
