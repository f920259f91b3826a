import ArgumentParser
import MusterBasics
import MusterApp

struct RunsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runs",
        abstract: "List runs, newest first, with their state (running, paused, crashed, completed, failed, rolled_back)."
    )

    @Flag(help: "Print JSON.")
    var json = false

    func run() throws {
        try ListRuns(json: json).run()
    }
}

struct LogCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "log",
        abstract: "Print one run's journal: every event, in order."
    )

    @Argument(help: "The run (see `muster runs`).")
    var runID: String

    @Flag(help: "Print the journal's JSON lines as they are.")
    var json = false

    @Option(name: .customLong("output"), help: ArgumentHelp("Print what step STEP printed instead (masked, as shown; a branch's lines too).", valueName: "STEP"))
    var outputOf: String?

    func run() throws {
        try ShowLog(runID: runID, json: json, outputOf: outputOf).run()
    }
}
