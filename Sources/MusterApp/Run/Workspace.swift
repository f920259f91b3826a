import MusterBasics
import MusterFormat
import MusterEngine
import MusterJournal
import MusterDrills
import MusterPreflight
import MusterGit
import MusterTerminal

/// Where runbooks are looked up: the git top level containing a folder, else
/// (for a file in `runbooks/` or `drills/`) that folder's parent, else the
/// folder itself.
package struct Workspace {
    package let cwd: String
    package let root: String
    /// Runbooks: from the working tree, or with `--rev` from that commit.
    package let catalog: Catalog
    /// Drills always come from the working tree: `--rev` picks the version
    /// of the runbook a drill runs, not of the drill.
    package let drillCatalog: Catalog
    /// With `--rev`: the commit runbooks are read from.
    package let revision: RevisionReader?

    private init(cwd: String, root: String, catalog: Catalog, drillCatalog: Catalog, revision: RevisionReader?) {
        self.cwd = cwd
        self.root = root
        self.catalog = catalog
        self.drillCatalog = drillCatalog
        self.revision = revision
    }

    package init() {
        let cwd = Paths.currentDirectory
        let disk = Self.diskCatalog(cwd: cwd)
        self.init(cwd: cwd, root: Self.root(for: cwd, fallback: cwd), catalog: disk, drillCatalog: disk, revision: nil)
    }

    /// A workspace whose runbooks are read from `rev` (a commit, tag or
    /// branch) straight from the object database, the working tree
    /// untouched; `nil` reads the working tree.
    package init(rev: String?) throws {
        guard let rev else {
            self.init()
            return
        }
        let cwd = Paths.currentDirectory
        let reader: RevisionReader
        do {
            reader = try RevisionReader(repositoryAt: cwd, revision: rev)
        } catch {
            throw CommandFailure(message: error.message)
        }
        let workdir = reader.workdir
        let source = FileSource(read: { path throws -> [UInt8] in try reader.read(path) }, exists: { reader.exists($0) },
                                yamlFiles: { reader.yamlFiles(in: $0) },
                                label: reader.revision.commit == rev ? reader.revision.shortID : rev)
        self.init(cwd: cwd, root: workdir, catalog: Catalog(currentDirectory: cwd, source: source) { _ in workdir },
                  drillCatalog: Self.diskCatalog(cwd: cwd), revision: reader)
    }

    private static func diskCatalog(cwd: String) -> Catalog {
        Catalog(currentDirectory: cwd) { dir in
            let name = Paths.basename(dir)
            // runbooks/tests/ holds runbook tests; its root is above runbooks/.
            if name == "tests", Paths.basename(Paths.dirname(dir)) == "runbooks" {
                return Workspace.root(for: dir, fallback: Paths.dirname(Paths.dirname(dir)))
            }
            return Workspace.root(for: dir, fallback: name == "runbooks" || name == "drills" ? Paths.dirname(dir) : dir)
        }
    }

    /// The working tree's top level, found without libgit2 (commands that
    /// only read the workspace never load it). A repository of another
    /// user counts too: its top level is still where runbooks and state
    /// live; the git facts of a run say why they are missing.
    package static func root(for dir: String, fallback: String) -> String {
        Repository.workTreeTop(containing: dir) ?? fallback
    }

    /// The content hash (git blob id) of a runbook file, read from where
    /// the catalog reads: the working tree, or the `--rev` commit.
    package func runbookHash(_ path: String) -> String {
        (try? catalog.source.read(path)).map(Repository.blobID) ?? ""
    }

    /// Loads the runbook a command-line argument names (a path or a name),
    /// printing its problems and failing with exit 2 if it does not load.
    package func loadRunbook(_ reference: String) throws -> (Runbook, path: String) {
        let (entry, path) = try load(reference, folder: "runbooks", what: "runbook")
        if entry.drill != nil {
            throw CommandFailure(message: "\(entry.source.path) is a drill, not a runbook; use `muster drill`")
        }
        guard let rb = entry.runbook else { throw CommandFailure(message: "\(entry.source.path) is not a runbook") }
        return (rb, path)
    }

    /// Loads the drill a command-line argument names, as `loadRunbook` does.
    package func loadDrill(_ reference: String) throws -> (Drill, path: String) {
        let (entry, path) = try load(reference, folder: "drills", what: "drill")
        guard let drill = entry.drill else {
            throw CommandFailure(message: "\(entry.source.path) is a runbook, not a drill; use `muster run`")
        }
        return (drill, path)
    }

    /// The file a command-line argument names: a path (with a slash or a
    /// YAML extension) from the current folder, else `FOLDER/NAME.yaml`
    /// under the root.
    package func file(_ reference: String, folder: String) -> String {
        let looksLikePath = reference.contains("/") || reference.hasSuffix(".yaml") || reference.hasSuffix(".yml")
        return looksLikePath ? Paths.absolute(reference, from: cwd) : Paths.join(root, "\(folder)/\(reference).yaml")
    }

    /// runbooks/tests/ holds runbook tests, not runbooks: every listing of
    /// the runbooks (names to suggest, runbooks to check or to cover)
    /// leaves it out.
    package func withoutRunbookTests(_ files: [String]) -> [String] {
        let tests = Paths.join(root, "runbooks/tests") + "/"
        return files.filter { !$0.hasPrefix(tests) }
    }

    private func load(_ reference: String, folder: String, what: String) throws -> (Catalog.Entry, String) {
        let path = file(reference, folder: folder)
        // Drills come from the working tree, runbooks from `catalog`.
        let catalog = folder == "drills" ? drillCatalog : self.catalog
        guard catalog.source.exists(path) else {
            let names = withoutRunbookTests(catalog.source.yamlFiles(Paths.join(root, folder))).map(Paths.stem)
            let hint: String
            if let here = fileHere(reference) {
                hint = " There is \(here) in this folder: `muster \(Self.subcommand) \(here)`?"
            } else if let near = suggestion(for: Paths.stem(reference), among: names) {
                hint = " Did you mean '\(near)'?"
            } else {
                hint = names.isEmpty ? "" : " Known \(what)s: \(names.joined(separator: ", "))."
            }
            if let revision, catalog === self.catalog {
                let where_ = revision.relativePath(path) ?? path
                throw CommandFailure(message: "no \(what) '\(reference)' at \(revision.revisionName): \(where_) does not exist in that commit.\(hint)")
            }
            throw CommandFailure(message: "no \(what) '\(reference)' (looked for \(catalog.displayPath(path))).\(hint)")
        }
        let entry = catalog.load(path)
        // A drill's runbook, parameters and faults are checked against the
        // runbook version that will run.
        let problems = entry.diagnostics + (entry.document == nil ? [] : self.catalog.crossCheck(entry, at: path))
        DiagnosticPrinter().print(problems, source: entry.source)
        guard entry.document != nil, !problems.contains(where: { $0.severity == .error }) else {
            if let revision, catalog === self.catalog {
                throw CommandFailure(message: "\(entry.source.path) does not load: the runbook at \(revision.revisionName) has the errors above")
            }
            throw CommandFailure(message: "\(entry.source.path) does not load; fix the errors above (`muster validate \(entry.source.path)` lists them)")
        }
        return (entry, path)
    }
}

extension Workspace {
    /// A bare name that is no runbook under the root but a file in the
    /// current folder (a runbook kept outside `runbooks/`, or outside git):
    /// `./NAME.yaml`, the path that names it.
    package func fileHere(_ reference: String) -> String? {
        guard !reference.contains("/") else { return nil }
        return ["yaml", "yml"].lazy.map { "\(reference).\($0)" }.first { Paths.exists(Paths.join(cwd, $0)) }.map { "./" + $0 }
    }

    /// The command being run, for a hint that names the whole command line.
    package static var subcommand: String { CommandLine.arguments.dropFirst().first ?? "run" }
}

/// Parses `NAME=VALUE` options.
package func parseParams(_ raw: [String]) throws -> [String: String] {
    var out: [String: String] = [:]
    for item in raw {
        guard let eq = item.firstIndex(of: "="), eq != item.startIndex else {
            throw CommandFailure(message: "-p takes NAME=VALUE, not '\(item)'")
        }
        out[String(item[..<eq])] = String(item[item.index(after: eq)...])
    }
    return out
}
