#if canImport(Glibc)
@preconcurrency import Glibc
#endif
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

/// The two-person rule's keys (cli.md "Team runs"): who signs is whoever
/// holds the private key, and `allowed_signers` at the repository root,
/// reviewed in git like the runbooks, says whose key it is.
package enum Signing {
    package static func allowedSigners(root: String) -> String { Paths.join(root, "allowed_signers") }

    /// `MUSTER_SIGNING_KEY`, else the first of `~/.ssh/id_ed25519`,
    /// `id_ecdsa`, `id_rsa` that exists.
    package static func keyFile(_ env: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        if let k = env["MUSTER_SIGNING_KEY"], !k.isEmpty { return k }
        let home = env["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? (getpwuid(getuid()).map { String(cString: $0.pointee.pw_dir) } ?? "")
        return ["id_ed25519", "id_ecdsa", "id_rsa"].map { Paths.join(home, ".ssh/" + $0) }.first(where: Paths.exists)
    }

    /// How a person without a key, or whose key is not listed, sets up.
    package static func setUpHint(root: String) -> String {
        let key = keyFile() ?? "~/.ssh/id_ed25519"
        return "create a key if you have none (`ssh-keygen -t ed25519`), then add yourself to \(Paths.display(allowedSigners(root: root), from: Paths.currentDirectory)) "
            + "with `echo \"YOUR-NAME $(cat \(key).pub)\" >> allowed_signers` and commit it for review (docs/team-runs.md); "
            + "MUSTER_SIGNING_KEY names another key (a private key file, or a .pub whose key ssh-agent holds)"
    }

    /// Signs `statement` with this person's key, and checks at once that
    /// `allowed_signers` knows it (a signature nobody can verify is refused
    /// here, with the set-up to do, rather than by the run later).
    package static func sign(_ statement: SignedStatement, root: String, checker: SSHSignatureChecker) throws -> (Signed, Signer) {
        guard let key = keyFile() else {
            throw CommandFailure(message: "no SSH key to sign with: \(setUpHint(root: root))")
        }
        guard Paths.exists(key) else {
            throw CommandFailure(message: "the signing key \(key) does not exist: \(setUpHint(root: root))")
        }
        let signature: String
        do {
            signature = try SSHKeygen.sign(statement.text, keyFile: key, namespace: SignedStatement.namespace)
        } catch {
            throw CommandFailure(message: "\(error.message); \(setUpHint(root: root))")
        }
        let signed = Signed(statement: statement.text, signature: signature)
        switch checker.check(signed) {
        case .success(let signer): return (signed, signer)
        case .failure(let r): throw CommandFailure(message: "your signature cannot be verified: \(r.message); \(setUpHint(root: root))")
        }
    }

    /// The checker for a repository, or nil when it has no `allowed_signers`.
    package static func checker(root: String) -> SSHSignatureChecker? {
        let path = allowedSigners(root: root)
        return Paths.exists(path) ? SSHSignatureChecker(allowedSigners: path) : nil
    }

    /// Whether a runbook (or one it includes) has a step that needs approval.
    package static func needsApproval(_ runbooks: [Runbook]) -> Bool {
        runbooks.contains { rb in rb.keyedSteps.contains { $0.step.automation?.approval != nil } }
    }

    /// Before a run is created: the file and a key exist, and the key is
    /// listed, so a refusal comes before anything is written.
    package static func precheck(_ runbooks: [Runbook], root: String) throws {
        guard needsApproval(runbooks) else { return }
        try precheck(what: "runbook '\(runbooks[0].name)' has steps that need approval", root: root)
    }

    /// The same for `what` (a run about to be taken over, say).
    package static func precheck(what: String, root: String) throws {
        let listed = allowedSigners(root: root)
        guard let text = (try? Paths.read(listed)).map({ String(decoding: $0, as: UTF8.self) }) else {
            throw CommandFailure(message: "\(what), and \(Paths.display(listed, from: Paths.currentDirectory)) does not exist: \(setUpHint(root: root))")
        }
        guard let key = keyFile() else { throw CommandFailure(message: "\(what), and its operator signs the run: no SSH key to sign with: \(setUpHint(root: root))") }
        guard Paths.exists(key) else { throw CommandFailure(message: "\(what), and its operator signs the run: the signing key \(key) does not exist: \(setUpHint(root: root))") }
        if let pub = SSHKeygen.publicKey(of: key)?.split(separator: " ").dropFirst().first, !text.contains(pub) {
            throw CommandFailure(message: "your key \(key) is not in \(Paths.display(listed, from: Paths.currentDirectory)), and a run with steps that need approval is signed by its operator: \(setUpHint(root: root))")
        }
    }

    /// A session of a run with approval steps signs that it operates the
    /// run (start, resume, takeover), so "someone other than the operator"
    /// compares keys. Runs without such steps are not signed.
    package static func prepareSession(_ setup: inout RunSetup, root: String) throws {
        guard needsApproval([setup.runbook] + Array(setup.includes.values)) else { return }
        guard let checker = checker(root: root) else {
            throw CommandFailure(message: "runbook '\(setup.runbook.name)' has steps that need approval, and \(Paths.display(allowedSigners(root: root), from: Paths.currentDirectory)) does not exist: \(setUpHint(root: root))")
        }
        let statement = SignedStatement(runID: setup.runID, step: "-", sha256: setup.runbookSHA256, decision: .operate, at: utcStamp())
        let (signed, signer) = try sign(statement, root: root, checker: checker)
        setup.session = RunSetup.SessionSignature(signed: signed, key: signer.key, principal: signer.name)
        setup.signatures = checker
    }
}
