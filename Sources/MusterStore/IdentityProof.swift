#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import MusterBasics
import MusterHTTP

/// Who made a request from another machine, proved to the session that
/// executes the run: the requester signs an STS `GetCallerIdentity` call
/// with their own credentials, binding it to this one request with a signed
/// `x-muster-request` header, and hands the signed headers over (not the
/// secret). The session sends that call to its own STS endpoint and reads
/// the ARN from AWS's answer. So the two-person rule compares identities
/// AWS vouches for, not what a request says: the operator, who may write to
/// the bucket too, cannot forge someone else's approval. (The method is the
/// one Vault's and EKS's IAM authentication use.)
///
/// libcurl signs requests it sends itself and cannot hand a signature to
/// another party, so this one signature is computed here (SigV4, with
/// MusterBasics' HMAC-SHA256 from swift-crypto); every request Muster sends is signed by libcurl.
public struct IdentityProof: Codable, Sendable, Equatable {
    /// `x-amz-date`, `Authorization` and the session token, as signed.
    public var amzDate: String
    public var authorization: String
    public var securityToken: String?

    enum CodingKeys: String, CodingKey { case amzDate = "amz_date", authorization, securityToken = "security_token" }

    public init(amzDate: String, authorization: String, securityToken: String?) {
        self.amzDate = amzDate
        self.authorization = authorization
        self.securityToken = securityToken
    }

    static let body = "Action=GetCallerIdentity&Version=2011-06-15"
    static let contentType = "application/x-www-form-urlencoded; charset=utf-8"

    /// Signs the call for `binding` (the run and request it proves) at `date`.
    public static func sign(binding: String, credentials c: AWSCredentials, region: String, stsEndpoint: String, date: Date = Date()) -> IdentityProof {
        let amzDate = Self.amzDate(date)
        let day = String(amzDate.prefix(8))
        let host = hostHeader(stsEndpoint)
        var headers: [(String, String)] = [("content-type", contentType), ("host", host), ("x-amz-date", amzDate), ("x-muster-request", binding)]
        if let t = c.sessionToken { headers.append(("x-amz-security-token", t)) }
        headers.sort { $0.0 < $1.0 }
        let signed = headers.map(\.0).joined(separator: ";")
        let canonical = ["POST", "/", "", headers.map { "\($0.0):\($0.1)\n" }.joined(), signed, SHA256Hash.hex(Array(body.utf8))].joined(separator: "\n")
        let scope = "\(day)/\(region)/sts/aws4_request"
        let toSign = ["AWS4-HMAC-SHA256", amzDate, scope, SHA256Hash.hex(Array(canonical.utf8))].joined(separator: "\n")
        var key = hmac(Array("AWS4\(c.secretAccessKey)".utf8), day)
        for part in [region, "sts", "aws4_request"] { key = hmac(key, part) }
        let signature = SHA256Hash.hexString(hmac(key, toSign))
        return IdentityProof(amzDate: amzDate, authorization: "AWS4-HMAC-SHA256 Credential=\(c.accessKeyID)/\(scope), SignedHeaders=\(signed), Signature=\(signature)",
                             securityToken: c.sessionToken)
    }

    /// The headers the verifier sends: what was signed, the binding it
    /// expects written by itself, never taken from the request.
    func headers(binding: String) -> [(name: String, value: String)] {
        var h: [(name: String, value: String)] = [("Content-Type", Self.contentType), ("X-Amz-Date", amzDate), ("X-Muster-Request", binding), ("Authorization", authorization)]
        if let t = securityToken { h.append(("X-Amz-Security-Token", t)) }
        return h
    }

    /// Whether each field has the shape SigV4 gives it. They come from
    /// another machine and become header values here: nothing else (a
    /// line break, another header) may ride along.
    var wellFormed: Bool {
        func all(_ s: String, _ ok: (Unicode.Scalar) -> Bool) -> Bool { !s.isEmpty && s.unicodeScalars.allSatisfy(ok) }
        let digits = all(amzDate) { ("0"..."9").contains($0) || $0 == "T" || $0 == "Z" } && amzDate.count == 16
        let auth = authorization.count <= 1024 && all(authorization) { ($0.value >= 0x20 && $0.value < 0x7f) && $0 != "\\" }
            && authorization.hasPrefix("AWS4-HMAC-SHA256 Credential=")
        let token = securityToken.map { $0.count <= 8192 && all($0) { ("A"..."Z").contains($0) || ("a"..."z").contains($0) || ("0"..."9").contains($0) || "+/=_-".unicodeScalars.contains($0) } } ?? true
        return digits && auth && token
    }

    /// Whether the signature covers the binding header at all (a proof signed
    /// without it would prove an identity for any request).
    var bindsRequest: Bool { authorization.contains("SignedHeaders=") && authorization.components(separatedBy: "SignedHeaders=").last?.split(separator: ",").first?.split(separator: ";").contains("x-muster-request") == true }

    /// The `Host` libcurl sends for `url`: its authority, without a port
    /// that is the scheme's default.
    static func hostHeader(_ url: String) -> String {
        let afterScheme = url.components(separatedBy: "://").dropFirst().first ?? url
        var authority = String(afterScheme.prefix { $0 != "/" && $0 != "?" && $0 != "#" })
        if let at = authority.lastIndex(of: "@") { authority = String(authority[authority.index(after: at)...]) }
        authority = authority.lowercased()
        if url.lowercased().hasPrefix("https://"), authority.hasSuffix(":443") { authority.removeLast(4) }
        if url.lowercased().hasPrefix("http://"), authority.hasSuffix(":80") { authority.removeLast(3) }
        return authority
    }

    /// `20261127T090000Z`, SigV4's `X-Amz-Date`.
    static func amzDate(_ date: Date) -> String { UTCTime.compact(date) }

    static func hmac(_ key: [UInt8], _ message: String) -> [UInt8] {
        SHA256Hash.hmac(key: key, message: Array(message.utf8))
    }
}

extension S3Store {
    /// A proof of who these credentials are, for `binding` only.
    public func identityProof(binding: String) throws(StoreError) -> IdentityProof {
        IdentityProof.sign(binding: binding, credentials: try credentials(), region: settings.region, stsEndpoint: settings.stsEndpoint)
    }

    /// Sends `proof` to this store's STS endpoint and returns whom AWS says
    /// signed it; refuses a proof that is not bound to `binding`.
    public func verify(_ proof: IdentityProof, binding: String) throws(StoreError) -> CallerIdentity {
        guard proof.wellFormed else { throw StoreError(.refused, "the identity proof is not a SigV4 signature") }
        guard proof.bindsRequest else { throw StoreError(.refused, "the identity proof does not cover this request") }
        let request = HTTPRequest(method: "POST", url: settings.stsEndpoint + "/", headers: proof.headers(binding: binding), body: Array(IdentityProof.body.utf8),
                                  connectTimeout: connectTimeout, timeout: timeout, maxRedirects: 0,
                                  confidentialHeaders: ["authorization", "x-amz-security-token"])
        let r: HTTPResponse
        do { r = try http.perform(request) } catch {
            throw StoreError(error.unreachable ? .unreachable : .failed, "STS at \(settings.stsEndpoint) could not check an identity: \(error.message)")
        }
        guard r.status == 200, let result = XMLElement.parse(r.body)?.child("GetCallerIdentityResult"), let arn = result.value("Arn"), !arn.isEmpty else {
            let code = XMLElement.parse(r.body)?.value("Code") ?? XMLElement.parse(r.body)?.child("Error")?.value("Code") ?? "HTTP \(r.status)"
            throw StoreError(.refused, "STS did not accept the identity proof (\(code))")
        }
        return CallerIdentity(arn: arn, account: result.value("Account") ?? "", userID: result.value("UserId") ?? "")
    }
}
