import MusterBasics
import MusterFormat
import MusterEngine
import MusterJournal
import MusterDrills
import MusterTerminal

/// Reads one run for `muster report RUN_ID`: its journal, believed as every
/// fold believes it (TrustedFold), and the runbook it ran, when the bytes
/// that ran are at hand.
package enum RunReportSource {
    package static func load(_ id: String, ws: Workspace, store: RunStore) throws -> RunReport {
        try store.requireRun(id)
        let read: (events: [JournalEvent], warning: String?)
        do {
            read = try FileJournal.read(path: store.journalPath(id))
        } catch {
            throw CommandFailure(message: error.message)
        }
        if let w = read.warning { printError("muster: warning: \(w)") }
        let (events, refused) = TrustedFold.check(read.events, runID: id, root: ws.root)
        for line in TrustedFold.describe(refused) { printError("muster: warning: \(sanitize(line)); it is left out of the report") }
        guard let info = events.first(where: { $0.event == .runStarted })?.run else {
            throw CommandFailure(message: "run \(id) has no run_started event: its journal \(Paths.display(store.journalPath(id), from: ws.cwd)) holds no run to report")
        }
        let asRun = runbook(info, ws: ws)
        var titles: [String: String] = [:]
        if let (rb, includes) = asRun {
            for e in FlatPlan(rb, includes: includes).entries { titles[e.key] = e.step.title.expand(info.params) }
        }
        let rto = asRun.flatMap { $0.0.rto }, rpo = asRun.flatMap { $0.0.rpo }
        guard let report = RunReport.build(events: events, steps: asRun.map { StepFacts.of($0.0, includes: $0.1) }, titles: titles,
                                           rtoSeconds: rto, rpoSeconds: rpo) else {
            throw CommandFailure(message: "run \(id)'s journal holds no run to report")
        }
        if asRun == nil {
            printError("muster: warning: the version of \(sanitize(info.runbookPath)) that run \(id) ran (blob \(info.runbookHash.prefix(12))) is neither in the working tree nor at its commit; the report has no step titles, expect times, RTO or recovery point")
        }
        return report
    }

    /// The runbook and its includes exactly as the run read them: from
    /// the `--rev` commit it ran, else the working tree or the commit that
    /// last changed it, whichever holds the bytes the journal names.
    package static func runbook(_ info: JournalEvent.RunInfo, ws: Workspace) -> (Runbook, [String: Runbook])? {
        let path = Paths.absolute(info.runbookPath, from: ws.root)
        var places: [Workspace] = []
        if let rev = info.runbookRev {
            if let w = try? Workspace(rev: rev) { places.append(w) }
        } else {
            places.append(ws)
            if let c = info.runbookCommit, let w = try? Workspace(rev: c) { places.append(w) }
        }
        for w in places where info.runbookHash.isEmpty || w.runbookHash(path) == info.runbookHash {
            let entry = w.catalog.load(path)
            guard let rb = entry.runbook, !entry.diagnostics.contains(where: { $0.severity == .error }),
                  let includes = try? RunSession.includes(of: rb, path: path, catalog: w.catalog) else { continue }
            return (rb, includes)
        }
        return nil
    }
}
