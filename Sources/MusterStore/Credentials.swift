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

/// How the credentials are obtained: read once, or by running the
/// profile's `credential_process` again whenever they are about to expire.
enum CredentialSource: Sendable {
    case fixed(AWSCredentials)
    case process(argv: [String], profile: String, environment: [String: String])
    case none(why: String)

    func resolve() throws(StoreError) -> AWSCredentials {
        switch self {
        case .fixed(let credentials): return credentials
        case .process(let argv, let profile, let environment):
            return try CredentialProcess.run(argv: argv, profile: profile, environment: environment)
        case .none(let why): throw StoreError(.configuration, why)
        }
    }
}
