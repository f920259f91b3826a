import ArgumentParser
import MusterBasics
import MusterFormat
import MusterEngine
import MusterJournal
import MusterDrills
import MusterPreflight
import MusterApp
import MusterStore
import MusterTerminal

/// The second person of the two-person rule. Who approves is whoever
/// signs: the approval is a statement (the run, the step, the SHA-256 of
/// the command shown here, the decision) signed with this person's SSH key
/// and checked against `allowed_signers`, never a flag or a user name.
struct ApproveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "approve",
        abstract: "Approve (or deny) the step of a run that waits for an approval.",
        discussion: """
        The approval is signed with your SSH key (MUSTER_SIGNING_KEY, else ~/.ssh/id_ed25519, id_ecdsa, id_rsa) \
        and checked against allowed_signers at the repository root. Refused for the run's operator's key, for \
        a key whose names are not in the step's approval.from, and twice by one key. The approval is taken in \
        at once by the session executing the run, or when a paused run is resumed. Exit 0 when it is \
        recorded, 2 when it is refused (nothing was recorded).
        """
    )

    @Argument(help: "The run (see `muster runs`).")
    var runID: String

    @Option(help: ArgumentHelp("Deny the step instead, saying why: the step fails into its usual failure choices.", valueName: "reason"))
    var deny: String?

    /// For a run executed on another machine.
    @OptionGroup var storeOption: StoreOption

    func run() throws {
        let reason = deny.map { $0.split(whereSeparator: \.isWhitespace).joined(separator: " ") }
        if let reason, reason.isEmpty { throw CommandFailure(message: "say why you deny the step: --deny REASON") }
        let ws = Workspace()
        let local = RunStore(root: ws.root)
        if !local.runIDs().contains(runID), let shared = try storeOption.open() {
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
    func approveRemotely(_ run: RemoteRun, reason: String?, root: String) throws {
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
    func check(_ run: RunEvents, reason: String?, root: String) throws -> (String, JournalEvent, Approval, Signed, Signer) {
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

    func show(_ key: String, _ asked: JournalEvent, _ rule: Approval, operatorShown: String) {
        print("Step '\(sanitize(key))' of run \(runID), operated by \(sanitize(operatorShown)), waits for approval by \(sanitize(asked.value ?? rule.who)). It will run:")
        for line in (asked.text ?? "").split(separator: "\n", omittingEmptySubsequences: false) { print("    \(sanitize(String(line)))") }
    }

    func report(_ taken: JournalEvent?, key: String, rule: Approval, me: String, count: () -> Int?) {
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
