/// A proof of who made a request from another machine: a signed STS
/// `GetCallerIdentity` call bound to one request (MusterStore's
/// `IdentityProof`, in the same JSON), never the requester's secret.
public struct RequestProof: Codable, Sendable, Equatable {
    public var amzDate: String
    public var authorization: String
    public var securityToken: String?

    enum CodingKeys: String, CodingKey { case amzDate = "amz_date", authorization, securityToken = "security_token" }

    public init(amzDate: String, authorization: String, securityToken: String? = nil) {
        self.amzDate = amzDate
        self.authorization = authorization
        self.securityToken = securityToken
    }
}

/// Who signed a proof, as the identity provider (AWS STS) says.
public struct ProvenIdentity: Sendable, Equatable {
    /// The ARN's last part: what the two-person rule compares.
    public var name: String
    public var arn: String

    public init(name: String, arn: String) {
        self.name = name
        self.arn = arn
    }
}

/// The identity port: signs a proof for one binding (the requester's side)
/// and asks the provider whom a proof names (the session's side). A proof
/// checked against another binding than it was signed for is refused.
public protocol IdentityCheck: Sendable {
    func prove(binding: String) throws(StoreFailure) -> RequestProof
    func verify(_ proof: RequestProof, binding: String) throws(StoreFailure) -> ProvenIdentity
}
