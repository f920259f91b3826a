import MusterBasics
import MusterEngine
import MusterJournal

/// The earlier run a `muster drill --replay RUN_ID` replays, read from the
/// state folder the replaying run lives in.
package enum ReplaySource {
    /// A run of another runbook, or none, is refused before anything starts.
    package static func check(_ runID: String, runbook: String, root: String) throws {
        let store = RunStore(root: root)
        try store.requireRun(runID, also: " to replay")
        let events = (try? FileJournal.read(path: store.journalPath(runID)).events) ?? []
        guard let info = events.first(where: { $0.event == .runStarted })?.run else {
            throw CommandFailure(message: "run \(runID) has no readable start in its journal; there is nothing to replay")
        }
        guard info.runbook == runbook else {
            throw CommandFailure(message: "run \(runID) is a run of runbook '\(info.runbook)', not '\(runbook)'; replay a run of the drill's runbook (muster runs lists them)")
        }
    }

    /// The stand-in for every automated step of a replay whose run folder
    /// is `runDir`: RUN_ID is its neighbour in the same runs folder.
    package static func standIn(_ runID: String, beside runDir: String) -> ReplayStandIn {
        let dir = Paths.join(Paths.dirname(runDir), runID)
        let events = (try? FileJournal.read(path: Paths.join(dir, "journal.jsonl")).events) ?? []
        return ReplayStandIn(runID: runID, events: events, lines: { Transcript.lastLines(of: $0, runDir: dir, count: .max) })
    }
}
