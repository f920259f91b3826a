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

/// `muster due` for a terminal or a pipe: what needs doing first.
package struct DueText {
    package let style: Style

    package init(style: Style) {
        self.style = style
    }

    package func render(_ r: DueReport, staleAfter: String, preflight: PreflightDue? = nil) -> String {
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
package struct PreflightDue {
    package static let week = 7 * 24 * 3600

    package struct Row {
        package var runbook: String
        package var lastPassed: Date?
        package var why: String
    }

    package let rows: [Row]

    package init(history: PreflightHistory, runbooks: [String], now: Date) {
        rows = runbooks.compactMap { name in
            guard let entry = history.entries[name] else { return Row(runbook: name, lastPassed: nil, why: "never run") }
            guard let passed = entry.lastPassed.flatMap(UTCTime.parse) else { return Row(runbook: name, lastPassed: nil, why: "never passed") }
            let age = Int(now.timeIntervalSince(passed))
            return age > Self.week ? Row(runbook: name, lastPassed: passed, why: "passed \(Span.format(age)) ago") : nil
        }
    }

    package var json: JSON {
        .array(rows.map { .object([("runbook", .string($0.runbook)), ("last_passed", .from($0.lastPassed.map(UTCTime.short))), ("why", .string($0.why))]) })
    }

    package func render(style: Style, table: @escaping ([[String]], Set<Int>, [(String) -> String]) -> [String]) -> [String] {
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
