import MusterBasics
import MusterRender
import MusterFormat
import MusterEngine
import MusterJournal
import MusterDrills
import MusterPreflight
import MusterTerminal

/// `muster log`: one run's journal, every event in order, or what one step printed.
package struct ShowLog {
    package var runID: String
    package var json: Bool
    package var outputOf: String?

    package init(runID: String, json: Bool, outputOf: String?) {
        self.runID = runID
        self.json = json
        self.outputOf = outputOf
    }

    package func run() throws {
        let ws = Workspace()
        let store = RunStore(root: ws.root)
        try store.checkAccess(write: false)
        try store.requireRun(runID)
        if let step = outputOf {
            // Each step's own lines, whether it ran alone or beside others.
            let lines = Transcript.lastLines(of: step, runDir: store.runDir(runID), count: .max)
            if lines.isEmpty { printError("muster: no output from step '\(sanitize(step))' in run \(sanitize(runID)) (step keys: muster log \(sanitize(runID)))") }
            for l in lines { print(sanitize(l)) }
            return
        }
        let read: (events: [JournalEvent], warning: String?)
        do {
            read = try FileJournal.read(path: store.journalPath(runID))
        } catch {
            throw CommandFailure(message: error.message)
        }
        if let w = read.warning { printError("muster: warning: \(w)") }
        if json {
            let bytes = (try? Paths.read(store.journalPath(runID))) ?? []
            print(JSON.escapingControls(String(decoding: bytes, as: UTF8.self)), terminator: "")
            return
        }
        for e in read.events { print(sanitize(LogLine.render(e), lines: true)) }
    }
}
