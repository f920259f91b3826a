#if canImport(Glibc)
@preconcurrency import Glibc
#endif
import ArgumentParser
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
import MusterApp
import MusterGit
import MusterTerminal

struct DrillCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "drill",
        abstract: "Run a drill: its runbook with its parameters, timed against the RTO, and write its record.",
        discussion: """
        A drill is a run: it is journaled, answered and resumed exactly like `muster run`. When it ends \
        (recovered, failed, or paused: aborted) its record is written to drills/records/DRILL/TIMESTAMP.json; \
        a resumed drill rewrites the same record. A drill refuses a runbook with uncommitted changes unless \
        --allow-dirty is given, so that its record points at the commit it ran. Exit status as for `muster run`.
        """
    )

    @Argument(help: "A drill name (drills/NAME.yaml) or path.")
    var drill: String

    @Option(name: [.customShort("p"), .customLong("param")], help: "NAME=VALUE (repeatable); overrides the drill's own value, with a warning.")
    var params: [String] = []

    @Flag(help: "Answer checklist items and confirm gates with yes, as for `muster run --yes`. The record says unattended: true, and reports never count the run as best or in the trend.")
    var yes = false

    enum Mode: String, ExpressibleByArgument, CaseIterable { case live, rehearsal }

    @Option(help: "live (automated steps run) or rehearsal (they are shown, not run); overrides the drill file's mode.")
    var mode: Mode?

    @Option(name: .customLong("records-dir"), help: "Where records go (default: drills/records of the repository).")
    var recordsDir: String?

    @Option(help: "Also write the drill as JUnit XML to this file.")
    var junit: String?

    @Option(help: ArgumentHelp("Drill the runbook (and the runbooks it includes) as of this git commit, tag or branch; the drill file itself is read from the working tree.", valueName: "rev"))
    var rev: String?

    @Flag(help: "Start a new run even while another run of the same runbook is being executed (journaled).")
    var new = false

    @Option(help: ArgumentHelp("A training drill that replays this earlier run of the same runbook: each automated step does what it did then (exit status, reply, printed lines), nothing runs for real, and the record compares the trainee with what happened.", valueName: "RUN_ID"))
    var replay: String?

    @Flag(name: .customLong("allow-dirty"), help: "Drill even though the runbook or a runbook it includes has uncommitted changes (the record says runbook_dirty: true).")
    var allowDirty = false

    @Flag(name: .customLong("commit-record"), help: "When the drill ends, commit its record to the repository (only the record, whatever else is staged).")
    var commitRecord = false

    @OptionGroup var storeOption: StoreOption

    func run() throws {
        let ws = try Workspace(rev: rev)
        let shared = try storeOption.open()
        let (d, drillPath) = try ws.loadDrill(drill)
        let root = ws.catalog.root(forFileAt: drillPath)
        let (rb, path) = try ws.loadRunbook(ws.catalog.runbookPath(d.runbook, root: root))
        var given: [String: String] = [:]
        for p in d.params { given[p.name] = p.value }
        var overrides = false
        for (name, value) in try parseParams(params) {
            if let own = given[name], own != value {
                printError("muster: warning: -p \(name) overrides the drill's value '\(own)'; records of this drill may not compare")
                overrides = true
            }
            given[name] = value
        }
        let records = Paths.absolute(recordsDir ?? "drills/records", from: recordsDir == nil ? root : ws.cwd)
        var setup = DrillSetup(drill: d, runbook: rb, recordsDir: records, junit: junit.map { Paths.absolute($0, from: ws.cwd) })
        // Journaled with the drill, so a resume keeps the mode it began in.
        if let mode { setup.mode = mode.rawValue }
        setup.environment = d.environment(params: given).rawValue
        setup.overrides = overrides
        setup.timeScale = try Self.timeScale(environment: setup.environment)
        if let replay {
            try ReplaySource.check(replay, runbook: rb.name, root: ws.root)
            setup.replayOf = replay
            setup.environment = DrillEnvironment.training.rawValue
        }
        if commitRecord {
            setup.commitRecord = true
            try DrillFinish.checkCommittable(recordsDir: Paths.join(records, d.name))
        }
        let started = try RunSession.begin(ws: ws, runbook: rb, path: path, given: given, yes: yes, drill: setup,
                                           dirty: allowDirty ? .warn : .refuse, new: new, shared: shared)
        DrillFinish.write(journalPath: started.journalPath, setup: started.setup, root: ws.root, shared: shared)
        throw started.code
    }

    /// `MUSTER_TIME_SCALE`: the stand-in this drill runs against moves that
    /// many times faster than real time (the sandbox's SANDBOX_TIME_SCALE),
    /// so its waits poll that many times as often. Never in a production
    /// drill: a shell that kept the variable must not poll a real cloud
    /// every second.
    static func timeScale(environment: String?, from env: [String: String] = ProcessInfo.processInfo.environment) throws -> Int? {
        guard let raw = env["MUSTER_TIME_SCALE"], !raw.isEmpty else { return nil }
        guard let scale = Int(raw), scale >= 0 else {
            throw CommandFailure(message: "MUSTER_TIME_SCALE must be a whole number of 0 or more (how many times faster than real time the stand-in cloud runs; the sandbox sets it), not '\(raw)'; unset it to poll as the runbook says")
        }
        guard scale > 1 else { return nil }
        if environment == nil || environment == DrillEnvironment.production.rawValue {
            printError("muster: warning: MUSTER_TIME_SCALE=\(raw) is ignored: this is a production drill, and its waits poll as the runbook says")
            return nil
        }
        return scale
    }
}
