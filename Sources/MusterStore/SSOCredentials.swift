#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import MusterBasics
import MusterHTTP

/// IAM Identity Center (SSO): the access token `aws sso login` cached in
/// `~/.aws/sso/cache/SHA1.json` (SHA-1 of the `sso_session` name, or of
/// the legacy profile's `sso_start_url`), exchanged at the access portal's
/// GetRoleCredentials for the profile's account and role. The token is
/// sent as `x-amz-sso_bearer_token` and never shown. An expired token is
/// not refreshed here: the message says to log in again.
struct SSOCredentials: Sendable {
    var cacheFile: String
    var accountID: String
    var roleName: String
    /// The portal's base URL: `AWS_ENDPOINT_URL_SSO`, else
    /// `https://portal.sso.REGION.amazonaws.com` (never `AWS_ENDPOINT_URL`,
    /// which names the store: the token must not go there).
    var portal: String
    var profile: String

    func fetch() throws(StoreError) -> AWSCredentials {
        let what = "IAM Identity Center (profile \(profile))"
        let login = "run `aws sso login --profile \(profile)`"
        guard let data = FileManager.default.contents(atPath: cacheFile),
              let json = try? JSONDecoder().decode(CachedLogin.self, from: data),
              let token = json.accessToken, !token.isEmpty else {
            throw StoreError(.configuration, "\(what): no cached sign-in at \(StorePath.quote(cacheFile)): \(login)")
        }
        let expires = json.expiresAt.map { $0.hasSuffix("UTC") ? String($0.dropLast(3)) + "Z" : $0 }.flatMap(CredentialProcess.parseTime)
        if let expires, expires.timeIntervalSinceNow <= 0 {
            throw StoreError(.configuration, "\(what): the sign-in expired at \(UTCTime.format(expires)): \(login)")
        }
        guard !token.contains(where: { $0 == "\r" || $0 == "\n" }) else { throw StoreError(.configuration, "\(what): the cached token holds a line break") }
        let url = portal + "/federation/credentials?account_id=\(S3Store.encode(accountID, keepSlash: false))&role_name=\(S3Store.encode(roleName, keepSlash: false))"
        let request = HTTPRequest(method: "GET", url: url, headers: [("x-amz-sso_bearer_token", token)], connectTimeout: 3, timeout: 15,
                                  maxRedirects: 0, confidentialHeaders: ["x-amz-sso_bearer_token"])
        let r: HTTPResponse
        do { r = try HTTPClient().perform(request) } catch {
            throw StoreError(error.unreachable ? .unreachable : .failed, "\(what): the access portal \(portal) did not answer: \(error.message)")
        }
        guard r.status == 200, let body = try? JSONDecoder().decode(PortalAnswer.self, from: Data(r.body)),
              let c = body.roleCredentials,
              let key = c.accessKeyId, !key.isEmpty, let secret = c.secretAccessKey, !secret.isEmpty else {
            let refused = r.status == 401 || r.status == 403
            throw StoreError(refused ? .refused : .failed, "\(what): the access portal answered HTTP \(r.status) for account \(accountID), role \(roleName)" + (refused ? ": \(login)" : ""))
        }
        let expiration = c.expiration.map { $0 / 1000 }
        return AWSCredentials(accessKeyID: key, secretAccessKey: secret, sessionToken: c.sessionToken.flatMap { $0.isEmpty ? nil : $0 },
                              expiration: expiration, source: "\(what), role \(roleName) in account \(accountID)")
    }

    /// The cache file `aws sso login` writes (the AWS CLI's names).
    private struct CachedLogin: Decodable {
        var accessToken: String?
        var expiresAt: String?
    }

    /// GetRoleCredentials' answer; `expiration` in milliseconds.
    private struct PortalAnswer: Decodable {
        struct Credentials: Decodable {
            var accessKeyId: String?
            var secretAccessKey: String?
            var sessionToken: String?
            var expiration: Double?
        }
        var roleCredentials: Credentials?
    }

    /// SHA-1, hex: only the cache file's name, as botocore derives it.
    static func sha1Hex(_ text: String) -> String {
        var message = Array(text.utf8)
        let bitLength = UInt64(message.count) * 8
        message.append(0x80)
        while message.count % 64 != 56 { message.append(0) }
        for i in (0..<8).reversed() { message.append(UInt8(truncatingIfNeeded: bitLength >> (UInt64(i) * 8))) }
        var h: [UInt32] = [0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0]
        for chunk in stride(from: 0, to: message.count, by: 64) {
            var w = [UInt32](repeating: 0, count: 80)
            for i in 0..<16 {
                let b = chunk + i * 4
                w[i] = UInt32(message[b]) << 24 | UInt32(message[b + 1]) << 16 | UInt32(message[b + 2]) << 8 | UInt32(message[b + 3])
            }
            for i in 16..<80 { let x = w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16]; w[i] = x << 1 | x >> 31 }
            var (a, b, c, d, e) = (h[0], h[1], h[2], h[3], h[4])
            for i in 0..<80 {
                let (f, k): (UInt32, UInt32) = switch i {
                case 0..<20: ((b & c) | (~b & d), 0x5A827999)
                case 20..<40: (b ^ c ^ d, 0x6ED9EBA1)
                case 40..<60: ((b & c) | (b & d) | (c & d), 0x8F1BBCDC)
                default: (b ^ c ^ d, 0xCA62C1D6)
                }
                let t = (a << 5 | a >> 27) &+ f &+ e &+ k &+ w[i]
                (e, d, c, b, a) = (d, c, b << 30 | b >> 2, a, t)
            }
            h[0] &+= a; h[1] &+= b; h[2] &+= c; h[3] &+= d; h[4] &+= e
        }
        return h.map { String($0, radix: 16).leftPadded(8) }.joined()
    }
}
