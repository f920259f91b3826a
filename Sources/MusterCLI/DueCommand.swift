#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import ArgumentParser
import MusterBasics
import MusterRender
import MusterFormat
import MusterEngine
import MusterJournal
import MusterDrills
import MusterPreflight
import MusterApp
import MusterTerminal

struct DueCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "due",
        abstract: "Drills due or overdue by their schedule; runbooks never drilled or drilled too long ago.",
        discussion: """
        A drill is due at the first time its schedule (cron, UTC) fires after its last record; one \
        never run is due since the schedule's latest time. A runbook is stale when no drill of it \
        (or of a runbook that includes it) ran within --stale-after in the environment its scheduled \
        drill names (production by default); sandbox and training drills are listed apart, never counted. \
        Exit status: 0 nothing due, 1 a drill is overdue or a runbook stale, 2 usage error.
        """
    )

    @Option(help: ArgumentHelp("The time to judge by, ISO 8601 (2026-11-27T09:00:00Z, or a date); default: now.", valueName: "TIME"))
    var now: String?

    @Option(help: ArgumentHelp("A runbook not drilled for longer than this is stale: 90d, 12w, 2w3d, 36h.", valueName: "SPAN"))
    var staleAfter: String = "90d"

    @Flag(help: "Print JSON.")
    var json = false

    @Option(help: ArgumentHelp("Where the records are (default: drills/records of the repository).", valueName: "DIR"))
    var recordsDir: String?

    func run() throws {
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
        if report.anythingDue { throw ExitCodes.failure }
    }
}

/// `muster due` for a terminal or a pipe: what needs doing first.
struct DueText {
    let style: Style

    func render(_ r: DueReport, staleAfter: String, preflight: PreflightDue? = nil) -> String {
        var out: [String] = []
        let text = ReportText(style: style)
        let table = { (rows: [[String]], right: Set<Int>, colours: [(String) -> String]) in text.table(rows, rightAligned: right, colour: colours) }
        let now = r.now

        out.append(style.bold("Scheduled drills") + "  (now \(UTCTime.short(now)), schedules in UTC)")
        if r.drills.isEmpty {
            out.append("  none: add `schedule:` (cron, UTC) to a drill to have it checked here")
        } else {
            var rows: [[String]] = [["STATUS", "DRILL", "SCHEDULE", "LAST RUN", "NEXT DUE"]]
            var colours: [(String) -> String] = [style.bold]
            for d in r.drills.sorted(by: { ($0.overdue ? 0 : 1, $0.drill) < ($1.overdue ? 0 : 1, $1.drill) }) {
                let last = d.lastRun.map { "\(UTCTime.short($0)) \(d.lastOutcome?.rawValue ?? "")" } ?? "never"
                let next: String
                if let due = d.nextDue {
                    let age = Int(now.timeIntervalSince(due))
                    next = "\(UTCTime.short(due)) " + (d.overdue ? "(\(Span.format(age)) ago)" : "(in \(Span.format(-age)))")
                } else {
                    next = "never: the schedule matches no date"
                }
                let name = sanitize(d.drill) + (d.environment == .production ? "" : " (\(d.environment.rawValue))")
                rows.append([d.overdue ? "overdue" : "ok", name, sanitize(d.schedule), last, next])
                if d.overdue { colours.append(style.red) } else { colours.append { $0 } }
            }
            out += table(rows, [], colours)
        }

        out.append("")
        out.append(style.bold("Runbooks") + "  (stale when not drilled for \(staleAfter) in production, or in the environment its scheduled drill names)")
        if r.runbooks.isEmpty {
            out.append("  none in runbooks/")
        } else {
            var rows: [[String]] = [["STATUS", "RUNBOOK", "LAST DRILLED", "BY"]]
            var colours: [(String) -> String] = [style.bold]
            for rb in r.runbooks.sorted(by: { ($0.stale ? 0 : 1, $0.runbook) < ($1.stale ? 0 : 1, $1.runbook) }) {
                let last = rb.lastDrilled.map { "\(UTCTime.short($0)) (\(Span.format(Int(now.timeIntervalSince($0)))) ago)" } ?? "never"
                let who = rb.lastDrill.map { d in sanitize(d) + (rb.via.map { ", via \(sanitize($0))" } ?? "") }
                    ?? (rb.drills.isEmpty ? "no drill in drills/"
                        : rb.elsewhere.isEmpty ? "no record of " + rb.drills.map { sanitize($0) }.joined(separator: ", ")
                        : "no \(rb.environment.rawValue) drill recorded")
                let by = who + (rb.environment == .production ? "" : " (counts \(rb.environment.rawValue) drills)")
                rows.append([rb.stale ? "stale" : "ok", sanitize(rb.runbook), last, by])
                if rb.stale { colours.append(style.yellow) } else { colours.append { $0 } }
            }
            out += table(rows, [], colours)
        }

        let elsewhere = r.runbooks.flatMap { rb in rb.elsewhere.map { (rb, $0) } }
        if !elsewhere.isEmpty {
            out.append("")
            out.append(style.bold("Drills in other environments") + "  (not counted above: a sandbox or training drill is practice, not proof)")
            var rows: [[String]] = [["RUNBOOK", "ENVIRONMENT", "LAST DRILLED", "BY"]]
            for (rb, e) in elsewhere {
                let when = "\(UTCTime.short(e.lastDrilled)) (\(Span.format(Int(now.timeIntervalSince(e.lastDrilled)))) ago)"
                rows.append([sanitize(rb.runbook), e.environment.rawValue, when, sanitize(e.lastDrill) + (e.via.map { ", via \(sanitize($0))" } ?? "")])
            }
            out += table(rows, [], [style.bold] + elsewhere.map { _ in style.dim })
        }

        if let preflight { out += preflight.render(style: style, table: table) }

        out.append("")
        let o = r.overdue.count, s = r.stale.count
        if o == 0 && s == 0 {
            out.append(style.green("Nothing due") + ": every scheduled drill is on time and every runbook was drilled within \(staleAfter).")
        } else {
            var parts: [String] = []
            if o > 0 { parts.append(style.red("\(o) drill\(o == 1 ? "" : "s") overdue")) }
            if s > 0 { parts.append(style.yellow("\(s) runbook\(s == 1 ? "" : "s") stale")) }
            var advice = "Hold a drill with `muster drill DRILL`"
            if r.stale.contains(where: { $0.drills.isEmpty && $0.lastDrill == nil }) { advice += "; a runbook with no drill needs a drills/NAME.yaml first" }
            out.append(parts.joined(separator: ", ") + ". " + advice + ".")
        }
        return out.joined(separator: "\n") + "\n"
    }
}

/// Runbooks whose preflight has not passed within a week (from the history
/// `muster preflight` keeps in the state folder): an expired token is better
/// found on a Tuesday afternoon than during the outage.
struct PreflightDue {
    static let week = 7 * 24 * 3600

    struct Row {
        var runbook: String
        var lastPassed: Date?
        var why: String
    }

    let rows: [Row]

    init(history: PreflightHistory, runbooks: [String], now: Date) {
        rows = runbooks.compactMap { name in
            guard let entry = history.entries[name] else { return Row(runbook: name, lastPassed: nil, why: "never run") }
            guard let passed = entry.lastPassed.flatMap(UTCTime.parse) else { return Row(runbook: name, lastPassed: nil, why: "never passed") }
            let age = Int(now.timeIntervalSince(passed))
            return age > Self.week ? Row(runbook: name, lastPassed: passed, why: "passed \(Span.format(age)) ago") : nil
        }
    }

    var json: JSON {
        .array(rows.map { .object([("runbook", .string($0.runbook)), ("last_passed", .from($0.lastPassed.map(UTCTime.short))), ("why", .string($0.why))]) })
    }

    func render(style: Style, table: @escaping ([[String]], Set<Int>, [(String) -> String]) -> [String]) -> [String] {
        var out = ["", style.bold("Preflight") + "  (muster preflight: does every check of the runbook pass? due when not passed within 7d)"]
        if rows.isEmpty {
            out.append("  every runbook's preflight passed within 7d")
            return out
        }
        var lines: [[String]] = [["STATUS", "RUNBOOK", "PREFLIGHT"]]
        for row in rows { lines.append(["check", sanitize(row.runbook), row.why]) }
        return out + table(lines, [], [style.bold] + rows.map { _ in style.yellow })
    }
}
