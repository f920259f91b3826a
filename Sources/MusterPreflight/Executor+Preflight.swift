#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import MusterBasics
import MusterFormat
import MusterEngine

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
            case .stepStopped: return (false, "stopped by the operator")
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
            let reply = try send(http, method: "GET", url: origin, headers: [ExecutorCIClient.userAgent], body: nil, timeout: timeout)
            return (true, "answered \(reply.status)")
        } catch {
            return (false, masker.mask(error.message, limit: 400))
        }
    }

    /// A read-only call that needs what the step's trigger needs: the
    /// provider's own `check`, through the same client as a step.
    private func preflightCI(_ spec: CISpec, values: [String: String]) -> (ok: Bool, detail: String) {
        guard let http else { return (false, "no HTTP client is available") }
        guard let ciService else { return (false, "no CI providers are available") }
        switch ciSettings(spec, key: "preflight", values).flatMap(ciService).flatMap({ $0.check(ExecutorCIClient(executor: self, http: http)) }) {
        case .success(let what): return (true, masker.mask(what))
        case .failure(let f): return (false, masker.mask(f.message, limit: 400))
        }
    }
}

/// Shows and asks nothing: a preflight check runs out of sight.
final class SilentConsole: RunConsole {
    var isInteractive: Bool { false }
    func show(_ message: ConsoleMessage) {}
    func ask(_ question: String, hint: String, status: String) -> AnswerRead { .eof }
}
