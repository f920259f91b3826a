import ArgumentParser
#if canImport(Glibc)
@preconcurrency import Glibc
#endif
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import MusterBasics
import MusterApp

/// Paused and crashed runs pile up after an incident; a stale one must not
/// be what a bare `muster resume` picks at the next. Abandoning is an event
/// in the run's own journal, so who closed it and why stays with the run.
struct AbandonCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "abandon",
        abstract: "Close a paused or crashed run for good: it is no longer resumable.",
        discussion: """
        The journal records run_abandoned with who and why; a drill's record says aborted. \
        A run being executed, or already finished, is refused (exit 2).
        """
    )

    @Argument(help: "The run to close (see `muster runs`).")
    var runID: String

    @Option(help: "Why the run is closed (journaled).")
    var reason: String

    func run() throws {
        try AbandonRun(runID: runID, reason: reason).run()
    }
}
