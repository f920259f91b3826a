#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import MusterStore

/// `muster preflight` with `MUSTER_STORE` set: whether the shared store
/// takes this machine's credentials, and which source of the AWS chain
/// they came from, so a team learns before an incident that a pod found
/// its web identity or an instance its role. Names and ARNs only.
package enum PreflightStore {
    /// The lines to print and whether the store is usable; nil without a store.
    package static func check(_ env: [String: String]) -> (passed: Bool, lines: [String])? {
        guard let given = env["MUSTER_STORE"], !given.isEmpty else { return nil }
        let shared: SharedStore
        do {
            shared = try SharedStore(path: StorePath(parsing: given), env: env)
        } catch {
            let message = (error as? CommandFailure)?.message ?? (error as? StoreError)?.message ?? "\(error)"
            return (false, ["✗ shared store \(given): \(message)"])
        }
        let source = "credentials: \(shared.credentialSummary)"
        if let unreachable = shared.unreachable {
            return (false, ["✗ shared store \(shared.url) cannot be reached: \(unreachable.message)", "  \(source)"])
        }
        if let unattested = shared.unattested {
            return (true, ["✓ shared store \(shared.url)", "  \(source); its STS does not attest identities (GetCallerIdentity: \(unattested.code ?? "refused"))"])
        }
        return (true, ["✓ shared store \(shared.url)", "  \(source)" + (shared.identity.map { ", known to AWS as \($0.arn)" } ?? "")])
    }
}
