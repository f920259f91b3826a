import ArgumentParser
import MusterCore
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

    @Option(help: "Deny the step instead, saying why: the step fails into its usual failure choices.")
    var deny: String?

    func run() throws {
        let reason = deny.map { $0.split(whereSeparator: \.isWhitespace).joined(separator: " ") }
        if let reason, reason.isEmpty { throw CommandFailure(message: "say why you deny the step: --deny REASON") }
        let ws = Workspace()
        let run = try TeamRun(runID, store: RunStore(root: ws.root), write: true)
        guard run.state.outcome == nil else { throw CommandFailure(message: "run \(runID) is not waiting for an approval: \(run.whereItIs)") }
        guard let (key, asked) = run.waitingStep else {
            throw CommandFailure(message: "run \(runID) is not waiting for an approval: \(run.whereItIs). `muster follow \(runID)` shows it live")
        }
        let me = osUser()
        let rule = asked.approval?.rule ?? Approval()
        if let refusal = rule.refusal(user: me, operatorUser: run.state.operatorUser, already: reason == nil ? run.state.approvedBy[key] ?? [] : []) {
            throw CommandFailure(message: "refused: \(refusal)")
        }
        print("Step '\(sanitize(key))' of run \(runID), operated by \(sanitize(run.operatorShown)), waits for approval by \(sanitize(asked.value ?? rule.who)). It will run:")
        for line in (asked.text ?? "").split(separator: "\n", omittingEmptySubsequences: false) { print("    \(sanitize(String(line)))") }
        let folder = RequestFolder(runDir: run.store.runDir(runID), runID: runID)
        let name = try folder.submit(.init(runID: runID, kind: reason == nil ? .approve : .deny, step: key, reason: reason, name: operatorName()), store: run.store)
        let verb = reason == nil ? "approval" : "denial"
        guard run.live else {
            print("Your \(verb) is recorded; the run is not being executed now, and it counts when the run is resumed (`muster resume \(runID)`).")
            return
        }
        switch run.taken(name, within: 15)?.event {
        case .approvalGiven?:
            let now = try TeamRun(runID, store: run.store, write: false).state
            let n = now.approvedBy[key]?.count ?? 1
            print(n >= rule.count ? "Approved by \(me) (\(n) of \(rule.count)): the step goes on." : "Approved by \(me) (\(n) of \(rule.count)): \(rule.count - n) more needed.")
        case .approvalDenied?:
            print("Denied by \(me): the step failed, and the operator chooses what next.")
        default:
            print("Your \(verb) is left for the run, which has not taken it in yet; `muster log \(runID)` shows approval_given when it has.")
        }
    }
}
