#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import MusterBasics
import MusterFormat
import MusterEngine
import MusterTerminal

/// `muster test`: runs the runbook tests of the named files against the simulated world.
package struct TestRunbooks {
    package var names: [String]
    package var json: Bool
    package var junit: String?
    package var newFor: String?
    package var coverage: Bool

    package init(names: [String], json: Bool, junit: String?, newFor: String?, coverage: Bool) {
        self.names = names
        self.json = json
        self.junit = junit
        self.newFor = newFor
        self.coverage = coverage
    }

    package func run() throws {
        let ws = Workspace()
        if let reference = newFor { return try draft(reference, ws: ws) }
        let dir = Paths.join(ws.root, "runbooks/tests")
        let files = FileSource.disk.yamlFiles(dir).sorted()
        var chosen = files
        if !names.isEmpty {
            chosen = []
            for name in names {
                guard let f = files.first(where: { Paths.stem($0) == name }) else {
                    let hint = suggestion(for: name, among: files.map(Paths.stem)).map { "; did you mean '\($0)'?" } ?? ""
                    throw CommandFailure(message: "no test '\(name)' in runbooks/tests/\(hint)")
                }
                chosen.append(f)
            }
        }
        if chosen.isEmpty, !json { print("No runbook tests in runbooks/tests/ (see docs/format.md, \"Runbook tests\").") }
        let printer = DiagnosticPrinter()
        var results: [RunbookTestResult] = []
        var broken = 0
        var tested: [String: (runbook: Runbook, includes: [String: Runbook])] = [:]
        var brokenFiles: [String] = []
        for file in chosen {
            let display = ws.catalog.displayPath(file)
            let loaded = RunbookTest.load(path: file, display: display, read: { try Paths.read($0) })
            guard let test = loaded.test, loaded.diagnostics.isEmpty else {
                printer.print(loaded.diagnostics, source: nil)
                broken += 1
                brokenFiles.append(display)
                continue
            }
            let rb: Runbook, includes: [String: Runbook]
            switch ws.catalog.resolveRunbook(test.runbook, root: ws.root) {
            case .found(let found, let path):
                rb = found
                includes = try RunSession.includes(of: found, path: path, catalog: ws.catalog)
            default:
                printer.print([Diagnostic(path: display, mark: test.runbookMark, message: "runbook '\(test.runbook)' does not load; run `muster validate \(test.runbook)`")], source: nil)
                broken += 1
                brokenFiles.append(display)
                continue
            }
            let problems = test.check(rb, includes: includes)
            if !problems.isEmpty {
                printer.print(problems, source: nil)
                broken += 1
                brokenFiles.append(display)
                continue
            }
            tested[rb.name] = (rb, includes)
            let clock = ContinuousClock()
            let started = clock.now
            let r = RunbookTestRunner.run(test, runbook: rb, includes: includes)
            results.append(r)
            let took = started.duration(to: clock.now)
            if !json { show(r, file: display, ms: Int(took.components.seconds * 1000 + took.components.attoseconds / 1_000_000_000_000_000)) }
        }
        let failed = results.filter { !$0.passed }.count + broken
        if let junit {
            let xml = RunbookTestJUnit.render(results, broken: brokenFiles)
            do {
                try FileWrites.writeAtomically(xml, to: Paths.absolute(junit, from: ws.cwd))
            } catch {
                throw CommandFailure(message: "cannot write the JUnit file \(junit): \(error)")
            }
        }
        let covered = coverage ? tested.sorted { $0.key < $1.key }.map { name, t in
            RunbookCoverage(runbook: t.runbook, includes: t.includes, results: results.filter { $0.runbook == name || Paths.stem($0.runbook) == name })
        } : []
        let untested = coverage ? ws.withoutRunbookTests(ws.catalog.source.yamlFiles(Paths.join(ws.root, "runbooks"))).map(Paths.stem).filter { tested[$0] == nil }.sorted() : []
        if json {
            let passed = results.filter(\.passed).count
            var fields: [(String, JSON)] = [("tests", .array(results.map(Self.json))), ("passed", .int(passed)), ("failed", .int(failed))]
            if coverage {
                fields.append(("coverage", .array(covered.map(Self.json))))
                fields.append(("untested", .array(untested.map { .string($0) })))
            }
            let out: JSON = .object(fields)
            print(out.serialized(pretty: true))
        } else if !chosen.isEmpty {
            print("\n\(chosen.count) test\(chosen.count == 1 ? "" : "s"): \(chosen.count - failed) passed, \(failed) failed")
            if coverage { show(covered, untested: untested) }
        }
        if failed > 0 { throw ExitStatus.failure }
    }

    private func show(_ r: RunbookTestResult, file: String, ms: Int) {
        let style = Style.stdout
        let mark = r.passed ? style.green("PASS") : style.red("FAIL")
        let facts = "(\(sanitize(file)) · \(sanitize(r.runbook)) · \(r.outcome) after \(formatSeconds(r.elapsedSeconds)) simulated, in \(ms) ms)"
        print("\(mark)  \(sanitize(r.name))  " + style.dim(facts))
        for d in r.differences { print("      " + sanitize(d)) }
    }

    /// `--new`: the draft, never over a test that exists.
    private func draft(_ reference: String, ws: Workspace) throws {
        let (rb, path) = try ws.loadRunbook(reference)
        let includes = try RunSession.includes(of: rb, path: path, catalog: ws.catalog)
        let file = Paths.join(ws.root, "runbooks/tests/\(rb.name)-happy-path.yaml")
        guard !Paths.exists(file) else {
            throw CommandFailure(message: "\(ws.catalog.displayPath(file)) exists; edit it, or move it away to draft a new one")
        }
        try FileWrites.makeFolders(Paths.dirname(file))
        try FileWrites.writeAtomically(RunbookTestDraft.yaml(rb, includes: includes), to: file)
        print("wrote \(ws.catalog.displayPath(file)): a fake per automated step, timed by its expect; fill in each CHANGE-ME, then run muster test \(rb.name)-happy-path")
    }

    private func show(_ covered: [RunbookCoverage], untested: [String]) {
        let style = Style.stdout
        for c in covered {
            print("\nCoverage of \(sanitize(c.runbook)): \(c.taken) of \(c.points.count) branch points taken")
            let width = min(60, c.points.map { sanitize($0.point).count }.max() ?? 0)
            for (point, tests) in c.points {
                let shown = sanitize(point)
                let padded = shown.count < width ? shown + String(repeating: " ", count: width - shown.count) : shown
                print("  " + (tests.isEmpty ? style.red("✗ ") : style.green("✓ ")) + padded + "  " + (tests.isEmpty ? style.red("no test takes it") : style.dim(tests.map { sanitize($0) }.joined(separator: ", "))))
            }
        }
        if !untested.isEmpty { print("\nRunbooks with no test: \(untested.map { sanitize($0) }.joined(separator: ", ")) (muster test covers a runbook only through tests that name it)") }
    }

    package static func json(_ c: RunbookCoverage) -> JSON {
        .object([("runbook", .string(c.runbook)), ("taken", .int(c.taken)), ("total", .int(c.points.count)),
                 ("points", .array(c.points.map { p in .object([("point", .string(p.point)), ("tests", .array(p.tests.map { .string($0) }))]) }))])
    }

    package static func json(_ r: RunbookTestResult) -> JSON {
        func list(_ keys: [String]) -> JSON { .array(keys.map { .string($0) }) }
        var fields: [(String, JSON)] = [("test", .string(r.name)), ("file", .string(r.path)), ("runbook", .string(r.runbook)), ("passed", .bool(r.passed))]
        fields.append(("differences", list(r.differences)))
        fields.append(("outcome", .string(r.outcome)))
        fields += [("ran", list(r.ran)), ("skipped", list(r.skipped)), ("failed", list(r.failed)), ("critical_path", list(r.criticalPath))]
        fields.append(("elapsed_seconds", .double(r.elapsedSeconds)))
        fields.append(("rto_met", r.rtoMet.map { .bool($0) } ?? .null))
        return .object(fields)
    }
}
