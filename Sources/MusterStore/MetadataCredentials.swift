#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import MusterHTTP

/// ECS task roles and EKS Pod Identity: a GET to the agent's address,
/// answered with the credentials as JSON. The address is
/// `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` on 169.254.170.2, or
/// `AWS_CONTAINER_CREDENTIALS_FULL_URI`, which over plain http must be a
/// loopback or the ECS/EKS agent's own address (as the SDKs require: the
/// authorization token must not go to any host on the network).
struct ContainerEndpoint: Sendable {
    var url: String
    var token: String?
    var tokenFile: String?

    static let agentHosts: Set<String> = ["169.254.170.2", "169.254.170.23", "[fd00:ec2::23]", "localhost", "[::1]"]

    static func allowed(_ url: String) -> Bool {
        if url.hasPrefix("https://") { return true }
        guard url.hasPrefix("http://") else { return false }
        let authority = url.dropFirst(7).prefix { $0 != "/" && $0 != "?" }
        let host = authority.hasPrefix("[") ? String(authority.prefix { $0 != "]" }) + "]" : String(authority.prefix { $0 != ":" })
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        let loopback = parts.count == 4 && parts[0] == "127" && parts.allSatisfy { UInt8($0) != nil }
        return agentHosts.contains(host.lowercased()) || loopback
    }

    func fetch() throws(StoreError) -> AWSCredentials {
        let what = "the container credentials endpoint \(url)"
        var headers: [(name: String, value: String)] = []
        var secret = token
        if let tokenFile {
            // Read at every refresh: EKS rotates the Pod Identity token.
            guard let data = FileManager.default.contents(atPath: tokenFile) else {
                throw StoreError(.configuration, "\(what): AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE \(StorePath.quote(tokenFile)) cannot be read")
            }
            secret = String(decoding: data, as: UTF8.self).trimmingWhitespaceAndNewlines()
        }
        if let secret {
            guard !secret.contains(where: { $0 == "\r" || $0 == "\n" }) else {
                throw StoreError(.configuration, "\(what): the authorization token holds a line break")
            }
            headers.append(("Authorization", secret))
        }
        let r = try MetadataHTTP.get(url, headers: headers, what: what)
        return try MetadataHTTP.credentials(r.body, what: what)
    }
}

/// EC2 instance profiles through IMDSv2: a session token first (PUT, with
/// its lifetime), then the role's name and its credentials, each GET
/// carrying the token. A service that refuses the PUT (403, 404, 405: IMDSv1
/// only), or whose answer to it never comes (the hop limit), is asked
/// without a token, as the SDKs do.
enum InstanceMetadata {
    static let defaultEndpoint = "http://169.254.169.254"

    static func fetch(endpoint: String, lastResort: Bool, why: String, v1Disabled: Bool = false) throws(StoreError) -> AWSCredentials {
        let what = "the EC2 instance metadata service at \(endpoint)"
        do throws(StoreError) {
            let client: HTTPClient
            do { client = try HTTPClient() } catch { throw StoreError(.failed, error.message) }
            let put = HTTPRequest(method: "PUT", url: endpoint + "/latest/api/token", headers: [("X-aws-ec2-metadata-token-ttl-seconds", "21600")],
                                  body: [], connectTimeout: 1, timeout: 2, maxRedirects: 0)
            var headers: [(name: String, value: String)] = []
            var answer: HTTPResponse?
            var hopLimited = false
            do { answer = try client.perform(put) } catch {
                // Connected, asked, no answer: the PUT's answer is dropped
                // past its hop limit (1 by default: a container on the
                // instance), and the SDKs then ask IMDSv1-style.
                guard error.mayHaveArrived, !error.message.contains("onnect") else {
                    throw StoreError(.unreachable, "\(what) did not answer: \(error.message)")
                }
                hopLimited = true
            }
            if let answer, answer.status == 200 {
                let token = answer.text.trimmingWhitespaceAndNewlines()
                guard !token.isEmpty, !token.contains(where: { $0 == "\r" || $0 == "\n" }) else {
                    throw StoreError(.failed, "\(what) answered the token request without a usable token")
                }
                headers.append(("X-aws-ec2-metadata-token", token))
            } else if let answer, ![403, 404, 405].contains(answer.status) {
                throw StoreError(.failed, "\(what) answered the token request with HTTP \(answer.status)")
            } else if v1Disabled {
                throw StoreError(.failed, "\(what) gave no IMDSv2 token (" + (answer.map { "HTTP \($0.status)" } ?? "its answer never came: a hop limit of 1 seen from a container?")
                                 + ") and AWS_EC2_METADATA_V1_DISABLED forbids asking without one")
            }
            let base = endpoint + "/latest/meta-data/iam/security-credentials/"
            let roles: HTTPResponse
            do { roles = try MetadataHTTP.get(base, headers: headers, what: what, client: client) } catch {
                guard hopLimited else { throw error }
                throw StoreError(error.kind, "\(error.message), and its IMDSv2 token never came back (the instance's metadata hop limit may be 1 while muster runs in a container: raise it to 2)")
            }
            guard let role = roles.text.split(whereSeparator: \.isNewline).first.map(String.init)?.trimmingWhitespace(), !role.isEmpty,
                  role.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "+=,.@_-".contains($0)) }) else {
                throw StoreError(.configuration, "\(what) names no IAM role: the instance has no instance profile")
            }
            let r = try MetadataHTTP.get(base + role, headers: headers, what: what, client: client)
            var c = try MetadataHTTP.credentials(r.body, what: "\(what) (role \(role))")
            c.source = "EC2 instance metadata (role \(role))"
            return c
        } catch {
            guard lastResort else { throw error }
            throw StoreError(.configuration, "\(why) (\(error.message); AWS_EC2_METADATA_DISABLED=true skips it)")
        }
    }
}

enum MetadataHTTP {
    static func get(_ url: String, headers: [(name: String, value: String)], what: String, client: HTTPClient? = nil) throws(StoreError) -> HTTPResponse {
        let request = HTTPRequest(method: "GET", url: url, headers: headers, connectTimeout: 1, timeout: 5, maxRedirects: 0,
                                  confidentialHeaders: ["x-aws-ec2-metadata-token"])
        let http: HTTPClient
        if let client { http = client } else {
            do { http = try HTTPClient() } catch { throw StoreError(.failed, error.message) }
        }
        let r: HTTPResponse
        do { r = try http.perform(request) } catch {
            throw StoreError(error.unreachable ? .unreachable : .failed, "\(what) did not answer: \(error.message)")
        }
        guard r.status == 200 else {
            throw StoreError(r.status == 401 || r.status == 403 ? .refused : .failed, "\(what) answered HTTP \(r.status)")
        }
        return r
    }

    /// The JSON both services answer: `AccessKeyId`, `SecretAccessKey`,
    /// `Token`, `Expiration` (and IMDS's `Code`, `Success` when all is well).
    static func credentials(_ body: [UInt8], what: String) throws(StoreError) -> AWSCredentials {
        let json = try? JSONDecoder().decode(Answer.self, from: Data(body))
        guard let json, let key = json.AccessKeyId, !key.isEmpty,
              let secret = json.SecretAccessKey, !secret.isEmpty,
              json.Code.map({ $0 == "Success" }) ?? true else {
            let code = json?.Code
            throw StoreError(.configuration, "\(what) did not answer credentials as JSON with AccessKeyId and SecretAccessKey" + (code.map { " (Code \(S3Store.clean($0)))" } ?? "") + " (its answer is not shown: it may hold secrets)")
        }
        let expiration = json.Expiration.flatMap(CredentialProcess.parseTime)?.timeIntervalSince1970
        return AWSCredentials(accessKeyID: key, secretAccessKey: secret, sessionToken: json.Token.flatMap { $0.isEmpty ? nil : $0 }, expiration: expiration, source: what)
    }

    /// What both services answer (their names).
    private struct Answer: Decodable {
        var AccessKeyId: String?
        var SecretAccessKey: String?
        var Token: String?
        var Expiration: String?
        var Code: String?
    }
}
