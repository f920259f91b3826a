import MusterYAML
import Synchronization
import MusterBasics

/// Where a catalog reads files: the working tree, or one git revision's
/// object database (`--rev`), so that a runbook and every runbook it
/// includes come from the same place. Paths are absolute either way.
public struct FileSource: Sendable {
    public var read: @Sendable (String) throws -> [UInt8]
    public var exists: @Sendable (String) -> Bool
    /// YAML files below a folder, sorted, for "did you mean" suggestions.
    public var yamlFiles: @Sendable (String) -> [String]
    /// Appended to file names in messages (`@v1.2 (3f9c2a1)`), so a
    /// problem in an old version is not looked for in today's file.
    public var label: String?

    public init(read: @escaping @Sendable (String) throws -> [UInt8], exists: @escaping @Sendable (String) -> Bool,
                yamlFiles: @escaping @Sendable (String) -> [String], label: String? = nil) {
        self.read = read
        self.exists = exists
        self.yamlFiles = yamlFiles
        self.label = label
    }

    public static let disk = FileSource(read: { path throws -> [UInt8] in try Paths.read(path) }, exists: { Paths.exists($0) },
                                        yamlFiles: { Paths.yamlFiles(in: $0) })
}

/// Loads runbooks and drills once each and answers cross-file questions:
/// does an included runbook exist, do `with` and drill parameters fit it, is
/// there an include cycle. Safe to share between threads, so `validate` can
/// parse files in parallel.
public final class Catalog: Sendable {
    public enum Document: Sendable {
        case runbook(Runbook)
        case drill(Drill)
        /// A runbook test (`runbooks/tests/`): its own format only; what
        /// it names is checked against its runbook by `validate --tests`.
        case test(RunbookTest)
    }

    public struct Entry: Sendable {
        public var source: SourceText
        public var document: Document?
        /// Problems inside the file itself.
        public var diagnostics: [Diagnostic]

        public var runbook: Runbook? {
            if case .runbook(let r)? = document { return r }
            return nil
        }
        public var drill: Drill? {
            if case .drill(let d)? = document { return d }
            return nil
        }
        public var test: RunbookTest? {
            if case .test(let t)? = document { return t }
            return nil
        }
        public var hasErrors: Bool { diagnostics.contains { $0.severity == .error } }
    }

    /// The repository root for a file's folder: where `runbooks/NAME.yaml` is
    /// looked up. Injected so the core stays free of git.
    private let rootFinder: @Sendable (String) -> String
    private let cwd: String
    /// Where files are read from.
    public let source: FileSource
    private let entries = Mutex<[String: Entry]>([:])
    private let roots = Mutex<[String: String]>([:])

    public init(currentDirectory: String = Paths.currentDirectory, source: FileSource = .disk, rootFinder: @escaping @Sendable (String) -> String) {
        self.cwd = currentDirectory
        self.source = source
        self.rootFinder = rootFinder
    }

    public func displayPath(_ absolute: String) -> String { Paths.display(absolute, from: cwd) + (source.label.map { "@" + $0 } ?? "") }

    public func root(forFileAt absolute: String) -> String {
        let dir = Paths.dirname(absolute)
        if let r = roots.withLock({ $0[dir] }) { return r }
        let r = rootFinder(dir)
        roots.withLock { $0[dir] = r }
        return r
    }

    /// The file a runbook reference means: a path (with a slash or a YAML
    /// extension) relative to the root, else a name under `runbooks/`.
    public func runbookPath(_ reference: String, root: String) -> String {
        if reference.contains("/") || reference.hasSuffix(".yaml") || reference.hasSuffix(".yml") {
            return Paths.absolute(reference, from: root)
        }
        return Paths.join(root, "runbooks/\(reference).yaml")
    }

    /// Loads and checks one file by itself, or returns the cached result.
    public func load(_ absolute: String) -> Entry {
        if let e = entries.withLock({ $0[absolute] }) { return e }
        let e = Self.parse(path: absolute, display: displayPath(absolute), read: source.read)
        entries.withLock { $0[absolute] = e }
        return e
    }

    static func parse(path: String, display: String, read: (String) throws -> [UInt8]) -> Entry {
        let bytes: [UInt8]
        do {
            bytes = try read(path)
        } catch {
            let source = SourceText(path: display, bytes: [])
            return Entry(source: source, document: nil, diagnostics: [Diagnostic(path: display, mark: nil, message: "cannot read this file: \(error)")])
        }
        let source = SourceText(path: display, bytes: bytes)
        let root: Node
        do {
            root = try YAMLLoader.load(bytes)
        } catch {
            return Entry(source: source, document: nil, diagnostics: [Diagnostic(path: display, mark: error.mark, message: error.message)])
        }
        let stem = Paths.stem(path)
        if root.pairs?.contains(where: { $0.key.scalar == "drill" }) == true {
            var p = DrillParser(source: source, fileStem: stem)
            let d = p.parse(root)
            return Entry(source: source, document: d.map(Document.drill), diagnostics: p.r.diagnostics.sorted())
        }
        if root.pairs?.contains(where: { $0.key.scalar == "test" }) == true, root.pairs?.contains(where: { $0.key.scalar == "steps" }) != true {
            var p = RunbookTestParser(source: source)
            let t = p.parse(root)
            return Entry(source: source, document: t.map(Document.test), diagnostics: p.r.diagnostics.sorted())
        }
        var p = RunbookParser(source: source, fileStem: stem)
        let rb = p.parse(root)
        return Entry(source: source, document: rb.map(Document.runbook), diagnostics: p.r.diagnostics.sorted())
    }

    // MARK: - Resolution

    public enum Resolution: Sendable {
        case found(Runbook, path: String)
        case missing(path: String, suggestion: String?)
        case broken(path: String, Entry)
    }

    public func resolveRunbook(_ reference: String, root: String) -> Resolution {
        let path = runbookPath(reference, root: root)
        guard source.exists(path) else {
            let names = source.yamlFiles(Paths.join(root, "runbooks")).map(Paths.stem)
            return .missing(path: path, suggestion: suggestion(for: reference, among: names))
        }
        let e = load(path)
        if let rb = e.runbook, !e.hasErrors { return .found(rb, path: path) }
        return .broken(path: path, e)
    }

    /// Problems that need other files: included runbooks and their
    /// parameters, include cycles, and a drill's runbook, params and faults.
    public func crossCheck(_ entry: Entry, at absolute: String) -> [Diagnostic] {
        let base = root(forFileAt: absolute)
        let path = entry.source.path
        var out: [Diagnostic] = []
        // As in the parsers: at most `Diagnostic.limit`, each built only if reported.
        func error(_ m: Mark?, _ msg: @autoclosure () -> String) {
            guard out.count <= Diagnostic.limit else { return }
            out.append(out.count == Diagnostic.limit ? Diagnostic(path: path, mark: nil, message: Diagnostic.tooMany)
                                                     : Diagnostic(path: path, mark: m, message: Diagnostic.clipped(msg())))
        }
        // A file may include the same runbook from thousands of steps.
        var resolved: [String: Resolution] = [:]
        func resolve(_ reference: String) -> Resolution {
            if let r = resolved[reference] { return r }
            let r = resolveRunbook(reference, root: base)
            resolved[reference] = r
            return r
        }

        // The two-person rule compares keys: without the repository's
        // allowed_signers no approval could ever be checked.
        if let rb = entry.runbook, let step = rb.keyedSteps.map(\.step).first(where: { $0.automation?.approval != nil }),
           !source.exists(Paths.join(base, "allowed_signers")) {
            error(step.mark, "step '\(step.id)' needs approval, and this repository has no allowed_signers file (\(displayPath(Paths.join(base, "allowed_signers")))): approvals are SSH signatures checked against it. Each person who may approve or operate adds a line `NAME KEYTYPE KEY` (`echo \"alice $(cat ~/.ssh/id_ed25519.pub)\" >> allowed_signers`) and commits it; see docs/team-runs.md")
        }
        if let rb = entry.runbook {
            for (_, step) in rb.keyedSteps {
                guard case .runbook(let spec) = step.body, !spec.runbook.isEmpty else { continue }
                switch resolve(spec.runbook) {
                case .missing(let p, let s):
                    error(spec.mark, "step '\(step.id)' runs runbook '\(spec.runbook)', which does not exist (looked for \(displayPath(p)))\(s.map { "; did you mean '\($0)'?" } ?? "")")
                case .broken(let p, _):
                    error(spec.mark, "step '\(step.id)' runs runbook '\(spec.runbook)', which has errors; \(validateHint(p))")
                case .found(let child, let childPath):
                    if let cycle = includeCycle(from: childPath, back: absolute, root: base, seen: [absolute]) {
                        error(spec.mark, "include cycle: \(([rb.name] + cycle).joined(separator: " → "))")
                        continue
                    }
                    var explored: [String: Int] = [:], onPath: Set<String> = [absolute]
                    if let chain = includeChain(from: childPath, root: base, depth: 1, explored: &explored, onPath: &onPath) {
                        let shown = chain.count > 6 ? chain.prefix(3) + ["…"] + chain.suffix(2) : chain[...]
                        error(spec.mark, "runbooks nest more than \(Self.maxIncludeDepth) deep here (\(([rb.name] + shown).joined(separator: " → "))); Muster runs at most \(Self.maxIncludeDepth) levels of included runbooks: run the deeper ones from a shallower runbook")
                        continue
                    }
                    // A literal value (no templates) can be checked against choices and pattern now.
                    checkParams(given: spec.with.map { ($0.name, $0.value.references.isEmpty ? $0.value.raw : nil, $0.mark) }, against: child, what: "runbook '\(child.name)'", error: error)
                    for p in child.params where p.required && !spec.with.contains(where: { $0.name == p.name }) {
                        error(spec.mark, "runbook '\(child.name)' needs parameter '\(p.name)'; pass it under 'with'")
                    }
                }
            }
        }
        if let drill = entry.drill, !drill.runbook.isEmpty {
            switch resolve(drill.runbook) {
            case .missing(let p, let s):
                error(drill.runbookMark, "drill runs runbook '\(drill.runbook)', which does not exist (looked for \(displayPath(p)))\(s.map { "; did you mean '\($0)'?" } ?? "")")
            case .broken(let p, _):
                error(drill.runbookMark, "drill runs runbook '\(drill.runbook)', which has errors; \(validateHint(p))")
            case .found(let rb, let rbPath):
                checkParams(given: drill.params.map { ($0.name, $0.value, $0.mark) }, against: rb, what: "runbook '\(rb.name)'", error: error)
                var seen: Set<String> = [rbPath]
                let ids = stepIDs(of: rb, root: root(forFileAt: rbPath), seen: &seen)
                for fault in drill.faults where !ids.contains(fault.step) {
                    let hint = suggestion(for: fault.step, among: ids).map { " (did you mean '\($0)'?)" } ?? ""
                    error(fault.mark, "fault names step '\(fault.step)', which runbook '\(rb.name)' does not have\(hint)")
                }
                for u in drill.unavailable where Self.rung(matching: u.contact, in: rb.escalation) == nil {
                    error(u.mark, "unavailable names '\(u.contact)', which is not a rung of runbook '\(rb.name)'" + (rb.escalation.isEmpty ? " (it has no escalation ladder)" : ": \(rb.escalation.map(\.contact).joined(separator: "; "))"))
                }
                if let ex = drill.expectEscalation {
                    if rb.escalation.isEmpty {
                        error(ex.mark, "expect_escalation names '\(ex.contact)', but runbook '\(rb.name)' has no escalation ladder")
                    } else if Self.rung(matching: ex.contact, in: rb.escalation) == nil {
                        error(ex.mark, "expect_escalation names '\(ex.contact)', which is not a rung of runbook '\(rb.name)': \(rb.escalation.map(\.contact).joined(separator: "; "))")
                    }
                }
            }
        }
        return out
    }

    /// How to see a broken runbook's errors: `muster validate` reads the
    /// working tree, so a file read from a revision is shown with `--rev`.
    private func validateHint(_ path: String) -> String {
        guard let label = source.label else { return "run `muster validate \(displayPath(path))`" }
        return "see them with `muster show \(Paths.display(path, from: cwd)) --rev \(label)`"
    }

    /// The rung a trainee's or drill's contact text means: equal, or the
    /// start of a rung's contact, ignoring case.
    public static func rung(matching contact: String, in ladder: [Rung]) -> Rung? {
        let c = contact.lowercased()
        return ladder.first { $0.contact.lowercased() == c } ?? ladder.first { $0.contact.lowercased().hasPrefix(c) }
    }

    private func checkParams(given: [(String, String?, Mark)], against rb: Runbook, what: String, error: (Mark?, @autoclosure () -> String) -> Void) {
        for (name, value, mark) in given {
            guard let p = rb.param(name) else {
                let hint = suggestion(for: name, among: rb.params.map(\.name)).map { " (did you mean '\($0)'?)" } ?? ""
                error(mark, "\(what) has no parameter '\(name)'\(hint)")
                continue
            }
            if let value, let problem = p.problem(with: value) { error(mark, problem.description) }
        }
    }

    /// Ids of a runbook's steps and of the steps of the runbooks it includes,
    /// each included runbook read once: an include cycle (reported on the
    /// runbook itself) must not multiply the work.
    private func stepIDs(of rb: Runbook, root: String, seen: inout Set<String>, depth: Int = 0) -> [String] {
        // A fault names a step by its key (`rebuild/create` in a group).
        var ids = rb.steps.map(\.id) + rb.keyedSteps.map(\.key).filter { $0.contains("/") }
        for (_, step) in rb.keyedSteps where depth < Self.maxIncludeDepth {
            if case .runbook(let spec) = step.body, case .found(let child, let path) = resolveRunbook(spec.runbook, root: root),
               seen.insert(path).inserted {
                ids += stepIDs(of: child, root: root, seen: &seen, depth: depth + 1)
            }
        }
        return ids
    }

    /// How deep runbooks may include runbooks. Deeper chains are refused,
    /// so that nothing that walks them (here, the plan, the executor, drill
    /// records) recurses without bound: a 5,000-deep chain overflowed the stack.
    public static let maxIncludeDepth = 16

    /// The names of a chain of includes from `from` (at `depth`) that goes
    /// deeper than `maxIncludeDepth`, if there is one. `explored` holds the
    /// deepest depth each file was walked from without finding one, so
    /// runbooks included from many steps are not walked again and again.
    /// A cycle (`onPath`) is not followed: it is reported on its own runbooks.
    private func includeChain(from: String, root: String, depth: Int, explored: inout [String: Int], onPath: inout Set<String>) -> [String]? {
        guard let rb = load(from).runbook, !onPath.contains(from) else { return nil }
        if depth > Self.maxIncludeDepth { return [rb.name] }
        if let d = explored[from], d >= depth { return nil }
        onPath.insert(from)
        defer { onPath.remove(from) }
        for (_, step) in rb.keyedSteps {
            guard case .runbook(let spec) = step.body else { continue }
            let next = runbookPath(spec.runbook, root: root)
            guard source.exists(next) else { continue }
            if let rest = includeChain(from: next, root: root, depth: depth + 1, explored: &explored, onPath: &onPath) { return [rb.name] + rest }
        }
        explored[from] = depth
        return nil
    }

    /// The chain of runbook names from `from` back to `back`, if there is
    /// one within `maxIncludeDepth` (a longer chain is refused as such).
    private func includeCycle(from: String, back: String, root: String, seen: Set<String>) -> [String]? {
        guard let rb = load(from).runbook else { return nil }
        if from == back { return [rb.name] }
        guard !seen.contains(from), seen.count <= Self.maxIncludeDepth else { return nil }
        for (_, step) in rb.keyedSteps {
            guard case .runbook(let spec) = step.body else { continue }
            let next = runbookPath(spec.runbook, root: root)
            guard source.exists(next) else { continue }
            if let rest = includeCycle(from: next, back: back, root: root, seen: seen.union([from])) {
                return [rb.name] + rest
            }
        }
        return nil
    }
}
