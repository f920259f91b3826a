#if canImport(Glibc)
@preconcurrency import Glibc
#endif
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import MusterBasics
import MusterFormat
import MusterEngine
import MusterJournal
import MusterDrills
import MusterPreflight
import MusterProcess
import MusterTerminal

/// `muster follow`: shows a run another session executes, read-only, from its
/// folder or, for a run on another machine, from the store.
package struct FollowRun {
    package var runID: String?
    package var json: Bool
    package var untilPause: Bool
    /// Opened where the command opened it: `--store`, else MUSTER_STORE.
    package var openStore: () throws -> SharedStore?

    package init(runID: String?, json: Bool, untilPause: Bool, openStore: @escaping () throws -> SharedStore?) {
        self.runID = runID
        self.json = json
        self.untilPause = untilPause
        self.openStore = openStore
    }

    package func run() throws {
        let store = RunStore(root: Workspace().root)
        // A run this machine does not have is followed from the shared store.
        if let runID, !store.runIDs().contains(runID), let shared = try openStore() {
            throw try StoreFollow(shared: shared, runID: runID, json: json, untilPause: untilPause).follow()
        }
        let id = try pick(store)
        let code = Follower(store: store, runID: id, view: json ? FollowJSON() : FollowScreen(), untilPause: untilPause).follow()
        throw code
    }

    package func pick(_ store: RunStore) throws -> String {
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
    package func readable(_ store: RunStore, _ id: String) throws -> String {
        guard access(store.journalPath(id), R_OK) == 0 else {
            throw CommandFailure(message: "cannot read the journal of run \(id) (\(String(cString: strerror(errno)))): following a run needs read access to its folder \(store.runDir(id))")
        }
        return id
    }
}
