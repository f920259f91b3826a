#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import ArgumentParser
import MusterCore
import MusterTerminal

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Drill history: elapsed against the RTO, last and best run, trend, slowest steps.",
        discussion: """
        Reads the records under drills/records/DRILL/. Best and trend count recovered, attended runs only (an unattended --yes drill is listed, labelled); \
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
            return DrillReport(drill: name, records: loaded.records[name] ?? [], runbook: def?.runbook, rtoSeconds: def?.rtoSeconds)
        }

        if let html {
            let page = ReportHTML.render(reports.map { ($0, loaded.records[$0.drill] ?? []) }, timelines: timelines)
            let path = Paths.absolute(html, from: ws.cwd)
            guard Paths.isDirectory(Paths.dirname(path)) else {
                throw CommandFailure(message: "cannot write \(html): no folder \(Paths.display(Paths.dirname(path), from: ws.cwd))")
            }
            try FileWrites.writeAtomically(page, to: path)
        }
        if json {
            let out = JSON.object([
                ("records_dir", .string(cat.recordsDisplay)),
                ("drills", .array(reports.map(\.json))),
                ("problems", .array(loaded.problems.map { .object([("path", .string($0.path)), ("message", .string($0.message))]) })),
            ])
            print(out.serialized(pretty: true))
            return
        }
        guard !reports.isEmpty else {
            print("No drills yet: no drill files in drills/ and no records in \(cat.recordsDisplay). Write one (see docs/format.md) and run `muster drill NAME`.")
            return
        }
        print(ReportText(style: .stdout).render(reports), terminator: "")
        if let html { print("\nHTML report written to \(html)") }
    }
}
