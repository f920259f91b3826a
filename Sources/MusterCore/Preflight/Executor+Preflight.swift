#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// One preflight check, run by an executor of its own so that a command
/// goes through the same shell path as a step (values as MUSTER_VALUE_*
/// variables, never script text) and a request through the same send path
/// (fields encoded, secrets never following a redirect). Nothing here
/// starts, changes or journals anything.
extension Executor {
    static let preflightAutomation = Automation(timeout: 10, retries: 0, retryDelay: 0, expect: nil, confirm: false, onFailure: .abort,
                                                idempotent: true, rollback: nil, outputs: [])

    func preflight(_ item: PreflightItem, timeout: Double) -> (ok: Bool, detail: String) {
        do {
            return try preflightAction(item, timeout: timeout)
        } catch {
            switch error {
            case .pause(let why), .fail(let why), .rollback(let why), .journal(let why): return (false, "stopped: \(why)")
            }
        }
    }

    private func preflightAction(_ item: PreflightItem, timeout: Double) throws(Stop) -> (ok: Bool, detail: String) {
        switch item.action {
        case .skip(let why):
            return (true, why)
        case .run(let t, let values):
            let a = try shell(t, values: values, key: "preflight", automation: Self.preflightAutomation, timeout: timeout,
                              env: environment(item.owner, values), quiet: true)
            return (a.ok, a.ok ? "exit 0" : describe(a))
        case .http(let h, let values):
            let a = try httpCheck(h, key: "preflight", values: values, timeout: timeout, quiet: true)
            return (a.ok, a.ok ? "answered \(a.status)" : describe(a))
        case .reach(let url, let values):
            do {
                return reach(try url.expandURL(values, secrets: setup.secrets), timeout: timeout)
            } catch {
                return (false, "cannot send: \(error.message)")
            }
        case .reachSecret(let name):
            guard let url = setup.secrets[name]?.trimmingCharacters(), !url.isEmpty else {
                return (false, "secret \(name) has no value (see its own check)")
            }
            return reach(url, timeout: timeout)
        case .ci(let spec, let values):
            return preflightCI(spec, values: values)
        case .secret, .program:
            return (false, "not an executor check")
        }
    }

    private func describe(_ a: Attempt) -> String {
        let last = a.tail.suffix(3).joined(separator: " | ")
        return masker.mask((a.problem ?? "failed") + (last.isEmpty ? "" : ": " + last), limit: 400)
    }

    /// Any HTTP answer from the URL's scheme, host and port: nothing but the
    /// origin is asked, and no header or body goes with it.
    private func reach(_ url: String, timeout: Double) -> (ok: Bool, detail: String) {
        guard let http else { return (false, "no HTTP client is available") }
        let origin = PreflightItem.origin(of: url)
        do {
            let reply = try send(http, method: "GET", url: origin, headers: [Self.ciUserAgent], body: nil, timeout: timeout)
            return (true, "answered \(reply.status)")
        } catch {
            return (false, masker.mask(error.message, limit: 400))
        }
    }

    /// A read-only call that needs what the step's trigger needs: the
    /// server, the builder, workflow, project or job, and the token.
    private func preflightCI(_ spec: CISpec, values: [String: String]) -> (ok: Bool, detail: String) {
        guard let http else { return (false, "no HTTP client is available") }
        let base: String
        switch ciBase(spec, values) {
        case .success(let b): base = b
        case .failure(let f): return (false, f.message)
        }
        var token: (value: String, secret: String)?
        if spec.provider != .buildbot {
            switch ciToken(spec) {
            case .failure(let f): return (false, masker.mask(f.message))
            case .success(let t): token = t
            }
        }
        let secret = token?.secret ?? ""
        var headers: [(name: String, value: String)] = [("Accept", "application/json")]
        let url: String
        let what: String
        var refused: (Int) -> String? = { _ in nil }
        switch spec.provider {
        case .buildbot:
            let builder = ciSetting(spec, "builder", values)
            url = "\(base)/api/v2/builders?name=\(builder.percentEncoded())"
            what = "finding builder '\(builder)'"
        case .github:
            let repo = ciSetting(spec, "repo", values).trimmingEdges { $0 == "/" }
            let workflow = ciSetting(spec, "workflow", values)
            let repoPath = repo.split(separator: "/").map { String($0).percentEncoded() }.joined(separator: "/")
            url = "\(base)/repos/\(repoPath)/actions/workflows/\(workflow.percentEncoded())"
            what = "reading workflow \(workflow) of \(repo)"
            headers = [("Authorization", "Bearer \(token?.value ?? "")"), ("Accept", "application/vnd.github+json"), ("X-GitHub-Api-Version", "2022-11-28")]
            refused = { status in
                switch status {
                case 401: "GitHub did not accept the token in secret \(secret)"
                case 403, 404: "no repository \(repo) with workflow \(workflow), or the token in secret \(secret) cannot see it"
                default: nil
                }
            }
        case .gitlab:
            let project = ciSetting(spec, "project", values).trimmingEdges { $0 == "/" }
            url = "\(base)/api/v4/projects/\(project.percentEncoded())"
            what = "reading project \(project)"
            headers.append(("PRIVATE-TOKEN", token?.value ?? ""))
            refused = { status in
                switch status {
                case 401: "GitLab did not accept the token in secret \(secret)"
                case 403, 404: "no project \(project), or the token in secret \(secret) cannot see it"
                default: nil
                }
            }
        case .jenkins:
            let job = ciSetting(spec, "job", values)
            let jobPath = job.split(separator: "/").map { "job/" + String($0).percentEncoded() }.joined(separator: "/")
            url = "\(base)/\(jobPath)/api/json"
            what = "reading job \(job)"
            if let token {
                guard token.value.contains(":") else {
                    return (false, "secret \(secret) must hold USER:APITOKEN (a Jenkins user name, a colon, and an API token of that user)")
                }
                headers.append(("Authorization", "Basic " + Data(token.value.utf8).base64EncodedString()))
            }
            refused = { status in
                switch (status, spec.token) {
                case (401, let s?): "Jenkins did not accept the user and API token in secret \(s)"
                case (401, nil), (403, nil): "Muster called Jenkins anonymously; set 'token' to a secret holding USER:APITOKEN"
                case (403, let s?), (404, let s?): "no job \(job), or the user in secret \(s) cannot see it"
                default: nil
                }
            }
        }
        switch ciJSON(http, "GET", url, headers: headers, what: what, refused: refused) {
        case .failure(let f):
            return (false, masker.mask(f.message, limit: 400))
        case .success(let j):
            if spec.provider == .buildbot, j.at(path: "builders.0.builderid") == nil {
                return (false, "Buildbot at \(base) has no builder named '\(ciSetting(spec, "builder", values))'")
            }
            return (true, "answered")
        }
    }
}

/// Shows and asks nothing: a preflight check runs out of sight.
final class SilentConsole: RunConsole {
    var isInteractive: Bool { false }
    func show(_ message: ConsoleMessage) {}
    func ask(_ question: String, hint: String, status: String) -> AnswerRead { .eof }
}
