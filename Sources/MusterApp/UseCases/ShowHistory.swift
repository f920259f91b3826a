#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import MusterBasics
import MusterRender
import MusterFormat
import MusterEngine
import MusterJournal
import MusterDrills
import MusterPreflight
import MusterGit
import MusterTerminal

/// `muster history`: a runbook's or drill's drills over time, from the records in git.
package struct ShowHistory {
    package var runbook: String
    package var recordsDir: String?
    package var json: Bool

    package init(runbook: String, recordsDir: String?, json: Bool) {
        self.runbook = runbook
        self.recordsDir = recordsDir
        self.json = json
    }

    package func run() throws {
        let ws = Workspace()
        let path = ws.file(runbook, folder: "runbooks")
        let shown = Paths.display(path, from: ws.cwd)
        let repo: Repository
        do {
            guard let r = try Repository.discover(from: Paths.exists(path) ? Paths.dirname(path) : ws.cwd), let rel = r.relativePath(path) else {
                guard Paths.exists(path) else { throw missing(ws, path) }
                return empty(shown, note: "\(shown) is not in a git repository, so it has no versions to list; runs and drills of it record runbook_commit: null")
            }
            repo = r
            if repo.isEmpty {
                return empty(shown, note: "the repository at \(repo.workdir ?? ws.root) has no commits yet, so \(shown) has no versions to list")
            }
            let history = try repo.history(of: rel)
            let status = try repo.status(of: rel)
            if history.commits.isEmpty {
                guard Paths.exists(path) else { throw missing(ws, path) }
                let why = status == .unmodified ? "no commit in HEAD's history changed it" : "it \(status.phrase)"
                return empty(shown, note: "\(shown) has never been committed: \(why)", status: status)
            }
            render(history, shown: shown, status: status, ws: ws)
        } catch let error as GitError {
            throw CommandFailure(message: error.message)
        }
    }

    private func missing(_ ws: Workspace, _ path: String) -> CommandFailure {
        let names = ws.withoutRunbookTests(Paths.yamlFiles(in: Paths.join(ws.root, "runbooks"))).map(Paths.stem)
        let hint = suggestion(for: Paths.stem(runbook), among: names).map { " Did you mean '\($0)'?" } ?? ""
        return CommandFailure(message: "no runbook '\(runbook)' (looked for \(Paths.display(path, from: ws.cwd)), and no commit has it).\(hint)")
    }

    /// No versions: say why, on stdout, and succeed.
    private func empty(_ shown: String, note: String, status: FileStatus? = nil) {
        if json {
            print(JSON.object([
                ("runbook_path", .string(shown)),
                ("working_tree", .from(status?.rawValue)),
                ("versions", .array([])),
                ("stopped_at_shallow_boundary", .bool(false)),
                ("unpinned_records", .int(0)),
                ("note", .string(note)),
            ]).serialized(pretty: true))
        } else {
            print("No history: \(note).")
        }
    }

    private func render(_ history: FileHistory, shown: String, status: FileStatus, ws: Workspace) {
        let dir = recordsDir.map { Paths.absolute($0, from: ws.cwd) } ?? Paths.join(ws.root, "drills/records")
        let cwd = ws.cwd
        let loaded = RecordStore(directory: dir) { Paths.display($0, from: cwd) }.load()
        printWarnings(loaded.problems.map(\.text))
        let records = loaded.records.values.flatMap { $0.map(\.record) }
        // Which environment counts: the runbook's scheduled drill's (the
        // drill files name it; a record that does not say takes its drill's).
        let cat = DrillCatalog(ws, recordsDir: recordsDir)
        let counted = cat.countedEnvironment(of: Paths.stem(shown))
        let defined = cat.definedEnvironments
        let (byCommit, unpinned) = VersionDrills.tally(versions: history.commits.map { ($0.id, $0.path) }, records: records, counted: counted) {
            RecordEnvironment.of($0, definition: defined[$0.drill])
        }
        func day(_ t: Int64) -> String { UTCTime.day(Date(timeIntervalSince1970: Double(t))) }
        func subject(_ c: CommitInfo) -> String {
            var s = sanitize(c.subject)
            if let from = c.renamedFrom { s += " (renamed from \(sanitize(from)))" }
            if c.deleted { s += " (deleted here)" }
            return s
        }
        var notes: [String] = []
        if status.isDirty { notes.append("The working tree copy \(status.phrase): it is not one of these versions until it is committed.") }
        if history.stoppedAtShallowBoundary, let last = history.commits.last {
            notes.append("This is a shallow clone: history stops at \(last.shortID), the oldest commit it has, which may not be where the runbook was last changed before it; `git fetch --unshallow` fetches the rest.")
        }
        if unpinned > 0 {
            notes.append("\(unpinned) drill record\(unpinned == 1 ? "" : "s") of this runbook ran uncommitted changes (runbook_dirty) or outside git, so \(unpinned == 1 ? "it belongs" : "they belong") to no version and \(unpinned == 1 ? "is" : "are") not counted.")
        }

        if json {
            let versions: [JSON] = history.commits.map { c in
                let d = byCommit[c.id] ?? VersionDrills()
                return .object([
                    ("commit", .string(c.id)),
                    ("short_id", .string(c.shortID)),
                    ("date", .string(UTCTime.format(Date(timeIntervalSince1970: Double(c.authorTime))))),
                    ("author", .string(c.authorName)),
                    ("author_email", .string(c.authorEmail)),
                    ("subject", .string(c.subject)),
                    ("path", .string(c.path)),
                    ("renamed_from", .from(c.renamedFrom)),
                    ("deleted", .bool(c.deleted)),
                    ("at_shallow_boundary", .bool(c.atShallowBoundary)),
                    ("drills", .int(d.drills)),
                    ("recovered", .int(d.recovered)),
                    ("best_elapsed_seconds", d.bestSeconds.map { .double(($0 * 10).rounded() / 10) } ?? .null),
                    ("drill_names", .array(d.drillNames.map(JSON.string))),
                    ("elsewhere", .array(d.elsewhere.keys.sorted().map { env in
                        .object([("environment", .string(env.rawValue)), ("drills", .int(d.elsewhere[env]!.drills)),
                                 ("best_elapsed_seconds", d.elsewhere[env]!.bestSeconds.map { .double(($0 * 10).rounded() / 10) } ?? .null)])
                    })),
                ])
            }
            print(JSON.object([
                ("runbook_path", .string(shown)),
                ("working_tree", .string(status.rawValue)),
                ("environment", .string(counted.rawValue)),
                ("versions", .array(versions)),
                ("stopped_at_shallow_boundary", .bool(history.stoppedAtShallowBoundary)),
                ("unpinned_records", .int(unpinned)),
                ("note", notes.isEmpty ? .null : .string(notes.joined(separator: " "))),
            ]).serialized(pretty: true))
            return
        }

        let n = history.commits.count
        print("\(sanitize(shown)): \(n) version\(n == 1 ? "" : "s"), newest first\(counted == .production ? "" : "; drills and best count \(counted.rawValue) drills, as its schedule names")\n")
        let apart = byCommit.values.contains { !$0.elsewhere.isEmpty }
        var rows = [["commit", "date", "author", "drills", "best"] + (apart ? ["other environments"] : []) + ["subject"]]
        for c in history.commits {
            let d = byCommit[c.id] ?? VersionDrills()
            let other = d.elsewhere.keys.sorted().map { env in
                let e = d.elsewhere[env]!
                return "\(e.drills) \(env.rawValue)" + (e.bestSeconds.map { " (best \(formatSeconds($0)))" } ?? "")
            }.joined(separator: ", ")
            rows.append([c.shortID, day(c.authorTime), sanitize(c.authorName), "\(d.drills)", d.bestSeconds.map(formatSeconds) ?? "-"]
                        + (apart ? [other.isEmpty ? "-" : other] : []) + [subject(c)])
        }
        let style = Style.stdout
        let lines = ReportText(style: style).table(rows, rightAligned: [3], colour: [style.bold])
        if apart { notes.append("Drills held in an environment other than \(counted.rawValue) (the one its scheduled drill names) are shown apart and never count for drills or best.") }
        for l in lines { print(l) }
        if !notes.isEmpty { print("") }
        for note in notes { print(note) }
    }
}
