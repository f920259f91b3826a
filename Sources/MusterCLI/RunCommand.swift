import ArgumentParser
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import MusterBasics
import MusterApp

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Execute a runbook step by step, journaling every event so it can be resumed.",
        discussion: """
        Answers are read one line each from the terminal, or from stdin when it is not a terminal. \
        Exit status: 0 completed, 1 failed, 2 nothing was run (bad runbook, parameter or secret), 3 paused (muster resume continues).
        """
    )

    @Argument(help: "A runbook name (runbooks/NAME.yaml) or path.")
    var runbook: String

    @Option(name: [.customShort("p"), .customLong("param")], help: "NAME=VALUE (repeatable).")
    var params: [String] = []

    @Flag(help: "Answer checklist items and confirm gates with yes, recorded as automatic; failures follow on_failure (default abort).")
    var yes = false

    @Flag(help: "Start a new run even while another run of the same runbook is being executed (journaled).")
    var new = false

    @Flag(name: .customLong("dry-run"), help: "Show the resolved plan and run nothing.")
    var dryRun = false

    @Option(help: ArgumentHelp("Run the runbook (and the runbooks it includes) as of this git commit, tag or branch, read from the repository, not the working tree.", valueName: "rev"))
    var rev: String?

    @OptionGroup var storeOption: StoreOption

    func run() throws {
        try StartRun(runbook: runbook, params: params, yes: yes, new: new, dryRun: dryRun, rev: rev, openStore: { try storeOption.open() }).run()
    }
}
