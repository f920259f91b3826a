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
import MusterTerminal

/// `muster report`: a drill's report over its records, or one run's report.
package struct MakeReport {
    package var drills: [String]
    package var markdown: Bool
    package var postmortem: Bool
    package var json: Bool
    package var html: String?
    package var timelines: Int
    package var recordsDir: String?
    package var evidence: String?

    package init(drills: [String], markdown: Bool, postmortem: Bool, json: Bool, html: String?, timelines: Int, recordsDir: String?, evidence: String?) {
        self.drills = drills
        self.markdown = markdown
        self.postmortem = postmortem
        self.json = json
        self.html = html
        self.timelines = timelines
        self.recordsDir = recordsDir
        self.evidence = evidence
    }

    package func run() throws {
        let ws = Workspace()
        let cat = DrillCatalog(ws, recordsDir: recordsDir)
        let known = cat.allDrillNames
        let store = RunStore(root: ws.root)
        // A run id reports the run; a drill's name its history. Run ids
        // (`20261127T090000Z-name`) are never drill names in practice; a
        // drill named like one keeps its history report.
        if drills.count == 1, !known.contains(drills[0]), markdown || postmortem || store.runIDs().contains(drills[0]) || ReportRun.looksLikeRunID(drills[0]) {
            if evidence != nil {
                throw CommandFailure(message: "--evidence DIR bundles drills' records: give drill names (`muster report DRILL --evidence DIR`), not a run id")
            }
            return try ReportRun(runID: drills[0], markdown: markdown, postmortem: postmortem, json: json, html: html).run(ws: ws, store: store)
        }
        if markdown || postmortem {
            throw CommandFailure(message: "--\(markdown ? "markdown" : "postmortem") reports one run: give its id, `muster report RUN_ID --\(markdown ? "markdown" : "postmortem")` (`muster runs` lists them)")
        }
        var names: [String] = []
        for arg in drills {
            let name = arg.hasSuffix(".yaml") || arg.hasSuffix(".yml") ? Paths.stem(arg) : arg
            guard known.contains(name) else {
                let hint = suggestion(for: name, among: known).map { " Did you mean '\($0)'?" }
                    ?? (known.isEmpty ? "" : " Known drills: \(known.joined(separator: ", ")).")
                throw CommandFailure(message: "no drill '\(arg)': no drills/\(name).yaml and no records in \(cat.recordsDisplay)/\(name).\(hint)")
            }
            if !names.contains(name) { names.append(name) }
        }
        if names.isEmpty { names = known }

        let loaded = cat.records.load(drills: names)
        printWarnings(cat.warnings + loaded.problems.map(\.text))
        let reports = names.map { name in
            let def = cat.definition(name)
            let records = loaded.records[name] ?? []
            let runbook = def?.runbook ?? records.last?.record.runbook
            return DrillReport(drill: name, records: records, runbook: def?.runbook, rtoSeconds: def?.rtoSeconds,
                               environment: runbook.map(cat.countedEnvironment) ?? .production, definition: def?.environment)
        }

        if let html {
            let page = ReportHTML.render(reports.map { ($0, loaded.records[$0.drill] ?? []) }, timelines: timelines)
            let path = Paths.absolute(html, from: ws.cwd)
            guard Paths.isDirectory(Paths.dirname(path)) else {
                throw CommandFailure(message: "cannot write \(html): no folder \(Paths.display(Paths.dirname(path), from: ws.cwd))")
            }
            try FileWrites.writeAtomically(page, to: path)
        }
        var evidenceNote: String?
        if let evidence {
            let dir = Paths.absolute(evidence, from: ws.cwd)
            let items = reports.map { ($0, loaded.records[$0.drill] ?? []) }
            let written = try EvidenceBundle.write(to: dir, drills: items, recordsDir: cat.records.directory, store: RunStore(root: ws.root),
                                                   root: ws.root, catalog: ws.catalog, html: ReportHTML.render(items, timelines: timelines))
            for m in written.missing { printError("muster: warning: evidence: \(m)") }
            evidenceNote = "Evidence written to \(Paths.display(dir, from: ws.cwd)): \(written.files.count) files; check them with `sha256sum -c SHA256SUMS` there, and each record with `muster verify RECORD.json --journal JOURNAL`."
        }
        if json {
            let out = JSON.object([
                ("records_dir", .string(cat.recordsDisplay)),
                ("drills", .array(reports.map(\.json))),
                ("problems", .array(loaded.problems.map { .object([("path", .string($0.path)), ("message", .string($0.message))]) })),
            ])
            print(out.serialized(pretty: true))
            if let evidenceNote { printError(evidenceNote) }
            return
        }
        guard !reports.isEmpty else {
            print("No drills yet: no drill files in drills/ and no records in \(cat.recordsDisplay). Write one (see docs/format.md) and run `muster drill NAME`.")
            return
        }
        print(ReportText(style: .stdout).render(reports), terminator: "")
        if let html { print("\nHTML report written to \(html)") }
        if let evidenceNote { print("\n" + evidenceNote) }
    }
}
