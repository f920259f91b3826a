import MusterBasics
import MusterFormat
import MusterEngine
import MusterJournal
import MusterDrills
import MusterPreflight
import MusterGit
import MusterTerminal

/// What git says about the version of a runbook that a run or drill runs:
/// journaled at `run_started` and copied into drill records, so an incident
/// review or an audit can tell exactly which version ran.
package struct RunbookVersion {
    /// The commit that last changed the runbook file as of HEAD (or of
    /// `--rev`); nil outside git, before the first commit, for an untracked file.
    package var commit: CommitInfo?
    /// The same for each included runbook, by reference: the top file's
    /// commit does not pin an included runbook changed after it.
    package var includedCommits: [String: String] = [:]
    /// The runbook and included runbooks whose working tree copy differs
    /// from HEAD, as shown to the operator, with how ("has uncommitted
    /// changes"). A file that resolves outside the repository (a committed
    /// symbolic link, an include by path) counts too: git's clean status of
    /// the link says nothing of what its target holds.
    package var changed: [(path: String, phrase: String)] = []
    /// Whether one of `changed` lies outside the repository.
    package var outside = false
    /// Why git could not say (a repository of another user, a libgit2
    /// error), though the runbook may well be in a repository.
    package var problem: String?
    /// With `--rev`: the commit the runbook was read from.
    package var revision: Revision?

    package var dirty: Bool { !changed.isEmpty }

    /// `3f9c2a1 "Shorten the DNS wait"`.
    package static func describe(_ c: CommitInfo) -> String { "\(c.shortID) \"\(c.subject)\"" }

    /// How a run or drill treats uncommitted changes.
    package enum Policy {
        /// Run, after a warning naming each changed file.
        case warn
        /// Refuse before anything is asked or run (a drill without `--allow-dirty`).
        case refuse
    }

    /// Warns about, or refuses, a version that is not a commit.
    package func check(_ policy: Policy) throws {
        if let problem {
            switch policy {
            case .refuse:
                throw CommandFailure(message: "\(problem). A drill records the commit of the runbook it ran, and cannot here; fix that, or give --allow-dirty to drill anyway (the record then has runbook_commit: null)")
            case .warn:
                printError("muster: warning: \(problem)")
                printError("muster: warning: this run is journaled without the runbook's git commit")
            }
        }
        guard dirty else { return }
        let files = changed.map { "\($0.path) \($0.phrase)" }
        switch policy {
        case .refuse:
            let fix = outside ? "move the file into the repository and commit it" : "commit the change first"
            throw CommandFailure(message: "\(files.joined(separator: "; ")). A drill runs only a committed runbook, so that its record points at the commit it ran: \(fix), or give --allow-dirty (the record then says runbook_dirty: true)")
        case .warn:
            for f in files { printError("muster: warning: \(f)") }
            let base = commit.map { "what runs is not exactly commit \(Self.describe($0)); " } ?? "the runbook is in no commit yet; "
            printError("muster: warning: this run is journaled as dirty (runbook_dirty: true): \(base)commit first to pin the version that runs")
        }
    }
}

extension Workspace {
    /// The git facts of the runbook at `path` and of the included runbooks
    /// (`includes`: reference → path): the last commit that changed each,
    /// and which of them differ from HEAD. With `--rev` nothing is dirty:
    /// every file comes from the commit.
    package func version(ofRunbookAt path: String, includes: [String: String]) -> RunbookVersion {
        var v = RunbookVersion()
        if let revision {
            v.revision = revision.revision
            do {
                v.commit = try revision.lastChange(of: path)
                for (ref, file) in includes {
                    if let c = try revision.lastChange(of: file) { v.includedCommits[ref] = c.id }
                }
            } catch {
                v.problem = error.message
            }
            return v
        }
        let repo: Repository
        do {
            guard let r = try Repository.discover(from: Paths.dirname(path)) else { return v }
            repo = r
        } catch {
            v.problem = error.message
            return v
        }
        do {
            if let rel = repo.relativePath(path) { v.commit = try repo.lastChange(of: rel) }
            for (ref, file) in includes {
                if let rel = repo.relativePath(file), let c = try repo.lastChange(of: rel) { v.includedCommits[ref] = c.id }
            }
            // Where the bytes really come from: through symbolic links (of
            // the file or its folders) and `..`, the repository's own too.
            let top = repo.workdir.flatMap(Paths.resolved) ?? repo.workdir ?? "/"
            for file in [path] + includes.values.sorted() {
                let shown = Paths.display(file, from: cwd)
                let real = Paths.resolved(file) ?? file
                guard real.hasPrefix(top == "/" ? "/" : top + "/") else {
                    v.outside = true
                    v.changed.append((shown, "resolves to \(real), outside the repository \(top)"))
                    continue
                }
                let target = Paths.join(repo.workdir ?? top, String(real.dropFirst(top.count + 1)))
                for f in Set([file, target]).sorted() {
                    guard let rel = repo.relativePath(f) else { continue }
                    let status = try repo.status(of: rel)
                    if status.isDirty { v.changed.append((Paths.display(f, from: cwd), status.phrase)) }
                }
            }
        } catch {
            v.problem = error.message
        }
        return v
    }
}
