#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import ArgumentParser
import MusterBasics
import MusterApp

struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check a run's journal hash chain, or a drill record against its journal.",
        discussion: """
        `muster verify RUN_ID` checks that no event of the run's journal was altered, removed, inserted \
        or moved since it was written. `muster verify RECORD.json` also checks that the journal holds the \
        event the record ends at and that the record says what the journal says. Exit 0 when intact, \
        1 naming the first event or field that is not, 2 when there is no such run or record. --json prints \
        the result as one JSON document on stdout (see docs/cli.md). See docs/evidence.md.
        """
    )

    @Argument(help: ArgumentHelp("A run id (see `muster runs`) or a drill record file.", valueName: "RUN_ID|RECORD.json"))
    var target: String

    @Option(help: ArgumentHelp("The journal to check a record against (default: the record's run in the state folder).", valueName: "FILE"))
    var journal: String?

    @Flag(name: .customLong("signed"), help: "For a record: exit 1 when it is not signed (an unsigned record is only as good as whoever holds its journal).")
    var requireSignature = false

    @OptionGroup var storeOption: StoreOption

    @Flag(help: "Print the result as one JSON document on stdout (exit status unchanged).")
    var json = false

    func run() throws {
        try VerifyRun(target: target, journal: journal, requireSignature: requireSignature, json: json, openStore: { try storeOption.open() }).run()
    }
}
