import ArgumentParser
import MusterBasics
import MusterApp

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
        try ApproveRequest(runID: runID, deny: deny, openStore: { try storeOption.open() }).run()
    }
}
