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

/// `muster preflight`: runs a runbook's preflight checks now and records them for `due`.
package struct PreflightRun {
    package var runbooks: [String]
    package var params: [String]
    package var json: Bool
    package var junit: String?

    package init(runbooks: [String], params: [String], json: Bool, junit: String?) {
        self.runbooks = runbooks
        self.params = params
        self.json = json
        self.junit = junit
    }

    package func run() throws {
        let ws = Workspace()
        let given = try parseParams(params)
        var names = runbooks
        if names.isEmpty {
            names = ws.withoutRunbookTests(Paths.yamlFiles(in: Paths.join(ws.root, "runbooks"))).filter { ws.catalog.load($0).drill == nil }
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
        if !PreflightReport.passed(groups) || store?.passed == false { throw ExitStatus.failure }
    }
}
