#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import ArgumentParser
import MusterBasics
import MusterApp

struct TestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test",
        abstract: "Run the runbook tests in runbooks/tests/ on a simulated clock; nothing runs for real.",
        discussion: """
        Each test takes one path through a runbook: its automated steps answered by the test's \
        fakes, its questions by the test's answers, the real engine deciding everything else, in \
        milliseconds. Exit status: 0 every test passed, 1 a test failed or does not match its \
        runbook, 2 usage error (no such test).
        """
    )

    @Argument(help: ArgumentHelp("Tests to run, by file name (default: every test).", valueName: "NAME"))
    var names: [String] = []

    @Flag(help: "Print JSON.")
    var json = false

    @Option(help: ArgumentHelp("Also write the results as JUnit XML to FILE, for CI dashboards.", valueName: "FILE"))
    var junit: String?

    @Option(name: .customLong("new"), help: ArgumentHelp("Write a first test of RUNBOOK that takes its happy path (runbooks/tests/RUNBOOK-happy-path.yaml), for you to edit.", valueName: "RUNBOOK"))
    var newFor: String?

    @Flag(help: "After the results, list per runbook every when: outcome, parallel branch, loop, guard breach, rollback and finally step, and which tests took it.")
    var coverage = false

    func run() throws {
        try TestRunbooks(names: names, json: json, junit: junit, newFor: newFor, coverage: coverage).run()
    }
}
