#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import ArgumentParser
import MusterBasics
import MusterApp

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
        try MakeReport(drills: drills, markdown: markdown, postmortem: postmortem, json: json, html: html, timelines: timelines, recordsDir: recordsDir, evidence: evidence).run()
    }
}
