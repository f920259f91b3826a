#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// `ci` steps: trigger a pipeline, journal its id before following it (so a
/// resumed run follows the same pipeline instead of starting a second one),
/// then poll it to the end.
extension Executor {
    /// Seconds between polls of a running pipeline.
    static let pipelinePoll = 2.0

    func ci(_ spec: CISpec, key: String, automation a: Automation, values: [String: String]) throws(Stop) -> Attempt {
        guard let http else { return Attempt(ok: false, status: 1, seconds: 0, problem: "cannot run: no HTTP client is available") }
        switch spec.provider {
        case .buildbot:
            return try buildbot(spec, key: key, timeout: Double(a.timeout), values: values, http: http)
        case .github, .gitlab, .jenkins:
            return Attempt(ok: false, status: 1, seconds: 0, problem: "cannot run: the \(spec.provider.rawValue) provider is not available yet (Buildbot is); trigger the pipeline by hand and answer d NOTE, or s REASON")
        }
    }

    /// GET or POST returning parsed JSON, or the attempt that explains the failure.
    func ciJSON(_ http: HTTPTransport, _ method: String, _ url: String, body: String? = nil, what: String) -> Result<JSON, CIFailure> {
        let reply: HTTPReply
        do {
            reply = try http.send(method: method, url: url, headers: [("Content-Type", "application/json"), ("Accept", "application/json")], body: body, timeout: 30)
        } catch {
            return .failure(CIFailure(message: "\(what): \(masker.mask(error.message))", signal: error.signal))
        }
        guard (200..<300).contains(reply.status) else {
            let detail = reply.body.trimmingCharacters().prefix(200)
            return .failure(CIFailure(message: "\(what): the CI server answered \(reply.status)" + (detail.isEmpty ? "" : ": \(masker.mask(String(detail)))")))
        }
        guard let json = try? JSONDecoder().decode(JSON.self, from: Data(reply.body.utf8)) else {
            return .failure(CIFailure(message: "\(what): the CI server answered something that is not JSON: \(masker.mask(String(reply.body.prefix(80))))"))
        }
        return .success(json)
    }

    struct CIFailure: Error {
        var message: String
        var signal: Int32?
    }

    func buildbot(_ spec: CISpec, key: String, timeout: Double, values: [String: String], http: HTTPTransport) throws(Stop) -> Attempt {
        let base = withSecrets(spec.url.expand(values)).trimmingTrailingSlash()
        let builder = spec.settings["builder"]?.expand(values) ?? ""
        let scheduler = spec.settings["scheduler"]?.expand(values) ?? "force"
        let start = monotonic()
        func fail(_ f: CIFailure) throws(Stop) -> Attempt {
            if let sig = f.signal { throw .pause(signalName(sig)) }
            return Attempt(ok: false, status: 1, seconds: monotonic() - start, problem: f.message)
        }

        // The pipeline this step already started, in an earlier session.
        var request = state.pipelines[key]
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
                return Attempt(ok: false, status: 1, seconds: monotonic() - start, problem: "Buildbot at \(base) has no builder named '\(builder)'")
            }
            builderID = id
            var params: [(String, JSON)] = [
                ("builderid", .string(String(id))),
                ("reason", .string("muster run \(setup.runID), step \(key)")),
                // Buildbot wants "Name <address>"; the address is a placeholder.
                ("username", .string("\(setup.operatorName) via Muster <muster@example.com>")),
            ]
            for (name, value) in spec.inputs { params.append((name, .string(withSecrets(value.expand(values))))) }
            let call = JSON.object([("jsonrpc", "2.0"), ("method", "force"), ("id", 1), ("params", .object(params))]).serialized()
            console.show(.command("POST \(base)/api/v2/forceschedulers/\(scheduler) (builder \(builder))"))
            let forced: JSON
            switch ciJSON(http, "POST", "\(base)/api/v2/forceschedulers/\(scheduler.percentEncoded())", body: call, what: "triggering builder '\(builder)'") {
            case .success(let j): forced = j
            case .failure(let f): return try fail(f)
            }
            if let message = forced.at(path: "error.message")?.text {
                return Attempt(ok: false, status: 1, seconds: monotonic() - start, problem: "Buildbot refused to start '\(builder)': \(masker.mask(message))")
            }
            guard case .object(let requests)? = forced.at(path: "result.1"), case .int(let r)? = requests.first?.1 else {
                return Attempt(ok: false, status: 1, seconds: monotonic() - start, problem: "Buildbot's answer to the force call has no build request id: \(masker.mask(String(forced.serialized().prefix(120))))")
            }
            request = r
            try record(.pipelineStarted, step: key) { $0.value = String(r); $0.item = id; $0.text = "\(base) build request \(r)" }
        }
        guard let request else { return Attempt(ok: false, status: 1, seconds: 0) }

        var lastState = ""
        while true {
            var stateText = "queued"
            switch ciJSON(http, "GET", "\(base)/api/v2/builds?buildrequestid=\(request)", what: "following build request \(request)") {
            case .failure(let f):
                // A flapping server is retried until the step's timeout.
                if f.signal != nil { return try fail(f) }
                stateText = "no answer (\(f.message))"
            case .success(let j):
                if case .object? = j.at(path: "builds.0") {
                    let number = j.at(path: "builds.0.number")?.text ?? "?"
                    let url = "\(base)/#/builders/\(builderID)/builds/\(number)"
                    let complete = j.at(path: "builds.0.complete") == .bool(true)
                    stateText = "build \(number): \(j.at(path: "builds.0.state_string")?.text ?? "running") · \(url)"
                    if complete {
                        let results = Int(j.at(path: "builds.0.results")?.text ?? "") ?? -1
                        console.show(.info(stateText))
                        if results == 0 || results == 1 {
                            return Attempt(ok: true, status: 0, seconds: monotonic() - start, stdout: j.serialized(), tail: [stateText])
                        }
                        return Attempt(ok: false, status: Int32(results), seconds: monotonic() - start, tail: [stateText],
                                       problem: "the pipeline failed (Buildbot result \(results)): \(url)")
                    }
                }
            }
            if stateText != lastState {
                console.show(.info(stateText))
                lastState = stateText
            }
            if monotonic() - start > timeout {
                return Attempt(ok: false, status: 1, seconds: monotonic() - start, timedOut: true,
                               problem: "the pipeline is still running after \(DurationFormat.format(Int(timeout))); it was not cancelled (build request \(request))")
            }
            try pauseFor(Self.pipelinePoll)
        }
    }
}

extension String {
    func trimmingTrailingSlash() -> String {
        var s = self
        while s.hasSuffix("/") { s.removeLast() }
        return s
    }

    /// Percent-encodes everything but unreserved URL characters.
    func percentEncoded() -> String {
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
