#if canImport(Glibc)
@preconcurrency import Glibc
#endif
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The AWS SDKs' default credential chain, in the order of the AWS SDKs and
/// Tools reference guide ("Understand the credential provider chain") and
/// of botocore, which the AWS CLI runs:
///
/// 1. the environment: `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` / `AWS_SESSION_TOKEN`;
/// 2. web identity: `AWS_WEB_IDENTITY_TOKEN_FILE` + `AWS_ROLE_ARN`
///    (+ `AWS_ROLE_SESSION_NAME`), exchanged with STS AssumeRoleWithWebIdentity;
/// 3. the profile (`AWS_PROFILE`, default `default`) of the shared files:
///    `role_arn` with `source_profile`, `credential_source` or
///    `web_identity_token_file`; then IAM Identity Center (`sso_*`, the
///    token `aws sso login` cached); then keys in the credentials file; then
///    `credential_process`; then keys in the config file;
/// 4. container credentials: `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` or
///    `_FULL_URI`, with `AWS_CONTAINER_AUTHORIZATION_TOKEN(_FILE)`;
/// 5. the EC2 instance metadata service (IMDSv2), unless
///    `AWS_EC2_METADATA_DISABLED=true`.
///
/// Only the choice is made here, from the environment and the files;
/// nothing is contacted until a request needs the keys.
struct CredentialChain {
    var env: [String: String]
    var credentialsFile: AWSConfigFile?
    var configFile: AWSConfigFile?
    var credentialsPath: String
    var configPath: String
    var region: String
    var stsEndpoint: String
    var mfaCode: MFAPrompt?

    func set(_ name: String) -> String? { env[name].flatMap { $0.isEmpty ? nil : $0 } }

    func find(profile: String, profileNamed: Bool) throws(StoreError) -> CredentialSource {
        if let key = set("AWS_ACCESS_KEY_ID"), let secret = set("AWS_SECRET_ACCESS_KEY") {
            return .fixed(AWSCredentials(accessKeyID: key, secretAccessKey: secret, sessionToken: set("AWS_SESSION_TOKEN"),
                                         source: "the environment (AWS_ACCESS_KEY_ID)"))
        }
        if set("AWS_ACCESS_KEY_ID") != nil || set("AWS_SECRET_ACCESS_KEY") != nil {
            let missing = set("AWS_ACCESS_KEY_ID") == nil ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY"
            throw StoreError(.configuration, "\(missing) is not set while its pair is: set both, or neither to use a profile")
        }
        if let tokenFile = set("AWS_WEB_IDENTITY_TOKEN_FILE") {
            guard let role = set("AWS_ROLE_ARN") else {
                throw StoreError(.configuration, "AWS_WEB_IDENTITY_TOKEN_FILE is set without AWS_ROLE_ARN: set the role to assume")
            }
            return .webIdentity(WebIdentity(tokenFile: tokenFile, roleARN: role, sessionName: set("AWS_ROLE_SESSION_NAME") ?? Self.sessionName(),
                                            stsEndpoint: stsEndpoint, region: region))
        }
        let inCredentials = credentialsFile?.sections[profile]
        let inConfig = configFile?.configProfile(profile)
        if inCredentials != nil || inConfig != nil {
            if let source = try fromProfile(profile, visited: []) { return source }
        } else if profileNamed {
            throw StoreError(.configuration, "AWS profile \(profile) (AWS_PROFILE) is in neither \(credentialsPath) nor \(configPath)")
        }
        if let relative = set("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") {
            return .container(ContainerEndpoint(url: "http://169.254.170.2" + (relative.hasPrefix("/") ? relative : "/" + relative),
                                                token: set("AWS_CONTAINER_AUTHORIZATION_TOKEN"), tokenFile: set("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")))
        }
        if let full = set("AWS_CONTAINER_CREDENTIALS_FULL_URI") {
            guard ContainerEndpoint.allowed(full) else {
                throw StoreError(.configuration, "AWS_CONTAINER_CREDENTIALS_FULL_URI \(StorePath.quote(full)) must be https://, or http:// to a loopback address or the ECS/EKS agent (169.254.170.2, 169.254.170.23)")
            }
            return .container(ContainerEndpoint(url: full, token: set("AWS_CONTAINER_AUTHORIZATION_TOKEN"), tokenFile: set("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")))
        }
        let none = "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN, or AWS_PROFILE to a profile of \(credentialsPath) or \(configPath); none was found in the container variables or the EC2 instance metadata service"
        if set("AWS_EC2_METADATA_DISABLED")?.lowercased() == "true" { return .none(why: none) }
        return .instanceMetadata(endpoint: imdsEndpoint(profile), lastResort: true, why: none, v1Disabled: imdsV1Disabled(profile))
    }

    /// `AWS_EC2_METADATA_V1_DISABLED` or the profile's
    /// `ec2_metadata_v1_disabled`: IMDSv2 or nothing.
    func imdsV1Disabled(_ profile: String) -> Bool {
        (set("AWS_EC2_METADATA_V1_DISABLED") ?? configFile?.configProfile(profile)?["ec2_metadata_v1_disabled"])?.lowercased() == "true"
    }

    /// IMDS's address: `AWS_EC2_METADATA_SERVICE_ENDPOINT`, the profile's
    /// `ec2_metadata_service_endpoint`, else the link-local one (IPv6 when
    /// the endpoint mode says so).
    func imdsEndpoint(_ profile: String) -> String {
        var url = set("AWS_EC2_METADATA_SERVICE_ENDPOINT") ?? configFile?.configProfile(profile)?["ec2_metadata_service_endpoint"]
            ?? ((set("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE") ?? configFile?.configProfile(profile)?["ec2_metadata_service_endpoint_mode"])?.lowercased() == "ipv6"
                ? "http://[fd00:ec2::254]" : InstanceMetadata.defaultEndpoint)
        while url.hasSuffix("/") { url.removeLast() }
        return url
    }

    /// A profile's own way to credentials, nil when it has none (the chain
    /// then goes on to the container and the instance).
    func fromProfile(_ name: String, visited: [String]) throws(StoreError) -> CredentialSource? {
        guard !visited.contains(name) else {
            throw StoreError(.configuration, "AWS profiles \((visited + [name]).joined(separator: " → ")) name each other as source_profile in a circle")
        }
        let keys = credentialsFile?.sections[name]
        let config = configFile?.configProfile(name) ?? [:]
        let merged = config.merging(keys ?? [:]) { $1 }
        if let role = merged["role_arn"] {
            if let tokenFile = merged["web_identity_token_file"] {
                return .webIdentity(WebIdentity(tokenFile: tokenFile, roleARN: role, sessionName: merged["role_session_name"] ?? Self.sessionName(),
                                                stsEndpoint: stsEndpoint, region: region))
            }
            return .assumeRole(try assumeRole(role, profile: name, merged), from: try roleSource(name, merged, visited: visited))
        }
        if merged["sso_session"] != nil || merged["sso_start_url"] != nil { return .sso(try sso(name, merged)) }
        if let keys, keys["aws_access_key_id"] != nil { return try Self.fixed(keys, "profile \(name) in \(credentialsPath)") }
        if let line = merged["credential_process"] {
            guard let argv = CredentialProcess.split(line), !argv.isEmpty else {
                throw StoreError(.configuration, "the credential_process of AWS profile \(name) has an unclosed quote or is empty")
            }
            return .process(argv: argv, profile: name, environment: env)
        }
        if config["aws_access_key_id"] != nil { return try Self.fixed(config, "profile \(name) in \(configPath)") }
        return nil
    }

    /// A profile's IAM Identity Center settings: `sso_session` naming an
    /// `[sso-session NAME]` section (`sso_start_url`, `sso_region`), or the
    /// legacy `sso_start_url` + `sso_region` in the profile itself.
    private func sso(_ name: String, _ p: [String: String]) throws(StoreError) -> SSOCredentials {
        var settings = p
        var cacheKey = p["sso_start_url"] ?? ""
        if let session = p["sso_session"] {
            guard let section = configFile?.sections["sso-session \(session)"] else {
                throw StoreError(.configuration, "AWS profile \(name) names sso_session \(session), but \(configPath) has no [sso-session \(session)] section")
            }
            settings = section.merging(p) { $1 }
            cacheKey = session
        }
        guard let region = settings["sso_region"], let account = settings["sso_account_id"], let role = settings["sso_role_name"] else {
            throw StoreError(.configuration, "AWS profile \(name) uses IAM Identity Center but lacks sso_region, sso_account_id or sso_role_name")
        }
        let home = set("HOME") ?? getpwuid(getuid())?.pointee.pw_dir.map { String(cString: $0) } ?? "/"
        var portal = set("AWS_ENDPOINT_URL_SSO") ?? "https://portal.sso.\(region).\(AWSEndpoints(region: region).dnsSuffix)"
        while portal.hasSuffix("/") { portal.removeLast() }
        return SSOCredentials(cacheFile: "\(home)/.aws/sso/cache/\(SSOCredentials.sha1Hex(cacheKey)).json", accountID: account, roleName: role,
                              portal: portal, profile: name)
    }

    private func assumeRole(_ role: String, profile: String, _ p: [String: String]) throws(StoreError) -> AssumeRole {
        if p["mfa_serial"] != nil, mfaCode == nil {
            throw StoreError(.configuration, "AWS profile \(profile) asks for an MFA code (mfa_serial), which muster asks for only on a terminal; there, or use `credential_process = aws configure export-credentials --profile \(profile) --format process` in another profile")
        }
        return AssumeRole(roleARN: role, sessionName: p["role_session_name"] ?? Self.sessionName(), externalID: p["external_id"],
                          durationSeconds: p["duration_seconds"].flatMap(Int.init), profile: "profile \(profile)", stsEndpoint: stsEndpoint, region: region,
                          mfaSerial: p["mfa_serial"], mfaCode: mfaCode)
    }

    /// Whose credentials assume the role: `source_profile` (followed,
    /// roles of roles too) or `credential_source`.
    private func roleSource(_ name: String, _ p: [String: String], visited: [String]) throws(StoreError) -> CredentialSource {
        if let source = p["source_profile"] {
            guard credentialsFile?.sections[source] != nil || configFile?.configProfile(source) != nil else {
                throw StoreError(.configuration, "the source_profile \(source) of AWS profile \(name) is in neither \(credentialsPath) nor \(configPath)")
            }
            // A source profile with keys of its own is used as it is, not
            // followed further (as botocore does).
            let sourceKeys = credentialsFile?.sections[source]?["aws_access_key_id"] != nil || configFile?.configProfile(source)?["aws_access_key_id"] != nil
            if source == name || sourceKeys {
                let keys = credentialsFile?.sections[source] ?? [:]
                if keys["aws_access_key_id"] != nil { return try Self.fixed(keys, "profile \(source) in \(credentialsPath)") }
                if let config = configFile?.configProfile(source), config["aws_access_key_id"] != nil { return try Self.fixed(config, "profile \(source) in \(configPath)") }
                throw StoreError(.configuration, "AWS profile \(name) is its own source_profile but has no keys")
            }
            guard let from = try fromProfile(source, visited: visited + [name]) else {
                throw StoreError(.configuration, "the source_profile \(source) of AWS profile \(name) has no credentials")
            }
            return from
        }
        switch p["credential_source"] {
        case "Environment":
            guard let key = set("AWS_ACCESS_KEY_ID"), let secret = set("AWS_SECRET_ACCESS_KEY") else {
                throw StoreError(.configuration, "AWS profile \(name) has credential_source = Environment, but AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set")
            }
            return .fixed(AWSCredentials(accessKeyID: key, secretAccessKey: secret, sessionToken: set("AWS_SESSION_TOKEN"), source: "the environment (AWS_ACCESS_KEY_ID)"))
        case "Ec2InstanceMetadata":
            return .instanceMetadata(endpoint: imdsEndpoint(name), lastResort: false, why: "", v1Disabled: imdsV1Disabled(name))
        case "EcsContainer":
            if let relative = set("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") {
                return .container(ContainerEndpoint(url: "http://169.254.170.2" + (relative.hasPrefix("/") ? relative : "/" + relative),
                                                    token: set("AWS_CONTAINER_AUTHORIZATION_TOKEN"), tokenFile: set("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")))
            }
            if let full = set("AWS_CONTAINER_CREDENTIALS_FULL_URI"), ContainerEndpoint.allowed(full) {
                return .container(ContainerEndpoint(url: full, token: set("AWS_CONTAINER_AUTHORIZATION_TOKEN"), tokenFile: set("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")))
            }
            throw StoreError(.configuration, "AWS profile \(name) has credential_source = EcsContainer, but neither AWS_CONTAINER_CREDENTIALS_RELATIVE_URI nor an allowed AWS_CONTAINER_CREDENTIALS_FULL_URI is set")
        case let other?:
            throw StoreError(.configuration, "AWS profile \(name) has credential_source = \(StorePath.quote(other)); muster knows Environment, Ec2InstanceMetadata and EcsContainer")
        case nil:
            throw StoreError(.configuration, "AWS profile \(name) has role_arn without source_profile, credential_source or web_identity_token_file")
        }
    }

    static func fixed(_ keys: [String: String], _ source: String) throws(StoreError) -> CredentialSource {
        guard let key = keys["aws_access_key_id"], let secret = keys["aws_secret_access_key"], !key.isEmpty, !secret.isEmpty else {
            throw StoreError(.configuration, "\(source) has aws_access_key_id without aws_secret_access_key")
        }
        return .fixed(AWSCredentials(accessKeyID: key, secretAccessKey: secret, sessionToken: keys["aws_session_token"], source: source))
    }

    static func sessionName() -> String { "muster-\(Int(Date().timeIntervalSince1970))" }
}
