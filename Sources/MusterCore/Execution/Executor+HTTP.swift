/// What every HTTP request of a run goes through (http steps, HTTP waits,
/// CI providers, the chat webhook): its fields encoded for where values
/// land, and its secret-bearing parts marked so that a redirect never
/// carries them to another host.
extension Executor {
    /// Sends a request, marking as confidential every header and a body that
    /// holds the value of a declared secret (a `${NAME}` expanded, a CI
    /// token, a value derived from one).
    func send(_ http: HTTPTransport, method: String, url: String, headers: [(name: String, value: String)], body: String?,
              timeout: Double) throws(HTTPFailure) -> HTTPReply {
        let secrets = setup.secrets.values.map { $0.trimmingCharacters() }.filter { !$0.isEmpty }
        func holdsSecret(_ s: String) -> Bool { secrets.contains { s.containsBytesDynamic($0) } }
        let confidential = Confidential(headers: Set(headers.filter { holdsSecret($0.value) }.map { $0.name.lowercased() }),
                                        body: body.map(holdsSecret) ?? false)
        // A signal during the exchange: the step at work asks (see `verdict`);
        // otherwise the exchange is abandoned and the failure names the signal.
        var stopped = false
        var pausedBy: Int32?
        do {
            return try http.send(method: method, url: url, headers: headers, body: body, timeout: timeout, confidential: confidential) { [self] sig in
                switch verdict(sig) {
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

    /// An http check's URL, headers and body, each encoded for where its
    /// values land (see FieldEncoding.swift).
    func httpFields(_ h: HTTPCheck, _ values: [String: String]) throws(FieldError) -> (url: String, headers: [(name: String, value: String)], body: String?) {
        let url = try h.url.expandURL(values, secrets: setup.secrets)
        var headers: [(name: String, value: String)] = []
        for (name, value) in h.headers { headers.append((name, try value.expandHeader(name, values, secrets: setup.secrets))) }
        let contentType = headers.first { $0.name.lowercased() == "content-type" }?.value
        let body = h.body.map { b in
            b.isJSONBody(contentType: contentType) ? b.expandJSON(values, secrets: setup.secrets) : b.expandText(values, secrets: setup.secrets)
        }
        return (url, headers, body)
    }
}

extension Masker {
    /// Masked whole, then cut to `limit` characters: a cut made first could
    /// split a secret and leave its first half for the masker to miss.
    func mask(_ s: some StringProtocol, limit: Int) -> String {
        String(mask(String(s)).prefix(limit))
    }
}
