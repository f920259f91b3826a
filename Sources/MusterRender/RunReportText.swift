import MusterBasics
import MusterTerminal
import MusterFormat
import MusterEngine
import MusterJournal
import MusterDrills

/// What every form of a run's report says the same way, in plain words:
/// the Markdown and HTML forms escape these, the terminal sanitizes them.
extension RunReport {
    /// `incident run of drop` / `drill failover-quarterly of region-failover`.
    package var what: String {
        kind == .incident ? "incident run of \(record.runbook)" : "drill \(drill ?? "?") of \(record.runbook)"
    }

    /// `completed in 2m10s` / `paused after 40s` / `running for 40s`.
    package var ending: String {
        let e = formatSeconds(record.elapsedSeconds)
        switch state {
        case "completed": return "completed in \(e)"
        case "running": return "running for \(e) (not finished)"
        case "paused": return "paused after \(e) (not finished: `muster resume \(runID)`)"
        default: return "\(state.replacing("_", with: " ")) after \(e)"
        }
    }

    /// The RTO's verdict; nil without an RTO.
    package var rtoPhrase: (text: String, good: Bool?)? {
        guard let rto = record.rtoSeconds else { return nil }
        let head = "RTO \(DurationFormat.format(rto))"
        guard finished else { return ("\(head): not finished yet", nil) }
        guard recovered else { return ("\(head): did not recover", false) }
        let margin = Double(rto) - record.elapsedSeconds
        return margin >= 0 ? ("\(head): met, \(formatSeconds(margin)) to spare", true) : ("\(head): missed by \(formatSeconds(-margin))", false)
    }

    /// The data the recovery would lose against the RPO, where known.
    package var rpoPhrase: (text: String, good: Bool?)? {
        let head = record.rpoObjectiveSeconds.map { "RPO \(DurationFormat.format($0))" } ?? "no RPO"
        if let lost = record.rpoSeconds {
            return ("\(head): \(formatSeconds(lost)) of data lost (recovery point \(record.recoveryPoint ?? "?"))"
                    + (record.rpoMet.map { $0 ? ", within the RPO" : ", over the RPO" } ?? ""), record.rpoMet)
        }
        guard record.rpoObjectiveSeconds != nil else { return nil }
        return ("\(head): no recovery point measured (mark an output `recovery_point: true`)", nil)
    }

    /// `1m10s waiting on people, 1m automated (54% people)`.
    package var peoplePhrase: String? {
        guard let human = record.humanSeconds, let machine = record.automatedSeconds else { return nil }
        let total = human + machine
        let share = total > 0 ? Int((human / total * 100).rounded()) : 0
        return "\(formatSeconds(human)) waiting on people, \(formatSeconds(machine)) automated (\(share)% people)"
    }

    /// The training drill's score; nil for any other run.
    package var trainingPhrase: (text: String, good: Bool)? {
        record.training.map { ($0.score, $0.passed) }
    }

    /// The sections every form lists, each with its lines (empty: none).
    package var sections: [(title: String, none: String, lines: [String])] {
        let r = record
        return [
            ("Decisions", "none recorded (a `decide` step records its option and reason)",
             decisions.map { d in
                 let why = d.reason.isEmpty ? "" : " (\(d.reason))"
                 return "+\(formatSeconds(d.atSeconds))  \(d.step): \(d.option)\(why), by \(d.by), after \(formatSeconds(d.waitedSeconds))"
             }),
            ("Escalations", "none", r.escalations.map { "+\(formatSeconds($0.atSeconds))  \($0.contact)" }),
            ("Approvals", "none",
             (r.approvals ?? []).map { "+\(formatSeconds($0.atSeconds))  \($0.step): approved by \($0.by), after waiting \(formatSeconds($0.waitedSeconds))" }
                + denials.map { "+\(formatSeconds($0.atSeconds))  \($0.step): denied by \($0.by)" + ($0.reason.map { ": \($0)" } ?? "") }),
            ("Hand-offs", "none", (r.handoffs ?? []).map { "+\(formatSeconds($0.atSeconds))  \($0.from) → \($0.to)" + ($0.reason.map { ": \($0)" } ?? "") }),
            ("Guard breaches", "none",
             guardBreaches.map { "+\(formatSeconds($0.atSeconds))  \($0.guardKey): \($0.why)" + ($0.answer.map { " → \($0)" } ?? " (unanswered)") }),
        ]
    }

    /// `13:02:10` of an event's ISO 8601 time.
    package static func clock(_ at: String) -> String {
        let chars = Array(at)
        return chars.count >= 19 ? String(chars[11..<19]) : at
    }
}

/// `muster report RUN_ID` on a terminal or a pipe.
package struct RunReportText {
    package let style: Style
    package init(style: Style) { self.style = style }

    package func render(_ r: RunReport) -> String {
        var out: [String] = []
        out.append(style.bold("Run \(sanitize(r.runID))") + "  ·  \(sanitize(r.what))  ·  " + colour(r.ending, good: r.finished ? r.recovered : nil))
        var meta = "operator \(sanitize(r.record.operatorName)) on \(sanitize(r.host))  ·  started \(sanitize(r.record.startedAt))"
        if let c = r.record.runbookCommit { meta += "  ·  runbook at \(sanitize(String(c.prefix(12))))" + (r.record.runbookDirty ? " (modified)" : "") }
        out.append("  " + meta)
        let label = 8
        func line(_ name: String, _ text: String) { out.append("  " + name.padded(label) + "  " + text) }
        if let p = r.rtoPhrase { line("rto", colour(sanitize(p.text), good: p.good)) }
        if let p = r.rpoPhrase { line("rpo", colour(sanitize(p.text), good: p.good)) }
        if let p = r.peoplePhrase { line("people", p) }
        if let p = r.trainingPhrase { line("training", colour(sanitize(p.text), good: p.good)) }
        if !r.runbookKnown {
            line("note", style.yellow("the runbook as run could not be read: no titles, expect times, RTO or recovery point"))
        }

        out.append("")
        var rows: [[String]] = [["TIMELINE", "START", "TOOK", "PEOPLE", "MACHINE", "OUTCOME"]]
        var colours: [(String) -> String] = [style.bold]
        for s in r.steps {
            var outcome = s.outcome
            if s.attempts > 1 { outcome += ", \(s.attempts) attempts" }
            if s.overExpect, let e = s.expectSeconds { outcome += ", over its expect \(DurationFormat.format(e))" }
            rows.append([sanitize(s.id), "+" + formatSeconds(s.startSeconds), formatSeconds(s.seconds), formatSeconds(s.peopleSeconds),
                         formatSeconds(s.machineSeconds), outcome])
            colours.append(s.outcome == "failed" ? style.red : s.overExpect ? style.yellow : { $0 })
        }
        if r.steps.isEmpty { out.append("  no step finished") } else { out += ReportText(style: style).table(rows, rightAligned: [1, 2, 3, 4], colour: colours) }

        for (title, none, lines) in r.sections {
            out.append("")
            out.append(style.bold(title.uppercased()) + (lines.isEmpty ? "  " + none : ""))
            out += lines.map { "  " + sanitize($0) }
        }

        out.append("")
        out.append(style.bold("EVENTS"))
        for m in r.moments {
            out.append("  \(RunReport.clock(m.at))  " + ("+" + formatSeconds(m.atSeconds)).padded(8) + "  " + sanitize(describe(m)))
        }
        return out.joined(separator: "\n") + "\n"
    }

    /// A step's own row already names it; any other moment names its step.
    func describe(_ m: RunReport.Moment) -> String {
        guard m.kind != .step, let s = m.step else { return m.text }
        return "\(s): \(m.text)"
    }

    func colour(_ s: String, good: Bool?) -> String {
        switch good {
        case true?: style.green(s)
        case false?: style.red(s)
        case nil: s
        }
    }
}
