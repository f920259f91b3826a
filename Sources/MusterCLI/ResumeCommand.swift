import ArgumentParser
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import MusterBasics
import MusterApp

struct ResumeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resume",
        abstract: "Continue the newest paused or crashed run, or RUN_ID, where it stopped.",
        discussion: """
        Finished steps are not run again and confirmed checklist items are not asked again. A step that was \
        running when the executor died runs again if it is idempotent; otherwise you choose r, d or s \
        (with --yes the run pauses instead). A step left running when the terminal was lost is never run \
        again: resume waits for its end (showing its output) or reads it from the journal, and goes on. Exit status as for `muster run`; 2 when there is nothing to resume.
        """
    )

    @Argument(help: "The run to continue (see `muster runs`); default: the newest paused or crashed run.")
    var runID: String?

    @Flag(help: "Answer checklist items and confirm gates with yes, as for `muster run --yes`.")
    var yes = false

    @Flag(help: "Resume even though the runbook changed since the run began.")
    var force = false

    @OptionGroup var storeOption: StoreOption

    func run() throws {
        try ResumeRun(yes: yes, force: force).run(runID, shared: try storeOption.open())
    }
}
