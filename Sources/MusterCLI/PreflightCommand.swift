#if canImport(Glibc)
@preconcurrency import Glibc
#endif
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import ArgumentParser
import MusterBasics
import MusterApp

struct PreflightCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "preflight",
        abstract: "\"Do I have access?\": run every read-only check the runbooks declare or imply; nothing is changed.",
        discussion: """
        Checks, all at once with a time limit each: the runbook's `preflight` list, every secret \
        (set and not empty), every `requires` program on PATH, every host an http step or wait calls, \
        and every ci step's server with its token (a read-only call); included runbooks too. A check \
        whose URL or command needs a value only known during the run (a required parameter, a step's \
        output) is skipped, saying why. Exit status: 0 every check passed, 1 one failed, 2 usage error.
        """
    )

    @Argument(help: "Runbook names or paths (default: every runbook in runbooks/).")
    var runbooks: [String] = []

    @Option(name: [.customShort("p"), .customLong("param")], help: "NAME=VALUE (repeatable): a value to check with instead of the default.")
    var params: [String] = []

    @Flag(help: "Print JSON.")
    var json = false

    @Option(help: ArgumentHelp("Also write the results as JUnit XML to FILE.", valueName: "FILE"))
    var junit: String?

    func run() throws {
        try PreflightRun(runbooks: runbooks, params: params, json: json, junit: junit).run()
    }
}
