import ArgumentParser
import MusterBasics
import MusterApp
import MusterFormat

struct SchemaCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schema",
        abstract: "Print the JSON Schema of the runbook format (or, with --drill or --test, of drills or runbook tests), for editors."
    )

    @Flag(help: "Print the drill format's schema instead.")
    var drill = false

    @Flag(help: "Print the runbook test format's schema instead (runbooks/tests/NAME.yaml).")
    var test = false

    func validate() throws {
        if drill && test { throw ValidationError("--drill and --test each print one schema; choose one") }
    }

    func run() {
        print(drill ? FormatSchema.drill : test ? FormatSchema.test : FormatSchema.runbook)
    }
}
