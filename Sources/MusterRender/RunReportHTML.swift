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

/// `muster report RUN_ID --html FILE`: one run on one page, as the drill
/// report draws a run (ReportHTML's timeline, its styles), with the
/// sections and events of the text report. Self-contained, no scripts;
/// every text from the journal is escaped.
package enum RunReportHTML {
    package static func render(_ r: RunReport) -> String {
        let esc = ReportHTML.esc
        var h = ReportHTML.pageStart(title: "Run " + r.runID, extraCSS: css) + """
        <h1>Run <code>\(esc(r.runID))</code></h1>
        <p class="meta">\(esc(r.what)) · \(esc(r.ending))</p>
        </header>
        <main>
        <section class="drill">

        """
        h += "<dl class=\"summary\">\n"
        h += "<dt>Operator</dt><dd>\(esc(r.record.operatorName)) on \(esc(r.host)), started <time>\(esc(r.record.startedAt))</time></dd>\n"
        if let c = r.record.runbookCommit {
            h += "<dt>Runbook</dt><dd><code>\(esc(r.record.runbookPath))</code> at <code>\(esc(String(c.prefix(12))))</code>\(r.record.runbookDirty ? " (modified)" : "")</dd>\n"
        }
        func verdict(_ p: (text: String, good: Bool?)) -> String {
            p.good.map { "<span class=\"\($0 ? "good" : "bad")\">\(esc(p.text))</span>" } ?? esc(p.text)
        }
        if let p = r.rtoPhrase { h += "<dt>RTO</dt><dd>\(verdict(p))</dd>\n" }
        if let p = r.rpoPhrase { h += "<dt>RPO</dt><dd>\(verdict(p))</dd>\n" }
        if let p = r.peoplePhrase { h += "<dt>People</dt><dd>\(esc(p))</dd>\n" }
        if let p = r.trainingPhrase { h += "<dt>Training</dt><dd>\(verdict((p.text, p.good)))</dd>\n" }
        if !r.runbookKnown { h += "<dt>Note</dt><dd class=\"warn\">the runbook as run could not be read: no titles, expect times, RTO or recovery point</dd>\n" }
        h += "</dl>\n"

        h += "<h3>Timeline</h3>\n"
        let start = UTCTime.parse(r.record.startedAt) ?? Date(timeIntervalSince1970: 0)
        h += ReportHTML.timeline(LoadedRecord(path: r.runID, record: r.record, startedAt: start))

        h += "<h3>Steps: people and machine time</h3>\n<table class=\"steps\">\n<thead><tr><th>Step</th><th class=\"n\">Start</th><th class=\"n\">Took</th><th class=\"n\">People</th><th class=\"n\">Machine</th><th>Outcome</th></tr></thead>\n<tbody>\n"
        for s in r.steps {
            var outcome = s.outcome
            if s.attempts > 1 { outcome += ", \(s.attempts) attempts" }
            if s.overExpect, let e = s.expectSeconds { outcome += ", over its expect \(DurationFormat.format(e))" }
            let cls = s.outcome == "failed" ? " class=\"bad\"" : s.overExpect ? " class=\"warn\"" : ""
            h += "<tr><td><code>\(esc(s.id))</code>\(s.title.map { " " + esc($0) } ?? "")</td><td class=\"n\">+\(formatSeconds(s.startSeconds))</td><td class=\"n\">\(formatSeconds(s.seconds))</td><td class=\"n\">\(formatSeconds(s.peopleSeconds))</td><td class=\"n\">\(formatSeconds(s.machineSeconds))</td><td\(cls)>\(esc(outcome))</td></tr>\n"
        }
        h += "</tbody>\n</table>\n"

        for (title, none, lines) in r.sections {
            h += "<h3>\(esc(title))</h3>\n"
            h += lines.isEmpty ? "<p class=\"empty\">\(esc(none))</p>\n" : "<ul>" + lines.map { "<li>\(esc($0))</li>" }.joined() + "</ul>\n"
        }

        h += "<h3>Events</h3>\n<table class=\"steps events\">\n<thead><tr><th>Time (UTC)</th><th class=\"n\">Elapsed</th><th>What</th></tr></thead>\n<tbody>\n"
        for m in r.moments {
            let what = m.kind == .step || m.step == nil ? m.text : "\(m.step!): \(m.text)"
            h += "<tr class=\"\(m.kind.rawValue)\"><td><time>\(esc(RunReport.clock(m.at)))</time></td><td class=\"n\">+\(formatSeconds(m.atSeconds))</td><td>\(esc(what))</td></tr>\n"
        }
        h += "</tbody>\n</table>\n</section>\n</main>\n"
        h += "<footer>Made by <code>muster report \(esc(r.runID)) --html</code> \(MusterVersion.string) from the run's journal. Times are UTC; elapsed times are measured from the start of the run.</footer>\n</body>\n</html>\n"
        return h
    }

    static let css = """
    section.drill ul { margin: 4px 0; padding-left: 20px; }
    table.events tr.failure td, table.events tr.denial td, table.events tr.guard_breach td { color: var(--bad); }
    table.events tr.approval td, table.events tr.handoff td, table.events tr.escalation td, table.events tr.decision td { font-weight: 600; }

    """
}
