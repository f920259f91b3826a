import ArgumentParser
import Dispatch
import MusterBasics
import MusterApp

struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check runbooks and drills; report every problem with its line and column.",
        discussion: "Exit status: 0 all valid, 1 some file has errors, 2 a path does not exist. --json prints one JSON document on stdout instead of the text (see docs/cli.md)."
    )

    @Argument(help: "Files or folders to check (default: the repository's runbooks/ and drills/).")
    var paths: [String] = []

    @Flag(name: .shortAndLong, help: "Print nothing when everything is valid.")
    var quiet = false

    @Flag(help: "Print the result as one JSON document on stdout: every file, its problems with line and column, and the totals.")
    var json = false

    @Flag(help: "Also check each runbook test (runbooks/tests/) against its runbook: a fake, answer or expected step the runbook no longer has is an error.")
    var tests = false

    func run() throws {
        try ValidateFiles(paths: paths, quiet: quiet, json: json, tests: tests).run()
    }
}
