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

/// Writes a drill's record (and JUnit file) from its journal, and prints the
/// summary. Run after every session of a drill: a paused drill leaves an
/// `aborted` record, which the session that finishes it rewrites.
enum DrillFinish {
    static func write(journalPath: String, setup: RunSetup, root: String, shared: SharedStore? = nil) {
        guard let drill = setup.drill else { return }
        // The git facts are those of the run's start, from its journal: a
        // resumed drill keeps the version its first session ran.
        // A record lists who approved: only approvals whose signature holds.
        guard let events = (try? FileJournal.read(path: journalPath).events).map({ TrustedFold.check($0, runID: setup.runID, root: root).believed }),
              let info = events.first(where: { $0.event == .runStarted })?.run,
              var record = DrillRecorder.record(events: events, drill: drill,
                                                steps: DrillRecorder.stepFacts(setup.runbook, includes: setup.includes),
                                                runbookCommit: info.runbookCommit, runbookDirty: info.runbookDirty ?? false) else {
            printError("muster: warning: the drill's journal \(journalPath) could not be read back; no record written (`muster resume \(setup.runID)` writes it once the journal reads)")
            return
        }
        if let replayed = drill.replayOf {
            let path = Paths.join(Paths.join(Paths.dirname(Paths.dirname(journalPath)), replayed), "journal.jsonl")
            if let original = (try? FileJournal.read(path: path).events).flatMap({
                DrillRecorder.record(events: $0, drill: drill, steps: DrillRecorder.stepFacts(setup.runbook, includes: setup.includes), runbookCommit: nil, runbookDirty: false)
            }) {
                record.replay = ReplayScore(runID: replayed, trainee: record, original: original)
            }
        }
        // The journal's last hash pins the record to it (`muster verify RECORD.json`).
        record.journalHash = (try? Paths.read(journalPath)).flatMap(JournalChain.lastHash)
        if let id = record.runID, let last = events.last?.seq {
            record.storeTimes = RecordStoreTimes.collect(shared, runID: id, lastSeq: last)
        }
        let signed = sign(&record, root: root)
        let dir = Paths.join(drill.recordsDir, drill.name)
        var file = Paths.join(dir, DrillRecord.fileStem(startedAt: record.startedAt) + ".json")
        var written: [String] = []
        do {
            file = try recordFile(dir: dir, stem: DrillRecord.fileStem(startedAt: record.startedAt), runID: record.runID)
            try FileWrites.writeAtomically(record.json.serialized(pretty: true) + "\n", to: file)
            written.append(Paths.display(file, from: Paths.currentDirectory))
            if let junit = drill.junit {
                try FileWrites.writeAtomically(JUnit.render(record), to: junit)
                written.append(Paths.display(junit, from: Paths.currentDirectory))
            }
        } catch {
            let message = (error as? CommandFailure)?.message ?? "\(error)"
            printError("muster: warning: could not write the drill record: \(message). The journal keeps every event: once that is fixed, `muster resume \(setup.runID)` writes the record")
        }
        print(DrillSummary.render(record, style: .stdout))
        for w in written { print("Record written: \(w)") }
        if let signed, written.first != nil { print("Record signed by \(signed.name) (\(signed.key)).") }
        if drill.commitRecord == true, written.first != nil {
            commit(record, file: file, operatorName: setup.operatorName)
        }
    }

    /// Signs the record as it will be written (RecordSignature). Without
    /// `allowed_signers` records stay unsigned, silently, as before; with
    /// it, a person who cannot sign is told, and the record is written
    /// unsigned all the same.
    static func sign(_ record: inout DrillRecord, root: String) -> Signer? {
        record.signature = nil
        let unsigned = record.json.serialized(pretty: true) + "\n"
        let (signed, why) = RecordSigning.sign(unsigned, root: root)
        guard let signed else {
            if Paths.exists(Signing.allowedSigners(root: root)) { printError("muster: warning: the drill record is written unsigned: \(why)") }
            return nil
        }
        record.signature = signed.signature
        return signed.by
    }

    /// `--commit-record` needs the records folder inside a git repository's
    /// working tree: said before the drill starts, not after it ends.
    static func checkCommittable(recordsDir: String) throws {
        let repo: Repository?
        do {
            repo = try Repository.discover(from: Paths.absolute(existingAncestor(of: recordsDir)))
        } catch {
            throw CommandFailure(message: "--commit-record: \(error.message)")
        }
        guard let repo, repo.relativePath(recordsDir + "/x.json") != nil else {
            throw CommandFailure(message: "--commit-record: the records folder \(Paths.display(recordsDir, from: Paths.currentDirectory)) is not inside a git repository's working tree, so there is nowhere to commit the record")
        }
    }

    private static func existingAncestor(of path: String) -> String {
        var p = path
        while !Paths.exists(p), p != "/" { p = Paths.dirname(p) }
        return p
    }

    /// Commits the record, and nothing else, when the drill has ended. A
    /// paused drill's record is not committed: `muster resume` rewrites it
    /// and commits it when the drill ends.
    static func commit(_ record: DrillRecord, file: String, operatorName: String) {
        guard record.outcome != .aborted else {
            print("Record not committed yet: the drill is paused; `muster resume` commits it when the drill ends.")
            return
        }
        do {
            guard let repo = try Repository.discover(from: Paths.dirname(file)), let rel = repo.relativePath(file) else {
                printError("muster: warning: --commit-record: \(file) is not inside a git repository's working tree; the record is written but not committed")
                return
            }
            let made = try repo.commitFile(rel, message: commitMessage(record, file: rel), fallbackName: operatorName)
            print("Record committed: \(made.shortID) \(made.subject)")
        } catch {
            printError("muster: warning: --commit-record: the record is written but not committed: \(error.message)")
        }
    }

    /// `Drill record: failover-quarterly recovered in 31m12s (RTO 45m00s met)`
    /// and the facts an auditor looks for.
    static func commitMessage(_ record: DrillRecord, file: String) -> String {
        var subject = "Drill record: \(record.drill) \(record.outcome.rawValue) in \(formatSeconds(record.elapsedSeconds))"
        if let rto = record.rtoSeconds {
            subject += " (RTO \(formatSeconds(Double(rto))) \(record.rtoMet == true ? "met" : "missed"))"
        }
        let version = record.runbookCommit.map { String($0.prefix(12)) } ?? "no commit"
        return """
        \(subject)

        Record: \(file)
        Runbook: \(record.runbookPath) at \(version)\(record.runbookDirty ? ", with uncommitted changes" : "")
        Mode: \(record.mode)
        Operator: \(record.operatorName)
        Run: \(record.runID ?? "?")

        Committed by muster drill --commit-record.
        """
    }

    /// A half-written record must never replace a whole one: write beside
    /// it, flush, then rename over it.
    /// The record's file: `STEM.json`, or `STEM-2.json`, `STEM-3.json`…
    /// when another drill's record has the name (two drills started in the
    /// same second), as the contract says. This run's own file (a resumed
    /// drill) is rewritten. A free name is taken by creating it exclusively,
    /// so two drills ending at once never pick the same one.
    static func recordFile(dir: String, stem: String, runID: String?) throws -> String {
        try FileWrites.makeFolders(dir)
        for n in 1... {
            let file = Paths.join(dir, n == 1 ? "\(stem).json" : "\(stem)-\(n).json")
            let fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            if fd >= 0 {
                close(fd)
                return file
            }
            guard errno == EEXIST else { throw CommandFailure(message: "cannot create \(file): \(String(cString: strerror(errno)))") }
            if let runID, let bytes = try? Paths.read(file),
               case .string(runID)? = (try? JSONDecoder().decode(JSON.self, from: Data(bytes)))?.at(path: "run_id") {
                return file
            }
        }
        fatalError("unreachable")
    }

}
