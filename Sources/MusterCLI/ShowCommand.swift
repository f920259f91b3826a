import ArgumentParser
import MusterBasics
import MusterApp

struct ShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Print a runbook's plan, with included runbooks expanded and known values filled in.",
        discussion: """
        Parameters given with -p, or their defaults, are filled in; the others stay as {{ name }}. \
        --format markdown prints a paper copy to follow when nothing else works. \
        --forecast prints the expected time to recover instead: each step's median over past drill records of the runbook, \
        else its expect, and the critical path those give, against the RTO.
        """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case text, markdown, json
    }

    @Argument(help: "A runbook name (runbooks/NAME.yaml) or path.")
    var runbook: String

    @Option(help: "text, markdown or json.")
    var format: Format = .text

    @Option(name: [.customShort("p"), .customLong("param")], help: "NAME=VALUE to fill in (repeatable).")
    var params: [String] = []

    @Option(help: ArgumentHelp("Show the runbook (and the runbooks it includes) as of this git commit, tag or branch.", valueName: "rev"))
    var rev: String?

    @Flag(help: "Print the expected time to recover (from past drills and expect), its critical path and the RTO.")
    var forecast = false

    @Option(help: ArgumentHelp("With --forecast: where the drill records are (default: drills/records of the repository).", valueName: "DIR"))
    var recordsDir: String?

    func validate() throws {
        if forecast && format == .markdown { throw ValidationError("--forecast prints text or json, not markdown") }
        if recordsDir != nil && !forecast { throw ValidationError("--records-dir goes with --forecast") }
    }

    private var planFormat: ShowPlan.Format {
        switch format {
        case .text: .text
        case .markdown: .markdown
        case .json: .json
        }
    }

    func run() throws {
        try ShowPlan(runbook: runbook, format: planFormat, params: params, rev: rev, forecast: forecast, recordsDir: recordsDir).run()
    }
}
