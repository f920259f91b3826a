#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import MusterBasics
import MusterRender
import MusterFormat
import MusterEngine
import MusterJournal
import MusterDrills
import MusterPreflight
import MusterTerminal

/// `muster due`: which drills are due or overdue, from their schedules and records.
package struct ShowDue {
    package var now: String?
    package var staleAfter: String
    package var json: Bool
    package var recordsDir: String?

    package init(now: String?, staleAfter: String, json: Bool, recordsDir: String?) {
        self.now = now
        self.staleAfter = staleAfter
        self.json = json
        self.recordsDir = recordsDir
    }

    package func run() throws {
        let at: Date
        if let now {
            guard let d = UTCTime.parse(now) else {
                throw CommandFailure(message: "--now '\(now)' is not an ISO 8601 time; write 2026-11-27T09:00:00Z (UTC), 2026-11-27T10:00:00+01:00 or 2026-11-27")
            }
            at = d
        } else {
            at = Date()
        }
        guard let stale = Span.parse(staleAfter), stale > 0 else {
            throw CommandFailure(message: "--stale-after '\(staleAfter)' is not a span; write a number with w, d, h, m or s, largest first: 90d, 12w, 2w3d, 36h")
        }

        let ws = Workspace()
        let cat = DrillCatalog(ws, recordsDir: recordsDir)
        let names = cat.allDrillNames
        let loaded = cat.records.load(drills: names)
        printWarnings(cat.warnings + loaded.problems.map(\.text))
        let report = DueReport(now: at, staleAfterSeconds: stale,
                               drills: cat.drills.map { .init(name: $0.name, runbook: $0.runbook, schedule: $0.schedule, environment: $0.environment) },
                               runbooks: cat.runbooks, includes: cat.includes, records: loaded.records)
        let preflight = PreflightDue(history: Preflight.history(ws), runbooks: cat.runbooks, now: at)
        if json {
            guard case .object(var pairs) = report.json else { return }
            pairs.append(("preflight", preflight.json))
            print(JSON.object(pairs).serialized(pretty: true))
        } else {
            print(DueText(style: .stdout).render(report, staleAfter: staleAfter, preflight: preflight), terminator: "")
        }
        if report.anythingDue { throw ExitStatus.failure }
    }
}
