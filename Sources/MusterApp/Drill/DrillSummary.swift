import MusterBasics
import MusterFormat
import MusterEngine
import MusterJournal
import MusterDrills
import MusterPreflight
import MusterTerminal

/// The table shown when a drill ends: each step against its `expect`, then
/// the verdict against the RTO and, for training drills, the escalation score.
package enum DrillSummary {
    package static func render(_ r: DrillRecord, style: Style) -> String {
        var lines = ["", style.bold("Drill \(r.drill) (\(r.mode)): \(r.outcome.rawValue) after \(formatSeconds(r.elapsedSeconds))")]
        let width = max(4, r.steps.map(\.id.count).max() ?? 4)
        func pad(_ s: String, _ n: Int) -> String { s + String(repeating: " ", count: max(0, n - s.count)) }
        lines.append("  " + pad("step", width) + "  " + pad("outcome", 9) + "  " + pad("expected", 8) + "  " + pad("actual", 8) + "  over/under")
        for s in r.steps {
            var diff = ""
            if let e = s.expectSeconds {
                let d = s.seconds - Double(e)
                diff = d > 0 ? style.yellow("over by \(formatSeconds(d))") : "under by \(formatSeconds(-d))"
            }
            lines.append("  " + pad(s.id, width) + "  " + pad(s.outcome, 9) + "  " + pad(s.expectSeconds.map { formatSeconds(Double($0)) } ?? "-", 8)
                         + "  " + pad(formatSeconds(s.seconds), 8) + "  " + diff)
        }
        if let rto = r.rtoSeconds {
            let budget = Double(rto) - r.elapsedSeconds
            let verdict: String
            switch (r.outcome, r.rtoMet == true) {
            case (.recovered, true): verdict = style.green("RTO \(formatSeconds(Double(rto))) met, with \(formatSeconds(budget)) to spare")
            case (.recovered, false): verdict = style.red("RTO \(formatSeconds(Double(rto))) missed by \(formatSeconds(-budget))")
            default: verdict = style.red("RTO \(formatSeconds(Double(rto))) not met: the drill \(r.outcome == .failed ? "failed" : "was aborted") before recovery")
            }
            lines.append(verdict)
        }
        if r.hasBranches, let path = r.criticalPath, let seconds = r.criticalPathSeconds {
            lines.append("Critical path \(formatSeconds(seconds)): \(CriticalPath.describe(path))")
        }
        if let saved = r.parallelSavedSeconds, let serial = r.serialSeconds {
            lines.append("Running in parallel saved \(formatSeconds(saved)): the steps add up to \(formatSeconds(serial))")
        }
        // Said when the drill ends, so nobody reads a sandbox time as production's.
        if let env = r.environment, env != DrillEnvironment.production.rawValue {
            lines.append("Environment \(env): shown apart from production drills by due, history and report, never counted as one")
        }
        if r.overrides == true {
            lines.append(style.yellow("-p changed values the drill file sets: the record says overrides: true and keeps the values it ran with"))
        }
        if r.unattended == true {
            lines.append(style.yellow("Unattended: --yes answered for the operator, so this run is recorded but never counts as best or in the trend"))
        }
        let over = r.steps.filter(\.overExpect).map(\.id)
        if !over.isEmpty { lines.append("Over their expected time: \(over.joined(separator: ", "))") }
        for f in r.faults { lines.append("Fault injected at \(f.step) after \(formatSeconds(f.atSeconds))") }
        if let t = r.training {
            if let after = t.escalatedAfterSeconds {
                let who = r.escalations.first { $0.atSeconds >= (r.faults.first?.atSeconds ?? 0) }?.contact ?? "?"
                lines.append("Training: escalated to \(who) \(formatSeconds(after)) after the fault: "
                             + (t.escalatedWithin ? "in time" : style.yellow("too late")) + ", "
                             + (t.contactOK ? "the right rung" : style.yellow("not the expected rung")))
            } else {
                lines.append(style.yellow("Training: no escalation after the fault"))
            }
        }
        return lines.joined(separator: "\n")
    }
}
