#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import ArgumentParser
import MusterBasics
import MusterApp

struct DueCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "due",
        abstract: "Drills due or overdue by their schedule; runbooks never drilled or drilled too long ago.",
        discussion: """
        A drill is due at the first time its schedule (cron, UTC) fires after its last record; one \
        never run is due since the schedule's latest time. A runbook is stale when no drill of it \
        (or of a runbook that includes it) ran within --stale-after in the environment its scheduled \
        drill names (production by default); sandbox and training drills are listed apart, never counted. \
        Exit status: 0 nothing due, 1 a drill is overdue or a runbook stale, 2 usage error.
        """
    )

    @Option(help: ArgumentHelp("The time to judge by, ISO 8601 (2026-11-27T09:00:00Z, or a date); default: now.", valueName: "TIME"))
    var now: String?

    @Option(help: ArgumentHelp("A runbook not drilled for longer than this is stale: 90d, 12w, 2w3d, 36h.", valueName: "SPAN"))
    var staleAfter: String = "90d"

    @Flag(help: "Print JSON.")
    var json = false

    @Option(help: ArgumentHelp("Where the records are (default: drills/records of the repository).", valueName: "DIR"))
    var recordsDir: String?

    func run() throws {
        try ShowDue(now: now, staleAfter: staleAfter, json: json, recordsDir: recordsDir).run()
    }
}
