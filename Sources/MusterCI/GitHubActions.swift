#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import MusterBasics
import MusterFormat
import MusterEngine

/// `POST /repos/{repo}/actions/workflows/{workflow}/dispatches`, then
/// `GET /repos/{repo}/actions/runs/{id}` until `status` is `completed`;
/// only the conclusion `success` succeeds.
///
/// The dispatch asks for `return_run_details`, and GitHub answers 200 with
/// the run's `workflow_run_id`. A server that predates it (an older GitHub
/// Enterprise Server) refuses the key (422, or 400 on some versions), so
/// the dispatch is sent again without it and answered 204: the run is then
/// the oldest `workflow_dispatch` run on the ref newer than every run listed
/// before the dispatch (run ids only grow). The dispatch is journaled before
/// that search, so a resumed run searches again rather than dispatch twice.
///
/// The newest run listed before the dispatch is also the trigger's token,
/// journaled before the dispatch is sent: a dispatch whose answer never
/// came is found as the oldest `workflow_dispatch` run on the ref newer
/// than it. GitHub lists a run some seconds after its dispatch, so no run
/// is taken as proof that none started only once the token is
/// `listingDelay` seconds old. A workflow's inputs must be declared, so no
/// token of Muster's own can travel with the dispatch: a run someone else
/// dispatches on the same ref meanwhile would be taken for it.
///
/// Rate limits (a repository's `GITHUB_TOKEN` has 1,000 requests an hour)
/// are the executor's: it reads `retry-after` and `x-ratelimit-*` on every
/// answer, and a 403 or 429 for a primary or secondary limit.
struct GitHubActions: CIService {
    let s: CIStepSettings
    let token: (value: String, secret: String)
    let repo: String, workflow: String, ref: String

    static func make(_ s: CIStepSettings) -> Result<any CIService, CIFailure> {
        CIServices.needToken(s).map { t in
            GitHubActions(s: s, token: t, repo: s["repo"].trimmingEdges { $0 == "/" }, workflow: s["workflow"], ref: s["ref"])
        }
    }

    var repoPath: String { repo.split(separator: "/").map { String($0).percentEncoded() }.joined(separator: "/") }
    var workflowURL: String { "\(s.base)/repos/\(repoPath)/actions/workflows/\(workflow.percentEncoded())" }
    /// A run's `head_branch` is the ref's short name (`main` for refs/heads/main).
    var branch: String {
        var b = Substring(ref)
        for prefix in ["refs/heads/", "refs/tags/"] where b.hasPrefix(prefix) { b = b.dropFirst(prefix.count) }
        return String(b)
    }
    var listURL: String { "\(workflowURL)/runs?event=workflow_dispatch&branch=\(branch.percentEncoded())&per_page=100" }
    var headers: [(name: String, value: String)] {
        [("Authorization", "Bearer \(token.value)"), ("Accept", "application/vnd.github+json"),
         ("X-GitHub-Api-Version", "2022-11-28"), ("Content-Type", "application/json")]
    }

    func refused(_ status: Int) -> String? {
        switch status {
        case 401: "GitHub did not accept the token in secret \(token.secret)"
        case 403: "the token in secret \(token.secret) may not do this; it needs Actions: read and write on \(repo)"
        case 404: "no repository \(repo) with workflow \(workflow), or the token in secret \(token.secret) cannot see it"
        default: nil
        }
    }

    struct Runs: Decodable {
        var workflow_runs: [Run]
        struct Run: Decodable { var id: Int; var html_url: String? }
    }
    struct Details: Decodable { var workflow_run_id: Int; var html_url: String? }
    struct Run: Decodable { var status: String?; var conclusion: String?; var html_url: String? }

    func check(_ client: CIClient) -> Result<String, CIFailure> {
        client.send(CIRequest("GET", workflowURL, headers: headers, what: "reading workflow \(workflow) of \(repo)", refused: refused))
            .map { _ in "workflow \(workflow) of \(repo) answered" }
    }

    /// Seconds after a dispatch by which GitHub lists its run.
    static let listingDelay = 20.0

    func mark(_ client: CIClient) -> Result<PipelineRef, CIFailure> {
        client.fetch(Runs.self, CIRequest("GET", listURL, headers: headers, what: "listing runs of workflow \(workflow)", refused: refused)).map { runs, _ in
            GitHubPipeline.trigger(after: runs.workflow_runs.map(\.id).max() ?? 0).ref
        }
    }

    func find(_ mark: PipelineRef, age: Double, _ client: CIClient) -> Result<PipelineSearch, CIFailure> {
        guard case .trigger(let after)? = GitHubPipeline(mark) else { return .failure(CIFailure("not a GitHub trigger: \(mark)")) }
        let what = "looking for the run of workflow \(workflow) dispatched after run \(after)"
        return client.fetch(Runs.self, CIRequest("GET", listURL, headers: headers, what: what, refused: refused)).map { runs, _ in
            if let run = runs.workflow_runs.map(\.id).filter({ $0 > after }).min() { return .found(.githubRun(run)) }
            if age < Self.listingDelay { return .notYet("no run of \(workflow) on \(ref) newer than run \(after) yet; GitHub lists a run some seconds after its dispatch") }
            return .absent
        }
    }

    func trigger(_ client: CIClient, mark: PipelineRef) -> Result<PipelineRef, CIFailure> {
        guard case .trigger(let newest)? = GitHubPipeline(mark) else { return .failure(CIFailure("not a GitHub trigger: \(mark)")) }
        let inputs = JSON.object(s.inputs.map { ($0.name, .string($0.value)) })
        func body(details: Bool) -> String {
            .json(.object([("ref", .string(ref)), ("inputs", inputs)] + (details ? [("return_run_details", true)] : [])))
        }
        client.showCommand("POST \(workflowURL)/dispatches (ref \(ref))")
        let what = "dispatching workflow \(workflow) on \(ref)"
        var sent = client.send(CIRequest("POST", "\(workflowURL)/dispatches", headers: headers, body: body(details: true), what: what, refused: refused))
        if case .failure(let f) = sent, f.status == 422 || f.status == 400, f.message.contains("return_run_details") {
            // A server without run details: nothing was dispatched yet.
            client.showInfo("this GitHub does not tell which run a dispatch starts; dispatching again without asking, then looking for the run")
            sent = client.send(CIRequest("POST", "\(workflowURL)/dispatches", headers: headers, body: body(details: false), what: what, refused: refused))
        }
        return sent.map { reply in
            if reply.status == 200, let d = try? JSONDecoder().decode(Details.self, from: Data(reply.body.utf8)) {
                return .githubRun(d.workflow_run_id)
            }
            return .githubDispatch(after: newest)
        }
    }

    func look(_ ref: PipelineRef, _ client: CIClient) -> Result<PipelineLook, CIFailure> {
        switch GitHubPipeline(ref) {
        case .dispatch(let after)?:
            return client.fetch(Runs.self, CIRequest("GET", listURL, headers: headers, what: "looking for the run of workflow \(workflow)", refused: refused)).map { runs, _ in
                let ours = runs.workflow_runs.filter { $0.id > after }.sorted { $0.id < $1.id }
                guard let run = ours.first else { return PipelineLook(.queued, line: "dispatched; waiting for GitHub to list the run") }
                if ours.count > 1 {
                    client.showWarning("\(ours.count) runs of \(workflow) on \(self.ref) started since the dispatch; following the oldest, run \(run.id)")
                }
                return PipelineLook(.queued, line: "run \(run.id): found · \(run.html_url ?? "")", url: run.html_url ?? "", next: .githubRun(run.id))
            }
        case .run(let id)?:
            return client.fetch(Run.self, CIRequest("GET", "\(s.base)/repos/\(repoPath)/actions/runs/\(id)", headers: headers, what: "following run \(id)", refused: refused)).map { run, reply in
                let status = run.status ?? "?"
                let conclusion = run.conclusion ?? ""
                let url = run.html_url ?? ""
                let line = "run \(id): \(status)\(conclusion.isEmpty ? "" : ", \(conclusion)") · \(url)"
                guard status == "completed" else {
                    // queued, pending, requested, waiting (an environment's reviewers), in_progress.
                    let state: PipelineState = switch status {
                    case "in_progress": .running
                    case "waiting": .waiting(for: .someone)
                    default: .queued
                    }
                    let shown = status == "waiting" ? "run \(id): waiting for someone to approve a deployment in GitHub: \(url)" : line
                    return PipelineLook(state, line: shown, url: url)
                }
                switch conclusion {
                case "success": return PipelineLook(.succeeded, line: line, url: url, output: reply.body)
                case "cancelled": return PipelineLook(.cancelled(why: "GitHub conclusion cancelled"), line: line, url: url)
                default: return PipelineLook(.failed(why: "GitHub conclusion \(conclusion.isEmpty ? "none" : conclusion)", status: 1), line: line, url: url)
                }
            }
        case .trigger?, nil:
            return .failure(CIFailure("not a GitHub run: \(ref)"))
        }
    }

    /// `POST /repos/{repo}/actions/runs/{id}/cancel`; a dispatch's run is
    /// looked for first.
    func cancel(_ ref: PipelineRef, _ client: CIClient) -> Result<String, CIFailure> {
        var id: Int
        switch GitHubPipeline(ref) {
        case .run(let r)?: id = r
        case .dispatch?:
            switch look(ref, client) {
            case .failure(let f): return .failure(f)
            case .success(let l):
                guard case .run(let r)? = l.next.flatMap(GitHubPipeline.init) else { return .failure(CIFailure("GitHub does not list the dispatch's run yet")) }
                id = r
            }
        default: return .failure(CIFailure("not a GitHub run: \(ref)"))
        }
        return client.send(CIRequest("POST", "\(s.base)/repos/\(repoPath)/actions/runs/\(id)/cancel", headers: headers, what: "cancelling run \(id)", refused: refused))
            .map { _ in "cancelled run \(id) of \(workflow)" }
    }

    func describe(_ ref: PipelineRef) -> String {
        switch GitHubPipeline(ref) {
        case .run(let id)?: "run \(id) of \(workflow) on \(self.ref)"
        case .dispatch(let after)?: "the dispatch of workflow \(workflow) on \(self.ref) (its run is newer than run \(after))"
        case .trigger(let after)?: "the run of workflow \(workflow) on \(self.ref) dispatched after run \(after)"
        case nil: "\(ref)"
        }
    }
}
