import MusterBasics
import MusterTerminal
import MusterFormat
import MusterEngine
import MusterJournal
import MusterDrills
import MusterPreflight



/// `muster report` for a terminal or a pipe: one block per drill. The same
/// layout either way; colour only where `Style` allows it.
package struct ReportText {
    package let style: Style
    package init(style: Style) { self.style = style }

    /// How many runs the history table lists, and how many steps each step list.
    package static let recentRuns = 5
    package static let stepRows = 5

    package func render(_ reports: [DrillReport]) -> String {
        reports.map(block).joined(separator: "\n")
    }

    package func block(_ r: DrillReport) -> String {
        var out: [String] = []
        var head = [style.bold(sanitize(r.drill))]
        if let rb = r.runbook { head.append("runbook \(sanitize(rb))") }
        head.append(r.rtoSeconds.map { "RTO \(DurationFormat.format($0))" } ?? "no RTO")
        if let rpo = r.rpoObjectiveSeconds { head.append("RPO \(DurationFormat.format(rpo))") }
        out.append(head.joined(separator: "  ·  "))
        guard let last = r.last else {
            out.append("  no runs yet: start one with `muster drill \(sanitize(r.drill))`")
            return out.joined(separator: "\n") + "\n"
        }
        let label = 7
        func line(_ name: String, _ text: String) { out.append("  " + name.padded(label) + "  " + text) }

        var counts: [String] = []
        for o in [DrillRecord.Outcome.recovered, .failed, .aborted] where r.count(o) > 0 { counts.append("\(r.count(o)) \(o.rawValue)") }
        let unattended = r.unattendedCount
        line("runs", "\(r.runs.count): " + counts.joined(separator: ", ")
             + (unattended > 0 ? " (" + style.yellow("\(unattended) unattended") + ": not counted in best or trend)" : ""))
        line("last", describe(last))
        let env = r.environment == .production ? "" : " \(r.environment.rawValue)"
        if let best = r.best {
            line("best", describe(best) + env)
        } else if !r.elsewhere.isEmpty {
            line("best", style.red("no\(r.environment == .production ? " production" : env) recovery yet"))
        } else {
            line("best", style.red(unattended > 0 ? "no attended recovery yet" : "no recovery yet"))
        }
        if let t = r.trend {
            let values = t.elapsed.map(formatSeconds).joined(separator: "  ")
            let verdict: String
            switch t.direction {
            case .steady: verdict = "steady, within \(formatSeconds(abs(t.deltaSeconds))) of"
            case .faster: verdict = style.green("faster by \(formatSeconds(-t.deltaSeconds))") + " than"
            case .slower: verdict = style.yellow("slower by \(formatSeconds(t.deltaSeconds))") + " than"
            }
            line("trend", "\(values)  (last \(t.elapsed.count) recoveries, oldest first\(unattended > 0 ? "; unattended runs left out" : ""))")
            line("", "the last was \(verdict) " + (t.comparedWith == 1 ? "the one before" : "the mean of the \(t.comparedWith) before"))
        } else {
            line("trend", "needs two recoveries")
        }
        // Practice is shown, never counted (DrillReport).
        for e in r.elsewhere {
            let best = e.best.map { "best " + describe($0) } ?? "no recovery"
            line("apart", "\(e.runs) \(e.environment.rawValue) run\(e.runs == 1 ? "" : "s"), \(best); "
                 + style.yellow("not counted") + ": \(r.runbook.map { sanitize($0) } ?? "the runbook") counts \(r.environment.rawValue) drills")
        }
        out += evidenceLines(r, last: last, label: label)
        out += criticalPathLines(last, label: label)

        // Recent runs, newest first.
        out.append("")
        var rows: [[String]] = [["RECENT RUNS", "OUTCOME", "ELAPSED", "RTO", "MODE", "OPERATOR"]]
        var colours: [(String) -> String] = [style.bold]
        for run in r.runs.suffix(Self.recentRuns).reversed() {
            var labels = run.unattended ? ["unattended"] : []
            if run.apart { labels.append(run.environment.rawValue) }
            if run.overrides { labels.append("-p overrides") }
            rows.append([UTCTime.short(run.startedAt), run.outcome.rawValue + (labels.isEmpty ? "" : " (\(labels.joined(separator: ", ")))"), formatSeconds(run.elapsedSeconds),
                         run.rtoMet.map { $0 ? "met" : "missed" } ?? "-", sanitize(run.mode), sanitize(run.operatorName)])
            switch run.outcome {
            case .recovered: colours.append { $0 }
            case .failed: colours.append(style.red)
            case .aborted: colours.append(style.yellow)
            }
        }
        out += table(rows, rightAligned: [2], colour: colours)

        let timed = r.steps.filter { $0.timed > 0 }.prefix(Self.stepRows)
        if !timed.isEmpty {
            out.append("")
            var rows: [[String]] = [["SLOWEST STEPS", "MEAN", "MAX", "EXPECT", "RUNS"]]
            for s in timed {
                rows.append([sanitize(s.id), formatSeconds(s.meanSeconds), formatSeconds(s.maxSeconds),
                             s.expectSeconds.map(DurationFormat.format) ?? "-", "\(s.timed)"])
            }
            out += table(rows, rightAligned: [1, 2, 3, 4], colour: [style.bold])
        }
        let over = r.overExpectSteps.prefix(Self.stepRows)
        if !over.isEmpty {
            out.append("")
            var rows: [[String]] = [["OVER EXPECT", "HOW OFTEN", "EXPECT", "MEAN", "FAILED"]]
            for s in over {
                rows.append([sanitize(s.id), "\(s.overExpect) of \(s.runs) runs", s.expectSeconds.map(DurationFormat.format) ?? "-",
                             formatSeconds(s.meanSeconds), "\(s.failed)"])
            }
            out += table(rows, rightAligned: [2, 3, 4], colour: [style.bold])
        }
        return out.joined(separator: "\n") + "\n"
    }

    /// `2026-10-01 09:00Z  recovered in 58m12s, within the RTO (16m48s to spare)`.
    package func describe(_ run: DrillReport.Run) -> String {
        let when = UTCTime.short(run.startedAt)
        let elapsed = formatSeconds(run.elapsedSeconds)
        switch run.outcome {
        case .recovered:
            var s = "\(when)  recovered in \(elapsed)"
            // Nobody was measured: no verdict against the RTO.
            if run.unattended { return s + ", " + style.yellow("unattended (--yes)") }
            if let rto = run.rtoSeconds {
                let margin = Double(rto) - run.elapsedSeconds
                s += margin >= 0 ? ", " + style.green("within the RTO") + " (\(formatSeconds(margin)) to spare)"
                    : ", " + style.red("over the RTO by \(formatSeconds(-margin))")
            }
            return s
        case .failed: return "\(when)  " + style.red("failed after \(elapsed)") + ": did not recover" + (run.unattended ? ", unattended (--yes)" : "")
        case .aborted: return "\(when)  " + style.yellow("aborted after \(elapsed)") + ": did not recover" + (run.unattended ? ", unattended (--yes)" : "")
        }
    }

    /// Columns two spaces apart; the last column is not padded. `colour[i]`
    /// decorates row i (missing: plain), applied after padding so escapes
    /// never upset the widths.
    package func table(_ rows: [[String]], rightAligned: Set<Int> = [], colour: [(String) -> String] = []) -> [String] {
        let columns = rows.map(\.count).max() ?? 0
        var widths = [Int](repeating: 0, count: columns)
        for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
        return rows.enumerated().map { n, row in
            let cells = row.enumerated().map { i, cell in
                i == row.count - 1 && !rightAligned.contains(i) ? cell : cell.padded(widths[i], right: rightAligned.contains(i))
            }
            let text = "  " + cells.joined(separator: "  ")
            return n < colour.count ? colour[n](text) : text
        }
    }
}
