import MusterBasics
import MusterTerminal
import MusterFormat
import MusterEngine
import MusterJournal
import MusterDrills
import MusterPreflight



extension ReportHTML {
    /// The summary's RPO and people's-time rows, beside the RTO's.
    package static func evidenceSummary(_ r: DrillReport, last: DrillReport.Run) -> String {
        var h = ""
        let rpo = r.rpoObjectiveSeconds.map { "RPO <strong>\(DurationFormat.format($0))</strong>" } ?? "no RPO"
        if let lost = last.rpoSeconds {
            var text = "\(rpo): the last run would have lost <strong>\(formatSeconds(lost))</strong> of data (recovery point \(esc(last.recoveryPoint ?? "?")))"
            if let met = last.rpoMet { text += met ? ", <span class=\"good\">within the RPO</span>" : ", <span class=\"bad\">over the RPO</span>" }
            if let t = r.rpoTrend { text += "; data lost over the last recoveries: " + t.elapsed.map(formatSeconds).joined(separator: " → ") }
            h += "<dt>RPO</dt><dd>\(text)</dd>\n"
        } else if r.rpoObjectiveSeconds != nil {
            h += "<dt>RPO</dt><dd>\(rpo): the last run measured no recovery point</dd>\n"
        }
        if let human = last.humanSeconds, let machine = last.automatedSeconds {
            var text = "\(formatSeconds(human)) waiting on people, \(formatSeconds(machine)) automated at the last run"
            if let t = r.humanTrend { text += "; waiting on people over the last recoveries: " + t.elapsed.map(formatSeconds).joined(separator: " → ") }
            h += "<dt>People</dt><dd>\(text)</dd>\n"
        }
        return h
    }

    /// Waiting-on-people segments drawn over the step bars, in their own
    /// colour, on the row of the step that waited (the top row otherwise).
    package static func peopleWaits(_ r: DrillRecord, rows: [String], x: (Double) -> Double, top: Double, row: Double) -> String {
        var s = ""
        for w in r.peopleWaits ?? [] where w.seconds > 0 {
            let i = w.step.flatMap { rows.firstIndex(of: $0) } ?? 0
            let y = top + row * Double(i)
            let tip = "waiting on people\(w.step.map { " at \($0)" } ?? ""): \(formatSeconds(w.seconds)) from \(formatSeconds(w.atSeconds))"
            s += "<rect class=\"people\" x=\"\(f(x(w.atSeconds)))\" y=\"\(f(y + 4))\" width=\"\(f(max(x(w.atSeconds + w.seconds) - x(w.atSeconds), 2)))\" height=\"\(f(row - 8))\" rx=\"2\"><title>\(esc(tip))</title></rect>\n"
        }
        return s
    }
}
