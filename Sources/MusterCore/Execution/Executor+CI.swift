#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// `ci` steps: trigger a pipeline, journal its id before following it (so a
/// resumed run follows the same pipeline instead of starting a second one),
/// then poll it to the end. What every provider shares is here: requests,
/// the API token, and the polling loop; each provider's endpoints are in
/// its own function (Buildbot below, the others in Executor+CIProviders).
extension Executor {
    /// Seconds between polls of a running pipeline.
    static let pipelinePoll = 2.0

    func ci(_ spec: CISpec, key: String, automation a: Automation, values: [String: String]) throws(Stop) -> Attempt {
        guard let http else { return Attempt(ok: false, status: 1, seconds: 0, problem: "cannot run: no HTTP client is available") }
        let timeout = Double(a.timeout)
        switch spec.provider {
        case .buildbot: return try buildbot(spec, key: key, timeout: timeout, values: values, http: http)
        case .github: return try github(spec, key: key, timeout: timeout, values: values, http: http)
        case .gitlab: return try gitlab(spec, key: key, timeout: timeout, values: values, http: http)
        case .jenkins: return try jenkins(spec, key: key, timeout: timeout, values: values, http: http)
        }
    }

    struct CIFailure: Error {
        var message: String
        var signal: Int32?
        /// The HTTP status the CI server answered, when it answered.
        var status: Int?
        /// The operator stopped the step at the Ctrl-C question.
        var stopped = false
    }

    /// Every request to a CI server names its client; GitHub refuses
    /// requests without a User-Agent, and libcurl sends none by itself.
    static let ciUserAgent = ("User-Agent", "Muster")

    /// One request to a CI server: its reply when the status is 2xx, else
    /// the failure that explains it. `refused` may add a hint for a status
    /// (which token to check on a 401, say). Headers may hold the API token,
    /// so they are never shown; everything shown is masked.
    func ciSend(_ http: HTTPTransport, _ method: String, _ url: String, headers: [(name: String, value: String)]? = nil, body: String? = nil,
                what: String, refused: (Int) -> String? = { _ in nil }) -> Result<HTTPReply, CIFailure> {
        if let sig = arrivedSignal() {
            switch verdict(sig) {
            case .keepWaiting: break
            case .stopStep: return .failure(CIFailure(message: "\(what): stopped by the operator", stopped: true))
            case .pause(let s): return .failure(CIFailure(message: "\(what): stopped", signal: s))
            }
        }
        let reply: HTTPReply
        do {
            let h = headers ?? [("Content-Type", "application/json"), ("Accept", "application/json")]
            reply = try send(http, method: method, url: url, headers: h + [Self.ciUserAgent], body: body, timeout: 30)
        } catch {
            return .failure(CIFailure(message: "\(what): \(masker.mask(error.message))", signal: error.signal, stopped: error.stopped))
        }
        guard (200..<300).contains(reply.status) else {
            // GitHub and GitLab explain themselves in a JSON `message` (GitLab
            // sometimes in `error`), Jenkins in an HTML page; anything else is
            // shown as it came.
            var detail = reply.body.trimmingCharacters()
            if let j = try? JSONDecoder().decode(JSON.self, from: Data(reply.body.utf8)),
               let m = j.at(path: "message") ?? j.at(path: "error.message") ?? j.at(path: "error") {
                detail = m.text.trimmingCharacters()
            } else if detail.hasPrefix("<") {
                detail = Self.htmlText(detail)
            }
            detail = masker.mask(detail, limit: 200)
            var message = "\(what): the CI server answered \(reply.status)" + (detail.isEmpty ? "" : ": \(detail)")
            if let hint = refused(reply.status) { message += " (\(hint))" }
            return .failure(CIFailure(message: message, status: reply.status))
        }
        return .success(reply)
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

    /// GET or POST returning parsed JSON, or the failure that explains it.
    func ciJSON(_ http: HTTPTransport, _ method: String, _ url: String, headers: [(name: String, value: String)]? = nil, body: String? = nil,
                what: String, refused: (Int) -> String? = { _ in nil }) -> Result<JSON, CIFailure> {
        switch ciSend(http, method, url, headers: headers, body: body, what: what, refused: refused) {
        case .failure(let f): return .failure(f)
        case .success(let reply): return ciParse(reply, what: what)
        }
    }

    func ciParse(_ reply: HTTPReply, what: String) -> Result<JSON, CIFailure> {
        guard let json = try? JSONDecoder().decode(JSON.self, from: Data(reply.body.utf8)) else {
            return .failure(CIFailure(message: "\(what): the CI server answered something that is not JSON: \(masker.mask(reply.body, limit: 80))"))
        }
        return .success(json)
    }

    /// The API token from the secret `token` names: nil when the step names
    /// none (only Jenkins may go without), or the problem that stops the step.
    /// The value goes into request headers only; it is never shown or journaled.
    func ciToken(_ spec: CISpec) -> Result<(value: String, secret: String)?, CIFailure> {
        guard let name = spec.token else {
            if spec.provider == .jenkins { return .success(nil) }
            return .failure(CIFailure(message: "cannot run: the \(spec.provider.rawValue) provider needs 'token', the name of a declared secret holding an API token"))
        }
        guard let value = setup.secrets[name], !value.trimmingCharacters().isEmpty else {
            return .failure(CIFailure(message: "cannot run: secret \(name), which 'token' names, has no value; the \(spec.provider.rawValue) provider needs an API token in it"))
        }
        return .success((value.trimmingCharacters(), name))
    }

    /// A failure that is a stop: the operator's (the step ends as stopped)
    /// or a signal's (the run pauses).
    func ciStop(_ f: CIFailure) throws(Stop) {
        if f.stopped { throw .stepStopped }
        if let sig = f.signal { throw .pause(signalName(sig)) }
    }

    /// The attempt a failed request ends in; a signal pauses the run.
    func ciFailed(_ f: CIFailure, start: Double) throws(Stop) -> Attempt {
        try ciStop(f)
        return Attempt(ok: false, status: 1, seconds: monotonic() - start, problem: masker.mask(f.message))
    }

    /// The API base `url`, encoded as every URL is (FieldEncoding.swift).
    func ciBase(_ spec: CISpec, _ values: [String: String]) -> Result<String, CIFailure> {
        do {
            return .success(try spec.url.expandURL(values, secrets: setup.secrets).trimmingTrailingSlash())
        } catch {
            return .failure(CIFailure(message: "cannot send: \(error.message)"))
        }
    }

    /// A `ci` field with its templates and `${SECRET}`s expanded.
    func ciSetting(_ spec: CISpec, _ name: String, _ values: [String: String]) -> String {
        spec.settings[name]?.expandText(values, secrets: setup.secrets) ?? ""
    }

    /// A pipeline's state at one look: still going (a line saying where it
    /// is), or at an end, with the line that says so.
    enum PipelineLook<T> {
        case waiting(String)
        case done(T, line: String?)
    }

    /// Looks at a pipeline every `pipelinePoll` seconds, showing each new
    /// state once, until `look` says it is done; nil when the step's timeout
    /// passes first. A server that fails to answer is retried until then; a
    /// signal pauses the run, Ctrl-C asks first. Nothing is ever cancelled.
    func pollPipeline<T>(start: Double, timeout: Double, _ look: () throws(Stop) -> Result<PipelineLook<T>, CIFailure>) throws(Stop) -> T? {
        var lastState = ""
        while true {
            let stateText: String
            switch try look() {
            case .failure(let f):
                try ciStop(f)
                stateText = "no answer (\(f.message))"
            case .success(.waiting(let s)):
                stateText = masker.mask(s)
            case .success(.done(let value, let line)):
                if let line, masker.mask(line) != lastState { console.show(.info(masker.mask(line))) }
                return value
            }
            if stateText != lastState {
                console.show(.info(stateText))
                lastState = stateText
            }
            if monotonic() - start > timeout { return nil }
            try pauseFor(Self.pipelinePoll)
        }
    }

    /// How a pipeline ended, for `followPipeline`.
    struct PipelineEnd {
        var line: String
        /// nil: it succeeded.
        var problem: String?
        var status: Int32 = 1
        var output = ""
    }

    /// Polls a started pipeline to its end; the attempt succeeds when the
    /// pipeline did. `name` says which pipeline in the timeout message.
    func followPipeline(_ name: String, start: Double, timeout: Double, _ look: () throws(Stop) -> Result<PipelineLook<PipelineEnd>, CIFailure>) throws(Stop) -> Attempt {
        guard let end = try pollPipeline(start: start, timeout: timeout, look) else {
            return Attempt(ok: false, status: 1, seconds: monotonic() - start, timedOut: true,
                           problem: masker.mask("the pipeline is still running after \(DurationFormat.format(Int(timeout))); it was not cancelled (\(name))"))
        }
        let line = masker.mask(end.line)
        guard let problem = end.problem else {
            return Attempt(ok: true, status: 0, seconds: monotonic() - start, stdout: end.output, tail: [line])
        }
        return Attempt(ok: false, status: end.status, seconds: monotonic() - start, tail: [line], problem: masker.mask(problem))
    }

    func buildbot(_ spec: CISpec, key: String, timeout: Double, values: [String: String], http: HTTPTransport) throws(Stop) -> Attempt {
        let start = monotonic()
        func fail(_ f: CIFailure) throws(Stop) -> Attempt { try ciFailed(f, start: start) }
        let base: String
        switch ciBase(spec, values) {
        case .success(let b): base = b
        case .failure(let f): return try fail(f)
        }
        let builder = spec.settings["builder"].map { $0.expandText(values, secrets: setup.secrets) } ?? ""
        let scheduler = spec.settings["scheduler"].map { $0.expandText(values, secrets: setup.secrets) } ?? "force"

        // The pipeline this step already started, in an earlier session.
        var request = state.pipelines[key].flatMap { Int($0) }
        var builderID = state.pipelineBuilders[key] ?? 0
        if let r = request {
            console.show(.info("following build request \(r) started before the last session ended"))
        } else {
            let builders: JSON
            switch ciJSON(http, "GET", "\(base)/api/v2/builders?name=\(builder.percentEncoded())", what: "finding builder '\(builder)'") {
            case .success(let j): builders = j
            case .failure(let f): return try fail(f)
            }
            guard case .int(let id)? = builders.at(path: "builders.0.builderid") else {
                return Attempt(ok: false, status: 1, seconds: monotonic() - start, problem: masker.mask("Buildbot at \(base) has no builder named '\(builder)'"))
            }
            builderID = id
            var params: [(String, JSON)] = [
                ("builderid", .string(String(id))),
                ("reason", .string("muster run \(setup.runID), step \(key)")),
                // Buildbot wants "Name <address>"; the address is a placeholder.
                ("username", .string("\(setup.operatorName) via Muster <muster@example.com>")),
            ]
            for (name, value) in spec.inputs { params.append((name, .string(value.expandText(values, secrets: setup.secrets)))) }
            let call = JSON.object([("jsonrpc", "2.0"), ("method", "force"), ("id", 1), ("params", .object(params))]).serialized()
            console.show(.command(masker.mask("POST \(base)/api/v2/forceschedulers/\(scheduler) (builder \(builder))")))
            let forced: JSON
            switch ciJSON(http, "POST", "\(base)/api/v2/forceschedulers/\(scheduler.percentEncoded())", body: call, what: "triggering builder '\(builder)'") {
            case .success(let j): forced = j
            case .failure(let f): return try fail(f)
            }
            if let message = forced.at(path: "error.message")?.text {
                return Attempt(ok: false, status: 1, seconds: monotonic() - start, problem: "Buildbot refused to start '\(builder)': \(masker.mask(message))")
            }
            guard case .object(let requests)? = forced.at(path: "result.1"), case .int(let r)? = requests.first?.1 else {
                return Attempt(ok: false, status: 1, seconds: monotonic() - start, problem: "Buildbot's answer to the force call has no build request id: \(masker.mask(forced.serialized(), limit: 120))")
            }
            request = r
            try record(.pipelineStarted, step: key) { $0.value = String(r); $0.item = id; $0.text = "\(base) build request \(r)" }
        }
        guard let request else { return Attempt(ok: false, status: 1, seconds: 0) }

        return try followPipeline("build request \(request)", start: start, timeout: timeout) { () throws(Stop) -> Result<PipelineLook<PipelineEnd>, CIFailure> in
            switch ciJSON(http, "GET", "\(base)/api/v2/builds?buildrequestid=\(request)", what: "following build request \(request)") {
            case .failure(let f):
                return .failure(f)
            case .success(let j):
                guard case .object? = j.at(path: "builds.0") else { return .success(.waiting("queued")) }
                let number = j.at(path: "builds.0.number")?.text ?? "?"
                let url = "\(base)/#/builders/\(builderID)/builds/\(number)"
                let line = "build \(number): \(j.at(path: "builds.0.state_string")?.text ?? "running") · \(url)"
                guard j.at(path: "builds.0.complete") == .bool(true) else { return .success(.waiting(line)) }
                let results = Int(j.at(path: "builds.0.results")?.text ?? "") ?? -1
                // 0 success, 1 warnings; 2 failure, 3 skipped, 4 exception, 5 retry, 6 cancelled.
                if results == 0 || results == 1 { return .success(.done(PipelineEnd(line: line, output: j.serialized()), line: line)) }
                return .success(.done(PipelineEnd(line: line, problem: "the pipeline failed (Buildbot result \(results)): \(url)", status: Int32(results)), line: line))
            }
        }
    }
}

extension String {
    func trimmingTrailingSlash() -> String {
        var s = self
        while s.hasSuffix("/") { s.removeLast() }
        return s
    }

    /// Percent-encodes everything but unreserved URL characters; `.` and
    /// `..` whole, too, which would otherwise be dot segments that climb the
    /// path (`/repos/../../admin`).
    func percentEncoded() -> String {
        if self == "." || self == ".." { return String(repeating: "%2E", count: count) }
        var out = ""
        for b in utf8 {
            switch b {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(b))
            default:
                let h = String(b, radix: 16, uppercase: true)
                out += "%" + (h.count == 1 ? "0" + h : h)
            }
        }
        return out
    }
}
