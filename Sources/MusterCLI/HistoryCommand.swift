import ArgumentParser
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import MusterBasics
import MusterApp

struct HistoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "List the git versions of a runbook, newest first, and how the drills of each went.",
        discussion: """
        Every commit that changed the runbook file, following renames (as `git log --follow`): short id, \
        author date (UTC), author, subject, how many drills ran that version exactly and the best elapsed \
        time among those that recovered (attended: never an unattended --yes drill). Drills are counted from the records under drills/records/ by their \
        runbook_commit; records that ran uncommitted changes are counted apart. Outside git, in a repository \
        with no commits, or for an untracked runbook it says why there is no history (exit 0).
        """
    )

    @Argument(help: "A runbook name (runbooks/NAME.yaml) or path; it need not load, nor still exist in the working tree.")
    var runbook: String

    @Option(help: ArgumentHelp("Where the drill records are (default: drills/records of the repository).", valueName: "DIR"))
    var recordsDir: String?

    @Flag(help: "Print JSON.")
    var json = false

    func run() throws {
        try ShowHistory(runbook: runbook, recordsDir: recordsDir, json: json).run()
    }
}
