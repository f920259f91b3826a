/// Why the store did not do what was asked, in words for the operator.
/// `kind` is what callers decide on: `unreachable` means the network or the
/// store is down (go on alone, catch up later); the others need a person.
/// Messages never hold a secret: no key, no token, no signature.
public struct StoreError: Error, Sendable, CustomStringConvertible, Equatable {
    public enum Kind: Sendable, Equatable {
        /// No answer: no name, no connection, a timeout, a connection cut.
        case unreachable
        /// The store answered and refused the credentials (AccessDenied,
        /// an unknown key, a bad signature, an expired token).
        case refused
        /// The bucket does not exist.
        case noSuchBucket
        /// The settings or the credentials could not be read or are wrong.
        case configuration
        /// Any other answer the store gave (its code is in `code`).
        case failed
    }

    public var kind: Kind
    public var message: String
    /// S3's or STS's error code (`AccessDenied`, `NoSuchBucket`), when it gave one.
    public var code: String?
    /// A write that failed this way may have been done all the same (its
    /// answer was lost, or the store failed after taking it): only reading
    /// the key back tells.
    public var outcomeUnknown = false

    public init(_ kind: Kind, _ message: String, code: String? = nil) {
        self.kind = kind
        self.message = message
        self.code = code
    }

    public var description: String { message }
}
