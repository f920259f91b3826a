import MusterBasics
import MusterFormat
import MusterEngine
import MusterJournal
import MusterDrills
import MusterPreflight
import MusterTerminal

/// The drills and runbooks of a repository as `report` and `due` need them:
/// drill names, their runbooks and schedules, which runbooks include which,
/// and where the records are.
package struct DrillCatalog {
    package struct DrillDefinition {
        package var name: String
        /// The runbook's name (a path in the drill file becomes its file stem).
        package var runbook: String
        package var schedule: String?
        package var rtoSeconds: Int?
        package var path: String
        /// Declared, or implied by the drill's own params (no `-p`).
        package var environment: DrillEnvironment = .production
    }

    package let workspace: Workspace
    package let drills: [DrillDefinition]
    package let runbooks: [String]
    /// Runbook name → names of the runbooks its `runbook:` steps run.
    package let includes: [String: [String]]
    package let records: RecordStore
    /// Files that did not load cleanly, as warnings for stderr.
    package let warnings: [String]

    package init(_ ws: Workspace, recordsDir: String?) {
        workspace = ws
        let catalog = ws.catalog
        var warnings: [String] = []
        func note(_ entry: Catalog.Entry) {
            if entry.hasErrors {
                warnings.append("\(entry.source.path) has errors; `muster validate \(entry.source.path)` lists them")
            }
        }

        var rbNames: [String] = []
        var includes: [String: [String]] = [:]
        var runbookRTO: [String: Int] = [:]
        for path in Paths.yamlFiles(in: Paths.join(ws.root, "runbooks")) {
            let entry = catalog.load(path)
            guard entry.drill == nil else { continue }
            note(entry)
            let name = entry.runbook.map { $0.name.isEmpty ? Paths.stem(path) : $0.name } ?? Paths.stem(path)
            rbNames.append(name)
            if let rb = entry.runbook {
                runbookRTO[name] = rb.rto
                includes[name] = rb.keyedSteps.compactMap { _, step in
                    guard case .runbook(let spec) = step.body, !spec.runbook.isEmpty else { return nil }
                    return Paths.stem(spec.runbook)
                }
            }
        }
        var drills: [DrillDefinition] = []
        for path in Paths.yamlFiles(in: Paths.join(ws.root, "drills")) {
            let entry = catalog.load(path)
            guard let d = entry.drill else {
                if entry.document == nil { note(entry) }
                continue
            }
            note(entry)
            let runbook = Paths.stem(d.runbook)
            let values = Dictionary(d.params.map { ($0.name, $0.value) }, uniquingKeysWith: { _, b in b })
            drills.append(DrillDefinition(name: d.name.isEmpty ? Paths.stem(path) : d.name, runbook: runbook, schedule: d.schedule,
                                          rtoSeconds: d.rto ?? runbookRTO[runbook], path: entry.source.path,
                                          environment: d.environment(params: values)))
        }
        self.drills = drills.sorted { $0.name < $1.name }
        self.runbooks = Array(Set(rbNames)).sorted()
        self.includes = includes
        self.warnings = warnings
        let dir = recordsDir.map { Paths.absolute($0, from: ws.cwd) } ?? Paths.join(ws.root, "drills/records")
        let cwd = ws.cwd
        records = RecordStore(directory: dir) { Paths.display($0, from: cwd) }
    }

    package func definition(_ name: String) -> DrillDefinition? { drills.first { $0.name == name } }

    /// The environment `runbook`'s drills count in (RecordEnvironment.counted).
    package func countedEnvironment(of runbook: String) -> DrillEnvironment {
        RecordEnvironment.counted(scheduled: drills.filter { $0.runbook == runbook && $0.schedule != nil }.map(\.environment))
    }

    /// Each drill's environment by name, for records that do not say theirs.
    package var definedEnvironments: [String: DrillEnvironment] {
        Dictionary(drills.map { ($0.name, $0.environment) }, uniquingKeysWith: { a, _ in a })
    }

    /// Every drill with a definition or a records folder.
    package var allDrillNames: [String] { Array(Set(drills.map(\.name) + records.drillNames())).sorted() }

    package var recordsDisplay: String { workspace.catalog.displayPath(records.directory) }
}

/// Prints problems met while reading as warnings on stderr, one a line.
package func printWarnings(_ lines: [String]) {
    for l in lines { printError("muster: warning: \(sanitize(l))") }
}
