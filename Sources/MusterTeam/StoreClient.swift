/// The store a shared run is kept in, as the team protocol needs it: the
/// few object operations it makes, on whole keys in one bucket. The real
/// one is S3 (MusterApp's adapter over MusterStore); tests use the
/// in-memory one of MusterTestSupport, which can lose replies and refuse.
///
/// Sendable because the session's watch (heartbeat and request listing)
/// runs in a task of its own, with a client of its own.
public protocol StoreClient: AnyObject, Sendable {
    /// `s3://BUCKET/PREFIX`, for messages.
    var url: String { get }
    /// The whole key of `relative` under the store's prefix.
    func key(_ relative: String) -> String
    /// Writes `bytes` only if `key` holds nothing. A key holding these very
    /// bytes already counts as written, so a put asked again after a lost
    /// answer is safe. A failure with `outcomeUnknown` may have been written.
    func putIfAbsent(_ key: String, _ bytes: [UInt8]) throws(StoreFailure) -> PutOutcome
    /// Unconditional: for what only its writer writes (a heartbeat), never for events.
    func put(_ key: String, _ bytes: [UInt8]) throws(StoreFailure)
    /// The object's bytes, nil when there is no such key.
    func get(_ key: String) throws(StoreFailure) -> [UInt8]?
    /// Every key under `prefix` after `startAfter`, in byte order.
    func list(prefix: String, startAfter: String?) throws(StoreFailure) -> [String]
    /// Removes `key`, whether or not it exists.
    func delete(_ key: String) throws(StoreFailure)
}

extension StoreClient {
    public func list(prefix: String) throws(StoreFailure) -> [String] { try list(prefix: prefix, startAfter: nil) }
}

public enum PutOutcome: Sendable, Equatable {
    /// The key holds the bytes asked for.
    case written
    /// Another writer's bytes were there first.
    case taken([UInt8])
}

/// Why the store did not do what was asked, reduced to what the protocol
/// decides on: `unreachable` goes on alone and catches up later; the others
/// need a person. The message is the store adapter's, for the operator.
public struct StoreFailure: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// No answer: the network or the store is down.
        case unreachable
        /// The store answered and refused these credentials.
        case refused
        /// Any other refusal (no bucket, bad settings, an unexpected answer).
        case failed
    }

    public var kind: Kind
    public var message: String
    /// The store's error code, or the protocol's own (`SharedJournal.diverged`).
    public var code: String?
    /// A write that failed this way may have been done all the same.
    public var outcomeUnknown = false

    public init(_ kind: Kind, _ message: String, code: String? = nil, outcomeUnknown: Bool = false) {
        self.kind = kind
        self.message = message
        self.code = code
        self.outcomeUnknown = outcomeUnknown
    }

    public var description: String { message }
}
