#if canImport(Glibc)
@preconcurrency import Glibc
#endif
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Where and as whom to reach the store, from the places the AWS CLI and
/// SDKs read, in their order:
///
/// - credentials: the SDKs' default chain (CredentialChain: the
///   environment, web identity, the profile's assume-role, IAM Identity
///   Center, keys and `credential_process`, container credentials, IMDSv2);
/// - region: `AWS_REGION`, `AWS_DEFAULT_REGION`, the profile's `region`,
///   else `us-east-1`;
/// - endpoint: `AWS_ENDPOINT_URL_S3`, `AWS_ENDPOINT_URL`, the profile's
///   `s3 = endpoint_url`, then `endpoint_url` (MinIO, Ceph, R2, moto); for
///   STS `AWS_ENDPOINT_URL_STS`, `AWS_ENDPOINT_URL`, the profile's
///   `endpoint_url`, else AWS's host for the region's partition
///   (AWSEndpoints, with `AWS_USE_FIPS_ENDPOINT` and
///   `AWS_USE_DUALSTACK_ENDPOINT` or the profile's `use_fips_endpoint` /
///   `use_dualstack_endpoint`);
/// - addressing: path-style (`ENDPOINT/BUCKET/KEY`) with an endpoint or with
///   the profile's `s3 = addressing_style = path`, or for a bucket name with
///   a dot (a TLS wildcard covers one label); virtual-hosted
///   (`BUCKET.s3.REGION.amazonaws.com`) on AWS otherwise.
///
/// Not done: refreshing an expired IAM Identity Center sign-in, and an MFA
/// code asked again mid-run (use `credential_process` with `aws configure
/// export-credentials --profile P --format process` instead).
public struct StoreSettings: Sendable {
    public var region: String
    /// The S3 endpoint given in the settings, without a trailing `/`; nil on AWS.
    public var endpoint: String?
    /// Where GetCallerIdentity goes.
    public var stsEndpoint: String
    public var pathStyle: Bool
    /// AWS's hosts for the region when no endpoint is set.
    public var aws: AWSEndpoints
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
        let aws = AWSEndpoints(region: region)
        self.aws = aws
        self.stsEndpoint = stsEndpoint ?? endpoint ?? "https://\(aws.stsHost)"
        self.pathStyle = pathStyle ?? (endpoint != nil)
        self.profile = "default"
        self.credentialSource = .fixed(credentials)
    }

    /// The credentials, read now (a `credential_process` runs, STS or a
    /// metadata service is asked).
    public func credentials() throws(StoreError) -> AWSCredentials { try credentialSource.resolve() }

    /// Where the credentials come from, in words without a secret
    /// ("web identity, role arn:…").
    public var credentialSummary: String { credentialSource.summary }

    /// `mfaCode` asks for an assume-role profile's MFA code; without it
    /// such a profile is an error.
    public static func resolve(environment env: [String: String], mfaCode: MFAPrompt? = nil) throws(StoreError) -> StoreSettings {
        let set = { (name: String) -> String? in env[name].flatMap { $0.isEmpty ? nil : $0 } }
        let profile = set("AWS_PROFILE") ?? "default"
        let home = set("HOME") ?? getpwuid(getuid())?.pointee.pw_dir.map { String(cString: $0) } ?? "/"
        func path(_ variable: String, _ fallback: String) -> String {
            let p = set(variable) ?? fallback
            return p.hasPrefix("~/") ? home + p.dropFirst() : p
        }
        let credentialsPath = path("AWS_SHARED_CREDENTIALS_FILE", "~/.aws/credentials")
        let configPath = path("AWS_CONFIG_FILE", "~/.aws/config")
        let credentialsFile = (try? String(contentsOfFile: credentialsPath, encoding: .utf8)).map(AWSConfigFile.init)
        let configFile = (try? String(contentsOfFile: configPath, encoding: .utf8)).map(AWSConfigFile.init)
        let settings = configFile?.configProfile(profile) ?? [:]

        let region = set("AWS_REGION") ?? set("AWS_DEFAULT_REGION") ?? settings["region"] ?? "us-east-1"
        guard !region.isEmpty, region.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }) else {
            throw StoreError(.configuration, "the AWS region \(StorePath.quote(region)) is not a region name like eu-west-1")
        }
        let yes = { (variable: String, key: String) -> Bool in (set(variable) ?? settings[key])?.lowercased() == "true" }
        let aws = AWSEndpoints(region: region, fips: yes("AWS_USE_FIPS_ENDPOINT", "use_fips_endpoint"),
                               dualStack: yes("AWS_USE_DUALSTACK_ENDPOINT", "use_dualstack_endpoint"))
        let endpoint = try endpointURL(set("AWS_ENDPOINT_URL_S3") ?? set("AWS_ENDPOINT_URL") ?? settings["s3.endpoint_url"] ?? settings["endpoint_url"])
        let sts = try endpointURL(set("AWS_ENDPOINT_URL_STS") ?? set("AWS_ENDPOINT_URL") ?? settings["sts.endpoint_url"] ?? settings["endpoint_url"]) ?? "https://\(aws.stsHost)"
        let chain = CredentialChain(env: env, credentialsFile: credentialsFile, configFile: configFile, credentialsPath: credentialsPath,
                                    configPath: configPath, region: region, stsEndpoint: sts, mfaCode: mfaCode)
        let source = try chain.find(profile: profile, profileNamed: set("AWS_PROFILE") != nil)
        var result = StoreSettings(region: region, endpoint: endpoint, stsEndpoint: sts,
                                   pathStyle: endpoint != nil || settings["s3.addressing_style"] == "path",
                                   credentials: AWSCredentials(accessKeyID: "", secretAccessKey: "", source: ""))
        result.aws = aws
        result.profile = profile
        result.credentialSource = source
        let keyNames: Set<String> = ["aws_access_key_id", "aws_secret_access_key", "aws_session_token", "aws_security_token"]
        var values = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_CONTAINER_AUTHORIZATION_TOKEN"].compactMap(set)
        for file in [credentialsFile, configFile].compactMap({ $0 }) {
            for section in file.sections.values { values += section.filter { keyNames.contains($0.key) && !$0.value.isEmpty }.map(\.value) }
        }
        if case .fixed(let c) = source { values += [c.accessKeyID, c.secretAccessKey] + (c.sessionToken.map { [$0] } ?? []) }
        result.credentialValues = Array(Set(values)).sorted()
        return result
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
