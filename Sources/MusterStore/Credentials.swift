/// An AWS key pair, and a session token when the keys are temporary (an
/// assumed role, `aws sso`). The description hides the secrets, so a value
/// interpolated into a message by mistake cannot leak them.
public struct AWSCredentials: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    public var accessKeyID: String
    public var secretAccessKey: String
    public var sessionToken: String?
    /// When temporary credentials stop working (seconds since 1970), if said.
    public var expiration: Double?
    /// Where they came from, for messages: `the environment (AWS_ACCESS_KEY_ID)`,
    /// `profile oncall in ~/.aws/credentials`, `credential_process of profile sso`.
    public var source: String

    public init(accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil, expiration: Double? = nil, source: String) {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
        self.expiration = expiration
        self.source = source
    }

    public var description: String { "AWS credentials from \(source) (secrets hidden)" }
    public var debugDescription: String { description }
}

/// How the credentials are obtained: read once, or fetched again (a
/// `credential_process`, STS, a metadata service) whenever they are about
/// to expire. Deciding the source reads only files and the environment;
/// nothing is contacted until the first request needs the keys.
indirect enum CredentialSource: Sendable {
    case fixed(AWSCredentials)
    case process(argv: [String], profile: String, environment: [String: String])
    /// `AWS_WEB_IDENTITY_TOKEN_FILE` + `AWS_ROLE_ARN` (IRSA), or a profile's
    /// `web_identity_token_file` + `role_arn`.
    case webIdentity(WebIdentity)
    /// A profile's `role_arn`, assumed with the credentials of `from`.
    case assumeRole(AssumeRole, from: CredentialSource)
    /// IAM Identity Center, from the token `aws sso login` cached.
    case sso(SSOCredentials)
    /// ECS task roles and EKS Pod Identity.
    case container(ContainerEndpoint)
    /// EC2 instance profiles, through IMDSv2. `lastResort`: nothing else
    /// was configured, so a silent service means "no credentials";
    /// `v1Disabled`: never ask without a token.
    case instanceMetadata(endpoint: String, lastResort: Bool, why: String, v1Disabled: Bool)
    case none(why: String)

    func resolve() throws(StoreError) -> AWSCredentials {
        switch self {
        case .fixed(let credentials): return credentials
        case .process(let argv, let profile, let environment):
            return try CredentialProcess.run(argv: argv, profile: profile, environment: environment)
        case .webIdentity(let w): return try w.fetch()
        case .assumeRole(let role, let from): return try role.fetch(with: from.resolve())
        case .sso(let s): return try s.fetch()
        case .container(let c): return try c.fetch()
        case .instanceMetadata(let endpoint, let lastResort, let why, let v1Disabled):
            return try InstanceMetadata.fetch(endpoint: endpoint, lastResort: lastResort, why: why, v1Disabled: v1Disabled)
        case .none(let why): throw StoreError(.configuration, why)
        }
    }

    /// Where the credentials come from, for `muster preflight`: names and
    /// ARNs, never a secret.
    var summary: String {
        switch self {
        case .fixed(let c): return c.source
        case .process(_, let profile, _): return "credential_process of profile \(profile)"
        case .webIdentity(let w): return "web identity, role \(w.roleARN)"
        case .assumeRole(let r, let from): return "assume role \(r.roleARN) (\(r.profile)) with \(from.summary)"
        case .sso(let s): return "IAM Identity Center (profile \(s.profile)), role \(s.roleName) in account \(s.accountID)"
        case .container(let c): return "container credentials from \(c.url)"
        case .instanceMetadata(let endpoint, _, _, _): return "EC2 instance metadata (IMDSv2) at \(endpoint)"
        case .none: return "none found"
        }
    }
}
