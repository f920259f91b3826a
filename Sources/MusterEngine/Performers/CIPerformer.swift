#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import MusterBasics
import MusterFormat

/// `ci` steps' work: start a pipeline (asking again after a rate limit)
/// and follow it to its end at an interval that grows with its age. The
/// providers are in MusterCI (see CIService.swift for why); what they
/// share is here. Journaling the pipeline's reference before following it
/// (so a resumed run never starts a second one) is the executor's.
package struct CIPerformer {
    package let host: PerformHost
    package let http: HTTPPerformer

    package init(host: PerformHost, http: HTTPPerformer) {
        self.host = host
        self.http = http
    }

    /// Seconds between the first polls of a pipeline; the interval grows
    /// with its age (a tenth of it) up to `pipelinePollMax`, so a long
    /// pipeline does not spend a service's request allowance.
    static let pipelinePoll = 2.0
    static let pipelinePollMax = 30.0

    static func pollInterval(age: Double) -> Double { min(pipelinePollMax, max(pipelinePoll, age / 10)) }

    /// A client whose requests give up by `deadline` (on the run's clock),
    /// the end of the step's timeout, or after 30 s.
    package func client(deadline: Double) -> PerformerCIClient { PerformerCIClient(host: host, http: http, deadline: deadline) }

    /// The step's settings with templates and `${SECRET}`s expanded, and
    /// its API token from the secret `token` names (into request headers
    /// only; never shown or journaled).
    package func settings(_ spec: CISpec, key: String, _ values: [String: String], runID: String, operatorName: String) -> Result<CIStepSettings, CIFailure> {
        let secrets = host.secrets
        let base: String
        do {
            base = try spec.url.expandURL(values, secrets: secrets).trimmingTrailingSlash()
        } catch {
            return .failure(CIFailure("cannot send: \(error.message)"))
        }
        var token: (value: String, secret: String)?
        if let name = spec.token {
            guard let value = secrets[name], !value.trimmingCharacters().isEmpty else {
                return .failure(CIFailure("cannot run: secret \(name), which 'token' names, has no value; the \(spec.provider.rawValue) provider needs an API token in it"))
            }
            token = (value.trimmingCharacters(), name)
        }
        return .success(CIStepSettings(
            provider: spec.provider, base: base,
            settings: spec.settings.mapValues { $0.expandText(values, secrets: secrets) },
            inputs: spec.inputs.map { ($0.name, $0.value.expandText(values, secrets: secrets)) },
            token: token, reason: "muster run \(runID), step \(key)", operatorName: operatorName))
    }

    /// A failure that is a stop: the operator's (the step ends as stopped)
    /// or a signal's (the run pauses).
    package func stop(_ f: CIFailure) throws(Stop) {
        if f.stopped { throw .stepStopped }
        if let sig = f.signal { throw .pause(host.signalName(sig)) }
    }

    /// The attempt a failure ends, unless it is a stop.
    package func failed(_ f: CIFailure, since start: Double) throws(Stop) -> Attempt {
        try stop(f)
        return Attempt(ok: false, status: 1, seconds: host.clock.now - start, problem: host.masker.mask(f.message))
    }

    /// Starts the pipeline. Refused for a rate limit, nothing started: it
    /// asks again once the limit resets, if the step has the time.
    package func trigger(_ service: any CIService, _ client: PerformerCIClient, mark: PipelineRef, start: Double, timeout: Double) throws(Stop) -> Result<PipelineRef, CIFailure> {
        while true {
            switch service.trigger(client, mark: mark) {
            case .success(let r):
                return .success(r)
            case .failure(let f):
                guard f.signal == nil, !f.stopped, let wait = f.limited, host.clock.now - start + wait < timeout else { return .failure(f) }
                host.console.show(.info(host.masker.mask("\(f.message); waiting \(DurationFormat.format(Int(wait.rounded(.up)))) for the limit to reset")))
                try host.pauseFor(wait)
            }
        }
    }

    /// Looks at the pipeline until it is over, showing each new state once,
    /// at an interval that grows with its age and never sooner than a rate
    /// limit allows. A server that fails to answer is asked again until the
    /// step's timeout; a signal pauses the run.
    /// `moved`: the provider named the pipeline's next form (a queued
    /// build became a build), to journal before looking on.
    /// `cancel` (`cancel_on_stop`): the step's timeout or a stop (`s`, or
    /// a breach that ends the run) cancels the pipeline first; a pause
    /// (SIGTERM, a lost terminal) never does, since a resumed run follows it.
    package func follow(_ ref: inout PipelineRef, _ service: any CIService, _ client: PerformerCIClient, start: Double, timeout: Double,
                        cancel: ((PipelineRef) throws(Stop) -> String)? = nil, moved: (PipelineRef) throws(Stop) -> Void) throws(Stop) -> Attempt {
        do {
            return try followed(&ref, service, client, start: start, timeout: timeout, cancel: cancel, moved: moved)
        } catch .stepStopped {
            if let cancel { _ = try cancel(ref) }
            throw .stepStopped
        }
    }

    func followed(_ ref: inout PipelineRef, _ service: any CIService, _ client: PerformerCIClient, start: Double, timeout: Double,
                  cancel: ((PipelineRef) throws(Stop) -> String)?, moved: (PipelineRef) throws(Stop) -> Void) throws(Stop) -> Attempt {
        let masker = host.masker, clock = host.clock
        var lastLine = ""
        var lastState = PipelineState.queued
        var lastURL = ""
        func show(_ line: String) {
            let line = masker.mask(line)
            if line != lastLine { host.console.show(.info(line)) }
            lastLine = line
        }
        while true {
            var wait = Self.pollInterval(age: clock.now - start)
            switch service.look(ref, client) {
            case .failure(let f):
                try stop(f)
                if let limited = f.limited {
                    wait = max(wait, limited)
                    show("\(f.message); waiting \(DurationFormat.format(Int(limited.rounded(.up)))) for the limit to reset")
                } else {
                    show("no answer (\(f.message))")
                }
            case .success(let look):
                if let next = look.next, next != ref {
                    ref = next
                    try moved(next)
                }
                show(look.line)
                lastState = look.state
                lastURL = look.url
                switch look.state {
                case .succeeded:
                    return Attempt(ok: true, status: 0, seconds: clock.now - start, stdout: look.output, tail: [masker.mask(look.line)])
                case .failed(let why, let status):
                    return Attempt(ok: false, status: status, seconds: clock.now - start, tail: [masker.mask(look.line)],
                                   problem: masker.mask("the pipeline failed (\(why)): \(look.url)"))
                case .cancelled(let why):
                    return Attempt(ok: false, status: 1, seconds: clock.now - start, tail: [masker.mask(look.line)],
                                   problem: masker.mask("the pipeline failed: \(why)" + (look.url.isEmpty ? "" : ": \(look.url)")))
                case .queued, .running, .waiting:
                    break
                }
            }
            if let limit = client.limitWait(), limit > wait {
                wait = limit
                show("the CI server's rate limit is spent; waiting \(DurationFormat.format(Int(limit.rounded(.up)))) for it to reset")
            }
            let left = timeout - (clock.now - start)
            if left <= 0 {
                let still = switch lastState {
                case .queued: "queued"
                case .waiting(.someone): "waiting for someone to start a manual job"
                case .waiting(.schedule): "waiting for a scheduled job's time"
                case .waiting(.resource): "waiting for a resource"
                default: "running"
                }
                let page = service.describe(ref) + (lastURL.isEmpty ? "" : ": \(lastURL)")
                let after = "the pipeline is still \(still) after \(DurationFormat.format(Int(timeout)))"
                if let cancel {
                    let done = try cancel(ref)
                    return Attempt(ok: false, status: 1, seconds: clock.now - start, timedOut: true, problem: masker.mask("\(after); cancel_on_stop: \(done) (\(page))"))
                }
                return Attempt(ok: false, status: 1, seconds: clock.now - start, timedOut: true,
                               problem: masker.mask("\(after); it was not cancelled (\(page))"))
            }
            try host.pauseFor(min(wait, left + 0.05))
        }
    }
}

/// The performers' side of `CIClient`: every request through
/// `HTTPPerformer.send` (its secret-bearing parts marked), named by a
/// User-Agent, a refusal explained in the server's words and masked, and
/// the rate limit its answers announce kept for the polling loop.
package final class PerformerCIClient: CIClient {
    let host: PerformHost
    let http: HTTPPerformer
    /// The last answer's word on when the server serves again.
    private var lastLimit: (at: Double, wait: Double)?
    /// No request outlives the step's timeout: one whose answer does not
    /// come in time fails as unanswered.
    let deadline: Double

    package init(host: PerformHost, http: HTTPPerformer, deadline: Double = .infinity) {
        self.host = host
        self.http = http
        self.deadline = deadline
    }

    /// Some CI APIs refuse requests without a User-Agent; libcurl sends none.
    package static let userAgent = ("User-Agent", "Muster")

    package func send(_ r: CIRequest) -> Result<HTTPReply, CIFailure> {
        let masker = host.masker
        if let sig = host.arrivedSignal() {
            switch host.verdict(sig) {
            case .keepWaiting: break
            case .stopStep: return .failure(CIFailure("\(r.what): \(RunState.stoppedByOperator)", stopped: true))
            case .pause(let s): return .failure(CIFailure("\(r.what): stopped", signal: s))
            }
        }
        let reply: HTTPReply
        do {
            let headers = r.headers.isEmpty ? [("Content-Type", "application/json"), ("Accept", "application/json")] : r.headers
            let timeout = min(30, max(1, deadline - host.clock.now))
            reply = try http.send(method: r.method, url: r.url, headers: headers + [Self.userAgent], body: r.body, timeout: timeout)
        } catch {
            return .failure(CIFailure("\(r.what): \(masker.mask(error.message))", signal: error.signal, stopped: error.stopped))
        }
        // The journal's wall clock, the one the run is given: a rate
        // limit's reset is in whole seconds since the epoch, as its stamps are.
        let limit = reply.rateLimit(now: UTCTime.parse(host.clock.stamp())?.timeIntervalSince1970 ?? 0)
        lastLimit = limit.map { (host.clock.now, $0.wait) }
        guard (200..<300).contains(reply.status) else {
            var message = "\(r.what): the CI server answered \(reply.status)"
            let detail = masker.mask(reply.errorDetail, limit: 200)
            if !detail.isEmpty { message += ": \(detail)" }
            if let limit, limit.refused {
                return .failure(CIFailure(message + " (rate limited)", status: reply.status, limited: limit.wait))
            }
            if let hint = r.refused(reply.status) { message += " (\(hint))" }
            return .failure(CIFailure(message, status: reply.status))
        }
        return .success(reply)
    }

    /// Seconds still to wait, from now, before the server serves again.
    func limitWait() -> Double? {
        guard let l = lastLimit else { return nil }
        let left = l.wait - (host.clock.now - l.at)
        return left > 0 ? left : nil
    }

    package func showCommand(_ line: String) { host.console.show(.command(host.masker.mask(line))) }
    package func showInfo(_ line: String) { host.console.show(.info(host.masker.mask(line))) }
    package func showWarning(_ line: String) { host.console.show(.warning(host.masker.mask(line))) }
    package func quoted(_ text: String, limit: Int) -> String { host.masker.mask(text, limit: limit) }
}

extension HTTPReply {
    /// What a refusal says, in the server's words: a JSON `message` (or
    /// `error`), the text of an HTML page, anything else as it came.
    var errorDetail: String {
        let text = body.trimmingCharacters()
        if let j = try? JSONDecoder().decode(JSON.self, from: Data(body.utf8)),
           let m = j.at(path: "message") ?? j.at(path: "error.message") ?? j.at(path: "error") {
            return m.text.trimmingCharacters()
        }
        return text.hasPrefix("<") ? Self.htmlText(text) : text
    }

    /// Whether the server is limiting this client, and for how long:
    /// `retry-after` (seconds), or a spent allowance (`x-ratelimit-remaining`
    /// or `ratelimit-remaining` 0) until its `reset` (epoch seconds).
    /// `refused`: this answer is the refusal (429, or a 403 that says it is
    /// a primary or secondary limit), to be asked again after `wait`;
    /// without a hint, a minute (what such APIs document).
    public func rateLimit(now: Double) -> (wait: Double, refused: Bool)? {
        let remaining = (header("x-ratelimit-remaining") ?? header("ratelimit-remaining")).flatMap { Int($0.trimmingCharacters()) }
        let reset = (header("x-ratelimit-reset") ?? header("ratelimit-reset")).flatMap { Double($0.trimmingCharacters()) }
        var wait: Double?
        if let r = header("retry-after").flatMap({ Double($0.trimmingCharacters()) }) {
            wait = max(0, r)
        } else if remaining == 0, let reset {
            wait = max(1, reset - now)
        }
        let secondary = status == 403 && (body.lowercased().contains("secondary rate limit") || body.lowercased().contains("rate limit exceeded"))
        let refused = status == 429 || (status == 403 && (remaining == 0 || secondary || header("retry-after") != nil))
        if refused { return (min(wait ?? 60, 3600), true) }
        return wait.map { (min($0, 3600), false) }
    }

    /// The words of an HTML error page: its title if it has one (Jetty's
    /// `Error 401 Invalid password/token for user: x`), else its text.
    static func htmlText(_ html: String) -> String {
        var text = ""
        var inTag = false
        var tag = ""
        var title: String?
        for c in html {
            if c == "<" {
                inTag = true
                tag = ""
            } else if c == ">" {
                inTag = false
                let name = tag.lowercased()
                if name.hasPrefix("/title"), title == nil { title = text }
                if name.hasPrefix("title") { text = "" }
                text += " "
            } else if inTag {
                tag.append(c)
            } else {
                text.append(c)
            }
        }
        let words = (title ?? text).split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\r" || $0 == "\r\n" })
        return words.joined(separator: " ")
    }
}
