import Foundation

/// Where and as whom to reach the store, from the places the AWS CLI and
/// SDKs read, in their order:
///
/// - credentials: `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` /
///   `AWS_SESSION_TOKEN`; else the profile (`AWS_PROFILE`, default
///   `default`) in the shared credentials file (`AWS_SHARED_CREDENTIALS_FILE`,
///   `~/.aws/credentials`), then in the config file (`AWS_CONFIG_FILE`,
///   `~/.aws/config`, `[profile NAME]`), keys or `credential_process`;
/// - region: `AWS_REGION`, `AWS_DEFAULT_REGION`, the profile's `region`,
///   else `us-east-1`;
/// - endpoint: `AWS_ENDPOINT_URL_S3`, `AWS_ENDPOINT_URL`, the profile's
///   `s3 = endpoint_url`, then `endpoint_url` (MinIO, Ceph, R2, moto); for
///   STS `AWS_ENDPOINT_URL_STS`, `AWS_ENDPOINT_URL`, the profile's
///   `endpoint_url`, else `https://sts.REGION.amazonaws.com`;
/// - addressing: path-style (`ENDPOINT/BUCKET/KEY`) with an endpoint or with
///   the profile's `s3 = addressing_style = path`, or for a bucket name with
///   a dot (a TLS wildcard covers one label); virtual-hosted
///   (`BUCKET.s3.REGION.amazonaws.com`) on AWS otherwise.
///
/// Not read (use `credential_process` with `aws configure
/// export-credentials --profile P --format process` instead): `role_arn` /
/// `source_profile`, `sso_*` settings, web identity, the EC2 and ECS
/// metadata services.
public struct StoreSettings: Sendable {
    public var region: String
    /// The S3 endpoint given in the settings, without a trailing `/`; nil on AWS.
    public var endpoint: String?
    /// Where GetCallerIdentity goes.
    public var stsEndpoint: String
    public var pathStyle: Bool
    /// The profile read (for messages).
    public var profile: String
    var credentialSource: CredentialSource
    /// Every AWS key read while resolving: the environment's, and those of
    /// every profile in the shared credentials and config files (not only
    /// the one used). They are masked in every step's output like declared
    /// secrets: a step that prints its environment or `cat`s the file must
    /// not put the store's own keys in the store.
    public var credentialValues: [String] = []

    public init(region: String, endpoint: String?, stsEndpoint: String? = nil, pathStyle: Bool? = nil, credentials: AWSCredentials) {
        self.region = region
        self.endpoint = endpoint
        self.stsEndpoint = stsEndpoint ?? endpoint ?? "https://sts.\(region).amazonaws.com"
        self.pathStyle = pathStyle ?? (endpoint != nil)
        self.profile = "default"
        self.credentialSource = .fixed(credentials)
    }

    /// The credentials, read now (a `credential_process` runs).
    public func credentials() throws(StoreError) -> AWSCredentials { try credentialSource.resolve() }

    public static func resolve(environment env: [String: String]) throws(StoreError) -> StoreSettings {
        let set = { (name: String) -> String? in env[name].flatMap { $0.isEmpty ? nil : $0 } }
        let profile = set("AWS_PROFILE") ?? "default"
        let home = set("HOME") ?? NSHomeDirectory()
        func path(_ variable: String, _ fallback: String) -> String {
            let p = set(variable) ?? fallback
            return p.hasPrefix("~/") ? home + p.dropFirst() : p
        }
        let credentialsPath = path("AWS_SHARED_CREDENTIALS_FILE", "~/.aws/credentials")
        let configPath = path("AWS_CONFIG_FILE", "~/.aws/config")
        let credentialsFile = (try? String(contentsOfFile: credentialsPath, encoding: .utf8)).map(AWSConfigFile.init)
        let configFile = (try? String(contentsOfFile: configPath, encoding: .utf8)).map(AWSConfigFile.init)
        let fromCredentials = credentialsFile?.sections[profile]
        let fromConfig = configFile?.configProfile(profile)
        let settings = fromConfig ?? [:]

        let source: CredentialSource
        if let key = set("AWS_ACCESS_KEY_ID"), let secret = set("AWS_SECRET_ACCESS_KEY") {
            source = .fixed(AWSCredentials(accessKeyID: key, secretAccessKey: secret, sessionToken: set("AWS_SESSION_TOKEN"),
                                           source: "the environment (AWS_ACCESS_KEY_ID)"))
        } else if set("AWS_ACCESS_KEY_ID") != nil || set("AWS_SECRET_ACCESS_KEY") != nil {
            let missing = set("AWS_ACCESS_KEY_ID") == nil ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY"
            throw StoreError(.configuration, "\(missing) is not set while its pair is: set both, or neither to use a profile")
        } else if let keys = fromCredentials, keys["aws_access_key_id"] != nil {
            source = try fixed(keys, "profile \(profile) in \(credentialsPath)")
        } else if let keys = fromConfig, keys["aws_access_key_id"] != nil {
            source = try fixed(keys, "profile \(profile) in \(configPath)")
        } else if let line = fromConfig?["credential_process"] {
            guard let argv = CredentialProcess.split(line), !argv.isEmpty else {
                throw StoreError(.configuration, "the credential_process of AWS profile \(profile) in \(configPath) has an unclosed quote or is empty")
            }
            source = .process(argv: argv, profile: profile, environment: env)
        } else if let other = ["role_arn", "sso_session", "sso_start_url", "web_identity_token_file"].first(where: { fromConfig?[$0] != nil }) {
            throw StoreError(.configuration, "AWS profile \(profile) uses \(other), which muster does not read itself; add `credential_process = aws configure export-credentials --profile \(profile) --format process` to a profile and use that one")
        } else if fromConfig == nil && fromCredentials == nil && set("AWS_PROFILE") != nil {
            throw StoreError(.configuration, "AWS profile \(profile) (AWS_PROFILE) is in neither \(credentialsPath) nor \(configPath)")
        } else {
            source = .none(why: "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE to a profile of \(credentialsPath) or \(configPath)")
        }

        let region = set("AWS_REGION") ?? set("AWS_DEFAULT_REGION") ?? settings["region"] ?? "us-east-1"
        guard !region.isEmpty, region.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }) else {
            throw StoreError(.configuration, "the AWS region \(StorePath.quote(region)) is not a region name like eu-west-1")
        }
        let endpoint = try endpointURL(set("AWS_ENDPOINT_URL_S3") ?? set("AWS_ENDPOINT_URL") ?? settings["s3.endpoint_url"] ?? settings["endpoint_url"])
        let sts = try endpointURL(set("AWS_ENDPOINT_URL_STS") ?? set("AWS_ENDPOINT_URL") ?? settings["sts.endpoint_url"] ?? settings["endpoint_url"])
        var result = StoreSettings(region: region, endpoint: endpoint, stsEndpoint: sts ?? "https://sts.\(region).amazonaws.com",
                                   pathStyle: endpoint != nil || settings["s3.addressing_style"] == "path",
                                   credentials: AWSCredentials(accessKeyID: "", secretAccessKey: "", source: ""))
        result.profile = profile
        result.credentialSource = source
        let keyNames: Set<String> = ["aws_access_key_id", "aws_secret_access_key", "aws_session_token", "aws_security_token"]
        var values = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"].compactMap(set)
        for file in [credentialsFile, configFile].compactMap({ $0 }) {
            for section in file.sections.values { values += section.filter { keyNames.contains($0.key) && !$0.value.isEmpty }.map(\.value) }
        }
        if case .fixed(let c) = source { values += [c.accessKeyID, c.secretAccessKey] + (c.sessionToken.map { [$0] } ?? []) }
        result.credentialValues = Array(Set(values)).sorted()
        return result
    }

    private static func fixed(_ keys: [String: String], _ source: String) throws(StoreError) -> CredentialSource {
        guard let key = keys["aws_access_key_id"], let secret = keys["aws_secret_access_key"], !key.isEmpty, !secret.isEmpty else {
            throw StoreError(.configuration, "\(source) has aws_access_key_id without aws_secret_access_key")
        }
        return .fixed(AWSCredentials(accessKeyID: key, secretAccessKey: secret, sessionToken: keys["aws_session_token"], source: source))
    }

    /// An endpoint as `http(s)://HOST[:PORT][/PATH]` without a trailing `/`.
    private static func endpointURL(_ text: String?) throws(StoreError) -> String? {
        guard var url = text else { return nil }
        while url.hasSuffix("/") { url.removeLast() }
        guard url.hasPrefix("http://") || url.hasPrefix("https://"), !url.contains("?"), !url.contains("#"),
              url.dropFirst(url.hasPrefix("https") ? 8 : 7).first.map({ $0 != "/" }) ?? false else {
            throw StoreError(.configuration, "the AWS endpoint \(StorePath.quote(url)) is not an http:// or https:// address like http://127.0.0.1:9000")
        }
        return url
    }
}
