import MusterBasics
import MusterFormat
import MusterEngine
import MusterJournal
import MusterDrills
import MusterPreflight
import MusterStore
import MusterTerminal

/// `muster approve`: a second person signs a run's pending approval request,
/// left in the run's folder or, for a run on another machine, in the store.
package struct ApproveRequest {
    package var runID: String
    package var deny: String?
    /// Opened where the command opened it: `--store`, else MUSTER_STORE.
    package var openStore: () throws -> SharedStore?

    package init(runID: String, deny: String?, openStore: @escaping () throws -> SharedStore?) {
        self.runID = runID
        self.deny = deny
        self.openStore = openStore
    }

    package func run() throws {
        let reason = deny.map { $0.split(whereSeparator: \.isWhitespace).joined(separator: " ") }
        if let reason, reason.isEmpty { throw CommandFailure(message: "say why you deny the step: --deny REASON") }
        let ws = Workspace()
        let local = RunStore(root: ws.root)
        if !local.runIDs().contains(runID), let shared = try openStore() {
            try approveRemotely(try RemoteRun(runID, shared: shared), reason: reason, root: ws.root)
            return
        }
        let run = try TeamRun(runID, store: local, write: true, root: ws.root)
        let (key, _, rule, signed, signer) = try check(run, reason: reason, root: ws.root)
        let folder = RequestFolder(runDir: run.store.runDir(runID), runID: runID)
        let name = try folder.submit(.init(runID: runID, kind: reason == nil ? .approve : .deny, step: key, reason: reason, name: operatorName(), signed: signed), store: run.store)
        guard run.live else {
            print("Your \(reason == nil ? "approval" : "denial") is recorded; the run is not being executed now, and it counts when the run is resumed (`muster resume \(runID)`).")
            return
        }
        report(run.taken(name, within: 15), key: key, rule: rule, me: signer.name,
               count: { (try? TeamRun(runID, store: run.store, write: false, root: ws.root).state.approvers(key).count) ?? nil })
    }

    /// From another machine, through the store: the signature is the proof;
    /// the caller's AWS identity (checked with STS by the session) is context.
    package func approveRemotely(_ run: RemoteRun, reason: String?, root: String) throws {
        // Opening the store asked STS already; a store without it (MinIO,
        // R2) has no AWS identity to show, and the signature is the proof.
        let known: String
        if let who = run.shared.identity {
            known = "AWS knows you as \(who.arn)"
        } else if run.shared.unattested != nil {
            known = "the store's STS does not attest identities"
        } else {
            do { known = "AWS knows you as \(try run.store.callerIdentity().arn)" } catch { throw CommandFailure(message: error.message) }
        }
        let (key, _, rule, signed, signer) = try check(run, reason: reason, root: root)
        print("You sign as \(signer.name) (key \(signer.key)); \(known), OS user \(osUser()).")
        let name = try run.shared.submit(.init(runID: runID, kind: reason == nil ? .approve : .deny, step: key, reason: reason, host: hostName(), name: operatorName(), signed: signed),
                                         runID: runID)
        report(run.taken(name, within: 20), key: key, rule: rule, me: signer.name, count: { (try? RemoteRun(runID, shared: run.shared).state.approvers(key).count) ?? nil })
    }

    /// The refusals `cli.md` lists, after signing what is shown; returns
    /// the step waiting, its rule and the signed statement.
    package func check(_ run: RunEvents, reason: String?, root: String) throws -> (String, JournalEvent, Approval, Signed, Signer) {
        guard run.state.outcome == nil, let (key, asked) = run.waitingStep else {
            throw CommandFailure(message: "run \(runID) is not waiting for an approval: \(run.whereItIs). `muster follow \(runID)` shows it live")
        }
        let rule = asked.approval?.rule ?? Approval()
        show(key, asked, rule, operatorShown: run.state.info?.operatorName ?? run.state.operatorUser ?? "?")
        guard let checker = Signing.checker(root: root) else {
            throw CommandFailure(message: "there is no allowed_signers file at \(root), so no approval can be checked: \(Signing.setUpHint(root: root))")
        }
        let statement = SignedStatement(runID: runID, step: key, sha256: asked.sha256 ?? SignedStatement.digest(asked.text ?? ""),
                                        decision: reason == nil ? .approve : .deny, reason: reason ?? "", at: utcStamp())
        let (signed, signer) = try Signing.sign(statement, root: root, checker: checker)
        if let refusal = rule.refusal(key: signer.key, principals: signer.principals, operatorKey: run.state.operatorKey,
                                      already: reason == nil ? run.state.approvers(key) : []) {
            throw CommandFailure(message: "refused: \(refusal)")
        }
        return (key, asked, rule, signed, signer)
    }

    package func show(_ key: String, _ asked: JournalEvent, _ rule: Approval, operatorShown: String) {
        print("Step '\(sanitize(key))' of run \(runID), operated by \(sanitize(operatorShown)), waits for approval by \(sanitize(asked.value ?? rule.who)). It will run:")
        for line in (asked.text ?? "").split(separator: "\n", omittingEmptySubsequences: false) { print("    \(sanitize(String(line)))") }
    }

    package func report(_ taken: JournalEvent?, key: String, rule: Approval, me: String, count: () -> Int?) {
        switch taken?.event {
        case .approvalGiven?:
            let n = count() ?? 1
            print(n >= rule.count ? "Approved by \(me) (\(n) of \(rule.count)): the step goes on." : "Approved by \(me) (\(n) of \(rule.count)): \(rule.count - n) more needed.")
        case .approvalDenied?:
            print("Denied by \(me): the step failed, and the operator chooses what next.")
        default:
            print("Your \(deny == nil ? "approval" : "denial") is left for the run, which has not taken it in yet; `muster log \(runID)` shows approval_given when it has.")
        }
    }
}
