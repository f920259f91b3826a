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
import MusterGit
import MusterTerminal

/// `muster drill`: runs a drill's runbook as a timed exercise and writes its
/// record (and JUnit file) when the session ends.
package struct DrillRun {
    package var drill: String
    package var params: [String]
    package var yes: Bool
    /// `live` or `rehearsal`; nil: the drill's own.
    package var mode: String?
    package var recordsDir: String?
    package var junit: String?
    package var rev: String?
    package var new: Bool
    package var replay: String?
    package var allowDirty: Bool
    package var commitRecord: Bool
    /// Opened where the command opened it: `--store`, else MUSTER_STORE.
    package var openStore: () throws -> SharedStore?

    package init(drill: String, params: [String], yes: Bool, mode: String?, recordsDir: String?, junit: String?, rev: String?, new: Bool, replay: String?, allowDirty: Bool, commitRecord: Bool, openStore: @escaping () throws -> SharedStore?) {
        self.drill = drill
        self.params = params
        self.yes = yes
        self.mode = mode
        self.recordsDir = recordsDir
        self.junit = junit
        self.rev = rev
        self.new = new
        self.replay = replay
        self.allowDirty = allowDirty
        self.commitRecord = commitRecord
        self.openStore = openStore
    }

    package func run() throws {
        let ws = try Workspace(rev: rev)
        let shared = try openStore()
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
        if let mode { setup.mode = mode }
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
    package static func timeScale(environment: String?, from env: [String: String] = ProcessInfo.processInfo.environment) throws -> Int? {
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
