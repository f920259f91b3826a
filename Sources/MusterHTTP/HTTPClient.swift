internal import CCurl

/// One HTTP exchange, as runbook steps, waits, CI providers and webhooks need.
public struct HTTPRequest: Sendable {
    public var method: String
    public var url: String
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]?
    /// Limit for connecting, then for the whole exchange.
    public var connectTimeout: Double
    public var timeout: Double
    /// Skips TLS certificate checks. Only ever per step, and loud.
    public var insecure: Bool
    public var maxRedirects: Int
    /// Header names (lowercase) whose values hold a secret: never sent to
    /// another origin after a redirect. `Authorization`, `Cookie` and
    /// `Proxy-Authorization` are always treated so.
    public var confidentialHeaders: Set<String>
    /// The body holds a secret: never sent again to another origin (a 307 or
    /// 308 there fails the exchange instead).
    public var confidentialBody: Bool
    /// Signs the request with AWS Signature Version 4, done by libcurl.
    /// Dropped, like the credential headers, on a redirect to another origin.
    public var awsSigning: AWSSigning?
    /// Whether an address holds a secret: a redirect to another origin
    /// whose address does fails the exchange instead of being followed.
    public var confidentialAddress: @Sendable (String) -> Bool

    public init(method: String = "GET", url: String, headers: [(name: String, value: String)] = [], body: [UInt8]? = nil,
                connectTimeout: Double = 10, timeout: Double = 30, insecure: Bool = false, maxRedirects: Int = 5,
                confidentialHeaders: Set<String> = [], confidentialBody: Bool = false, awsSigning: AWSSigning? = nil,
                confidentialAddress: @escaping @Sendable (String) -> Bool = { _ in false }) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.connectTimeout = connectTimeout
        self.timeout = timeout
        self.insecure = insecure
        self.maxRedirects = maxRedirects
        self.confidentialHeaders = confidentialHeaders
        self.confidentialBody = confidentialBody
        self.awsSigning = awsSigning
        self.confidentialAddress = confidentialAddress
    }
}

/// What libcurl needs to sign a request for AWS (`CURLOPT_AWS_SIGV4`): the
/// scope `aws:amz:REGION:SERVICE` and the key pair, which libcurl takes as
/// user name and password and never sends (only the signature goes out).
/// The description hides the secret, so an interpolated value cannot leak it.
public struct AWSSigning: Sendable, CustomStringConvertible {
    public var scope: String
    public var accessKeyID: String
    public var secretAccessKey: String

    public init(scope: String, accessKeyID: String, secretAccessKey: String) {
        self.scope = scope
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
    }

    public var description: String { "AWSSigning(\(scope), \(accessKeyID), secret hidden)" }
}

public struct HTTPResponse: Sendable {
    public var status: Int
    public var body: [UInt8]
    public var seconds: Double
    /// The final response's header fields, in order (after redirects, only
    /// those of the response that ended the exchange, after the
    /// `Set-Cookie` fields of the hops before it: a login that answers with
    /// a session cookie and a redirect, like Buildbot's, keeps its cookie).
    public var headers: [(name: String, value: String)] = []

    /// The first header field named `name`, compared case-insensitively.
    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    public var text: String { String(decoding: body, as: UTF8.self) }
}

/// A failed exchange, in libcurl's own words (`Failed to connect to
/// 127.0.0.1 port 9 after 0 ms: Connection refused`), with the host named.
public struct HTTPError: Error, Sendable, CustomStringConvertible {
    public var message: String
    /// True when the exchange was abandoned because `shouldAbort` said so.
    public var aborted = false
    /// True when the server could not be reached or stopped answering (no
    /// name, no connection, a timeout, a connection cut): the network or the
    /// server, not the request.
    public var unreachable = false
    /// False only when the request cannot have reached the server (no name,
    /// no connection): a write that failed otherwise may have been done.
    public var mayHaveArrived = true
    public var description: String { message }
}

/// Bodies larger than this are cut off with an error rather than held in memory.
public let maxResponseBytes = 16 << 20

/// Performs requests on a libcurl easy handle. TLS verification is on unless
/// a request says `insecure`; proxies come from the usual environment
/// variables (libcurl reads `http_proxy`, `https_proxy`, `no_proxy`).
public final class HTTPClient {
    private let handle: UnsafeMutableRawPointer

    public init() throws(HTTPError) {
        if let curlProblem { throw HTTPError(message: curlProblem) }
        guard let h = curl_easy_init() else { throw HTTPError(message: "libcurl could not create a handle") }
        handle = h
    }

    deinit { curl_easy_cleanup(handle) }

    /// Collects the body and answers libcurl's progress calls.
    private final class Exchange {
        var body: [UInt8] = []
        var headers: [(name: String, value: String)] = []
        var tooLarge = false
        let shouldAbort: () -> Bool
        var aborted = false
        init(shouldAbort: @escaping () -> Bool) { self.shouldAbort = shouldAbort }
    }

    /// Header names sent to the origin the request names and never to
    /// another one, whatever the request says.
    static let credentialHeaders: Set<String> = ["authorization", "cookie", "proxy-authorization"]

    /// Performs the request, following redirects itself rather than through
    /// libcurl: libcurl keeps custom headers (an `X-Api-Key`, GitLab's
    /// `PRIVATE-TOKEN`) on a redirect to another host and re-posts bodies on
    /// a 307. Here a change of origin (scheme, host or port, so a downgrade
    /// from https too) drops the credential and confidential headers for the
    /// rest of the exchange, and a confidential body is never sent there.
    ///
    /// `shouldAbort` is asked about once a second and while data flows; true
    /// abandons the exchange (a signal arrived, say).
    public func perform(_ request: HTTPRequest, shouldAbort: @escaping () -> Bool = { false }) throws(HTTPError) -> HTTPResponse {
        var hop = request
        var seconds = 0.0
        var redirects = 0
        let home = Self.origin(request.url)
        let secret = request.confidentialHeaders.union(Self.credentialHeaders)
        var cookies: [(name: String, value: String)] = []
        while true {
            hop.timeout = max(0.001, request.timeout - seconds)
            let (response, next) = try once(hop, shouldAbort: shouldAbort)
            seconds += response.seconds
            guard let next, hop.maxRedirects > 0, [301, 302, 303, 307, 308].contains(response.status) else {
                return HTTPResponse(status: response.status, body: response.body, seconds: seconds, headers: cookies + response.headers)
            }
            let set = response.headers.filter { $0.name.lowercased() == "set-cookie" }
            cookies += set
            redirects += 1
            guard redirects <= request.maxRedirects else {
                throw HTTPError(message: "\(request.method) \(request.url) failed: Maximum (\(request.maxRedirects)) redirects followed")
            }
            // 303, and a POST answered 301 or 302, become a GET without a
            // body (what browsers and libcurl do); 307 and 308 keep both.
            if response.status == 303 || (hop.method == "POST" && response.status <= 302) {
                if hop.method != "HEAD" { hop.method = "GET" }
                hop.body = nil
            }
            let there = Self.origin(next)
            if there == nil || there != home {
                hop.headers.removeAll { secret.contains($0.name.lowercased()) }
                hop.awsSigning = nil
                if hop.body != nil, request.confidentialBody {
                    throw HTTPError(message: "\(request.method) \(request.url) was redirected (\(response.status)) to another host, \(there ?? "an unreadable address"); the request body holds a secret, so it was not sent there")
                }
                if request.confidentialAddress(next) {
                    throw HTTPError(message: "\(request.method) \(request.url) was redirected (\(response.status)) to another host, \(there ?? "an unreadable address"), at an address that holds a secret, so it was not followed")
                }
            }
            // The cookies a hop set go with the next hops to the same origin,
            // as a browser sends them: a login that answers with a session
            // and a redirect (Buildbot's) is then followed as that session,
            // not as a stranger the page hands a fresh anonymous one.
            if there == home, !set.isEmpty {
                var jar: [(String, String)] = hop.headers.filter { $0.name.lowercased() == "cookie" }
                    .flatMap { $0.value.split(separator: ";") }.compactMap(Self.cookiePair)
                for pair in set.compactMap({ Self.cookiePair($0.value.split(separator: ";").first ?? "") }) {
                    jar.removeAll { $0.0 == pair.0 }
                    jar.append(pair)
                }
                hop.headers.removeAll { $0.name.lowercased() == "cookie" }
                hop.headers.append(("Cookie", jar.map { "\($0.0)=\($0.1)" }.joined(separator: "; ")))
            }
            hop.url = next
        }
    }

    /// `name=value` of a cookie, trimmed; nil without a name.
    static func cookiePair(_ text: Substring) -> (String, String)? {
        let parts = text.split(separator: "=", maxSplits: 1).map { String($0.drop { $0 == " " }.reversed().drop { $0 == " " }.reversed()) }
        guard let name = parts.first, !name.isEmpty else { return nil }
        return (name, parts.count > 1 ? parts[1] : "")
    }

    /// `scheme://host:port`, lowercase, with the scheme's default port
    /// filled in; nil when libcurl cannot read the URL.
    public static func origin(_ url: String) -> String? {
        guard curlProblem == nil, let u = curl_url() else { return nil }
        defer { curl_url_cleanup(u) }
        guard curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK else { return nil }
        func part(_ p: CURLUPart, _ flags: Int32 = 0) -> String? {
            var out: UnsafeMutablePointer<CChar>?
            guard curl_url_get(u, p, &out, UInt32(flags)) == CURLUE_OK, let out else { return nil }
            defer { curl_free(out) }
            return String(cString: out).lowercased()
        }
        guard let scheme = part(CURLUPART_SCHEME), let host = part(CURLUPART_HOST), let port = part(CURLUPART_PORT, CURLU_DEFAULT_PORT) else { return nil }
        return "\(scheme)://\(host):\(port)"
    }

    /// One request and its response, without following a redirect; the
    /// absolute URL a redirect points to, when it is one.
    private func once(_ request: HTTPRequest, shouldAbort: @escaping () -> Bool) throws(HTTPError) -> (HTTPResponse, String?) {
        curl_easy_reset(handle)
        let exchange = Exchange(shouldAbort: shouldAbort)
        let context = Unmanaged.passRetained(exchange)
        defer { context.release() }
        var errorBuffer = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        var headers: UnsafeMutablePointer<curl_slist>?
        defer { curl_slist_free_all(headers) }
        for (name, value) in request.headers {
            headers = curl_slist_append(headers, "\(name): \(value)")
        }
        let code: CURLcode = errorBuffer.withUnsafeMutableBufferPointer { eb in
            ccurl_setopt_long(handle, CURLOPT_NOSIGNAL, 1)
            ccurl_setopt_pointer(handle, CURLOPT_ERRORBUFFER, eb.baseAddress)
            ccurl_setopt_string(handle, CURLOPT_URL, request.url)
            ccurl_setopt_string(handle, CURLOPT_CUSTOMREQUEST, request.method)
            if request.method == "HEAD" { ccurl_setopt_long(handle, CURLOPT_NOBODY, 1) }
            ccurl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, Int(request.connectTimeout * 1000))
            ccurl_setopt_long(handle, CURLOPT_TIMEOUT_MS, Int(request.timeout * 1000))
            ccurl_setopt_string(handle, CURLOPT_PROTOCOLS_STR, "http,https")
            if request.insecure {
                ccurl_setopt_long(handle, CURLOPT_SSL_VERIFYPEER, 0)
                ccurl_setopt_long(handle, CURLOPT_SSL_VERIFYHOST, 0)
            }
            ccurl_setopt_slist(handle, CURLOPT_HTTPHEADER, headers)
            if let signing = request.awsSigning {
                ccurl_setopt_string(handle, CURLOPT_AWS_SIGV4, signing.scope)
                ccurl_setopt_string(handle, CURLOPT_USERNAME, signing.accessKeyID)
                ccurl_setopt_string(handle, CURLOPT_PASSWORD, signing.secretAccessKey)
                // The path is signed as sent: libcurl must not fold `/../`
                // out of an object key after signing it.
                ccurl_setopt_long(handle, CURLOPT_PATH_AS_IS, 1)
            }
            ccurl_setopt_pointer(handle, CURLOPT_WRITEDATA, context.toOpaque())
            ccurl_setopt_write_function(handle, CURLOPT_WRITEFUNCTION) { data, size, count, user in
                let ex = Unmanaged<Exchange>.fromOpaque(user!).takeUnretainedValue()
                let n = size * count
                if ex.body.count + n > maxResponseBytes {
                    ex.tooLarge = true
                    return 0
                }
                if let data { ex.body.append(contentsOf: UnsafeRawBufferPointer(start: data, count: n)) }
                return n
            }
            ccurl_setopt_pointer(handle, CURLOPT_HEADERDATA, context.toOpaque())
            ccurl_setopt_write_function(handle, CURLOPT_HEADERFUNCTION) { data, size, count, user in
                let ex = Unmanaged<Exchange>.fromOpaque(user!).takeUnretainedValue()
                let n = size * count
                guard let data else { return n }
                var line = String(decoding: UnsafeRawBufferPointer(start: data, count: n), as: UTF8.self)
                // "\r\n" is one Character.
                while let last = line.last, last.isNewline || last == " " { line.removeLast() }
                if line.hasPrefix("HTTP/") {
                    // A new response (after a redirect or a 100 Continue).
                    ex.headers = []
                } else if let colon = line.firstIndex(of: ":"), ex.headers.count < 200 {
                    let value = line[line.index(after: colon)...].drop { $0 == " " || $0 == "\t" }
                    ex.headers.append((String(line[..<colon]), String(value)))
                }
                return n
            }
            ccurl_setopt_long(handle, CURLOPT_NOPROGRESS, 0)
            ccurl_setopt_pointer(handle, CURLOPT_XFERINFODATA, context.toOpaque())
            ccurl_setopt_xferinfo_function(handle) { user, _, _, _, _ in
                let ex = Unmanaged<Exchange>.fromOpaque(user!).takeUnretainedValue()
                if ex.shouldAbort() {
                    ex.aborted = true
                    return 1
                }
                return 0
            }
            if let body = request.body {
                return body.withUnsafeBufferPointer { b in
                    ccurl_setopt_long(handle, CURLOPT_POSTFIELDSIZE, b.count)
                    ccurl_setopt_pointer(handle, CURLOPT_POSTFIELDS, UnsafeMutableRawPointer(mutating: b.baseAddress))
                    return curl_easy_perform(handle)
                }
            }
            return curl_easy_perform(handle)
        }
        // libcurl times the exchange itself.
        var micros: curl_off_t = 0
        ccurl_getinfo_off_t(handle, CURLINFO_TOTAL_TIME_T, &micros)
        let seconds = Double(micros) / 1e6
        guard code == CURLE_OK else {
            if exchange.aborted { throw HTTPError(message: "stopped", aborted: true) }
            if exchange.tooLarge { throw HTTPError(message: "\(request.method) \(request.url): the response is larger than \(maxResponseBytes >> 20) MiB") }
            var detail = String(decoding: errorBuffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if detail.isEmpty { detail = String(cString: curl_easy_strerror(code)) }
            let unreachable = [CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY, CURLE_COULDNT_CONNECT, CURLE_OPERATION_TIMEDOUT,
                               CURLE_SEND_ERROR, CURLE_RECV_ERROR, CURLE_GOT_NOTHING].contains(code)
            let neverSent = [CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY, CURLE_COULDNT_CONNECT].contains(code)
            throw HTTPError(message: "\(request.method) \(request.url) failed: \(detail)", unreachable: unreachable, mayHaveArrived: !neverSent)
        }
        var status = 0
        ccurl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        var location: UnsafeMutablePointer<CChar>?
        ccurl_getinfo_string(handle, CURLINFO_REDIRECT_URL, &location)
        return (HTTPResponse(status: status, body: exchange.body, seconds: seconds, headers: exchange.headers), location.map { String(cString: $0) })
    }
}
