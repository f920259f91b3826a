#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// GitHub Actions, GitLab CI and Jenkins, from their documented REST APIs.
/// Like Buildbot: trigger, journal the pipeline before following it, then
/// poll it with `followPipeline`. A timeout never cancels a pipeline.
extension Executor {
    // MARK: - GitHub Actions

    /// `POST /repos/{repo}/actions/workflows/{workflow}/dispatches`, then
    /// `GET /repos/{repo}/actions/runs/{id}` until `status` is `completed`;
    /// only the conclusion `success` succeeds.
    ///
    /// The dispatch asks for `return_run_details`, and GitHub answers 200
    /// with the run's `workflow_run_id`. A server that predates it (an older
    /// GitHub Enterprise Server) refuses the key with a 422, so the dispatch
    /// is sent again without it and answered 204: the run is then the oldest
    /// `workflow_dispatch` run on the ref newer than every run listed before
    /// the dispatch (run ids only grow). The dispatch is journaled before that
    /// search, so a resumed run searches again rather than dispatch twice.
    func github(_ spec: CISpec, key: String, timeout: Double, values: [String: String], http: HTTPTransport) throws(Stop) -> Attempt {
        let start = monotonic()
        let token: String, secret: String
        switch ciToken(spec) {
        case .success(let t?): (token, secret) = t
        case .success(nil): return Attempt(ok: false, status: 1, seconds: 0, problem: "cannot run: the github provider needs 'token'")
        case .failure(let f): return try ciFailed(f, start: start)
        }
        let base: String
        switch ciBase(spec, values) {
        case .success(let b): base = b
        case .failure(let f): return try ciFailed(f, start: start)
        }
        let repo = ciSetting(spec, "repo", values).trimmingEdges { $0 == "/" }
        let workflow = ciSetting(spec, "workflow", values)
        let ref = ciSetting(spec, "ref", values)
        let repoPath = repo.split(separator: "/").map { String($0).percentEncoded() }.joined(separator: "/")
        let workflowURL = "\(base)/repos/\(repoPath)/actions/workflows/\(workflow.percentEncoded())"
        // A run's branch is the ref's short name (`main` for refs/heads/main).
        var branch = Substring(ref)
        for prefix in ["refs/heads/", "refs/tags/"] where branch.hasPrefix(prefix) { branch = branch.dropFirst(prefix.count) }
        let listURL = "\(workflowURL)/runs?event=workflow_dispatch&branch=\(String(branch).percentEncoded())&per_page=100"
        let headers: [(name: String, value: String)] = [
            ("Authorization", "Bearer \(token)"), ("Accept", "application/vnd.github+json"),
            ("X-GitHub-Api-Version", "2022-11-28"), ("Content-Type", "application/json"),
        ]
        let refused = { (status: Int) -> String? in
            switch status {
            case 401: "GitHub did not accept the token in secret \(secret)"
            case 403: "the token in secret \(secret) may not do this; it needs Actions: read and write on \(repo)"
            case 404: "no repository \(repo) with workflow \(workflow), or the token in secret \(secret) cannot see it"
            default: nil
            }
        }

        var runID: Int?
        var runURL = ""
        // Runs listed before the dispatch are not ours: only newer ids are.
        var newerThan: Int?
        if let p = state.pipelines[key] {
            if p.hasPrefix("dispatched:") {
                newerThan = Int(p.dropFirst("dispatched:".count)) ?? 0
                console.show(.info("workflow \(workflow) was dispatched before the last session ended; looking for its run"))
            } else if let id = Int(p) {
                runID = id
                console.show(.info("following run \(id) started before the last session ended"))
            }
        }
        if runID == nil, newerThan == nil {
            let before: JSON
            switch ciJSON(http, "GET", listURL, headers: headers, what: "listing runs of workflow \(workflow)", refused: refused) {
            case .success(let j): before = j
            case .failure(let f): return try ciFailed(f, start: start)
            }
            let newest = Self.githubRuns(before).map { $0.id }.max() ?? 0
            let inputs = JSON.object(spec.inputs.map { ($0.name, .string($0.value.expandText(values, secrets: setup.secrets))) })
            func body(details: Bool) -> String {
                JSON.object([("ref", .string(ref)), ("inputs", inputs)] + (details ? [("return_run_details", true)] : [])).serialized()
            }
            console.show(.command(masker.mask("POST \(workflowURL)/dispatches (ref \(ref))")))
            let what = "dispatching workflow \(workflow) on \(ref)"
            var sent = ciSend(http, "POST", "\(workflowURL)/dispatches", headers: headers, body: body(details: true), what: what, refused: refused)
            if case .failure(let f) = sent, f.status == 422, f.message.contains("return_run_details") {
                // A server without run details: nothing was dispatched yet.
                console.show(.info("this GitHub does not tell which run a dispatch starts; dispatching again without asking, then looking for the run"))
                sent = ciSend(http, "POST", "\(workflowURL)/dispatches", headers: headers, body: body(details: false), what: what, refused: refused)
            }
            let reply: HTTPReply
            switch sent {
            case .success(let r): reply = r
            case .failure(let f): return try ciFailed(f, start: start)
            }
            let details = reply.status == 200 ? try? JSONDecoder().decode(JSON.self, from: Data(reply.body.utf8)) : nil
            if case .int(let id)? = details?.at(path: "workflow_run_id") {
                runID = id
                runURL = details?.at(path: "html_url")?.text ?? ""
                try record(.pipelineStarted, step: key) { $0.value = String(id); $0.text = "GitHub run \(id) of \(workflow) on \(ref): \(runURL)" }
            } else {
                newerThan = newest
                try record(.pipelineStarted, step: key) {
                    $0.value = "dispatched:\(newest)"
                    $0.text = "GitHub workflow \(workflow) dispatched on \(ref); its run is newer than run \(newest)"
                }
            }
        }
        if runID == nil, let newerThan {
            let found = try pollPipeline(start: start, timeout: timeout) { () throws(Stop) -> Result<PipelineLook<(id: Int, url: String)>, CIFailure> in
                switch ciJSON(http, "GET", listURL, headers: headers, what: "looking for the run of workflow \(workflow)", refused: refused) {
                case .failure(let f):
                    return .failure(f)
                case .success(let j):
                    let ours = Self.githubRuns(j).filter { $0.id > newerThan }.sorted { $0.id < $1.id }
                    guard let run = ours.first else { return .success(.waiting("dispatched; waiting for GitHub to list the run")) }
                    if ours.count > 1 {
                        console.show(.warning("\(ours.count) runs of \(workflow) on \(ref) started since the dispatch; following the oldest, run \(run.id)"))
                    }
                    return .success(.done(run, line: nil))
                }
            }
            guard let found else {
                return Attempt(ok: false, status: 1, seconds: monotonic() - start, timedOut: true,
                               problem: masker.mask("workflow \(workflow) was dispatched on \(ref), but GitHub listed no new run of it within \(DurationFormat.format(Int(timeout))); look for it in GitHub before trying again"))
            }
            runID = found.id
            runURL = found.url
            try record(.pipelineStarted, step: key) { $0.value = String(found.id); $0.text = "GitHub run \(found.id) of \(workflow) on \(ref): \(found.url)" }
        }
        guard let id = runID else { return Attempt(ok: false, status: 1, seconds: 0) }

        return try followPipeline(runURL.isEmpty ? "run \(id)" : "run \(id): \(runURL)", start: start, timeout: timeout) { () throws(Stop) -> Result<PipelineLook<PipelineEnd>, CIFailure> in
            switch ciJSON(http, "GET", "\(base)/repos/\(repoPath)/actions/runs/\(id)", headers: headers, what: "following run \(id)", refused: refused) {
            case .failure(let f):
                return .failure(f)
            case .success(let j):
                let status = j.at(path: "status")?.text ?? "?"
                let conclusion = j.at(path: "conclusion")?.text ?? ""
                let url = j.at(path: "html_url")?.text ?? runURL
                let line = "run \(id): \(status)\(conclusion.isEmpty ? "" : ", \(conclusion)") · \(url)"
                guard status == "completed" else { return .success(.waiting(line)) }
                if conclusion == "success" { return .success(.done(PipelineEnd(line: line, output: j.serialized()), line: line)) }
                return .success(.done(PipelineEnd(line: line, problem: "the pipeline failed (GitHub conclusion \(conclusion.isEmpty ? "none" : conclusion)): \(url)"), line: line))
            }
        }
    }

    /// The runs in a "list workflow runs" answer: id and page.
    static func githubRuns(_ j: JSON) -> [(id: Int, url: String)] {
        guard case .array(let runs)? = j.at(path: "workflow_runs") else { return [] }
        return runs.compactMap { r in
            guard case .int(let id)? = r.at(path: "id") else { return nil }
            return (id, r.at(path: "html_url")?.text ?? "")
        }
    }

    // MARK: - GitLab

    /// `POST /api/v4/projects/{project}/pipeline` (201 with the pipeline's
    /// `id`), then `GET /api/v4/projects/{project}/pipelines/{id}` until its
    /// status is `success`, or `failed`, `canceled` or `skipped`.
    func gitlab(_ spec: CISpec, key: String, timeout: Double, values: [String: String], http: HTTPTransport) throws(Stop) -> Attempt {
        let start = monotonic()
        let token: String, secret: String
        switch ciToken(spec) {
        case .success(let t?): (token, secret) = t
        case .success(nil): return Attempt(ok: false, status: 1, seconds: 0, problem: "cannot run: the gitlab provider needs 'token'")
        case .failure(let f): return try ciFailed(f, start: start)
        }
        let base: String
        switch ciBase(spec, values) {
        case .success(let b): base = b
        case .failure(let f): return try ciFailed(f, start: start)
        }
        let project = ciSetting(spec, "project", values).trimmingEdges { $0 == "/" }
        let ref = ciSetting(spec, "ref", values)
        // A path (`group/project`) or a numeric id, URL-encoded as one segment.
        let projectURL = "\(base)/api/v4/projects/\(project.percentEncoded())"
        let headers: [(name: String, value: String)] = [("PRIVATE-TOKEN", token), ("Content-Type", "application/json"), ("Accept", "application/json")]
        let refused = { (status: Int) -> String? in
            switch status {
            case 401: "GitLab did not accept the token in secret \(secret)"
            case 403: "the token in secret \(secret) may not run pipelines in \(project); it needs the api scope and at least the Developer role"
            case 404: "no project \(project), or the token in secret \(secret) cannot see it"
            default: nil
            }
        }

        var pipeline = state.pipelines[key].flatMap { Int($0) }
        var webURL = ""
        if let id = pipeline {
            console.show(.info("following pipeline \(id) started before the last session ended"))
        } else {
            let variables = JSON.array(spec.inputs.map { .object([("key", .string($0.name)), ("value", .string($0.value.expandText(values, secrets: setup.secrets)))]) })
            let body = JSON.object([("ref", .string(ref)), ("variables", variables)]).serialized()
            console.show(.command(masker.mask("POST \(projectURL)/pipeline (ref \(ref))")))
            let created: JSON
            switch ciJSON(http, "POST", "\(projectURL)/pipeline", headers: headers, body: body, what: "creating a pipeline of \(project) on \(ref)", refused: refused) {
            case .success(let j): created = j
            case .failure(let f): return try ciFailed(f, start: start)
            }
            guard case .int(let id)? = created.at(path: "id") else {
                return Attempt(ok: false, status: 1, seconds: monotonic() - start,
                               problem: "GitLab's answer has no pipeline id: \(masker.mask(created.serialized(), limit: 120)); look for the pipeline in GitLab before trying again")
            }
            pipeline = id
            webURL = created.at(path: "web_url")?.text ?? ""
            try record(.pipelineStarted, step: key) { $0.value = String(id); $0.text = "GitLab pipeline \(id) of \(project) on \(ref): \(webURL)" }
        }
        guard let id = pipeline else { return Attempt(ok: false, status: 1, seconds: 0) }

        return try followPipeline(webURL.isEmpty ? "pipeline \(id)" : "pipeline \(id): \(webURL)", start: start, timeout: timeout) { () throws(Stop) -> Result<PipelineLook<PipelineEnd>, CIFailure> in
            switch ciJSON(http, "GET", "\(projectURL)/pipelines/\(id)", headers: headers, what: "following pipeline \(id)", refused: refused) {
            case .failure(let f):
                return .failure(f)
            case .success(let j):
                let status = j.at(path: "status")?.text ?? "?"
                let url = j.at(path: "web_url")?.text ?? webURL
                let line = "pipeline \(id): \(status) · \(url)"
                switch status {
                case "success":
                    return .success(.done(PipelineEnd(line: line, output: j.serialized()), line: line))
                case "failed", "canceled", "skipped":
                    return .success(.done(PipelineEnd(line: line, problem: "the pipeline failed (GitLab status \(status)): \(url)"), line: line))
                default:
                    // created, waiting_for_resource, preparing, pending,
                    // running, manual, scheduled, canceling: not over yet.
                    return .success(.waiting(line))
                }
            }
        }
    }

    // MARK: - Jenkins

    /// `POST /job/{job}/buildWithParameters` (or `/build` without inputs),
    /// answered 201 with the queue item in `Location`; then
    /// `GET /queue/item/{n}/api/json` until it has an `executable` (or is
    /// `cancelled`), then `GET /job/{job}/{number}/api/json` until
    /// `building` is false; only the result `SUCCESS` succeeds.
    ///
    /// The token secret holds `USER:APITOKEN`, sent as basic authentication;
    /// Jenkins needs no CSRF crumb for requests authenticated with an API
    /// token. Without a token Muster is anonymous, which a Jenkins with CSRF
    /// protection refuses for the trigger (403). Queue and build URLs are
    /// built from `url`, never taken from Jenkins' answers, so the token only
    /// goes to the server the runbook names.
    func jenkins(_ spec: CISpec, key: String, timeout: Double, values: [String: String], http: HTTPTransport) throws(Stop) -> Attempt {
        let start = monotonic()
        var headers: [(name: String, value: String)] = [("Accept", "application/json")]
        switch ciToken(spec) {
        case .failure(let f):
            return try ciFailed(f, start: start)
        case .success(let (token, secret)?):
            guard token.contains(":") else {
                return Attempt(ok: false, status: 1, seconds: 0,
                               problem: "cannot run: secret \(secret) must hold USER:APITOKEN (a Jenkins user name, a colon, and an API token of that user)")
            }
            headers.append(("Authorization", "Basic " + Data(token.utf8).base64EncodedString()))
        case .success(nil):
            break
        }
        let base: String
        switch ciBase(spec, values) {
        case .success(let b): base = b
        case .failure(let f): return try ciFailed(f, start: start)
        }
        let job = ciSetting(spec, "job", values)
        // A job in folders (`team/deploy`) is `/job/team/job/deploy`.
        let jobPath = job.split(separator: "/").map { "job/" + String($0).percentEncoded() }.joined(separator: "/")
        let jobURL = "\(base)/\(jobPath)"
        let refused = { (status: Int) -> String? in
            switch (status, spec.token) {
            case (401, let s?): "Jenkins did not accept the user and API token in secret \(s)"
            case (401, nil), (403, nil): "Muster called Jenkins anonymously; set 'token' to a secret holding USER:APITOKEN (requests with an API token need no CSRF crumb)"
            case (403, let s?): "the user in secret \(s) may not do this (it needs Job/Build and Job/Read)"
            case (404, let s?): "no job \(job), or the user in secret \(s) cannot see it"
            case (404, nil): "no job \(job), or anonymous users cannot see it"
            default: nil
            }
        }

        var queueItem: Int?
        var build: Int?
        // Journaled relative to `url`: `queue/item/N`, then `job/.../N`.
        if let p = state.pipelines[key] {
            if p.hasPrefix("queue/item/") {
                queueItem = Int(p.dropFirst("queue/item/".count))
                console.show(.info("following queue item \(queueItem ?? 0) started before the last session ended"))
            } else if let n = p.split(separator: "/").last.flatMap({ Int($0) }) {
                build = n
                console.show(.info("following build #\(n) started before the last session ended"))
            }
        }
        if queueItem == nil, build == nil {
            let endpoint = spec.inputs.isEmpty ? "build" : "buildWithParameters"
            let form = spec.inputs.map { "\($0.name.percentEncoded())=\($0.value.expandText(values, secrets: setup.secrets).percentEncoded())" }.joined(separator: "&")
            console.show(.command(masker.mask("POST \(jobURL)/\(endpoint)")))
            let reply: HTTPReply
            switch ciSend(http, "POST", "\(jobURL)/\(endpoint)", headers: headers + [("Content-Type", "application/x-www-form-urlencoded")],
                          body: form, what: "starting job \(job)", refused: refused) {
            case .success(let r): reply = r
            case .failure(let f): return try ciFailed(f, start: start)
            }
            // Location: {root}/queue/item/N/
            let location = reply.header("Location") ?? ""
            let parts = location.split(separator: "/")
            guard let at = parts.indices.first(where: { parts[$0] == "queue" && $0 + 2 < parts.count && parts[$0 + 1] == "item" }),
                  let n = Int(parts[at + 2]) else {
                return Attempt(ok: false, status: 1, seconds: monotonic() - start,
                               problem: masker.mask("Jenkins accepted job \(job) (\(reply.status)) but did not say where it queued it (Location: '\(location)'); look for the build in Jenkins before trying again"))
            }
            queueItem = n
            try record(.pipelineStarted, step: key) { $0.value = "queue/item/\(n)"; $0.text = "Jenkins queue item \(n) of \(job): \(base)/queue/item/\(n)/" }
        }
        if build == nil, let item = queueItem {
            let queueURL = "\(base)/queue/item/\(item)/"
            let left = try pollPipeline(start: start, timeout: timeout) { () throws(Stop) -> Result<PipelineLook<Result<Int, CIFailure>>, CIFailure> in
                switch ciJSON(http, "GET", "\(queueURL)api/json", headers: headers, what: "following queue item \(item)", refused: refused) {
                case .failure(let f) where f.status == 404:
                    return .success(.done(.failure(CIFailure(message: "Jenkins no longer knows queue item \(item) (it forgets items some minutes after they start); find the build of \(job) in Jenkins")), line: nil))
                case .failure(let f):
                    return .failure(f)
                case .success(let j):
                    if j.at(path: "cancelled") == .bool(true) {
                        return .success(.done(.failure(CIFailure(message: "the pipeline failed: Jenkins cancelled the queued build (queue item \(item)): \(queueURL)")), line: nil))
                    }
                    if case .int(let n)? = j.at(path: "executable.number") { return .success(.done(.success(n), line: nil)) }
                    return .success(.waiting("queued: \(j.at(path: "why")?.text ?? "waiting") · \(queueURL)"))
                }
            }
            switch left {
            case nil:
                return Attempt(ok: false, status: 1, seconds: monotonic() - start, timedOut: true,
                               problem: masker.mask("the pipeline is still queued after \(DurationFormat.format(Int(timeout))); it was not cancelled (queue item \(item): \(queueURL))"))
            case .failure(let f)?:
                return try ciFailed(f, start: start)
            case .success(let n)?:
                build = n
                try record(.pipelineStarted, step: key) { $0.value = "\(jobPath)/\(n)"; $0.text = "Jenkins build #\(n) of \(job): \(jobURL)/\(n)/" }
            }
        }
        guard let number = build else { return Attempt(ok: false, status: 1, seconds: 0) }

        let buildURL = "\(jobURL)/\(number)/"
        return try followPipeline("build #\(number): \(buildURL)", start: start, timeout: timeout) { () throws(Stop) -> Result<PipelineLook<PipelineEnd>, CIFailure> in
            switch ciJSON(http, "GET", "\(buildURL)api/json", headers: headers, what: "following build #\(number)", refused: refused) {
            case .failure(let f):
                return .failure(f)
            case .success(let j):
                let result = j.at(path: "result")?.text ?? ""
                // A build's result is set just before `building` turns false.
                guard j.at(path: "building") == .bool(false), !result.isEmpty else {
                    return .success(.waiting("build #\(number): building · \(buildURL)"))
                }
                let line = "build #\(number): \(result) · \(buildURL)"
                if result == "SUCCESS" { return .success(.done(PipelineEnd(line: line, output: j.serialized()), line: line)) }
                return .success(.done(PipelineEnd(line: line, problem: "the pipeline failed (Jenkins result \(result)): \(buildURL)"), line: line))
            }
        }
    }
}

extension String {
    func trimmingEdges(where drop: (Character) -> Bool) -> String {
        var s = Substring(self)
        while let f = s.first, drop(f) { s.removeFirst() }
        while let l = s.last, drop(l) { s.removeLast() }
        return String(s)
    }
}
