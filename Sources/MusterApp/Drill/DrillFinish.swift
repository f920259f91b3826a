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

/// Writes a drill's record (and JUnit file) from its journal, and prints the
/// summary. Run after every session of a drill: a paused drill leaves an
/// `aborted` record, which the session that finishes it rewrites.
package enum DrillFinish {
    package static func write(journalPath: String, setup: RunSetup, root: String, shared: SharedStore? = nil) {
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
    package static func sign(_ record: inout DrillRecord, root: String) -> Signer? {
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
    package static func checkCommittable(recordsDir: String) throws {
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
    package static func commit(_ record: DrillRecord, file: String, operatorName: String) {
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
    package static func commitMessage(_ record: DrillRecord, file: String) -> String {
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
    package static func recordFile(dir: String, stem: String, runID: String?) throws -> String {
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
