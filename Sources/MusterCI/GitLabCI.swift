#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import MusterBasics
import MusterFormat
import MusterEngine

/// `POST /api/v4/projects/{project}/pipeline` (201 with the pipeline's
/// `id`), then `GET /api/v4/projects/{project}/pipelines/{id}` until its
/// status is `success`, or `failed`, `canceled` or `skipped`.
///
/// Inputs are sent as pipeline `variables`, or with `inputs_as: inputs` as
/// pipeline `inputs` (GitLab 17.11+, for a project whose `.gitlab-ci.yml`
/// declares them under `spec:inputs`), a JSON object of strings. The step
/// says which: whether a project declares spec:inputs is only in its CI
/// file, which the token may not be allowed to read. GitLab refuses
/// variables (400, "Insufficient permissions to set pipeline variables")
/// where the project's "Minimum role to use pipeline variables" is below
/// the token's role — `no_one_allowed` is the default for new groups on
/// GitLab.com; inputs are not refused so — and creating a pipeline on a
/// protected branch needs "Allowed to merge or push" on it: both refusals
/// name what to change. A pipeline blocked on a `manual` job, a
/// `scheduled` (delayed) job or a resource group is shown as waiting for
/// that, not as running.
///
/// Before the trigger the newest pipeline on the ref is read and journaled
/// as the token; a trigger whose answer never came is found as the oldest
/// pipeline on the ref with source `api` newer than it, and shown absent
/// when there is none (GitLab creates the pipeline within the request).
/// GitLab cannot carry a token of Muster's own on every project (pipeline
/// variables may be refused, inputs must be declared), so an API pipeline
/// someone else creates on the same ref meanwhile would be taken for it.
struct GitLabCI: CIService {
    let s: CIStepSettings
    let token: (value: String, secret: String)
    let project: String, ref: String

    static func make(_ s: CIStepSettings) -> Result<any CIService, CIFailure> {
        CIServices.needToken(s).map { t in GitLabCI(s: s, token: t, project: s["project"].trimmingEdges { $0 == "/" }, ref: s["ref"]) }
    }

    /// A path (`group/project`) or a numeric id, URL-encoded as one segment.
    var projectURL: String { "\(s.base)/api/v4/projects/\(project.percentEncoded())" }
    var headers: [(name: String, value: String)] { [("PRIVATE-TOKEN", token.value), ("Content-Type", "application/json"), ("Accept", "application/json")] }

    func refused(_ status: Int) -> String? {
        switch status {
        case 401: "GitLab did not accept the token in secret \(token.secret)"
        case 403: "the token in secret \(token.secret) may not run pipelines on \(ref) of \(project); it needs the api scope, at least the Developer role, and on a protected branch to be allowed to merge or push to it"
        case 404: "no project \(project), or the token in secret \(token.secret) cannot see it"
        default: nil
        }
    }

    struct Pipeline: Decodable { var id: Int; var status: String?; var web_url: String? }

    func check(_ client: CIClient) -> Result<String, CIFailure> {
        client.send(CIRequest("GET", projectURL, headers: headers, what: "reading project \(project)", refused: refused))
            .map { _ in "project \(project) answered" }
    }

    /// Pipelines on the ref, newest first (`source` api only, when asked).
    func listed(_ client: CIClient, apiOnly: Bool, what: String) -> Result<[Int], CIFailure> {
        let url = "\(projectURL)/pipelines?ref=\(ref.percentEncoded())\(apiOnly ? "&source=api" : "")&order_by=id&sort=desc&per_page=100"
        return client.fetch([Pipeline].self, CIRequest("GET", url, headers: headers, what: what, refused: refused)).map { list, _ in list.map(\.id) }
    }

    func mark(_ client: CIClient) -> Result<PipelineRef, CIFailure> {
        listed(client, apiOnly: false, what: "listing pipelines of \(project) on \(ref)").map { GitLabPipeline.trigger(after: $0.max() ?? 0).ref }
    }

    func find(_ mark: PipelineRef, age: Double, _ client: CIClient) -> Result<PipelineSearch, CIFailure> {
        guard case .trigger(let after)? = GitLabPipeline(mark) else { return .failure(CIFailure("not a GitLab trigger: \(mark)")) }
        return listed(client, apiOnly: true, what: "looking for the pipeline of \(project) on \(ref) created after pipeline \(after)").map { ids in
            ids.filter { $0 > after }.min().map { .found(.gitlabPipeline($0)) } ?? .absent
        }
    }

    func trigger(_ client: CIClient, mark: PipelineRef) -> Result<PipelineRef, CIFailure> {
        let asInputs = s["inputs_as"] == "inputs"
        let variables = JSON.array(s.inputs.map { .object([("key", .string($0.name)), ("value", .string($0.value))]) })
        let inputs = JSON.object(s.inputs.map { ($0.name, .string($0.value)) })
        let body = JSON.object([("ref", .string(ref))] + (s.inputs.isEmpty ? [] : [asInputs ? ("inputs", inputs) : ("variables", variables)]))
        client.showCommand("POST \(projectURL)/pipeline (ref \(ref))")
        let request = CIRequest("POST", "\(projectURL)/pipeline", headers: headers, body: .json(body), what: "creating a pipeline of \(project) on \(ref)", refused: refused)
        switch client.fetch(Pipeline.self, request) {
        case .success(let (p, _)): return .success(.gitlabPipeline(p.id))
        case .failure(var f):
            let words = f.message.lowercased()
            if words.contains("pipeline variables") || words.contains("insufficient permissions to set") {
                f.message += " (the step's inputs are sent as pipeline variables: either in \(project), Settings > CI/CD > Variables, set \"Minimum role to use pipeline variables\" to the token's role (Developer), or declare them under spec:inputs in .gitlab-ci.yml and add 'inputs_as: inputs' to the step to send them as pipeline inputs)"
            } else if f.status == 400 || f.status == 403, words.contains("protected") || words.contains("sufficient permission to run a pipeline") {
                f.message += " (\(ref) is protected: in \(project), Settings > Repository > Protected branches, the token's user must be \"Allowed to merge\" or \"Allowed to push and merge\")"
            }
            return .failure(f)
        }
    }

    func look(_ ref: PipelineRef, _ client: CIClient) -> Result<PipelineLook, CIFailure> {
        guard case .pipeline(let id)? = GitLabPipeline(ref) else { return .failure(CIFailure("not a GitLab pipeline: \(ref)")) }
        let request = CIRequest("GET", "\(projectURL)/pipelines/\(id)", headers: headers, what: "following pipeline \(id)", refused: refused)
        return client.fetch(Pipeline.self, request).map { p, reply in
            let status = p.status ?? "?"
            let url = p.web_url ?? ""
            let line = "pipeline \(id): \(status) · \(url)"
            switch status {
            case "success": return PipelineLook(.succeeded, line: line, url: url, output: reply.body)
            case "failed", "skipped": return PipelineLook(.failed(why: "GitLab status \(status)", status: 1), line: line, url: url)
            case "canceled", "canceling": return PipelineLook(.cancelled(why: "GitLab status \(status)"), line: line, url: url)
            case "manual": return PipelineLook(.waiting(for: .someone), line: "pipeline \(id): manual · waiting for someone to press play in GitLab: \(url)", url: url)
            case "scheduled": return PipelineLook(.waiting(for: .schedule), line: "pipeline \(id): scheduled · waiting for a delayed job's time in GitLab: \(url)", url: url)
            case "waiting_for_resource": return PipelineLook(.waiting(for: .resource), line: "pipeline \(id): waiting_for_resource · waiting for a resource group another job holds in GitLab: \(url)", url: url)
            case "running": return PipelineLook(.running, line: line, url: url)
            default: return PipelineLook(.queued, line: line, url: url)  // created, preparing, pending
            }
        }
    }

    /// `POST /projects/{project}/pipelines/{id}/cancel`.
    func cancel(_ ref: PipelineRef, _ client: CIClient) -> Result<String, CIFailure> {
        guard case .pipeline(let id)? = GitLabPipeline(ref) else { return .failure(CIFailure("not a GitLab pipeline: \(ref)")) }
        return client.send(CIRequest("POST", "\(projectURL)/pipelines/\(id)/cancel", headers: headers, what: "cancelling pipeline \(id)", refused: refused))
            .map { _ in "cancelled pipeline \(id) of \(project)" }
    }

    func describe(_ ref: PipelineRef) -> String {
        switch GitLabPipeline(ref) {
        case .pipeline(let id)?: return "pipeline \(id) of \(project) on \(self.ref)"
        case .trigger(let after)?: return "the pipeline of \(project) on \(self.ref) created after pipeline \(after)"
        case nil: return "\(ref)"
        }
    }
}
