import MusterProcess
import Synchronization
import MusterBasics
import MusterFormat
import MusterEngine
import MusterJournal
import MusterDrills
import MusterPreflight

/// `ssh-keygen -Y find-principals` then `-Y verify` against one
/// `allowed_signers` file; each signature is checked once per process.
public final class SSHSignatureChecker: SignatureChecker, @unchecked Sendable {
    public let allowedSigners: String
    private let cache = Mutex<[String: Result<Signer, SignatureRefusal>]>([:])

    public init(allowedSigners: String) { self.allowedSigners = allowedSigners }

    public func check(_ signed: Signed) -> Result<Signer, SignatureRefusal> {
        let id = SignedStatement.digest(signed.statement + "\u{0}" + signed.signature)
        if let known = cache.withLock({ $0[id] }) { return known }
        let result = verify(signed)
        cache.withLock { $0[id] = result }
        return result
    }

    private func verify(_ signed: Signed) -> Result<Signer, SignatureRefusal> {
        guard let blob = SSHSignatureBlob(armored: signed.signature) else { return .failure(.init("its signature is not an SSH signature")) }
        guard blob.namespace == SignedStatement.namespace else {
            return .failure(.init("its signature was made for '\(blob.namespace)', not for muster approvals"))
        }
        do {
            let principals = try SSHKeygen.principals(signature: signed.signature, allowedSigners: allowedSigners)
            guard let first = principals.first else {
                return .failure(.init("the key that signed it (\(blob.fingerprint)) is not in allowed_signers"))
            }
            guard try SSHKeygen.verify(signed.statement, signature: signed.signature, principal: first, namespace: SignedStatement.namespace, allowedSigners: allowedSigners) else {
                return .failure(.init("its signature does not match what it says (altered, or made for other words)"))
            }
            return .success(Signer(key: blob.fingerprint, principals: principals))
        } catch {
            return .failure(.init(error.message))
        }
    }
}
