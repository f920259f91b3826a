import Foundation
import MusterTeam
import Synchronization

/// The team protocol's store in memory: a bucket whose conditional put is
/// atomic as S3's is, and whose answers a test can spoil, one operation at
/// a time, the ways a real store fails (`Fault`).
public final class MemoryStore: StoreClient, Sendable {
    public enum Operation: Sendable, Equatable { case putIfAbsent, put, get, list, delete }

    public enum Fault: Sendable {
        /// No answer, nothing done (a cut network, a store down).
        case unreachable
        /// The store refuses these credentials (AccessDenied).
        case refused
        /// The write takes effect, then its answer is lost: the caller
        /// cannot tell whether it was written.
        case loseReply
        /// Another writer's bytes land on the key just before this put.
        case preconditionFailed([UInt8])
        /// Runs before the operation is done, outside the store's lock: a
        /// test holds the answer there (two writers in flight at once).
        case slow(@Sendable () -> Void)
    }

    private struct Armed {
        var operation: Operation
        var fault: Fault
        var keyContaining: String?
    }

    private struct State {
        var objects: [String: [UInt8]] = [:]
        var faults: [Armed] = []
        var down = false
        var calls: [(Operation, String)] = []
    }

    private let state = Mutex(State())
    public let url: String
    private let prefix: String

    public init(bucket: String = "fake-bucket", prefix: String = "team") {
        url = "s3://\(bucket)" + (prefix.isEmpty ? "" : "/\(prefix)")
        self.prefix = prefix.isEmpty ? "" : prefix + "/"
    }

    public func key(_ relative: String) -> String { prefix + relative }

    /// While true every operation is unreachable.
    public var down: Bool {
        get { state.withLock { $0.down } }
        set { state.withLock { $0.down = newValue } }
    }

    /// Spoils the next `times` answers of `operation` (on a key containing `keyContaining`).
    public func inject(_ fault: Fault, on operation: Operation, keyContaining: String? = nil, times: Int = 1) {
        state.withLock { s in
            for _ in 0..<times { s.faults.append(Armed(operation: operation, fault: fault, keyContaining: keyContaining)) }
        }
    }

    public var objects: [String: [UInt8]] { state.withLock { $0.objects } }
    public func object(_ key: String) -> [UInt8]? { state.withLock { $0.objects[key] } }
    public func setObject(_ key: String, _ bytes: [UInt8]?) { state.withLock { $0.objects[key] = bytes } }
    /// Every operation asked, in order, with its key (or prefix).
    public var calls: [(Operation, String)] { state.withLock { $0.calls } }

    /// The armed fault for this call, taken off the list; `slow` runs here.
    private func fault(_ operation: Operation, _ key: String) throws(StoreFailure) -> Fault? {
        let (down, armed) = state.withLock { s -> (Bool, Fault?) in
            s.calls.append((operation, key))
            guard let i = s.faults.firstIndex(where: { $0.operation == operation && ($0.keyContaining.map { key.contains($0) } ?? true) }) else { return (s.down, nil) }
            return (s.down, s.faults.remove(at: i).fault)
        }
        if down { throw StoreFailure(.unreachable, "the store at \(url) does not answer (test: down)") }
        switch armed {
        case .unreachable: throw StoreFailure(.unreachable, "the store at \(url) does not answer (test: unreachable)")
        case .refused: throw StoreFailure(.refused, "the store refused the test's credentials for \(url): AccessDenied", code: "AccessDenied")
        case .slow(let hold):
            hold()
            return nil
        default: return armed
        }
    }

    public func putIfAbsent(_ key: String, _ bytes: [UInt8]) throws(StoreFailure) -> PutOutcome {
        let f = try fault(.putIfAbsent, key)
        let outcome = state.withLock { s -> PutOutcome in
            if case .preconditionFailed(let other) = f, s.objects[key] == nil { s.objects[key] = other }
            if let there = s.objects[key] { return there == bytes ? .written : .taken(there) }
            s.objects[key] = bytes
            return .written
        }
        if case .loseReply = f {
            throw StoreFailure(.unreachable, "the answer to a put of \(key) was lost (test); whether it was written is unknown", outcomeUnknown: true)
        }
        return outcome
    }

    public func put(_ key: String, _ bytes: [UInt8]) throws(StoreFailure) {
        let f = try fault(.put, key)
        state.withLock { $0.objects[key] = bytes }
        if case .loseReply = f { throw StoreFailure(.unreachable, "the answer to a put of \(key) was lost (test)", outcomeUnknown: true) }
    }

    public func get(_ key: String) throws(StoreFailure) -> [UInt8]? {
        _ = try fault(.get, key)
        return state.withLock { $0.objects[key] }
    }

    public func list(prefix: String, startAfter: String?) throws(StoreFailure) -> [String] {
        _ = try fault(.list, prefix)
        return state.withLock { s in
            s.objects.keys.filter { key in key.hasPrefix(prefix) && (startAfter.map { after in after.utf8.lexicographicallyPrecedes(key.utf8) } ?? true) }
                .sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        }
    }

    public func delete(_ key: String) throws(StoreFailure) {
        let f = try fault(.delete, key)
        state.withLock { _ = $0.objects.removeValue(forKey: key) }
        if case .loseReply = f { throw StoreFailure(.unreachable, "the answer to a delete of \(key) was lost (test)", outcomeUnknown: true) }
    }
}

/// The identity port without AWS: a proof names who signed it and the
/// binding it was signed for, and is believed only for that binding, as
/// STS refuses a signature whose `x-muster-request` header differs.
public struct FakeIdentity: IdentityCheck {
    public let arn: String

    public init(arn: String) { self.arn = arn }

    public func prove(binding: String) throws(StoreFailure) -> RequestProof {
        RequestProof(amzDate: "20261205T184500Z", authorization: "FAKE arn=\(arn) binding=\(binding)")
    }

    public func verify(_ proof: RequestProof, binding: String) throws(StoreFailure) -> ProvenIdentity {
        let parts = proof.authorization.components(separatedBy: " binding=")
        guard parts.count == 2, parts[0].hasPrefix("FAKE arn="), parts[1] == binding else {
            throw StoreFailure(.refused, "STS did not accept the identity proof (SignatureDoesNotMatch)")
        }
        let signer = String(parts[0].dropFirst("FAKE arn=".count))
        return ProvenIdentity(name: String(signer.split(separator: "/").last ?? Substring(signer)), arn: signer)
    }
}
