#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import ArgumentParser
import MusterBasics
import MusterRender
import MusterFormat
import MusterEngine
import MusterJournal
import MusterDrills
import MusterPreflight
import MusterApp
import MusterTerminal

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Drill history: elapsed against the RTO, last and best run, trend, slowest steps.",
        discussion: """
        Reads the records under drills/records/DRILL/. Best and trend count recovered, attended runs only (an unattended --yes drill is listed, labelled), \
        held in the environment the runbook's scheduled drill names (production by default; sandbox and training runs are shown apart); \
        failed and aborted runs are counted and listed. A record that does not read is reported on \
        stderr with its path and skipped. --html writes one self-contained page with a timeline \
        chart per run and the elapsed-time trend.
        """
    )

    @Argument(help: "Drills to report (default: every drill with a definition or records).")
    var drills: [String] = []

    @Flag(help: "Print JSON.")
    var json = false

    @Option(help: ArgumentHelp("Also write an HTML report (inline CSS and SVG, no scripts) to FILE.", valueName: "FILE"))
    var html: String?

    @Option(help: ArgumentHelp("How many of each drill's newest runs get a timeline chart in the HTML.", valueName: "N"))
    var timelines: Int = 3

    @Option(help: ArgumentHelp("Where the records are (default: drills/records of the repository).", valueName: "DIR"))
    var recordsDir: String?

    @Option(help: ArgumentHelp("Write the evidence an auditor asks for to DIR: the records, their journals, each runbook at its commit, the HTML report and SHA256SUMS (see docs/evidence.md).", valueName: "DIR"))
    var evidence: String?

    func validate() throws {
        guard timelines >= 0 else { throw ValidationError("--timelines must be 0 or more") }
    }

    func run() throws {
        let ws = Workspace()
        let cat = DrillCatalog(ws, recordsDir: recordsDir)
        let known = cat.allDrillNames
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
                                                   root: ws.root, html: ReportHTML.render(items, timelines: timelines))
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
