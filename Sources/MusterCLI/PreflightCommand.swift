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

/// What `preflight`, `run` and `drill` share: the real parts the checks
/// run with, the table a person reads, and the history `due` reads.
enum Preflight {
    /// Seconds each check may take on its own.
    static let timeout = 10.0
    /// Before a run: the operator is waiting. Checks run at once, so this is
    /// about the whole wait; a real check answers in a second or two, but
    /// an `aws` call on a busy machine can take several.
    static let beforeRunTimeout = 10.0

    static func parts() -> PreflightParts {
        PreflightParts(environment: ProcessInfo.processInfo.environment,
                       readFile: { path in (try? Paths.read(path)).map { String(decoding: $0, as: UTF8.self) } },
                       isExecutable: { path in
                           var st = stat()
                           return access(path, X_OK) == 0 && stat(path, &st) == 0 && (st.st_mode & S_IFMT) != S_IFDIR
                       },
                       makeRunner: { SpawnRunner() }, makeHTTP: { CurlTransport() }, ciService: { CIServices.make($0) },
                       monotonic: monotonicSeconds, operatorName: operatorName())
    }

    static func mark(_ r: PreflightResult, _ style: Style) -> String {
        switch r.status {
        case .pass: style.green("✓")
        case .fail: style.red("✗")
        case .skip: style.dim("–")
        }
    }

    /// One line per check under its runbook; under a failed one, what was
    /// found, the steps that need it, and the fix.
    static func render(_ groups: PreflightReport.Groups, style: Style) -> String {
        var out: [String] = []
        for g in groups {
            let failed = g.results.count { $0.status == .fail }
            out.append(style.bold("Preflight: \(sanitize(g.runbook))") + "  " + (failed == 0 ? style.green("all \(g.results.count) checks passed") : style.red("\(failed) of \(g.results.count) checks failed")))
            if g.results.isEmpty { out.append("  nothing to check: no secrets, requires, preflight checks, http or ci steps") }
            for r in g.results {
                out += lines(r, style: style, runbook: g.runbook)
            }
            out.append("")
        }
        let failed = groups.flatMap(\.results).count { $0.status == .fail }
        out.append(failed == 0 ? style.green("Every check passed.") : style.red("\(failed) check\(failed == 1 ? "" : "s") failed") + ": fix them before you need these runbooks.")
        return out.joined(separator: "\n") + "\n"
    }

    static func lines(_ r: PreflightResult, style: Style, runbook: String) -> [String] {
        let origin = r.item.runbook == runbook ? "" : sanitize(r.item.runbook) + ": "
        var out = ["  \(mark(r, style)) \(origin)\(sanitize(r.item.title))" + (r.status == .fail ? "" : style.dim("  \(sanitize(r.detail))"))]
        if r.status == .fail {
            out.append("      " + style.red(sanitize(r.detail)))
            if !r.item.steps.isEmpty { out.append("      needed by: " + r.item.steps.map { sanitize($0) }.joined(separator: ", ")) }
            if let fix = r.item.fix { out.append("      fix: " + sanitize(fix)) }
        }
        return out
    }

    static func historyPath(_ ws: Workspace) -> String { Paths.join(RunStore(root: ws.root).dir, "preflight.json") }

    static func history(_ ws: Workspace) -> PreflightHistory {
        PreflightHistory(text: (try? Paths.read(historyPath(ws))).map { String(decoding: $0, as: UTF8.self) } ?? "")
    }

    /// Best effort: a state folder that cannot be written costs only `due`'s note.
    static func recordHistory(_ ws: Workspace, _ groups: PreflightReport.Groups) {
        var h = history(ws)
        let now = utcStamp()
        for g in groups { h.record(g.runbook, passed: g.results.allSatisfy { $0.status != .fail }, at: now) }
        try? FileWrites.writeAtomically(h.serialized, to: historyPath(ws))
    }

    /// Before the first step: every check of the runbook with the run's
    /// values (declared and implied), on one progress line. Failures are listed, and the operator
    /// goes on or stops; `--yes` goes on. Returns the failures gone on with,
    /// for the journal.
    static func beforeRun(ws: Workspace, runbook rb: Runbook, includes: [String: Runbook], values: [String: String], yes: Bool,
                          console: TerminalConsole) throws -> [String] {
        // Only a runbook that asks for it (`requires` or `preflight`, in it or
        // in a runbook it includes) is checked before it runs: one without
        // them runs as it always has, reaching no server before its steps do.
        guard !(rb.requires.isEmpty && rb.preflight.isEmpty) || includes.values.contains(where: { !($0.requires.isEmpty && $0.preflight.isEmpty) }) else { return [] }
        let items = PreflightItem.plan(rb, given: values, includes: includes, operatorName: operatorName())
        guard !items.isEmpty else { return [] }
        var shown = -1
        let results = PreflightRunner.run(items, parts: parts(), timeout: beforeRunTimeout) { done, total in
            guard done != shown else { return }
            shown = done
            console.show(.progress("Preflight: \(done)/\(total) checks done"))
        }
        // The run's own preflight is a preflight: `due` counts it like
        // `muster preflight`, and a failure gone on with is one too.
        recordHistory(ws, [(rb.name, results)])
        let failed = results.filter { $0.status == .fail }
        guard !failed.isEmpty else {
            console.show(.info("Preflight: all \(results.count) checks passed"))
            return []
        }
        console.show(.warning("Preflight: \(failed.count) of \(results.count) checks failed"))
        for r in failed { for line in lines(r, style: Style(color: false, isTerminal: false), runbook: rb.name) { console.show(.info(line)) } }
        let summary = failed.map { r in (r.item.runbook == rb.name ? "" : r.item.runbook + ": ") + r.item.title + " (" + r.detail + ")" }
        if yes {
            console.show(.warning("going on anyway (--yes); the failed checks are journaled"))
            return summary
        }
        while true {
            switch console.ask("Preflight failed. Go on with the run anyway?", hint: "y go on · n stop", status: "before the first step") {
            case .line(let l):
                switch l.split(separator: " ").joined(separator: " ").lowercased() {
                case "y", "yes": return summary
                case "n", "no", "a": throw CommandFailure(message: "stopped before the first step: preflight failed; nothing was run. `muster preflight \(rb.name)` checks again")
                default: console.show(.warning("answer y to go on or n to stop"))
                }
            case .eof: throw CommandFailure(message: "stopped before the first step: preflight failed and nobody answered; nothing was run")
            case .signal(let s): throw CommandFailure(message: "stopped by \(s.shortName) before the first step; nothing was run")
            }
        }
    }
}
