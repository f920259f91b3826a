import ArgumentParser
import MusterCore
import MusterStore
import MusterTerminal

/// The second person of the two-person rule. Who approves is the OS user
/// running this command, as the kernel attests it (the owner of the
/// request file it leaves), never a flag: `--as` does not exist.
struct ApproveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "approve",
        abstract: "Approve (or deny) the step of a run that waits for an approval.",
        discussion: """
        Refused for the run's own operator, for someone not in the step's approval.from, and twice by one \
        person. The approval is taken in at once by the session executing the run, or when a paused run \
        is resumed. Exit 0 when it is recorded, 2 when it is refused (nothing was recorded).
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
            try approveRemotely(try RemoteRun(runID, shared: shared), reason: reason)
            return
        }
        let run = try TeamRun(runID, store: local, write: true)
        let (key, asked, rule) = try check(run, me: osUser(), operatorUser: run.state.operatorUser, reason: reason)
        show(key, asked, rule, operatorShown: run.operatorShown)
        let folder = RequestFolder(runDir: run.store.runDir(runID), runID: runID)
        let name = try folder.submit(.init(runID: runID, kind: reason == nil ? .approve : .deny, step: key, reason: reason, name: operatorName()), store: run.store)
        guard run.live else {
            print("Your \(reason == nil ? "approval" : "denial") is recorded; the run is not being executed now, and it counts when the run is resumed (`muster resume \(runID)`).")
            return
        }
        report(run.taken(name, within: 15), key: key, rule: rule, me: osUser(), count: { (try? TeamRun(runID, store: run.store, write: false).state.approvedBy[key]?.count) ?? nil })
    }

    /// From another machine, through the store: the identity is the caller's
    /// AWS identity, which the run's session checks with AWS (IdentityProof).
    func approveRemotely(_ run: RemoteRun, reason: String?) throws {
        let me: CallerIdentity
        do { me = try run.store.callerIdentity() } catch { throw CommandFailure(message: error.message) }
        // Across machines the rule compares AWS identities.
        let operatorUser = run.state.operatorIdentity.map(arnName) ?? run.state.operatorUser
        let (key, asked, rule) = try check(run, me: me.name, operatorUser: operatorUser, reason: reason)
        show(key, asked, rule, operatorShown: run.state.info?.operatorName ?? "?")
        print("You approve as \(me.arn) (OS user \(osUser())); the run's session checks that with AWS.")
        let name = try StoreInbox.submit(.init(runID: runID, kind: reason == nil ? .approve : .deny, step: key, reason: reason, host: hostName(), name: operatorName()),
                                         store: run.store, runID: runID)
        report(run.taken(name, within: 20), key: key, rule: rule, me: me.name, count: { (try? RemoteRun(runID, shared: run.shared).state.approvedBy[key]?.count) ?? nil })
    }

    /// The refusals `cli.md` lists; returns the step waiting and its rule.
    func check(_ run: RunEvents, me: String, operatorUser: String?, reason: String?) throws -> (String, JournalEvent, Approval) {
        guard run.state.outcome == nil, let (key, asked) = run.waitingStep else {
            throw CommandFailure(message: "run \(runID) is not waiting for an approval: \(run.whereItIs). `muster follow \(runID)` shows it live")
        }
        let rule = asked.approval?.rule ?? Approval()
        if let refusal = rule.refusal(user: me, operatorUser: operatorUser, already: reason == nil ? run.state.approvedBy[key] ?? [] : []) {
            throw CommandFailure(message: "refused: \(refusal)")
        }
        return (key, asked, rule)
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
