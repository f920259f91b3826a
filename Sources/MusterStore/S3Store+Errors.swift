import MusterHTTP

/// S3's and STS's error answers turned into messages that say which bucket,
/// which operation and whose credentials, and what to do.
extension S3Store {
    /// The `Code` of an XML error answer (S3's `<Error>`, STS's
    /// `<ErrorResponse><Error>`).
    func errorCode(_ r: HTTPResponse) -> String? { errorElement(r)?.value("Code") }

    private func errorElement(_ r: HTTPResponse) -> XMLElement? {
        guard let xml = XMLElement.parse(r.body) else { return nil }
        return xml.name == "Error" ? xml : xml.child("Error")
    }

    /// Codes that mean: these credentials, here, may not.
    static let refusals: Set<String> = [
        "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken", "InvalidToken", "TokenRefreshRequired",
        "AllAccessDisabled", "AccountProblem", "InvalidClientTokenId", "UnrecognizedClientException", "RequestExpired",
    ]

    func failure(_ operation: String, key: String?, _ r: HTTPResponse, creds: AWSCredentials? = nil, service: String = "s3") -> StoreError {
        let element = errorElement(r)
        // HEAD answers have no body: the status says it.
        let code = element?.value("Code") ?? [301: "PermanentRedirect", 403: "AccessDenied", 404: "NoSuchBucket"][r.status]
        let said = Self.clean(element?.value("Message") ?? "")
        let what = code.map { said.isEmpty ? $0 : "\($0): \(said)" } ?? "HTTP \(r.status)"
        let object = key.map { " (\(operation) \(StorePath.quote($0)))" } ?? " (\(operation))"
        let bucket = service == "sts" ? "the caller's identity at \(settings.stsEndpoint)" : "bucket \(path.bucket)"
        if let code, Self.refusals.contains(code) || r.status == 403 {
            return StoreError(.refused, "the store refused \(whose(creds, service: service)) for \(bucket): \(what)\(object)", code: code)
        }
        if code == "NoSuchBucket" {
            let place = settings.endpoint ?? "region \(settings.region)"
            return StoreError(.noSuchBucket, "bucket \(path.bucket) does not exist at \(place)\(object): create it (docs/shared-store.md) or correct MUSTER_STORE", code: code)
        }
        if code == "PermanentRedirect" || code == "AuthorizationHeaderMalformed" || code == "IllegalLocationConstraintException" {
            let region = r.header("x-amz-bucket-region") ?? element?.value("Region")
            let hint = region.map { "; it is in \($0): set AWS_REGION=\($0)" } ?? "; set AWS_REGION to the bucket's region"
            return StoreError(.failed, "bucket \(path.bucket) is not in region \(settings.region)\(object)\(hint)", code: code)
        }
        return StoreError(.failed, "the store answered \(operation) on \(bucket) with \(what)\(object)", code: code)
    }

    /// `alice's credentials (arn:…:user/alice)` when GetCallerIdentity can
    /// say (asked once here if not yet: it needs no permission, so it
    /// usually answers even for a refused bucket), else where the
    /// credentials came from.
    private func whose(_ creds: AWSCredentials?, service: String) -> String {
        if identity == nil, service != "sts" { _ = try? callerIdentity() }
        if let identity { return "\(identity.name)'s credentials (\(identity.arn))" }
        return "the credentials from \(creds?.source ?? "the environment")"
    }

    /// A server's message as one line of at most 300 printable characters.
    static func clean(_ text: String) -> String {
        let line = String(text.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7f ? " " : Character($0) })
        return line.count > 300 ? String(line.prefix(300)) + "…" : line
    }
}
