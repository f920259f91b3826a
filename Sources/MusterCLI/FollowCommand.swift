#if canImport(Glibc)
@preconcurrency import Glibc
#endif
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import ArgumentParser
import MusterBasics
import MusterApp

struct FollowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "follow",
        abstract: "Watch a run live from another terminal, read-only (default: the newest run being executed now).",
        discussion: """
        Shows the run as its operator sees it, from its start, then live: output, the question \
        being asked and whose answer is awaited, the elapsed time against the RTO and the next \
        escalation rung. Stays attached through the operator's crash, pauses, hand-offs and resumes. \
        Exits 0 when the run ends (completed, failed, rolled back or abandoned). Ctrl-C stops \
        following (exit 3 while the run is paused, else 130); the run goes on. See docs/team-runs.md.
        """
    )

    @Argument(help: "The run to follow (see `muster runs`); default: the newest run being executed now.")
    var runID: String?

    @Flag(help: "One JSON object per line: the journal's events as they are appended, and the questions asked.")
    var json = false

    @Flag(help: "Stop following when the run pauses, with exit 3, instead of waiting for a resume.")
    var untilPause = false

    @OptionGroup var storeOption: StoreOption

    func run() throws {
        try FollowRun(runID: runID, json: json, untilPause: untilPause, openStore: { try storeOption.open() }).run()
    }
}
