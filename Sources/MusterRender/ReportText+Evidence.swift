import MusterBasics
import MusterTerminal
import MusterFormat
import MusterEngine
import MusterJournal
import MusterDrills
import MusterPreflight



extension ReportText {
    /// The recovery point beside the RTO, and the time spent waiting on
    /// people beside the machines' time, for the last run, with their trends.
    package func evidenceLines(_ r: DrillReport, last: DrillReport.Run, label: Int) -> [String] {
        var out: [String] = []
        func line(_ name: String, _ text: String) { out.append("  " + name.padded(label) + "  " + text) }
        let rpo = r.rpoObjectiveSeconds.map { "RPO \(DurationFormat.format($0))" } ?? "no RPO"
        if let lost = last.rpoSeconds {
            var text = "\(rpo): lost \(formatSeconds(lost)) of data at the last run (recovery point \(sanitize(last.recoveryPoint ?? "?")))"
            if let met = last.rpoMet { text += met ? ", " + style.green("within the RPO") : ", " + style.red("over the RPO") }
            line("rpo", text)
        } else if r.rpoObjectiveSeconds != nil {
            line("rpo", "\(rpo): the last run measured no recovery point (mark an output `recovery_point: true`)")
        }
        if let t = r.rpoTrend {
            line("", "data lost: " + t.elapsed.map(formatSeconds).joined(separator: "  ") + "  (" + verdict(t, more: "more", less: "less") + ")")
        }
        if let human = last.humanSeconds, let machine = last.automatedSeconds {
            let total = human + machine
            let share = total > 0 ? Int((human / total * 100).rounded()) : 0
            line("people", "\(formatSeconds(human)) waiting on people, \(formatSeconds(machine)) automated (\(share)% people) at the last run")
            if let t = r.humanTrend {
                line("", "waiting on people: " + t.elapsed.map(formatSeconds).joined(separator: "  ") + "  (" + verdict(t, more: "longer", less: "shorter") + ")")
            }
        }
        return out
    }

    package func verdict(_ t: DrillReport.Trend, more: String, less: String) -> String {
        switch t.direction {
        case .steady: return "steady"
        case .faster: return style.green("\(less) by \(formatSeconds(-t.deltaSeconds))")
        case .slower: return style.yellow("\(more) by \(formatSeconds(t.deltaSeconds))")
        }
    }
}
