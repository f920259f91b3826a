#if canImport(Glibc)
@preconcurrency import Glibc
#endif
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import ArgumentParser
import MusterCI
import MusterBasics
import MusterFormat
import MusterEngine
import MusterJournal
import MusterDrills
import MusterPreflight
import MusterApp
import MusterProcess
import MusterTerminal

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
        let ws = Workspace()
        let given = try parseParams(params)
        var names = runbooks
        if names.isEmpty {
            names = Paths.yamlFiles(in: Paths.join(ws.root, "runbooks")).filter { ws.catalog.load($0).drill == nil }
            if names.isEmpty { throw CommandFailure(message: "no runbooks in \(Paths.display(Paths.join(ws.root, "runbooks"), from: ws.cwd)); name one") }
        }
        var loaded: [(Runbook, String)] = []
        for name in names {
            let (rb, path) = try ws.loadRunbook(name)
            if ws.catalog.load(path).hasErrors {
                throw CommandFailure(message: "\(Paths.display(path, from: ws.cwd)) has errors; `muster validate` lists them")
            }
            loaded.append((rb, path))
        }
        for name in given.keys where !loaded.contains(where: { $0.0.param(name) != nil }) {
            throw CommandFailure(message: "no runbook here has a parameter '\(name)'")
        }
        var items: [PreflightItem] = []
        var groupOf: [String] = []
        for (rb, path) in loaded {
            let includes = try RunSession.includes(of: rb, path: path, catalog: ws.catalog)
            let mine = PreflightItem.plan(rb, given: given.filter { rb.param($0.key) != nil }, includes: includes, operatorName: operatorName())
            items += mine
            groupOf += Array(repeating: rb.name, count: mine.count)
        }
        let progress = !json && isatty(1) != 0
        var shown = -1
        let results = PreflightRunner.run(items, parts: Preflight.parts(), timeout: Preflight.timeout) { done, total in
            if progress, done != shown {
                shown = done
                print("\r\u{1B}[2KPreflight: \(done)/\(total) checks done", terminator: done == total ? "\r\u{1B}[2K" : "")
            }
        }
        let groups: PreflightReport.Groups = loaded.map { rb, _ in
            (rb.name, zip(groupOf, results).filter { $0.0 == rb.name }.map(\.1))
        }
        Preflight.recordHistory(ws, groups)
        if let junit {
            try FileWrites.writeAtomically(PreflightReport.junit(groups, timestamp: utcStamp()), to: Paths.absolute(junit, from: ws.cwd))
        }
        let store = json ? nil : PreflightStore.check(ProcessInfo.processInfo.environment)
        if json {
            print(PreflightReport.json(groups).serialized(pretty: true))
        } else {
            print(Preflight.render(groups, style: .stdout), terminator: "")
            store.map { print($0.lines.map { sanitize($0) }.joined(separator: "\n")) }
        }
        if !PreflightReport.passed(groups) || store?.passed == false { throw ExitCodes.failure }
    }
}
