import MusterBasics
import MusterTerminal
import MusterFormat
import MusterEngine
import MusterJournal
import MusterDrills

/// `muster report RUN_ID --markdown`, and `--postmortem`: a draft for the
/// team's postmortem document, with the facts the journal holds filled in
/// and blanks (`_…_`) for what only people know. Every text from the
/// journal is data: one line, no markup, pipes escaped in tables.
package struct RunReportMarkdown {
    package init() {}

    package func render(_ r: RunReport) -> String {
        var out: [String] = []
        out.append("# Run \(md(r.runID))")
        out.append("")
        out.append(md(capitalised(r.what)) + ": **\(md(r.ending))**.")
        out.append("")
        out += facts(r).map { "- " + $0 }
        out.append("")
        out += steps(r, heading: "## Timeline")
        for (title, none, lines) in r.sections {
            out.append("")
            out.append("## \(title)")
            out.append("")
            out += lines.isEmpty ? [md(none)] : lines.map { "- " + md($0) }
        }
        out.append("")
        out += events(r, heading: "## Events")
        return out.joined(separator: "\n") + "\n"
    }

    package func postmortem(_ r: RunReport) -> String {
        var out: [String] = []
        let title = r.kind == .incident ? "Postmortem (draft): \(r.record.runbook)" : "Drill review (draft): \(r.drill ?? r.record.runbook)"
        out.append("# \(md(title))")
        out.append("")
        out.append("> Drafted by `muster report \(md(r.runID)) --postmortem` from the run's journal. The facts below are the journal's;")
        out.append("> every _blank_ is for the team to fill in. Check each line before you publish.")
        out.append("")
        out.append("## Summary")
        out.append("")
        out.append("\(md(capitalised(r.what))) (run `\(md(r.runID))`), operated by \(md(r.record.operatorName)) on \(md(r.host)), \(md(r.ending)).")
        out.append("")
        out.append("_What happened, what it affected, and why (fill in)._")
        out.append("")
        out.append("## Impact")
        out.append("")
        let end = r.finished ? "\(md(RunReport.clock(r.record.finishedAt))) UTC, when the run \(md(r.state.replacing("_", with: " ")))" : "_still open: the run has not finished_"
        out.append("- Impact window: from _first alert or detection time (fill in)_ to \(end).")
        out.append("- Recovery: the run started at \(md(r.record.startedAt)) and took \(formatSeconds(r.record.elapsedSeconds)).")
        if let p = r.rtoPhrase { out.append("- \(md(p.text)).") }
        if let p = r.rpoPhrase { out.append("- \(md(p.text)).") } else { out.append("- Data lost: _fill in_.") }
        if let p = r.peoplePhrase { out.append("- Time: \(md(p)).") }
        if let p = r.trainingPhrase { out.append("- Training score: \(md(p.text)).") }
        out.append("- Who and what was affected: _fill in_.")
        out.append("")
        out += events(r, heading: "## Timeline")
        out.append("")
        out += steps(r, heading: "## Steps: people and machine time")
        out.append("")
        out.append("## What went well")
        out.append("")
        out += bullets(wentWell(r), blank: "_fill in_")
        out.append("")
        out.append("## What went slowly or wrong")
        out.append("")
        out += bullets(wentSlowly(r), blank: "_fill in_")
        out.append("")
        out.append("## Action items")
        out.append("")
        out.append("| Action | Owner | Due | Ticket |")
        out.append("|---|---|---|---|")
        let candidates = actionCandidates(r)
        for c in candidates { out.append("| \(cell(c)) | _owner_ | _date_ | |") }
        out.append("| _fill in_ | _owner_ | _date_ | |")
        return out.joined(separator: "\n") + "\n"
    }

    // MARK: - Parts

    func facts(_ r: RunReport) -> [String] {
        var f = ["Operator: \(md(r.record.operatorName)) on \(md(r.host))", "Started: \(md(r.record.startedAt))"]
        if r.finished { f.append("Finished: \(md(r.record.finishedAt))") }
        if let c = r.record.runbookCommit { f.append("Runbook `\(md(r.record.runbookPath))` at `\(md(String(c.prefix(12))))`" + (r.record.runbookDirty ? " (modified)" : "")) }
        if let p = r.rtoPhrase { f.append(md(p.text)) }
        if let p = r.rpoPhrase { f.append(md(p.text)) }
        if let p = r.peoplePhrase { f.append("Time: " + md(p)) }
        if let p = r.trainingPhrase { f.append("Training score: " + md(p.text)) }
        if !r.runbookKnown { f.append("The runbook as run could not be read: no titles, expect times, RTO or recovery point") }
        return f
    }

    func steps(_ r: RunReport, heading: String) -> [String] {
        var out = [heading, ""]
        guard !r.steps.isEmpty else { return out + ["No step finished."] }
        out.append("| Step | Start | Took | People | Machine | Outcome |")
        out.append("|---|--:|--:|--:|--:|---|")
        for s in r.steps {
            var outcome = s.outcome
            if s.attempts > 1 { outcome += ", \(s.attempts) attempts" }
            if s.overExpect, let e = s.expectSeconds { outcome += ", over its expect \(DurationFormat.format(e))" }
            let name = "`\(cell(s.id))`" + (s.title.map { " \(cell($0))" } ?? "")
            out.append("| \(name) | +\(formatSeconds(s.startSeconds)) | \(formatSeconds(s.seconds)) | \(formatSeconds(s.peopleSeconds)) | \(formatSeconds(s.machineSeconds)) | \(cell(outcome)) |")
        }
        return out
    }

    func events(_ r: RunReport, heading: String) -> [String] {
        var out = [heading, "", "| Time (UTC) | Elapsed | What |", "|---|--:|---|"]
        for m in r.moments {
            let what = m.kind == .step || m.step == nil ? m.text : "\(m.step!): \(m.text)"
            out.append("| \(cell(RunReport.clock(m.at))) | +\(formatSeconds(m.atSeconds)) | \(cell(what)) |")
        }
        return out
    }

    /// Facts that read as going well; the team adds the rest.
    func wentWell(_ r: RunReport) -> [String] {
        var out: [String] = []
        if r.recovered, r.record.rtoMet == true { out.append("Recovered within the RTO.") }
        if r.record.rpoMet == true { out.append("Data lost within the RPO.") }
        let onTime = r.steps.filter { $0.expectSeconds != nil && !$0.overExpect && $0.outcome == "done" }
        if !onTime.isEmpty { out.append("Within their expected time: " + onTime.map { "`\(md($0.id))`" }.joined(separator: ", ") + ".") }
        if r.record.training?.escalatedWithin == true { out.append("Escalated in time.") }
        return out
    }

    /// Facts that read as slow or wrong: over-expect steps, the longest
    /// waits on people, failures, approvals that waited, guard breaches.
    func wentSlowly(_ r: RunReport) -> [String] {
        var out: [String] = []
        if r.finished, r.record.rtoMet == false, let p = r.rtoPhrase { out.append(md(p.text) + ".") }
        if r.record.rpoMet == false, let p = r.rpoPhrase { out.append(md(p.text) + ".") }
        for s in r.steps where s.overExpect {
            out.append("`\(md(s.id))` took \(formatSeconds(s.seconds)), over its expected \(s.expectSeconds.map(DurationFormat.format) ?? "?").")
        }
        for s in r.steps.filter({ $0.peopleSeconds > 0 }).sorted(by: { $0.peopleSeconds > $1.peopleSeconds }).prefix(3) {
            out.append("`\(md(s.id))` waited \(formatSeconds(s.peopleSeconds)) on people.")
        }
        for s in r.steps where s.outcome == "failed" || s.attempts > 1 {
            out.append("`\(md(s.id))` \(s.outcome == "failed" ? "failed" : "needed \(s.attempts) attempts").")
        }
        for a in r.record.approvals ?? [] where a.waitedSeconds > 0 {
            out.append("The approval of `\(md(a.step))` took \(formatSeconds(a.waitedSeconds)) (by \(md(a.by))).")
        }
        for d in r.denials { out.append("`\(md(d.step))` was denied by \(md(d.by))" + (d.reason.map { ": \(md($0))" } ?? "") + ".") }
        for g in r.guardBreaches { out.append("Guard `\(md(g.guardKey))` was breached at +\(formatSeconds(g.atSeconds)): \(md(g.why)).") }
        if let t = r.record.training, !t.escalatedWithin || !t.contactOK, let p = r.trainingPhrase { out.append("Training: \(md(p.text)).") }
        return out
    }

    /// Candidate actions the journal suggests, for the team to keep or strike.
    func actionCandidates(_ r: RunReport) -> [String] {
        var out: [String] = []
        for s in r.steps where s.overExpect { out.append("_Candidate:_ shorten `\(s.id)` or correct its `expect`") }
        for s in r.steps where s.outcome == "failed" || s.attempts > 1 { out.append("_Candidate:_ find why `\(s.id)` failed") }
        return out
    }

    func bullets(_ lines: [String], blank: String) -> [String] { (lines + [blank]).map { "- " + $0 } }

    func capitalised(_ s: String) -> String { s.prefix(1).uppercased() + s.dropFirst() }

    /// One line of text, with nothing a Markdown reader takes as markup
    /// that could hide or fake content.
    func md(_ s: String) -> String {
        sanitize(s).replacing("<", with: "&lt;").replacing(">", with: "&gt;")
    }

    func cell(_ s: String) -> String { md(s).replacing("|", with: "\\|") }
}
