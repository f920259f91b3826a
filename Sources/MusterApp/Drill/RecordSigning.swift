#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import MusterBasics
import MusterFormat
import MusterEngine
import MusterJournal
import MusterDrills
import MusterPreflight
import MusterProcess

/// Drill records signed with the same keys and `allowed_signers` as
/// approvals (Signing), in their own namespace (RecordSignature), so a
/// record shows whose key vouched for it and any later edit shows.
package enum RecordSigning {
    /// The signature over `unsigned` (the record written with `"signature":
    /// null`), or nil with why, when there is no key, no `allowed_signers`,
    /// or a signature the file would not verify (a key not listed): a
    /// record is never held back for want of a signature.
    package static func sign(_ unsigned: String, root: String) -> (signed: (signature: String, by: Signer)?, why: String) {
        let listed = Signing.allowedSigners(root: root)
        guard Paths.exists(listed) else { return (nil, "the repository has no allowed_signers (docs/evidence.md)") }
        guard let key = Signing.keyFile() else { return (nil, "no SSH key to sign with: \(Signing.setUpHint(root: root))") }
        let signature: String
        do {
            signature = try SSHKeygen.sign(unsigned, keyFile: key, namespace: RecordSignature.namespace)
        } catch {
            return (nil, error.message)
        }
        switch check(Array(unsigned.utf8), signature: signature, allowedSigners: listed) {
        case .success(let signer): return ((signature, signer), "")
        case .failure(let r): return (nil, "your signature cannot be verified: \(r.message); \(Signing.setUpHint(root: root))")
        }
    }

    /// Who signed `signed` (the record's bytes with its signature null),
    /// by `allowed_signers`; why not when the signature does not hold.
    package static func check(_ signed: [UInt8], signature: String, allowedSigners: String) -> Result<Signer, SignatureRefusal> {
        guard let blob = SSHSignatureBlob(armored: signature) else { return .failure(.init("its signature is not an SSH signature")) }
        guard blob.namespace == RecordSignature.namespace else {
            return .failure(.init("its signature was made for '\(blob.namespace)', not for muster records"))
        }
        let text = String(decoding: signed, as: UTF8.self)
        guard Array(text.utf8) == signed else { return .failure(.init("the record is not UTF-8 text")) }
        do {
            let principals = try SSHKeygen.principals(signature: signature, allowedSigners: allowedSigners)
            guard let first = principals.first else {
                return .failure(.init("the key that signed it (\(blob.fingerprint)) is not in allowed_signers"))
            }
            guard try SSHKeygen.verify(text, signature: signature, principal: first, namespace: RecordSignature.namespace, allowedSigners: allowedSigners) else {
                return .failure(.init("the signature by \(first) (\(blob.fingerprint)) does not match the record's bytes: the record was altered after it was signed"))
            }
            return .success(Signer(key: blob.fingerprint, principals: principals))
        } catch {
            return .failure(.init(error.message))
        }
    }
}
