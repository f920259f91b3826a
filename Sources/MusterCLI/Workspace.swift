import MusterCore
import MusterGit
import MusterTerminal

/// Where runbooks are looked up: the git top level containing a folder, else
/// (for a file in `runbooks/` or `drills/`) that folder's parent, else the
/// folder itself.
struct Workspace {
    let cwd: String
    let root: String
    let catalog: Catalog

    init() {
        let cwd = Paths.currentDirectory
        self.cwd = cwd
        self.root = Self.root(for: cwd, fallback: cwd)
        self.catalog = Catalog(currentDirectory: cwd) { dir in
            let name = Paths.basename(dir)
            return Workspace.root(for: dir, fallback: name == "runbooks" || name == "drills" ? Paths.dirname(dir) : dir)
        }
    }

    static func root(for dir: String, fallback: String) -> String {
        if let repo = try? Repository.discover(from: dir), let w = repo.workdir { return w }
        return fallback
    }

    /// Loads the runbook a command-line argument names (a path or a name),
    /// printing its problems and failing with exit 2 if it does not load.
    func loadRunbook(_ reference: String) throws -> (Runbook, path: String) {
        let (entry, path) = try load(reference, folder: "runbooks", what: "runbook")
        if entry.drill != nil {
            throw CommandFailure(message: "\(entry.source.path) is a drill, not a runbook; use `muster drill`")
        }
        guard let rb = entry.runbook else { throw CommandFailure(message: "\(entry.source.path) is not a runbook") }
        return (rb, path)
    }

    /// Loads the drill a command-line argument names, as `loadRunbook` does.
    func loadDrill(_ reference: String) throws -> (Drill, path: String) {
        let (entry, path) = try load(reference, folder: "drills", what: "drill")
        guard let drill = entry.drill else {
            throw CommandFailure(message: "\(entry.source.path) is a runbook, not a drill; use `muster run`")
        }
        return (drill, path)
    }

    private func load(_ reference: String, folder: String, what: String) throws -> (Catalog.Entry, String) {
        let looksLikePath = reference.contains("/") || reference.hasSuffix(".yaml") || reference.hasSuffix(".yml")
        let path = looksLikePath ? Paths.absolute(reference, from: cwd) : Paths.join(root, "\(folder)/\(reference).yaml")
        guard Paths.exists(path) else {
            let names = Paths.yamlFiles(in: Paths.join(root, folder)).map(Paths.stem)
            let hint = suggestion(for: Paths.stem(reference), among: names).map { " Did you mean '\($0)'?" } ?? (names.isEmpty ? "" : " Known \(what)s: \(names.joined(separator: ", ")).")
            throw CommandFailure(message: "no \(what) '\(reference)' (looked for \(catalog.displayPath(path))).\(hint)")
        }
        let entry = catalog.load(path)
        let problems = entry.diagnostics + (entry.document == nil ? [] : catalog.crossCheck(entry, at: path))
        DiagnosticPrinter().print(problems, source: entry.source)
        guard entry.document != nil, !problems.contains(where: { $0.severity == .error }) else {
            throw CommandFailure(message: "\(entry.source.path) does not load; fix the errors above (`muster validate \(entry.source.path)` lists them)")
        }
        return (entry, path)
    }
}

/// Parses `NAME=VALUE` options.
func parseParams(_ raw: [String]) throws -> [String: String] {
    var out: [String: String] = [:]
    for item in raw {
        guard let eq = item.firstIndex(of: "="), eq != item.startIndex else {
            throw CommandFailure(message: "-p takes NAME=VALUE, not '\(item)'")
        }
        out[String(item[..<eq])] = String(item[item.index(after: eq)...])
    }
    return out
}
