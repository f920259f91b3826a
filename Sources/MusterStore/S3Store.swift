#if canImport(Glibc)
@preconcurrency import Glibc
#endif
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import MusterBasics
import MusterHTTP

/// The few S3 and STS calls a shared run needs, signed by libcurl
/// (`CURLOPT_AWS_SIGV4`) through MusterHTTP's client: no AWS SDK.
///
/// One store per thread (it owns a libcurl handle); two machines are two
/// stores. Keys are whole object keys in the bucket; `path.key(_:)` puts
/// one under the prefix.
public final class S3Store {
    public let path: StorePath
    public let settings: StoreSettings
    /// Limits for connecting (short: an unreachable store is said fast) and
    /// for a whole exchange.
    public var connectTimeout: Double = 3
    public var timeout: Double = 30
    /// Told about once a second, from 2 s on, how long the store has kept
    /// this session waiting (one operation: a put, its read-back and its
    /// retries count as one wait), so that a slow store is never a silent
    /// screen.
    public var onWait: ((Double) -> Void)?
    /// True once the session is stopping (SIGTERM, SIGHUP, SIGQUIT): from
    /// then on the store gets `stopGrace` seconds in all, then every
    /// exchange is abandoned, so a stalled store cannot hold a stop.
    public var stopping: () -> Bool = { false }
    public static let stopGrace = 5.0
    /// True once nobody waits for this store's answers any more (a session's
    /// watch at its end): every exchange is abandoned at once, so the
    /// process never exits with a request still inside libcurl, whose TLS
    /// library is torn down at exit under it.
    public var abandoned: () -> Bool = { false }
    /// When `stopping` was first seen true (monotonic seconds).
    private var stopSeen: Double?
    /// The start of the operation under way, for `onWait`.
    private var waitStart: Double?
    /// A listing is followed for at most this many pages (10,000 pages of
    /// 1,000 keys: ten million keys, far beyond any run's), so a store that
    /// never says "last page" ends in an error, not a loop.
    public var maxListPages = 10_000
    /// Who the credentials are, once GetCallerIdentity answered.
    public private(set) var identity: CallerIdentity?
    let http: HTTPClient
    private var cached: AWSCredentials?

    public init(path: StorePath, settings: StoreSettings) throws(StoreError) {
        self.path = path
        self.settings = settings
        do { http = try HTTPClient() } catch { throw StoreError(.failed, error.message) }
    }

    public enum PutOutcome: Sendable, Equatable {
        /// The key holds `bytes`, put there by this call.
        case created
        /// 412 PreconditionFailed: the key holds other bytes already.
        case alreadyExists
        /// 409 ConditionalRequestConflict: another conditional write of the
        /// same key is in flight; ask again to learn who won.
        case conflict
    }

    /// A put whose answer was lost is tried again this many times when the
    /// key turns out to hold nothing.
    static let unknownRetries = 3

    /// PutObject with `If-None-Match: *`: writes `bytes` only if `key` holds
    /// nothing; a key holding these very bytes already counts as written
    /// (the put is idempotent). A put whose answer was lost (a timeout, a
    /// connection cut after sending, a 5xx) may have been done: the key is
    /// read back, and the same bytes there are this put's (`.created`), other bytes
    /// another writer's (`.alreadyExists`), nothing means put again. When
    /// even the read-back gets no answer, the error says `outcomeUnknown`:
    /// the object may be there or not.
    public func putIfAbsent(_ key: String, _ bytes: [UInt8], contentType: String = "application/octet-stream") throws(StoreError) -> PutOutcome {
        try operation { () throws(StoreError) -> PutOutcome in
            var tries = 0
            while true {
                let r: HTTPResponse
                do throws(StoreError) {
                    r = try send("PutObject", key: key, method: "PUT", url: objectURL(key), headers: [("If-None-Match", "*"), ("Content-Type", contentType)], body: bytes, accept: [200, 409, 412])
                } catch {
                    guard error.outcomeUnknown else { throw error }
                    let lost = error
                    let there: [UInt8]?
                    do throws(StoreError) { there = try get(key) } catch {
                        var e = lost
                        e.message += "; whether \(StorePath.quote(key)) was written is unknown (reading it back failed too: \(error.message))"
                        throw e
                    }
                    if let there { return there == bytes ? .created : .alreadyExists }
                    tries += 1
                    guard tries <= Self.unknownRetries else { throw lost }
                    continue
                }
                switch r.status {
                case 412:
                    // After a 5xx asked again, the 412 may answer this put's
                    // own first try: the bytes say whose object it is.
                    return try get(key) == bytes ? .created : .alreadyExists
                case 409:
                    guard errorCode(r) == "ConditionalRequestConflict" else { throw failure("PutObject", key: key, r) }
                    return .conflict
                default: return .created
                }
            }
        }
    }

    /// Runs `body` as one operation: the waiting said by `onWait` counts
    /// from its start, whatever exchanges it makes.
    public func operation<T>(_ body: () throws(StoreError) -> T) throws(StoreError) -> T {
        guard waitStart == nil else { return try body() }
        waitStart = monotonicNow()
        defer { waitStart = nil }
        return try body()
    }

    /// PutObject, unconditional: for what only its writer writes (a
    /// session's heartbeat), never for events.
    public func put(_ key: String, _ bytes: [UInt8], contentType: String = "application/octet-stream") throws(StoreError) {
        _ = try send("PutObject", key: key, method: "PUT", url: objectURL(key), headers: [("Content-Type", contentType)], body: bytes, accept: [200])
    }

    /// DeleteObject (204 whether or not the key existed): for a request its
    /// maker withdraws, never for events.
    public func delete(_ key: String) throws(StoreError) {
        _ = try send("DeleteObject", key: key, method: "DELETE", url: objectURL(key), accept: [200, 204])
    }

    /// GetObject: the object's bytes, or nil when there is no such key.
    public func get(_ key: String) throws(StoreError) -> [UInt8]? {
        let r = try operation { () throws(StoreError) -> HTTPResponse in try send("GetObject", key: key, method: "GET", url: objectURL(key), accept: [200, 404]) }
        if r.status == 404 {
            guard errorCode(r) == "NoSuchKey" else { throw failure("GetObject", key: key, r) }
            return nil
        }
        return r.body
    }

    public struct ListPage: Sendable, Equatable {
        public var keys: [String] = []
        /// With a delimiter: the key prefixes up to it (`runs/ID/`).
        public var commonPrefixes: [String] = []
        /// Each key's `LastModified` as the store wrote it, by the store's
        /// clock (the same order as `keys`; "" where it sent none).
        public var lastModified: [String] = []
        /// The continuation token of the next page, nil on the last.
        public var next: String?
    }

    /// One page of ListObjectsV2, keys in UTF-8 binary order.
    public func listPage(prefix: String, delimiter: String? = nil, startAfter: String? = nil, continuation: String? = nil, maxKeys: Int? = nil) throws(StoreError) -> ListPage {
        // Sorted by name: libcurl signs the query as written.
        var query: [(String, String)] = [("list-type", "2"), ("encoding-type", "url"), ("prefix", prefix)]
        if let continuation { query.append(("continuation-token", continuation)) }
        if let delimiter { query.append(("delimiter", delimiter)) }
        if let maxKeys { query.append(("max-keys", String(maxKeys))) }
        if let startAfter { query.append(("start-after", startAfter)) }
        let q = query.sorted { $0.0 < $1.0 }.map { "\($0.0)=\(Self.encode($0.1, keepSlash: false))" }.joined(separator: "&")
        let r = try send("ListObjectsV2", key: prefix, method: "GET", url: bucketURL() + "?" + q, accept: [200])
        guard let xml = XMLElement.parse(r.body), xml.name == "ListBucketResult" else {
            throw StoreError(.failed, "the store's answer to ListObjectsV2 on bucket \(path.bucket) is not the XML S3 sends")
        }
        let urlEncoded = xml.value("EncodingType") == "url"
        let decode = { (s: String) -> String in urlEncoded ? Self.decode(s) : s }
        var page = ListPage()
        let contents = xml.all("Contents").filter { $0.value("Key") != nil }
        page.keys = contents.compactMap { $0.value("Key") }.map(decode)
        page.lastModified = contents.map { $0.value("LastModified") ?? "" }
        page.commonPrefixes = xml.all("CommonPrefixes").compactMap { $0.value("Prefix") }.map(decode)
        if xml.value("IsTruncated") == "true" {
            guard let token = xml.value("NextContinuationToken"), !token.isEmpty else {
                throw StoreError(.failed, "the store said its list of bucket \(path.bucket) goes on but gave no continuation token")
            }
            page.next = token
        }
        return page
    }

    /// All pages of ListObjectsV2 under `prefix`, followed to the end.
    /// A token seen before, or more than `maxListPages` pages, is an error:
    /// a store that sends A, B, A, B… would otherwise be listed for ever.
    public func list(prefix: String, delimiter: String? = nil, startAfter: String? = nil, pageSize: Int? = nil) throws(StoreError) -> ListPage {
        try operation { () throws(StoreError) -> ListPage in
            var all = ListPage()
            var token: String?
            var seen: Set<String> = []
            var pages = 0
            repeat {
                let page = try listPage(prefix: prefix, delimiter: delimiter, startAfter: startAfter, continuation: token, maxKeys: pageSize)
                pages += 1
                all.keys += page.keys
                all.lastModified += page.lastModified
                all.commonPrefixes += page.commonPrefixes
                if let next = page.next {
                    guard seen.insert(next).inserted else {
                        throw StoreError(.failed, "the store gave a continuation token it had given before (after \(pages) pages) while listing \(StorePath.quote(prefix)) on bucket \(path.bucket): its listing goes round in a circle, so it was not followed further")
                    }
                    guard pages < maxListPages else {
                        throw StoreError(.failed, "the store's listing of \(StorePath.quote(prefix)) on bucket \(path.bucket) goes on past \(maxListPages) pages; it was not followed further")
                    }
                }
                token = page.next
            } while token != nil
            return all
        }
    }

    /// HeadBucket: returns when the bucket exists and these credentials may use it.
    public func headBucket() throws(StoreError) {
        _ = try send("HeadBucket", key: nil, method: "HEAD", url: bucketURL(), accept: [200])
    }

    /// STS GetCallerIdentity: who the credentials are (no permission needed).
    @discardableResult
    public func callerIdentity() throws(StoreError) -> CallerIdentity {
        let body = Array("Action=GetCallerIdentity&Version=2011-06-15".utf8)
        let r = try send("GetCallerIdentity", key: nil, method: "POST", url: settings.stsEndpoint + "/", service: "sts",
                         headers: [("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")], body: body, accept: [200])
        guard let result = XMLElement.parse(r.body)?.child("GetCallerIdentityResult"), let arn = result.value("Arn"), !arn.isEmpty else {
            throw StoreError(.failed, "the answer of \(settings.stsEndpoint) to GetCallerIdentity holds no ARN")
        }
        let who = CallerIdentity(arn: arn, account: result.value("Account") ?? "", userID: result.value("UserId") ?? "")
        identity = who
        return who
    }

    // MARK: - Addresses

    /// Path-style with an endpoint (or when asked, or when the bucket has a
    /// dot), virtual-hosted on AWS.
    func bucketURL() -> String {
        let base = settings.endpoint ?? "https://\(settings.aws.s3Host)"
        if settings.pathStyle || settings.endpoint != nil || path.bucket.contains(".") { return "\(base)/\(path.bucket)" }
        return "https://\(path.bucket).\(settings.aws.s3Host)"
    }

    func objectURL(_ key: String) -> String { bucketURL() + "/" + Self.encode(key, keepSlash: true) }

    /// SigV4's URI encoding: every byte but `A-Z a-z 0-9 - _ . ~` (and `/`
    /// in a key's path) as `%XX`, uppercase. libcurl signs the path as
    /// written, so this is both what is sent and what is signed.
    public static func encode(_ text: String, keepSlash: Bool) -> String {
        var out = ""
        for byte in text.utf8 {
            let c = Character(Unicode.Scalar(byte))
            if byte < 0x80, c.isLetter || c.isNumber || "-_.~".contains(c) || (keepSlash && c == "/") {
                out.append(c)
            } else {
                out += "%" + String(byte, radix: 16, uppercase: true).leftPadded(2)
            }
        }
        return out
    }

    /// S3's `encoding-type=url` (spaces may come as `+`, as botocore reads it).
    static func decode(_ text: String) -> String {
        var bytes: [UInt8] = []
        var it = Array(text.utf8)[...]
        while let b = it.popFirst() {
            if b == UInt8(ascii: "+") {
                bytes.append(0x20)
            } else if b == UInt8(ascii: "%"), it.count >= 2, let v = UInt8(String(decoding: it.prefix(2), as: UTF8.self), radix: 16) {
                bytes.append(v)
                it = it.dropFirst(2)
            } else {
                bytes.append(b)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    // MARK: - Exchanges

    /// The store's credentials as far as they are known now (read from the
    /// environment and files, or the last a `credential_process` printed):
    /// values to mask in what steps print.
    public func credentialValues() -> [String] {
        var values = settings.credentialValues
        if let c = cached { values += [c.accessKeyID, c.secretAccessKey] + (c.sessionToken.map { [$0] } ?? []) }
        return Array(Set(values)).sorted()
    }

    /// The credentials, fetched again 5 minutes before they expire (the
    /// SDKs' margin), so no request is signed with keys about to lapse.
    func credentials() throws(StoreError) -> AWSCredentials {
        if let cached, cached.expiration.map({ $0 - 300 > Date().timeIntervalSince1970 }) ?? true { return cached }
        let fresh = try settings.credentials()
        cached = fresh
        return fresh
    }

    /// One signed exchange; an answer not in `accept` becomes the error it
    /// says. 500, 503 (S3's SlowDown) and a connection that was never made
    /// are asked again as the SDKs do (RetryPolicy).
    private func send(_ operation: String, key: String?, method: String, url: String, service: String = "s3",
                      headers: [(name: String, value: String)] = [], body: [UInt8]? = nil, accept: Set<Int>) throws(StoreError) -> HTTPResponse {
        let creds = try credentials()
        var all = headers
        all.append(("x-amz-content-sha256", SHA256Hash.hex(body ?? [])))
        if let token = creds.sessionToken { all.append(("x-amz-security-token", token)) }
        let request = HTTPRequest(method: method, url: url, headers: all, body: body, connectTimeout: connectTimeout, timeout: timeout,
                                  maxRedirects: 0, confidentialHeaders: ["x-amz-security-token"],
                                  awsSigning: AWSSigning(scope: "aws:amz:\(settings.region):\(service)", accessKeyID: creds.accessKeyID, secretAccessKey: creds.secretAccessKey))
        var attempt = 0
        let started = waitStart ?? monotonicNow()
        let sendStarted = monotonicNow()
        let retry = RetryPolicy(budget: timeout)
        while true {
            let response: HTTPResponse
            if stopOver() {
                throw StoreError(.unreachable, "the session is stopping and the store did not answer within \(Int(Self.stopGrace)) s, so \(operation) on bucket \(path.bucket) was not sent")
            }
            do {
                response = try http.perform(request) { [self] in
                    let waited = monotonicNow() - started
                    if waited >= 2 { onWait?(waited) }
                    return stopOver()
                }
            } catch {
                let host = HTTPClient.origin(url) ?? url
                // Never sent: asking again cannot do anything twice.
                if error.unreachable, !error.aborted, !error.mayHaveArrived, !stopOver(),
                   let pause = retry.next(attempt: attempt, connectionError: true, elapsed: monotonicNow() - sendStarted) {
                    attempt += 1
                    sleep(pause)
                    continue
                }
                var e: StoreError
                if error.aborted {
                    e = StoreError(.unreachable, "the session is stopping and the store at \(host) did not answer \(operation) on bucket \(path.bucket) within \(Int(Self.stopGrace)) s")
                } else if error.unreachable {
                    e = StoreError(.unreachable, "the store at \(host) cannot be reached (\(operation) on bucket \(path.bucket)): \(Self.detail(error.message))")
                } else {
                    e = StoreError(.failed, "\(operation) on bucket \(path.bucket) failed: \(Self.detail(error.message))")
                }
                e.outcomeUnknown = error.mayHaveArrived
                throw e
            }
            if ["PutObject", "HeadBucket"].contains(operation), let header = Self.ignoresConditionalWrites(response) {
                throw StoreError(.configuration, "the store at \(HTTPClient.origin(url) ?? url) answers as Google Cloud Storage (\(header)), whose XML API ignores If-None-Match on PUT: two machines could overwrite each other's events, so it cannot be a shared store (docs/shared-store.md lists the stores that can)")
            }
            if accept.contains(response.status) { return response }
            if RetryPolicy.retryable(status: response.status, code: errorCode(response)), !stopOver(),
               let pause = retry.next(attempt: attempt, connectionError: false, elapsed: monotonicNow() - sendStarted) {
                attempt += 1
                sleep(pause)
                continue
            }
            var e = failure(operation, key: key, response, creds: creds, service: service)
            // A server error may come after the server did the work.
            e.outcomeUnknown = response.status >= 500
            throw e
        }
    }

    /// The pause between tries, cut short by a stop.
    private func sleep(_ seconds: Double) {
        let end = monotonicNow() + seconds
        while monotonicNow() < end, !stopping(), !abandoned() { usleep(UInt32(min(max(end - monotonicNow(), 0), 0.05) * 1_000_000)) }
    }

    /// The header that gives Google Cloud Storage away (`x-goog-generation`,
    /// `x-guploader-uploadid`): it takes S3's PUT but not its condition, so
    /// a store answering so is refused before (or at) the first event.
    static func ignoresConditionalWrites(_ r: HTTPResponse) -> String? {
        r.headers.first { $0.name.lowercased().hasPrefix("x-goog-") || $0.name.lowercased().hasPrefix("x-guploader-") }?.name.lowercased()
    }

    /// True once the session has been stopping for `stopGrace` seconds.
    private func stopOver() -> Bool {
        if abandoned() { return true }
        guard stopping() else { return false }
        let now = monotonicNow()
        if stopSeen == nil { stopSeen = now }
        return now - (stopSeen ?? now) >= Self.stopGrace
    }

    private func monotonicNow() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    /// libcurl's words after the URL (`Failed to connect to … Connection refused`).
    private static func detail(_ message: String) -> String {
        message.firstRange(of: " failed: ").map { String(message[$0.upperBound...]) } ?? message
    }
}

/// The caller's identity as STS says it: the ARN is what the two-person
/// rule compares across machines.
public struct CallerIdentity: Sendable, Equatable, CustomStringConvertible {
    public var arn: String
    public var account: String
    public var userID: String

    public init(arn: String, account: String, userID: String) {
        self.arn = arn
        self.account = account
        self.userID = userID
    }

    /// The ARN's last part: `alice` of `…:user/alice`, `bob` of
    /// `…:assumed-role/oncall/bob`.
    public var name: String { String(arn.split(separator: "/").last ?? Substring(arn)) }
    public var description: String { arn }
}

extension String {
    func leftPadded(_ width: Int) -> String { count >= width ? self : String(repeating: "0", count: width - count) + self }
}
