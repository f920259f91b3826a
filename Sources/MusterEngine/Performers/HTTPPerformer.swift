import MusterBasics
import MusterFormat

/// Every HTTP request a run or a preflight makes (http steps, HTTP waits,
/// CI providers, the chat webhook): its fields encoded for where values
/// land, and its secret-bearing parts marked so that a redirect never
/// carries them to another host.
package struct HTTPPerformer {
    package let host: PerformHost
    package let http: HTTPTransport

    package init(host: PerformHost, http: HTTPTransport) {
        self.host = host
        self.http = http
    }

    /// Sends a request, marking as confidential every header and a body that
    /// holds the value of a declared secret (a `${NAME}` expanded, a CI
    /// token, a value derived from one) in any form the masker knows: the
    /// body is looked at as it is sent, so a secret JSON-escaped into it
    /// (`pa\"ss`) or percent-encoded is seen as well as a raw one.
    package func send(method: String, url: String, headers: [(name: String, value: String)], body: String?, timeout: Double) throws(HTTPFailure) -> HTTPReply {
        let masker = host.masker
        let confidential = Confidential(headers: Set(headers.filter { masker.holdsSecret($0.value) }.map { $0.name.lowercased() }),
                                        body: body.map(masker.holdsSecret) ?? false, inAddress: { masker.holdsSecret($0) })
        // A signal during the exchange: the step at work asks (see `verdict`);
        // otherwise the exchange is abandoned and the failure names the signal.
        var stopped = false
        var pausedBy: Signal?
        do {
            return try http.send(method: method, url: url, headers: headers, body: body, timeout: timeout, confidential: confidential) { [host] sig in
                switch host.verdict(sig) {
                case .keepWaiting: return false
                case .stopStep: stopped = true
                case .pause(let s): pausedBy = s
                }
                return true
            }
        } catch {
            var e = error
            if stopped {
                e.stopped = true
                e.signal = nil
            } else if let s = pausedBy {
                e.signal = s
            }
            throw e
        }
    }

    /// One HTTP check: the request, then the expected status (any 2xx by
    /// default) and `body_contains`. The body is the attempt's output.
    package func check(_ h: HTTPCheck, values: [String: String], timeout: Double, quiet: Bool = false) throws(Stop) -> Attempt {
        try host.checkSignals()
        let masker = host.masker, console = host.console
        let url: String, headers: [(name: String, value: String)], body: String?
        do {
            (url, headers, body) = try fields(h, values)
        } catch {
            return Attempt(ok: false, status: 1, seconds: 0, problem: "cannot send: \(error.message)")
        }
        if !quiet { console.show(.command(masker.mask("\(h.method) \(url)"))) }
        let reply: HTTPReply
        do {
            reply = try send(method: h.method, url: url, headers: headers, body: body, timeout: timeout)
        } catch {
            if error.stopped { throw .stepStopped }
            if let sig = error.signal { throw .pause(host.signalName(sig)) }
            return Attempt(ok: false, status: 1, seconds: 0, problem: masker.mask(error.message))
        }
        // Masked whole before it is cut into lines: a secret can span them.
        var tail = masker.mask(reply.body).split(separator: "\n", omittingEmptySubsequences: false).suffix(20).map(String.init)
        if tail.last == "" { tail.removeLast() }
        if !quiet { for line in tail.prefix(5) { console.show(.output(stderr: false, line: line)) } }
        var attempt = Attempt(ok: true, status: Int32(reply.status), seconds: reply.seconds, httpStatus: reply.status, stdout: reply.body, tail: tail)
        let statusOK = h.status.map { $0 == reply.status } ?? (200..<300).contains(reply.status)
        let expected = h.bodyContains.map { $0.expand(values) }
        if !statusOK {
            attempt.ok = false
            attempt.problem = "answered \(reply.status), expected \(h.status.map(String.init) ?? "2xx")"
        } else if let expected, !reply.body.containsBytesDynamic(expected) {
            attempt.ok = false
            attempt.problem = "answered \(reply.status), but the body does not contain '\(masker.mask(expected))'"
        }
        return attempt
    }

    /// An http check's URL, headers and body, each encoded for where its
    /// values land (see FieldEncoding.swift).
    package func fields(_ h: HTTPCheck, _ values: [String: String]) throws(FieldError) -> (url: String, headers: [(name: String, value: String)], body: String?) {
        let secrets = host.secrets
        let url = try h.url.expandURL(values, secrets: secrets)
        var headers: [(name: String, value: String)] = []
        for (name, value) in h.headers { headers.append((name, try value.expandHeader(name, values, secrets: secrets))) }
        let contentType = headers.first { $0.name.lowercased() == "content-type" }?.value
        let body = h.body.map { b in
            b.isJSONBody(contentType: contentType) ? b.expandJSON(values, secrets: secrets) : b.expandText(values, secrets: secrets)
        }
        return (url, headers, body)
    }
}

extension Masker {
    /// Masked whole, then cut to `limit` characters: a cut made first could
    /// split a secret and leave its first half for the masker to miss.
    package func mask(_ s: some StringProtocol, limit: Int) -> String {
        String(mask(String(s)).prefix(limit))
    }
}
