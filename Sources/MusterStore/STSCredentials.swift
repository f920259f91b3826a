#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import MusterBasics
import MusterHTTP

/// Temporary credentials from STS: AssumeRoleWithWebIdentity (IRSA, any
/// OIDC token; unsigned, the token is the proof) and AssumeRole (signed
/// with the source profile's credentials). The token travels in the POST
/// body, never in an address, an argument or a message.
struct WebIdentity: Sendable {
    var tokenFile: String
    var roleARN: String
    var sessionName: String
    var stsEndpoint: String
    var region: String

    func fetch() throws(StoreError) -> AWSCredentials {
        let what = "web identity (AWS_WEB_IDENTITY_TOKEN_FILE, role \(roleARN))"
        guard let data = FileManager.default.contents(atPath: tokenFile) else {
            throw StoreError(.configuration, "\(what): the token file \(StorePath.quote(tokenFile)) cannot be read")
        }
        // Read at every refresh: Kubernetes rotates the projected token.
        let token = String(decoding: data, as: UTF8.self).trimmingWhitespaceAndNewlines()
        guard !token.isEmpty else { throw StoreError(.configuration, "\(what): the token file \(StorePath.quote(tokenFile)) is empty") }
        let params = [("Action", "AssumeRoleWithWebIdentity"), ("RoleArn", roleARN), ("RoleSessionName", sessionName),
                      ("Version", "2011-06-15"), ("WebIdentityToken", token)]
        return try STSCall.credentials(params, result: "AssumeRoleWithWebIdentityResult", endpoint: stsEndpoint, signing: nil,
                                       sessionToken: nil, what: what, secret: token)
    }
}

struct AssumeRole: Sendable {
    var roleARN: String
    var sessionName: String
    var externalID: String?
    var durationSeconds: Int?
    /// The profile that names the role, for messages.
    var profile: String
    var stsEndpoint: String
    var region: String
    /// The profile's `mfa_serial`, and who asks the person for its code.
    var mfaSerial: String?
    var mfaCode: MFAPrompt?

    func fetch(with source: AWSCredentials) throws(StoreError) -> AWSCredentials {
        var params = [("Action", "AssumeRole"), ("RoleArn", roleARN), ("RoleSessionName", sessionName), ("Version", "2011-06-15")]
        if let externalID { params.append(("ExternalId", externalID)) }
        if let durationSeconds { params.append(("DurationSeconds", String(durationSeconds))) }
        if let mfaSerial {
            guard let code = mfaCode?(mfaSerial, profile) else {
                throw StoreError(.configuration, "assuming role \(roleARN) (\(profile)) needs a code of MFA device \(mfaSerial) (mfa_serial), which muster asks for only on a terminal and only at the start: run it there; duration_seconds should cover the longest run")
            }
            guard code.count == 6, code.allSatisfy(\.isASCII), code.allSatisfy(\.isNumber) else {
                throw StoreError(.configuration, "the MFA code for \(mfaSerial) must be six digits")
            }
            params += [("SerialNumber", mfaSerial), ("TokenCode", code)]
        }
        let signing = AWSSigning(scope: "aws:amz:\(region):sts", accessKeyID: source.accessKeyID, secretAccessKey: source.secretAccessKey)
        return try STSCall.credentials(params.sorted { $0.0 < $1.0 }, result: "AssumeRoleResult", endpoint: stsEndpoint, signing: signing,
                                       sessionToken: source.sessionToken, what: "assuming role \(roleARN) (profile \(profile), with \(source.source))",
                                       secret: nil)
    }
}

/// Asks the person at the terminal for the current code of an MFA device
/// (`mfa_serial`, the profile): nil when nobody can be asked.
public typealias MFAPrompt = @Sendable (_ serial: String, _ profile: String) -> String?

enum STSCall {
    /// POSTs a form to STS and reads the `Credentials` of `result`.
    static func credentials(_ params: [(String, String)], result: String, endpoint: String, signing: AWSSigning?,
                            sessionToken: String?, what: String, secret: String?) throws(StoreError) -> AWSCredentials {
        let body = params.map { "\($0.0)=\(S3Store.encode($0.1, keepSlash: false))" }.joined(separator: "&")
        var headers: [(name: String, value: String)] = [("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")]
        if let sessionToken { headers.append(("X-Amz-Security-Token", sessionToken)) }
        if signing != nil { headers.append(("x-amz-content-sha256", SHA256Hash.hex(Array(body.utf8)))) }
        let request = HTTPRequest(method: "POST", url: endpoint + "/", headers: headers, body: Array(body.utf8), connectTimeout: 3, timeout: 15,
                                  maxRedirects: 0, confidentialHeaders: ["x-amz-security-token"], confidentialBody: true, awsSigning: signing)
        let r: HTTPResponse
        do { r = try HTTPClient().perform(request) } catch {
            throw StoreError(error.unreachable ? .unreachable : .failed, "\(what): STS at \(endpoint) did not answer: \(error.message)")
        }
        let xml = XMLElement.parse(r.body)
        guard r.status == 200, let c = xml?.child(result)?.child("Credentials"),
              let key = c.value("AccessKeyId"), !key.isEmpty, let secretKey = c.value("SecretAccessKey"), !secretKey.isEmpty else {
            let error = xml?.name == "Error" ? xml : xml?.child("Error")
            var said = S3Store.clean(error?.value("Message") ?? "")
            if let secret, !secret.isEmpty { said = said.replacing(secret, with: "***") }
            let code = error?.value("Code") ?? "HTTP \(r.status)"
            let kind: StoreError.Kind = r.status == 403 || S3Store.refusals.contains(code) ? .refused : .configuration
            throw StoreError(kind, "\(what): STS at \(endpoint) answered \(code)" + (said.isEmpty ? "" : ": \(said)"), code: error?.value("Code"))
        }
        let expiration = c.value("Expiration").flatMap(CredentialProcess.parseTime)?.timeIntervalSince1970
        let arn = xml?.child(result)?.child("AssumedRoleUser")?.value("Arn")
        return AWSCredentials(accessKeyID: key, secretAccessKey: secretKey, sessionToken: c.value("SessionToken"), expiration: expiration,
                              source: what + (arn.map { " as \($0)" } ?? ""))
    }
}
