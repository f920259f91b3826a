import Dispatch
import MusterBasics
import MusterFormat
import MusterEngine
import MusterJournal
import MusterDrills
import MusterPreflight
import MusterTerminal

/// `muster validate`: loads and checks runbooks, drills and their tests.
package struct ValidateFiles {
    package var paths: [String]
    package var quiet: Bool
    package var json: Bool
    package var tests: Bool

    package init(paths: [String], quiet: Bool, json: Bool, tests: Bool) {
        self.paths = paths
        self.quiet = quiet
        self.json = json
        self.tests = tests
    }

    package func run() throws {
        let ws = Workspace()
        var targets: [String] = []
        if paths.isEmpty {
            let dirs = ["runbooks", "drills"].map { Paths.join(ws.root, $0) }.filter(Paths.isDirectory)
            guard !dirs.isEmpty else {
                throw CommandFailure(message: "no runbooks/ or drills/ folder in \(ws.root); run this in a runbook repository or pass files to check")
            }
            targets = dirs.flatMap(Paths.yamlFiles)
        } else {
            for p in paths {
                let abs = Paths.absolute(p, from: ws.cwd)
                guard Paths.exists(abs) else { throw CommandFailure(message: "\(p): no such file or folder") }
                targets += Paths.isDirectory(abs) ? Paths.yamlFiles(in: abs) : [abs]
            }
        }
        // Parse in parallel (each file is independent), then check references.
        let catalog = ws.catalog
        let files = targets
        DispatchQueue.concurrentPerform(iterations: files.count) { i in _ = catalog.load(files[i]) }

        let printer = DiagnosticPrinter()
        var invalid = 0, errors = 0, warnings = 0, runbooks = 0, drills = 0, testFiles = 0
        var checked: [JSON] = []
        // With --tests, a runbook checked brings its tests along.
        if tests {
            let named = Set(targets.compactMap { catalog.load($0).runbook?.name })
            for file in Paths.yamlFiles(in: Paths.join(ws.root, "runbooks/tests")) where !targets.contains(file) {
                if let t = catalog.load(file).test, named.contains(t.runbook) { targets.append(file) }
            }
        }
        for path in targets {
            let entry = catalog.load(path)
            var problems = entry.diagnostics
            if entry.document != nil { problems += catalog.crossCheck(entry, at: path) }
            if tests, let t = entry.test, !entry.hasErrors { problems += Self.match(t, catalog: catalog, at: path) }
            problems.sort()
            let e = problems.filter { $0.severity == .error }.count
            errors += e
            warnings += problems.count - e
            if e > 0 { invalid += 1 }
            let kind = entry.drill != nil ? "drill" : entry.test != nil ? "test" : "runbook"
            switch kind {
            case "drill": drills += 1
            case "test": testFiles += 1
            default: runbooks += 1
            }
            if json {
                checked.append(ValidateJSON.file(path: Paths.display(path, from: ws.cwd), kind: kind, problems: problems))
            } else {
                printer.print(problems, source: entry.source)
            }
        }
        if json {
            print(ValidateJSON.document(files: checked, invalid: invalid, runbooks: runbooks, drills: drills, tests: testFiles, errors: errors, warnings: warnings).serialized(pretty: true))
            if invalid > 0 { throw ExitStatus.failure }
            return
        }
        let counted = "\(targets.count) file\(targets.count == 1 ? "" : "s")"
        if invalid > 0 {
            printError("\(errors) error\(errors == 1 ? "" : "s") in \(invalid) of \(counted)\(warnings > 0 ? ", \(warnings) warning\(warnings == 1 ? "" : "s")" : "")")
            throw ExitStatus.failure
        }
        if !quiet {
            let style = Style.stdout
            let testsPart = testFiles > 0 ? ", \(testFiles) test\(testFiles == 1 ? "" : "s")" : ""
            print("\(style.green("ok")): \(counted) valid (\(runbooks) runbook\(runbooks == 1 ? "" : "s"), \(drills) drill\(drills == 1 ? "" : "s")\(testsPart))\(warnings > 0 ? ", \(warnings) warning\(warnings == 1 ? "" : "s")" : "")")
        }
    }

    /// What a test names that its runbook no longer has (or a runbook
    /// that does not load), at the test's line and column.
    package static func match(_ t: RunbookTest, catalog: Catalog, at path: String) -> [Diagnostic] {
        switch catalog.resolveRunbook(t.runbook, root: catalog.root(forFileAt: path)) {
        case .found(let rb, let rbPath):
            guard let includes = try? RunSession.includes(of: rb, path: rbPath, catalog: catalog) else {
                return [Diagnostic(path: t.path, mark: t.runbookMark, message: "runbook '\(t.runbook)' includes a runbook that does not load; run `muster validate`")]
            }
            return t.check(rb, includes: includes)
        case .missing(_, let s):
            return [Diagnostic(path: t.path, mark: t.runbookMark, message: "runbook '\(t.runbook)' does not exist\(s.map { "; did you mean '\($0)'?" } ?? "")")]
        case .broken:
            return [Diagnostic(path: t.path, mark: t.runbookMark, message: "runbook '\(t.runbook)' does not load; run `muster validate` on it")]
        }
    }
}
