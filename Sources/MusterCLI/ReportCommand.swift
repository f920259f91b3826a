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
        abstract: "Drill history: elapsed against the RTO, last and best run, trend, slowest steps; or one run's report.",
        discussion: """
        `muster report RUN_ID` reports one run, an incident run or a drill: its timeline with the time spent waiting on people \
        and the machines' time, decisions, escalations, approvals, hand-offs, guard breaches and the RPO where known; \
        --markdown, --json or --html FILE for other forms, --postmortem for a Markdown postmortem draft.         With drill names (or none) it reads the records under drills/records/DRILL/. Best and trend count recovered, attended runs only (an unattended --yes drill is listed, labelled), \
        held in the environment the runbook's scheduled drill names (production by default; sandbox and training runs are shown apart); \
        failed and aborted runs are counted and listed. A record that does not read is reported on \
        stderr with its path and skipped. --html writes one self-contained page with a timeline \
        chart per run and the elapsed-time trend.
        """
    )

    @Argument(help: "Drills to report (default: every drill with a definition or records), or one run id (see `muster runs`).")
    var drills: [String] = []

    @Flag(help: "With a run id: print the run's report as Markdown.")
    var markdown = false

    @Flag(help: "With a run id: print a Markdown postmortem draft (summary, impact window, timeline, what went well or slowly, action items).")
    var postmortem = false

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
        let forms = [markdown, postmortem, json, html != nil].filter { $0 }.count
        if markdown || postmortem, forms > 1 {
            throw ValidationError("--markdown, --postmortem, --json and --html FILE are forms of one run's report: give one of them")
        }
    }

    func run() throws {
        let ws = Workspace()
        let cat = DrillCatalog(ws, recordsDir: recordsDir)
        let known = cat.allDrillNames
        let store = RunStore(root: ws.root)
        // A run id reports the run; a drill's name its history. Run ids
        // (`20261127T090000Z-name`) are never drill names in practice; a
        // drill named like one keeps its history report.
        if drills.count == 1, !known.contains(drills[0]), markdown || postmortem || store.runIDs().contains(drills[0]) || RunReportCommand.looksLikeRunID(drills[0]) {
            if evidence != nil {
                throw CommandFailure(message: "--evidence DIR bundles drills' records: give drill names (`muster report DRILL --evidence DIR`), not a run id")
            }
            return try RunReportCommand(runID: drills[0], markdown: markdown, postmortem: postmortem, json: json, html: html).run(ws: ws, store: store)
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
