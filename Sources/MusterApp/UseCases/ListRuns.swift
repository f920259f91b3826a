import MusterBasics
import MusterRender
import MusterFormat
import MusterEngine
import MusterJournal
import MusterDrills
import MusterPreflight
import MusterTerminal

/// `muster runs`: the runs in the state folder (and the store), newest first.
package struct ListRuns {
    package var json: Bool

    package init(json: Bool) {
        self.json = json
    }

    package func run() throws {
        let ws = Workspace()
        let store = RunStore(root: ws.root)
        try store.checkAccess(write: false)
        let runs = store.runIDs().reversed().compactMap(store.summary)
        if json {
            print(JSON.array(runs.map(\.json)).serialized(pretty: true))
            return
        }
        guard !runs.isEmpty else {
            print("No runs yet in \(store.runsDir). Start one with `muster run RUNBOOK`.")
            return
        }
        let style = Style.stdout
        let idWidth = runs.map { sanitize($0.id).count }.max() ?? 0
        print(style.bold("RUN".padded(idWidth) + "  STATE        ELAPSED  LAST STEP"))
        for r in runs {
            let state = r.status.name.padded(11)
            let colored = switch r.status {
            case .paused, .crashed: style.yellow(state)
            case .ended(.completed): style.green(state)
            case .running: style.cyan(state)
            case .damaged, .unusable, .ended: style.red(state)
            }
            print("\(sanitize(r.id).padded(idWidth))  \(colored)  \(formatSeconds(r.elapsed).padded(7, right: true))  \(sanitize(r.lastStep ?? "-"))" + (r.unshared ? "  (unshared: not all in the shared store yet)" : ""))
        }
        if runs.contains(where: \.resumable) { print("\nContinue a paused or crashed run with: muster resume [RUN_ID]") }
    }
}
