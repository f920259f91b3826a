#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import MusterBasics
import MusterTerminal
import MusterFormat
import MusterEngine
import MusterJournal
import MusterDrills
import MusterPreflight


/// `muster report --html FILE`: one page that opens anywhere, with no
/// scripts, fonts or images to fetch: inline CSS and SVG drawn here. Per
/// drill a summary, the elapsed time of every run against the RTO, a timeline
/// (Gantt) chart of each of the newest runs, and the slowest steps. Every
/// text that comes from a record or a file is escaped. Light colours on
/// white, with a print stylesheet, so it prints as it shows.
package enum ReportHTML {
    /// How many runs the trend chart shows at most (the newest).
    package static let trendRuns = 20

    /// The page up to its header's first line, shared by every report
    /// page: one look, one stylesheet (`extraCSS` after this one's).
    package static func pageStart(title: String, extraCSS: String = "") -> String {
        """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <meta name="generator" content="muster \(MusterVersion.string)">
        <title>\(esc(title))</title>
        <style>\(css)\(extraCSS)</style>
        </head>
        <body>
        <header>

        """
    }

    package static func render(_ items: [(report: DrillReport, records: [LoadedRecord])], timelines: Int) -> String {
        var h = pageStart(title: "Drill report") + "<h1>Drill report</h1>\n"
        let all = items.flatMap(\.records)
        if let first = all.map(\.startedAt).min(), let last = all.map(\.startedAt).max() {
            h += "<p class=\"meta\">\(items.count) drill\(items.count == 1 ? "" : "s") · \(all.count) run\(all.count == 1 ? "" : "s") from \(UTCTime.day(first)) to \(UTCTime.day(last)) (UTC)</p>\n"
        } else {
            h += "<p class=\"meta\">\(items.count) drill\(items.count == 1 ? "" : "s") · no runs recorded yet</p>\n"
        }
        if items.count > 1 {
            h += "<nav><ul>"
            for (i, item) in items.enumerated() {
                h += "<li><a href=\"#drill-\(i + 1)\">\(esc(item.report.drill))</a></li>"
            }
            h += "</ul></nav>\n"
        }
        h += "</header>\n<main>\n"
        for (i, item) in items.enumerated() {
            h += section(item.report, records: item.records, anchor: "drill-\(i + 1)", timelines: timelines)
        }
        h += "</main>\n<footer>Made by <code>muster report</code> \(MusterVersion.string) from drill records. Times are UTC; elapsed times are measured from the start of each drill.</footer>\n</body>\n</html>\n"
        return h
    }

    // MARK: - One drill

    package static func section(_ r: DrillReport, records: [LoadedRecord], anchor: String, timelines: Int) -> String {
        var h = "<section class=\"drill\" id=\"\(anchor)\">\n<h2>\(esc(r.drill))</h2>\n<p class=\"meta\">"
        var meta: [String] = []
        if let rb = r.runbook { meta.append("runbook <strong>\(esc(rb))</strong>") }
        meta.append(r.rtoSeconds.map { "RTO <strong>\(DurationFormat.format($0))</strong>" } ?? "no RTO")
        if let mode = r.last?.mode { meta.append("mode \(esc(mode))") }
        h += meta.joined(separator: " · ") + "</p>\n"
        guard let last = r.last else {
            return h + "<p class=\"empty\">No runs yet. Start one with <code>muster drill \(esc(r.drill))</code>.</p>\n</section>\n"
        }

        // Summary.
        h += "<dl class=\"summary\">\n"
        let counts = [DrillRecord.Outcome.recovered, .failed, .aborted].filter { r.count($0) > 0 }.map { "\(r.count($0)) \($0.rawValue)" }
        let unattended = r.unattendedCount
        h += "<dt>Runs</dt><dd>\(r.runs.count): \(counts.joined(separator: ", "))"
            + (unattended > 0 ? " (<span class=\"warn\">\(unattended) unattended</span>: not counted in best or trend)" : "") + "</dd>\n"
        h += "<dt>Last</dt><dd>\(describe(last))</dd>\n"
        let noBest = !r.elsewhere.isEmpty ? "no \(r.environment.rawValue) recovery yet" : unattended > 0 ? "no attended recovery yet" : "no recovery yet"
        h += "<dt>Best</dt><dd>\(r.best.map(describe) ?? "<span class=\"bad\">\(noBest)</span>")</dd>\n"
        if let t = r.trend {
            let verdict: String
            switch t.direction {
            case .steady: verdict = "steady, within \(formatSeconds(abs(t.deltaSeconds))) of"
            case .faster: verdict = "<span class=\"good\">faster by \(formatSeconds(-t.deltaSeconds))</span> than"
            case .slower: verdict = "<span class=\"warn\">slower by \(formatSeconds(t.deltaSeconds))</span> than"
            }
            h += "<dt>Trend</dt><dd>\(t.elapsed.map(formatSeconds).joined(separator: " → ")): the last was \(verdict) \(t.comparedWith == 1 ? "the one before" : "the mean of the \(t.comparedWith) before")\(unattended > 0 ? " (unattended runs left out)" : "")</dd>\n"
        } else {
            h += "<dt>Trend</dt><dd>needs two recoveries</dd>\n"
        }
        // Practice is shown, never counted (DrillReport).
        for e in r.elsewhere {
            h += "<dt>Apart</dt><dd>\(e.runs) \(e.environment.rawValue) run\(e.runs == 1 ? "" : "s"), \(e.best.map { "best " + describe($0) } ?? "no recovery"); "
                + "<span class=\"warn\">not counted</span>: \(esc(r.runbook ?? "the runbook")) counts \(r.environment.rawValue) drills</dd>\n"
        }
        h += evidenceSummary(r, last: last)
        h += criticalPathSummary(last)
        h += "</dl>\n"

        h += "<h3>Elapsed time per run</h3>\n" + trendChart(r)

        let newest = records.sorted { ($0.startedAt, $0.path) < ($1.startedAt, $1.path) }.suffix(timelines).reversed()
        if !newest.isEmpty {
            h += "<h3>Timeline of the \(newest.count == 1 ? "last run" : "last \(newest.count) runs")</h3>\n"
            for rec in newest { h += timeline(rec) }
        }

        let timed = r.steps.filter { $0.timed > 0 || $0.overExpect > 0 }.prefix(10)
        if !timed.isEmpty {
            h += "<h3>Steps by mean time</h3>\n<table class=\"steps\">\n<thead><tr><th>Step</th><th class=\"n\">Mean</th><th class=\"n\">Max</th><th class=\"n\">Expect</th><th class=\"n\">Over expect</th><th class=\"n\">Failed</th></tr></thead>\n<tbody>\n"
            for s in timed {
                let over = s.overExpect > 0 ? "<span class=\"warn\">\(s.overExpect) of \(s.runs)</span>" : "0 of \(s.runs)"
                h += "<tr><td><code>\(esc(s.id))</code></td><td class=\"n\">\(formatSeconds(s.meanSeconds))</td><td class=\"n\">\(formatSeconds(s.maxSeconds))</td><td class=\"n\">\(s.expectSeconds.map(DurationFormat.format) ?? "–")</td><td class=\"n\">\(over)</td><td class=\"n\">\(s.failed > 0 ? "<span class=\"bad\">\(s.failed)</span>" : "0")</td></tr>\n"
            }
            h += "</tbody>\n</table>\n"
        }
        return h + "</section>\n"
    }

    package static func describe(_ run: DrillReport.Run) -> String {
        let when = "<time>\(UTCTime.short(run.startedAt))</time>"
        let elapsed = formatSeconds(run.elapsedSeconds)
        switch run.outcome {
        case .recovered:
            var s = "\(when): recovered in <strong>\(elapsed)</strong>"
            // Nobody was measured: no verdict against the RTO.
            if run.unattended { return s + ", " + unattendedLabel }
            if let rto = run.rtoSeconds {
                let margin = Double(rto) - run.elapsedSeconds
                s += margin >= 0 ? ", <span class=\"good\">within the RTO</span> (\(formatSeconds(margin)) to spare)"
                    : ", <span class=\"bad\">over the RTO by \(formatSeconds(-margin))</span>"
            }
            return s
        case .failed: return "\(when): <span class=\"bad\">failed after \(elapsed)</span>, did not recover" + (run.unattended ? ", " + unattendedLabel : "")
        case .aborted: return "\(when): <span class=\"warn\">aborted after \(elapsed)</span>, did not recover" + (run.unattended ? ", " + unattendedLabel : "")
        }
    }

    package static let unattendedLabel = "<span class=\"warn\">unattended (--yes)</span>"

    // MARK: - Elapsed per run

    package static func trendChart(_ r: DrillReport) -> String {
        let runs = Array(r.runs.suffix(trendRuns))
        let width = 760.0, height = 240.0
        // Runs that share a day are told apart by their time (longer labels, more room below).
        let days = runs.map { UTCTime.day($0.startedAt) }
        let shared = Set(days.filter { d in days.filter { $0 == d }.count > 1 })
        let left = 58.0, right = 16.0, top = 22.0, bottom = shared.isEmpty ? 62.0 : 80.0
        let plotW = width - left - right, plotH = height - top - bottom
        let rto = r.rtoSeconds.map(Double.init)
        let maxY = max(runs.map(\.elapsedSeconds).max() ?? 0, rto ?? 0, 1) * 1.12
        let step = tickStep(maxY)
        let y = { (s: Double) in top + plotH - s / maxY * plotH }

        var s = "<svg class=\"chart trend\" viewBox=\"0 0 \(f(width)) \(f(height))\" width=\"\(f(width))\" height=\"\(f(height))\" role=\"img\" aria-label=\"Elapsed time of each run of \(esc(r.drill)) against the RTO\">\n"
        s += "<title>Elapsed time of each run of \(esc(r.drill))</title>\n"
        var t = 0.0
        while t <= maxY {
            s += "<line class=\"grid\" x1=\"\(f(left))\" x2=\"\(f(width - right))\" y1=\"\(f(y(t)))\" y2=\"\(f(y(t)))\"/>"
            s += "<text class=\"tick\" x=\"\(f(left - 6))\" y=\"\(f(y(t) + 4))\" text-anchor=\"end\">\(tickLabel(t))</text>\n"
            t += step
        }
        let band = plotW / Double(max(runs.count, 1))
        let barW = min(46, band * 0.64)
        for (i, run) in runs.enumerated() {
            let cx = left + band * (Double(i) + 0.5)
            let top = y(run.elapsedSeconds)
            let cls: String
            switch run.outcome {
            case _ where run.unattended: cls = "unattended"
            case .recovered: cls = run.rtoMet == false || (rto.map { run.elapsedSeconds > $0 } ?? false) ? "over" : "ok"
            case .failed: cls = "failed"
            case .aborted: cls = "aborted"
            }
            s += "<g class=\"run \(cls)\"><title>\(UTCTime.short(run.startedAt)): \(run.outcome.rawValue)\(run.unattended ? ", unattended (--yes)" : ""), \(formatSeconds(run.elapsedSeconds))</title>"
            s += "<rect x=\"\(f(cx - barW / 2))\" y=\"\(f(top))\" width=\"\(f(barW))\" height=\"\(f(max(y(0) - top, 1)))\"/>"
            s += "<text class=\"value\" x=\"\(f(cx))\" y=\"\(f(top - 4))\" text-anchor=\"middle\">\(formatSeconds(run.elapsedSeconds))\(run.outcome == .failed ? " ✗" : "")</text>"
            s += "<text class=\"tick\" transform=\"translate(\(f(cx + 4)) \(f(y(0) + 12))) rotate(-35)\" text-anchor=\"end\">\(shared.contains(days[i]) ? UTCTime.short(run.startedAt) : days[i])</text></g>\n"
        }
        s += "<line class=\"axis\" x1=\"\(f(left))\" x2=\"\(f(width - right))\" y1=\"\(f(y(0)))\" y2=\"\(f(y(0)))\"/>\n"
        if let rto {
            s += "<line class=\"rto\" x1=\"\(f(left))\" x2=\"\(f(width - right))\" y1=\"\(f(y(rto)))\" y2=\"\(f(y(rto)))\"/>"
            s += "<text class=\"rto-label\" x=\"\(f(width - right - 2))\" y=\"\(f(y(rto) - 5))\" text-anchor=\"end\">RTO \(DurationFormat.format(Int(rto)))</text>\n"
        }
        s += "</svg>\n"
        var keys = [("ok", "recovered within the RTO"), ("over", "recovered over the RTO"), ("failed", "failed ✗"), ("aborted", "aborted")]
        if runs.contains(where: \.unattended) { keys.append(("unattended", "unattended (--yes): not counted")) }
        s += legend(keys, rto: rto != nil)
        return s
    }

    // MARK: - Timeline of one run

    package struct Bar {
        var id: String
        var start: Double
        var seconds: Double
        var step: DrillRecord.StepTiming
    }

    /// Where each step sits on the run's clock: its `started_at` less the
    /// run's, or (a record without step stamps) right after the step before.
    package static func bars(_ rec: LoadedRecord) -> [Bar] {
        var cursor = 0.0
        return rec.record.steps.map { s in
            var start = cursor
            if let stamp = s.startedAt, let d = UTCTime.parse(stamp) {
                start = max(0, d.timeIntervalSince(rec.startedAt))
            }
            cursor = start + max(s.seconds, 0)
            return Bar(id: s.id, start: start, seconds: max(s.seconds, 0), step: s)
        }
    }

    package static func timeline(_ rec: LoadedRecord) -> String {
        let r = rec.record
        let bars = bars(rec)
        // Marked only when something ran beside it: a straight run's path is every step.
        let critical = r.hasBranches ? Set(r.criticalPath ?? []) : []
        // Step names are never cut: the label column is as wide as the
        // longest (monospace, about 6.8 units a character), the chart wider.
        let labelW = max(150, Double(bars.map(\.id.count).max() ?? 0) * 6.8 + 16)
        let width = max(760, labelW + 550), right = 20.0, top = 46.0, row = 20.0, bottomAxis = 28.0
        let plotW = width - labelW - right
        let height = top + row * Double(max(bars.count, 1)) + bottomAxis
        let rto = r.rtoSeconds.map(Double.init)
        // The run's own length fills the chart: a 2-minute drill of a
        // 1-hour RTO is not a sliver. An RTO just past the end is brought
        // in; one far beyond is named at the edge.
        let ran = max(r.elapsedSeconds, bars.map { $0.start + $0.seconds }.max() ?? 0, 1)
        let end = (rto.map { $0 > ran && $0 <= ran * Self.rtoReach } == true ? rto! : ran) * 1.03
        let x = { (s: Double) in labelW + s / end * plotW }
        let step = tickStep(end)

        var cap = "<figcaption><time>\(UTCTime.short(rec.startedAt))</time> · \(r.outcome == .recovered ? "recovered" : "<span class=\"\(r.outcome == .failed ? "bad" : "warn")\">\(r.outcome.rawValue)</span>") in \(formatSeconds(r.elapsedSeconds))"
        cap += " · operator \(esc(r.operatorName)) · \(esc(r.mode))"
        if let c = r.runbookCommit { cap += " · runbook at <code>\(esc(String(c.prefix(12))))</code>\(r.runbookDirty ? " (modified)" : "")" }
        if r.unattended == true { cap += " · " + unattendedLabel }
        if let t = r.training { cap += " · training score: <span class=\"\(t.passed ? "good" : "bad")\">\(esc(t.score))</span>" }
        if !critical.isEmpty, let c = r.criticalPathSeconds { cap += " · critical path \(formatSeconds(c))" }
        if let saved = r.parallelSavedSeconds { cap += " · running in parallel saved \(formatSeconds(saved))" }
        cap += "</figcaption>\n"

        var s = "<figure class=\"timeline\">\n" + cap
        s += "<svg class=\"chart gantt\" viewBox=\"0 0 \(f(width)) \(f(height))\" width=\"\(f(width))\" height=\"\(f(height))\" role=\"img\" aria-label=\"Timeline of the steps of the run of \(UTCTime.short(rec.startedAt))\">\n"
        s += "<title>Steps of \(esc(r.drill)) on \(UTCTime.short(rec.startedAt))</title>\n"
        let plotBottom = top + row * Double(bars.count)
        var t = 0.0
        while t <= end {
            s += "<line class=\"grid\" x1=\"\(f(x(t)))\" x2=\"\(f(x(t)))\" y1=\"\(f(top - 4))\" y2=\"\(f(plotBottom))\"/>"
            s += "<text class=\"tick\" x=\"\(f(x(t)))\" y=\"\(f(plotBottom + 16))\" text-anchor=\"middle\">\(tickLabel(t))</text>\n"
            t += step
        }
        for (i, b) in bars.enumerated() {
            let y = top + row * Double(i)
            let st = b.step
            let cls = st.outcome == "failed" ? "failed" : st.overExpect ? "over" : st.outcome == "done" ? "ok" : "other"
            var tip = "\(b.id): \(st.outcome), \(formatSeconds(b.seconds)) from \(formatSeconds(b.start))"
            if let e = st.expectSeconds { tip += ", expect \(DurationFormat.format(e))" + (st.overExpect ? " (over)" : "") }
            if st.attempts > 1 { tip += ", \(st.attempts) attempts" }
            if i % 2 == 1 { s += "<rect class=\"stripe\" x=\"0\" y=\"\(f(y))\" width=\"\(f(width))\" height=\"\(f(row))\"/>" }
            if critical.contains(b.id) { tip += ", on the critical path" }
            s += "<g class=\"step \(cls)\(critical.contains(b.id) ? " critical" : "")\"><title>\(esc(tip))</title>"
            s += "<text class=\"label\" x=\"\(f(labelW - 8))\" y=\"\(f(y + row * 0.68))\" text-anchor=\"end\">\(esc(b.id))</text>"
            s += "<rect x=\"\(f(x(b.start)))\" y=\"\(f(y + 4))\" width=\"\(f(max(b.seconds / end * plotW, 2)))\" height=\"\(f(row - 8))\" rx=\"2\"/>"
            // An expectation that ends past the chart is in the bar's tooltip only.
            if let e = st.expectSeconds, e > 0, b.start + Double(e) <= end {
                let ex = x(b.start + Double(e))
                s += "<line class=\"expect\" x1=\"\(f(ex))\" x2=\"\(f(ex))\" y1=\"\(f(y + 2))\" y2=\"\(f(y + row - 2))\"/>"
            }
            let after = x(b.start + b.seconds) + 5
            let mark = st.outcome == "failed" ? "✗ failed" : st.outcome == "skipped" ? "skipped" : st.outcome == "rehearsed" ? "rehearsed" : st.attempts > 1 ? "\(st.attempts) attempts" : ""
            if !mark.isEmpty && after < width - 40 {
                s += "<text class=\"note\" x=\"\(f(after))\" y=\"\(f(y + row * 0.68))\">\(mark)</text>"
            }
            s += "</g>\n"
        }
        s += peopleWaits(r, rows: bars.map(\.id), x: x, top: top, row: row)
        s += "<line class=\"axis\" x1=\"\(f(labelW))\" x2=\"\(f(labelW))\" y1=\"\(f(top - 4))\" y2=\"\(f(plotBottom))\"/>\n"
        for e in r.escalations {
            let ex = x(e.atSeconds)
            s += "<g class=\"escalation\"><title>\(esc("escalated at \(formatSeconds(e.atSeconds)): \(e.contact)"))</title><line x1=\"\(f(ex))\" x2=\"\(f(ex))\" y1=\"\(f(top - 4))\" y2=\"\(f(plotBottom))\"/><path d=\"M\(f(ex - 5)) \(f(top - 13)) h10 l-5 8 z\"/></g>\n"
        }
        for fault in r.faults {
            let fx = x(fault.atSeconds)
            s += "<g class=\"fault\"><title>\(esc("fault injected into \(fault.step) at \(formatSeconds(fault.atSeconds))"))</title><line x1=\"\(f(fx))\" x2=\"\(f(fx))\" y1=\"\(f(top - 4))\" y2=\"\(f(plotBottom))\"/><path d=\"M\(f(fx)) \(f(top - 14)) l5 9 h-10 z\"/></g>\n"
        }
        let ee = x(r.elapsedSeconds)
        s += "<line class=\"end\" x1=\"\(f(ee))\" x2=\"\(f(ee))\" y1=\"\(f(top - 28))\" y2=\"\(f(plotBottom))\"/>"
        s += "<text class=\"end-label\" x=\"\(f(ee - 3))\" y=\"\(f(top - 18))\" text-anchor=\"end\">\(r.outcome == .recovered ? "recovered" : r.outcome.rawValue) \(formatSeconds(r.elapsedSeconds))</text>\n"
        if let rto, rto <= end {
            let rx = x(rto)
            s += "<line class=\"rto\" x1=\"\(f(rx))\" x2=\"\(f(rx))\" y1=\"\(f(top - 42))\" y2=\"\(f(plotBottom))\"/>"
            let nearEdge = rx > width - 70
            s += "<text class=\"rto-label\" x=\"\(f(nearEdge ? rx - 4 : rx + 4))\" y=\"\(f(top - 32))\" text-anchor=\"\(nearEdge ? "end" : "start")\">RTO \(DurationFormat.format(Int(rto)))</text>\n"
        } else if let rto {
            s += "<text class=\"rto-label\" x=\"\(f(width - right))\" y=\"\(f(top - 32))\" text-anchor=\"end\">RTO \(DurationFormat.format(Int(rto))), \(formatSeconds(rto - r.elapsedSeconds)) after the end →</text>\n"
        }
        s += "</svg>\n"
        var keys: [(String, String)] = [("ok", "step done"), ("over", "over its expect"), ("failed", "failed")]
        if bars.contains(where: { $0.step.outcome != "done" && $0.step.outcome != "failed" && !$0.step.overExpect }) { keys.append(("other", "skipped or rehearsed")) }
        if !(r.peopleWaits ?? []).isEmpty { keys.append(("people", "waiting on people")) }
        if !critical.isEmpty { keys.append(("critical", "on the critical path")) }
        s += legend(keys, rto: rto.map { $0 <= end } ?? false, expect: bars.contains { b in b.step.expectSeconds.map { $0 > 0 && b.start + Double($0) <= end } ?? false }, escalation: !r.escalations.isEmpty, fault: !r.faults.isEmpty)
        return s + "</figure>\n"
    }

    package static func legend(_ keys: [(String, String)], rto: Bool, expect: Bool = false, escalation: Bool = false, fault: Bool = false) -> String {
        var s = "<p class=\"legend\">"
        for (cls, text) in keys { s += "<span class=\"key \(cls)\"><i></i>\(text)</span>" }
        if expect { s += "<span class=\"key expect\"><i></i>expected duration</span>" }
        if rto { s += "<span class=\"key rto\"><i></i>RTO</span>" }
        if escalation { s += "<span class=\"key escalation\"><i></i>escalation</span>" }
        if fault { s += "<span class=\"key fault\"><i></i>injected fault</span>" }
        return s + "</p>\n"
    }

    /// How far past the run's end an RTO is still drawn on its timeline
    /// (as a share of the run's length); beyond it, it is named at the edge.
    package static let rtoReach = 1.25

    // MARK: - Helpers

    /// A round grid step giving at most about eight lines up to `maxValue` seconds.
    package static func tickStep(_ maxValue: Double) -> Double {
        let steps: [Double] = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400]
        return steps.first { maxValue / $0 <= 8 } ?? (maxValue / 8).rounded(.up)
    }

    package static func tickLabel(_ s: Double) -> String {
        s == 0 ? "0" : DurationFormat.format(Int(s.rounded()))
    }

    /// A coordinate with at most one decimal.
    package static func f(_ x: Double) -> String {
        let v = (x * 10).rounded() / 10
        return v == v.rounded() ? String(Int(v)) : String(v)
    }

    package static func esc(_ s: String) -> String { markupEscaped(s) }

    package static let css = """

    :root { --ink: #1a202c; --muted: #5a6472; --line: #d5dae1; --ok: #2f6fb3; --over: #dd7a1f; --bad: #c53030; --aborted: #8a94a3; --other: #b8c0cc; --rto: #c53030; --people: #2c9c8f; }
    * { box-sizing: border-box; }
    body { margin: 0 auto; max-width: 980px; padding: 24px 28px 48px; background: #fff; color: var(--ink);
      font: 15px/1.5 -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
    h1 { font-size: 26px; margin: 0 0 4px; }
    h2 { font-size: 21px; margin: 0 0 2px; font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
    h3 { font-size: 15px; margin: 22px 0 6px; color: var(--muted); text-transform: uppercase; letter-spacing: .04em; }
    code, time { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .92em; }
    .meta { color: var(--muted); margin: 0 0 10px; }
    nav ul { list-style: none; padding: 0; margin: 8px 0 0; display: flex; flex-wrap: wrap; gap: 6px 16px; }
    nav a { color: var(--ok); }
    section.drill { border-top: 2px solid var(--ink); margin-top: 28px; padding-top: 14px; }
    dl.summary { display: grid; grid-template-columns: 80px 1fr; gap: 3px 12px; margin: 8px 0 0; }
    dl.summary dt { font-weight: 600; color: var(--muted); }
    dl.summary dd { margin: 0; }
    .good { color: #23753a; font-weight: 600; }
    .warn { color: #b35c00; font-weight: 600; }
    .bad { color: var(--bad); font-weight: 600; }
    .empty { color: var(--muted); font-style: italic; }
    figure { margin: 10px 0 18px; }
    figcaption { font-size: 14px; margin-bottom: 4px; }
    svg.chart { display: block; width: 100%; height: auto; font: 11px -apple-system, "Segoe UI", Roboto, Arial, sans-serif; }
    svg .grid { stroke: #edf0f3; stroke-width: 1; }
    svg .axis { stroke: #9aa3ae; stroke-width: 1; }
    svg .tick { fill: var(--muted); font-size: 10.5px; }
    svg .label { fill: var(--ink); font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 11px; }
    svg .value { fill: var(--ink); font-size: 10.5px; }
    svg .note { fill: var(--muted); font-size: 10.5px; }
    svg .stripe { fill: #f6f8fa; }
    svg .ok rect { fill: var(--ok); }
    svg .over rect { fill: var(--over); }
    svg .failed rect { fill: var(--bad); }
    svg .failed .note { fill: var(--bad); font-weight: 600; }
    svg .aborted rect { fill: var(--aborted); }
    svg .other rect { fill: var(--other); }
    svg .unattended rect { fill: none; stroke: var(--muted); stroke-width: 1.5; stroke-dasharray: 3 2; }
    svg rect.people { fill: var(--people); } .key.people i { background: var(--people); }
    svg .critical rect { stroke: var(--ink); stroke-width: 2; } svg .critical .label { font-weight: 700; }
    .key.critical i { background: var(--ok); border: 2px solid var(--ink); box-sizing: border-box; }
    svg .expect { stroke: var(--ink); stroke-width: 1.5; }
    svg .rto { stroke: var(--rto); stroke-width: 2; stroke-dasharray: 6 4; }
    svg .rto-label { fill: var(--rto); font-weight: 600; }
    svg .end { stroke: var(--ink); stroke-width: 1; }
    svg .end-label { fill: var(--ink); font-size: 10.5px; }
    svg .escalation line { stroke: #6b46c1; stroke-width: 1.5; stroke-dasharray: 2 3; }
    svg .escalation path { fill: #6b46c1; }
    svg .fault line { stroke: var(--bad); stroke-width: 1; stroke-dasharray: 1 3; }
    svg .fault path { fill: var(--bad); }
    .legend { font-size: 12.5px; color: var(--muted); margin: 4px 0 0; display: flex; flex-wrap: wrap; gap: 4px 16px; }
    .legend i { display: inline-block; width: 12px; height: 12px; margin-right: 5px; vertical-align: -1px; border-radius: 2px; }
    .key.ok i { background: var(--ok); } .key.over i { background: var(--over); } .key.failed i { background: var(--bad); }
    .key.aborted i { background: var(--aborted); } .key.other i { background: var(--other); }
    .key.unattended i { border: 1.5px dashed var(--muted); background: none; box-sizing: border-box; }
    .key.expect i { width: 2px; background: var(--ink); border-radius: 0; }
    .key.rto i { height: 0; border-top: 2px dashed var(--rto); border-radius: 0; vertical-align: 3px; }
    .key.fault i { width: 0; height: 0; border-left: 6px solid transparent; border-right: 6px solid transparent; border-bottom: 10px solid var(--bad); border-radius: 0; background: none; }
    .key.escalation i { height: 0; border-top: 2px dotted #6b46c1; border-radius: 0; vertical-align: 3px; }
    table.steps { border-collapse: collapse; width: 100%; font-size: 14px; }
    table.steps th, table.steps td { border-bottom: 1px solid var(--line); padding: 4px 8px; text-align: left; }
    table.steps th { color: var(--muted); font-weight: 600; }
    table.steps .n { text-align: right; font-variant-numeric: tabular-nums; }
    footer { margin-top: 36px; color: var(--muted); font-size: 12.5px; border-top: 1px solid var(--line); padding-top: 8px; }
    svg, .legend i { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
    @media print {
      @page { margin: 14mm; }
      body { max-width: none; padding: 0; font-size: 11pt; background: #fff; color: #000; }
      nav { display: none; }
      section.drill { break-before: page; border-top: none; margin-top: 0; }
      section.drill:first-of-type { break-before: auto; }
      figure, table.steps, dl.summary { break-inside: avoid; }
      h3 { break-after: avoid; }
      a { color: inherit; text-decoration: none; }
    }

    """
}
