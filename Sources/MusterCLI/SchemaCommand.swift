import ArgumentParser
import MusterBasics
import MusterFormat
import MusterEngine
import MusterJournal
import MusterDrills
import MusterPreflight
import MusterApp

struct SchemaCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schema",
        abstract: "Print the JSON Schema of the runbook format (or, with --drill, of drills), for editors."
    )

    @Flag(help: "Print the drill format's schema instead.")
    var drill = false

    func run() {
        print(drill ? FormatSchema.drill : FormatSchema.runbook)
    }
}
