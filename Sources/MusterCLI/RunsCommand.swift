import ArgumentParser
import MusterBasics
import MusterRender
import MusterFormat
import MusterEngine
import MusterJournal
import MusterDrills
import MusterPreflight
import MusterApp
import MusterTerminal

struct RunsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runs",
        abstract: "List runs, newest first, with their state (running, paused, crashed, completed, failed, rolled_back)."
    )

    @Flag(help: "Print JSON.")
    var json = false

    func run() throws {
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

struct LogCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "log",
        abstract: "Print one run's journal: every event, in order."
    )

    @Argument(help: "The run (see `muster runs`).")
    var runID: String

    @Flag(help: "Print the journal's JSON lines as they are.")
    var json = false

    @Option(name: .customLong("output"), help: ArgumentHelp("Print what step STEP printed instead (masked, as shown; a branch's lines too).", valueName: "STEP"))
    var outputOf: String?

    func run() throws {
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
