#if canImport(Glibc)
@preconcurrency import Glibc
#endif
import ArgumentParser
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import MusterCore
import MusterTerminal

struct DrillCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "drill",
        abstract: "Run a drill: its runbook with its parameters, timed against the RTO, and write its record.",
        discussion: """
        A drill is a run: it is journaled, answered and resumed exactly like `muster run`. When it ends \
        (recovered, failed, or paused: aborted) its record is written to drills/records/DRILL/TIMESTAMP.json; \
        a resumed drill rewrites the same record. Exit status as for `muster run`.
        """
    )

    @Argument(help: "A drill name (drills/NAME.yaml) or path.")
    var drill: String

    @Option(name: [.customShort("p"), .customLong("param")], help: "NAME=VALUE (repeatable); overrides the drill's own value, with a warning.")
    var params: [String] = []

    @Flag(help: "Answer checklist items and confirm gates with yes, as for `muster run --yes`.")
    var yes = false

    @Option(name: .customLong("records-dir"), help: "Where records go (default: drills/records of the repository).")
    var recordsDir: String?

    @Option(help: "Also write the drill as JUnit XML to this file.")
    var junit: String?

    func run() throws {
        let ws = Workspace()
        let (d, drillPath) = try ws.loadDrill(drill)
        let root = ws.catalog.root(forFileAt: drillPath)
        let (rb, path) = try ws.loadRunbook(ws.catalog.runbookPath(d.runbook, root: root))
        var given: [String: String] = [:]
        for p in d.params { given[p.name] = p.value }
        for (name, value) in try parseParams(params) {
            if let own = given[name], own != value {
                printError("muster: warning: -p \(name) overrides the drill's value '\(own)'; records of this drill may not compare")
            }
            given[name] = value
        }
        let records = Paths.absolute(recordsDir ?? "drills/records", from: recordsDir == nil ? root : ws.cwd)
        let setup = DrillSetup(drill: d, runbook: rb, recordsDir: records, junit: junit.map { Paths.absolute($0, from: ws.cwd) })
        let started = try RunSession.begin(ws: ws, runbook: rb, path: path, given: given, yes: yes, drill: setup)
        DrillFinish.write(journalPath: started.journalPath, setup: started.setup, root: ws.root)
        throw started.code
    }
}

/// Writes a drill's record (and JUnit file) from its journal, and prints the
/// summary. Run after every session of a drill: a paused drill leaves an
/// `aborted` record, which the session that finishes it rewrites.
enum DrillFinish {
    static func write(journalPath: String, setup: RunSetup, root: String) {
        guard let drill = setup.drill else { return }
        guard let events = try? FileJournal.read(path: journalPath).events,
              let record = DrillRecorder.record(events: events, drill: drill,
                                                steps: DrillRecorder.stepFacts(setup.runbook, includes: setup.includes),
                                                runbookCommit: nil, runbookDirty: false) else {
            printError("muster: warning: the drill's journal \(journalPath) could not be read back; no record written (`muster resume` rewrites it)")
            return
        }
        let dir = Paths.join(drill.recordsDir, drill.name)
        let file = Paths.join(dir, DrillRecord.fileStem(startedAt: record.startedAt) + ".json")
        var written: [String] = []
        do {
            try writeAtomically(record.json.serialized(pretty: true) + "\n", to: file)
            written.append(Paths.display(file, from: Paths.currentDirectory))
            if let junit = drill.junit {
                try writeAtomically(JUnit.render(record), to: junit)
                written.append(Paths.display(junit, from: Paths.currentDirectory))
            }
        } catch {
            printError("muster: warning: could not write the drill record: \(error); the journal \(journalPath) keeps every event (`muster resume` rewrites it)")
        }
        print(DrillSummary.render(record, style: .stdout))
        for w in written { print("Record written: \(w)") }
    }

    /// A half-written record must never replace a whole one: write beside
    /// it, flush, then rename over it.
    static func writeAtomically(_ text: String, to path: String) throws {
        try FileManager.default.createDirectory(atPath: Paths.dirname(path), withIntermediateDirectories: true)
        let tmp = path + ".tmp"
        guard FileManager.default.createFile(atPath: tmp, contents: Data(text.utf8)) else {
            throw CommandFailure(message: "cannot create \(tmp)")
        }
        let fd = open(tmp, O_RDONLY)
        if fd >= 0 { fsync(fd); close(fd) }
        guard rename(tmp, path) == 0 else { throw CommandFailure(message: "cannot rename \(tmp) to \(path)") }
    }
}
