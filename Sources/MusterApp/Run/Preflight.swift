#if canImport(Glibc)
@preconcurrency import Glibc
#endif
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import MusterCI
import MusterBasics
import MusterFormat
import MusterEngine
import MusterJournal
import MusterDrills
import MusterPreflight
import MusterProcess
import MusterTerminal

/// What `preflight`, `run` and `drill` share: the real parts the checks
/// run with, the table a person reads, and the history `due` reads.
package enum Preflight {
    /// Seconds each check may take on its own.
    package static let timeout = 10.0
    /// Before a run: the operator is waiting. Checks run at once, so this is
    /// about the whole wait; a real check answers in a second or two, but
    /// an `aws` call on a busy machine can take several.
    package static let beforeRunTimeout = 10.0

    package static func parts() -> PreflightParts {
        PreflightParts(environment: ProcessInfo.processInfo.environment,
                       readFile: { path in (try? Paths.read(path)).map { String(decoding: $0, as: UTF8.self) } },
                       isExecutable: { path in
                           var st = stat()
                           return access(path, X_OK) == 0 && stat(path, &st) == 0 && (st.st_mode & S_IFMT) != S_IFDIR
                       },
                       makeRunner: { SpawnRunner() }, makeHTTP: { CurlTransport() }, ciService: { CIServices.make($0) },
                       monotonic: monotonicSeconds, operatorName: operatorName())
    }

    package static func mark(_ r: PreflightResult, _ style: Style) -> String {
        switch r.status {
        case .pass: style.green("✓")
        case .fail: style.red("✗")
        case .skip: style.dim("–")
        }
    }

    /// One line per check under its runbook; under a failed one, what was
    /// found, the steps that need it, and the fix.
    package static func render(_ groups: PreflightReport.Groups, style: Style) -> String {
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

    package static func lines(_ r: PreflightResult, style: Style, runbook: String) -> [String] {
        let origin = r.item.runbook == runbook ? "" : sanitize(r.item.runbook) + ": "
        var out = ["  \(mark(r, style)) \(origin)\(sanitize(r.item.title))" + (r.status == .fail ? "" : style.dim("  \(sanitize(r.detail))"))]
        if r.status == .fail {
            out.append("      " + style.red(sanitize(r.detail)))
            if !r.item.steps.isEmpty { out.append("      needed by: " + r.item.steps.map { sanitize($0) }.joined(separator: ", ")) }
            if let fix = r.item.fix { out.append("      fix: " + sanitize(fix)) }
        }
        return out
    }

    package static func historyPath(_ ws: Workspace) -> String { Paths.join(RunStore(root: ws.root).dir, "preflight.json") }

    package static func history(_ ws: Workspace) -> PreflightHistory {
        PreflightHistory(text: (try? Paths.read(historyPath(ws))).map { String(decoding: $0, as: UTF8.self) } ?? "")
    }

    /// Best effort: a state folder that cannot be written costs only `due`'s note.
    package static func recordHistory(_ ws: Workspace, _ groups: PreflightReport.Groups) {
        var h = history(ws)
        let now = utcStamp()
        for g in groups { h.record(g.runbook, passed: g.results.allSatisfy { $0.status != .fail }, at: now) }
        try? FileWrites.writeAtomically(h.serialized, to: historyPath(ws))
    }

    /// Before the first step: every check of the runbook with the run's
    /// values (declared and implied), on one progress line. Failures are listed, and the operator
    /// goes on or stops; `--yes` goes on. Returns the failures gone on with,
    /// for the journal.
    package static func beforeRun(ws: Workspace, runbook rb: Runbook, includes: [String: Runbook], values: [String: String], yes: Bool,
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
