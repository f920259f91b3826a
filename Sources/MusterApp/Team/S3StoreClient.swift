#if canImport(Glibc)
@preconcurrency import Glibc
#endif
import MusterStore
import MusterTeam

/// The team protocol's store and identity ports on S3 and STS.
///
/// `@unchecked Sendable`: an S3Store owns a libcurl handle and is used by
/// one thread at a time; each client is made for one user (the session's
/// thread, or its watch task) and never shared between them.
package final class S3StoreClient: StoreClient, IdentityCheck, @unchecked Sendable {
    package let s3: S3Store

    package init(_ s3: S3Store) { self.s3 = s3 }

    package var url: String { SharedStore.display(s3.path) }

    package func key(_ relative: String) -> String { s3.path.key(relative) }

    package func putIfAbsent(_ key: String, _ bytes: [UInt8]) throws(StoreFailure) -> PutOutcome {
        do {
            return try s3.operation { () throws(StoreError) -> PutOutcome in
                var conflicts = 0
                while true {
                    switch try s3.putIfAbsent(key, bytes, contentType: "application/json") {
                    case .created: return .written
                    case .conflict:
                        // Another put of this key is in flight: once it ends,
                        // the next try answers 412 (or succeeds if it failed).
                        conflicts += 1
                        guard conflicts <= 20 else {
                            throw StoreError(.failed, "\(key) stayed in conflict (409) after \(conflicts) tries on bucket \(s3.path.bucket)", code: "ConditionalRequestConflict")
                        }
                        usleep(UInt32(min(50_000 * conflicts, 500_000)))
                    case .alreadyExists:
                        // S3 is strongly consistent: a key that exists can be read.
                        guard let existing = try s3.get(key) else {
                            throw StoreError(.failed, "\(key) exists on bucket \(s3.path.bucket) but could not be read back")
                        }
                        return existing == bytes ? .written : .taken(existing)
                    }
                }
            }
        } catch { throw Self.failure(error) }
    }

    package func put(_ key: String, _ bytes: [UInt8]) throws(StoreFailure) {
        do { try s3.put(key, bytes, contentType: "application/json") } catch { throw Self.failure(error) }
    }

    package func get(_ key: String) throws(StoreFailure) -> [UInt8]? {
        do { return try s3.get(key) } catch { throw Self.failure(error) }
    }

    package func list(prefix: String, startAfter: String?) throws(StoreFailure) -> [String] {
        do { return try s3.list(prefix: prefix, startAfter: startAfter).keys } catch { throw Self.failure(error) }
    }

    package func delete(_ key: String) throws(StoreFailure) {
        do { try s3.delete(key) } catch { throw Self.failure(error) }
    }

    package func prove(binding: String) throws(StoreFailure) -> RequestProof {
        do {
            let p = try s3.identityProof(binding: binding)
            return RequestProof(amzDate: p.amzDate, authorization: p.authorization, securityToken: p.securityToken)
        } catch { throw Self.failure(error) }
    }

    package func verify(_ proof: RequestProof, binding: String) throws(StoreFailure) -> ProvenIdentity {
        do {
            let who = try s3.verify(IdentityProof(amzDate: proof.amzDate, authorization: proof.authorization, securityToken: proof.securityToken), binding: binding)
            return ProvenIdentity(name: who.name, arn: who.arn)
        } catch { throw Self.failure(error) }
    }

    /// What the protocol decides on: reachable or not, refused or not.
    package static func failure(_ e: StoreError) -> StoreFailure {
        let kind: StoreFailure.Kind = switch e.kind {
        case .unreachable: .unreachable
        case .refused: .refused
        case .noSuchBucket, .configuration, .failed: .failed
        }
        return StoreFailure(kind, e.message, code: e.code, outcomeUnknown: e.outcomeUnknown)
    }
}
