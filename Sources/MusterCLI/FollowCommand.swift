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
import MusterFormat
import MusterEngine
import MusterJournal
import MusterDrills
import MusterPreflight
import MusterApp
import MusterProcess
import MusterTerminal

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
        let store = RunStore(root: Workspace().root)
        // A run this machine does not have is followed from the shared store.
        if let runID, !store.runIDs().contains(runID), let shared = try storeOption.open() {
            throw try StoreFollow(shared: shared, runID: runID, json: json, untilPause: untilPause).follow()
        }
        let id = try pick(store)
        let code = Follower(store: store, runID: id, view: json ? FollowJSON() : FollowScreen(), untilPause: untilPause).follow()
        throw code
    }

    func pick(_ store: RunStore) throws -> String {
        let ids = store.runIDs()
        if let runID {
            try store.requireRun(runID)
            return try readable(store, runID)
        }
        guard let live = ids.reversed().first(where: { LiveLock.holder(of: Follower.lockPath(store, $0)) != nil }) else {
            throw CommandFailure(message: "no run is being executed now in \(store.runsDir); `muster runs` lists the runs, and `muster follow RUN_ID` shows one of them")
        }
        return try readable(store, live)
    }

    /// A run whose files this user may not read would show nothing for ever.
    func readable(_ store: RunStore, _ id: String) throws -> String {
        guard access(store.journalPath(id), R_OK) == 0 else {
            throw CommandFailure(message: "cannot read the journal of run \(id) (\(String(cString: strerror(errno)))): following a run needs read access to its folder \(store.runDir(id))")
        }
        return id
    }
}
