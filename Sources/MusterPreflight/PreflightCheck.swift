#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import MusterBasics
import MusterFormat
import MusterEngine

/// One preflight check, through the same performers a run uses: a command
/// goes through the same shell path as a step (values as MUSTER_VALUE_*
/// variables, never script text) and a request through the same send path
/// (fields encoded, secrets never following a redirect). Nothing here
/// starts, changes or journals anything, and nothing asks: a signal stops
/// the check.
final class PreflightCheck: PerformHost {
    let console: RunConsole = SilentConsole()
    let masker: Masker
    let secrets: [String: String]
    let clock: RunClock
    let environment: [String: String]
    let operatorName: String
    let runner: CommandRunner
    let http: HTTPTransport?
    let ciService: CIServiceFactory?

    init(owner: Runbook, secrets: [String: String], parts: PreflightParts) {
        self.secrets = secrets
        self.masker = Masker(secrets: Array(secrets.values))
        self.clock = PreflightClock(parts.monotonic)
        self.environment = parts.environment
        self.operatorName = parts.operatorName
        self.runner = parts.makeRunner()
        self.http = parts.makeHTTP()
        self.ciService = parts.ciService.map { make in { make($0) } }
    }

    static let automation = Automation(timeout: 10, retries: 0, retryDelay: 0, expect: nil, confirm: false, onFailure: .abort,
                                       idempotent: true, rollback: nil, outputs: [])

    func check(_ item: PreflightItem, timeout: Double) -> (ok: Bool, detail: String) {
        do {
            return try action(item, timeout: timeout)
        } catch {
            switch error {
            case .pause(let why), .fail(let why), .journal(let why): return (false, "stopped: \(why)")
            case .stepStopped, .breach: return (false, "stopped by the operator")
            }
        }
    }

    private func action(_ item: PreflightItem, timeout: Double) throws(Stop) -> (ok: Bool, detail: String) {
        switch item.action {
        case .skip(let why):
            return (true, why)
        case .run(let t, let values):
            let env = StepEnvironment.make(item.owner, values: values, base: environment, secrets: secrets, runID: "preflight")
            let a = try ShellPerformer(host: self, runner: runner).run(t, values: values, key: "preflight", automation: Self.automation, timeout: timeout,
                                                                       env: env, quiet: true)
            return (a.ok, a.ok ? "exit 0" : describe(a))
        case .ssh(let host, let values):
            let name = host.expand(values)
            if let why = HostAddress.problem(name) { return (false, "cannot use '\(name)' as a host: \(why)") }
            let a = try ShellPerformer(host: self, runner: runner).run(Template(raw: "true", mark: host.mark), values: [:], key: "preflight", automation: Self.automation,
                                                                       timeout: timeout, env: environment, quiet: true, remote: .init(host: name, variables: [:]))
            return (a.ok, a.ok ? "logged in" : describe(a))
        case .http(let h, let values):
            guard let http else { return (false, "no HTTP client is available") }
            let a = try HTTPPerformer(host: self, http: http).check(h, values: values, timeout: timeout, quiet: true)
            return (a.ok, a.ok ? "answered \(a.status)" : describe(a))
        case .reach(let url, let values):
            do {
                return reach(try url.expandURL(values, secrets: secrets), timeout: timeout)
            } catch {
                return (false, "cannot send: \(error.message)")
            }
        case .reachSecret(let name):
            guard let url = secrets[name]?.trimmingCharacters(), !url.isEmpty else {
                return (false, "secret \(name) has no value (see its own check)")
            }
            return reach(url, timeout: timeout)
        case .ci(let spec, let values):
            return checkCI(spec, values: values)
        case .secret, .program:
            return (false, "not a check of a step's work")
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
            let reply = try HTTPPerformer(host: self, http: http).send(method: "GET", url: origin, headers: [PerformerCIClient.userAgent], body: nil, timeout: timeout)
            return (true, "answered \(reply.status)")
        } catch {
            return (false, masker.mask(error.message, limit: 400))
        }
    }

    /// A read-only call that needs what the step's trigger needs: the
    /// provider's own `check`, through the same client as a step.
    private func checkCI(_ spec: CISpec, values: [String: String]) -> (ok: Bool, detail: String) {
        guard let http else { return (false, "no HTTP client is available") }
        guard let ciService else { return (false, "no CI providers are available") }
        let performer = CIPerformer(host: self, http: HTTPPerformer(host: self, http: http))
        switch performer.settings(spec, key: "preflight", values, runID: "preflight", operatorName: operatorName).flatMap(ciService)
            .flatMap({ $0.check(performer.client(deadline: .infinity)) }) {
        case .success(let what): return (true, masker.mask(what))
        case .failure(let f): return (false, masker.mask(f.message, limit: 400))
        }
    }

    // A check is run out of sight: nobody is asked, a signal stops it.
    func checkSignals() throws(Stop) {}
    func verdict(_ sig: Signal) -> SignalVerdict { .pause(sig) }
    func commandSignal(_ sig: Signal, key: String, deadline: Double, keepable: Bool) -> SignalVerdict { .pause(sig) }
    func pauseFor(_ seconds: Double) throws(Stop) { throw .fail("a preflight check does not wait") }
    func tick() {}
    func signalName(_ sig: Signal) -> String { sig.shortName }
    func arrivedSignal() -> Signal? { nil }
}

/// Preflight's time: the monotonic clock it is given. A check never sleeps
/// (nothing it performs waits between polls) and stamps nothing.
final class PreflightClock: RunClock {
    let monotonic: @Sendable () -> Double
    init(_ monotonic: @escaping @Sendable () -> Double) { self.monotonic = monotonic }
    var now: Double { monotonic() }
    func stamp() -> String { "" }
    func sleep(upTo seconds: Double) -> Signal? { nil }
}

/// Shows and asks nothing: a preflight check runs out of sight.
final class SilentConsole: RunConsole {
    var isInteractive: Bool { false }
    func show(_ message: ConsoleMessage) {}
    func ask(_ question: String, hint: String, status: String) -> AnswerRead { .eof }
}
