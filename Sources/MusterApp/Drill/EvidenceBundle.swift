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

/// `muster report --evidence DIR`: what an auditor asks for, in one folder
/// that can be archived or attached: the records, their journals, each
/// runbook as it was at the commit it was drilled at, the HTML report, and
/// `SHA256SUMS` over all of it (`sha256sum -c SHA256SUMS` checks it).
package enum EvidenceBundle {
    package struct Written {
        package var files: [String] = []
        package var missing: [String] = []
    }

    package static func write(to dir: String, drills: [(report: DrillReport, records: [LoadedRecord])], recordsDir: String,
                      store: RunStore, root: String, catalog: Catalog, html: String) throws -> Written {
        var out = Written()
        var sums: [(String, String)] = []
        func put(_ bytes: [UInt8], _ relative: String) throws {
            // Names come from records and runbooks (a run id, a runbook's
            // path): none may lead out of the bundle.
            guard let reason = unsafeName(relative) else { return try write(bytes, relative) }
            throw CommandFailure(message: "refused to write \(relative) in the evidence bundle: \(reason)")
        }
        func write(_ bytes: [UInt8], _ relative: String) throws {
            let path = Paths.join(dir, relative)
            // Byte for byte: the sums must be those of the originals.
            do {
                try FileManager.default.createDirectory(atPath: Paths.dirname(path), withIntermediateDirectories: true)
                try Data(bytes).write(to: URL(fileURLWithPath: path), options: .atomic)
            } catch {
                throw CommandFailure(message: "cannot write \(path): \(error)")
            }
            sums.append((SHA256Hash.hex(bytes), relative))
            out.files.append(relative)
        }
        let repo = try? Repository.discover(from: root)
        var runbooksDone: Set<String> = []
        /// Every runbook the run included (its journal names them, with the
        /// commit that last changed each and the blob of the bytes run),
        /// at that commit; each one that cannot be is named in MISSING.txt.
        func included(_ info: JournalEvent.RunInfo, of record: String) throws {
            for ref in (info.includedHashes ?? [:]).keys.sorted() {
                let file = Paths.display(catalog.runbookPath(ref, root: root), from: root)
                guard let commit = info.includedCommits?[ref] else {
                    out.missing.append("runbook \(file) (included as \(ref) by \(record)): in no commit when it ran, nothing to take it from")
                    continue
                }
                let key = commit + " " + file
                guard !runbooksDone.contains(key) else { continue }
                runbooksDone.insert(key)
                if let reason = unsafeName(file) ?? unsafeName(String(commit.prefix(12)), oneName: true) {
                    out.missing.append("runbook \(file) (included as \(ref) by \(record)): refused (\(reason))")
                } else if let repo, let text = try? repo.file(file, at: commit) {
                    try put(text, "runbooks/\(commit.prefix(12))/\(file)")
                    if let ran = info.includedHashes?[ref], Repository.blobID(of: text) != ran {
                        out.missing.append("runbook \(file) (included as \(ref) by \(record)) ran with uncommitted changes: its bytes differ from commit \(commit.prefix(12))'s (blob \(ran.prefix(12)) ran)")
                    }
                } else {
                    out.missing.append("runbook \(file) (included as \(ref) by \(record)) at \(commit.prefix(12)): not in this repository")
                }
            }
        }
        for (report, records) in drills {
            for rec in records {
                let name = Paths.basename(rec.path)
                let source = Paths.join(Paths.join(recordsDir, report.drill), name)
                guard let bytes = try? Paths.read(source) else { out.missing.append("record \(rec.path): cannot be read"); continue }
                try put(bytes, "records/\(report.drill)/\(name)")
                var started: JournalEvent.RunInfo?
                if let id = rec.record.runID, let reason = unsafeName(id, oneName: true) {
                    out.missing.append("journal of \(rec.path): its run id \(JSON.string(id).serialized()) was refused (\(reason))")
                } else if let id = rec.record.runID, let journal = try? Paths.read(store.journalPath(id)) {
                    try put(journal, "journals/\(id).jsonl")
                    started = (try? FileJournal.parse(journal, path: id))?.events.first { $0.event == .runStarted }?.run
                } else {
                    out.missing.append("journal of \(rec.path) (run \(rec.record.runID ?? "unknown")): not in \(store.runsDir)")
                }
                if let started {
                    try included(started, of: rec.path)
                } else if rec.record.runID != nil {
                    out.missing.append("included runbooks of \(rec.path): unknown without its journal")
                }
                guard let commit = rec.record.runbookCommit else {
                    out.missing.append("runbook of \(rec.path): the drill ran outside git, no commit to take it from")
                    continue
                }
                let key = commit + " " + rec.record.runbookPath
                guard !runbooksDone.contains(key) else { continue }
                runbooksDone.insert(key)
                if let reason = unsafeName(rec.record.runbookPath) ?? unsafeName(String(commit.prefix(12)), oneName: true) {
                    out.missing.append("runbook of \(rec.path): refused (\(reason))")
                } else if let repo, let text = try? repo.file(rec.record.runbookPath, at: commit) {
                    try put(text, "runbooks/\(commit.prefix(12))/\(rec.record.runbookPath)")
                } else {
                    out.missing.append("runbook \(rec.record.runbookPath) at \(commit.prefix(12)): not in this repository")
                }
                if rec.record.runbookDirty {
                    out.missing.append("\(rec.path) ran with uncommitted changes (runbook_dirty): its runbook differs from the commit's; runbook_hash names the bytes run")
                }
            }
        }
        try put(Array(html.utf8), "report.html")
        if !out.missing.isEmpty {
            try put(Array(("Not included, and why:\n" + out.missing.map { "- \($0)\n" }.joined()).utf8), "MISSING.txt")
        }
        let sumsText = sums.sorted { $0.1 < $1.1 }.map { "\($0.0)  \($0.1)\n" }.joined()
        try FileWrites.writeAtomically(sumsText, to: Paths.join(dir, "SHA256SUMS"))
        out.files.append("SHA256SUMS")
        return out
    }

    /// Why `relative` may not be written in the bundle, or nil: a name
    /// that is empty, absolute, has `.` or `..` parts or control bytes
    /// (`oneName`: or any `/`) could write outside it or mislead a reader.
    package static func unsafeName(_ relative: String, oneName: Bool = false) -> String? {
        if relative.isEmpty { return "the name is empty" }
        if relative.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f }) { return "the name holds control characters" }
        if oneName, relative.contains("/") { return "a name here may not contain /" }
        if relative.hasPrefix("/") { return "the name is an absolute path" }
        if relative.split(separator: "/", omittingEmptySubsequences: false).contains(where: { $0.isEmpty || $0 == "." || $0 == ".." }) {
            return "the name has an empty, . or .. part, which could lead out of the bundle"
        }
        return nil
    }
}
