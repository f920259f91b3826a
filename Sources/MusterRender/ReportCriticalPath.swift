import MusterBasics
import MusterTerminal
import MusterDrills

extension ReportText {
    /// The last run's critical path and what running in parallel saved:
    /// what to shorten to meet the RTO. Nothing for a straight runbook,
    /// whose path is every step.
    package func criticalPathLines(_ last: DrillReport.Run, label: Int) -> [String] {
        var out: [String] = []
        func line(_ name: String, _ text: String) { out.append("  " + name.padded(label) + "  " + text) }
        if last.hasBranches, let path = last.criticalPath, let seconds = last.criticalPathSeconds {
            line("path", "critical path \(formatSeconds(seconds)) at the last run: " + sanitize(CriticalPath.describe(path)))
        }
        if let saved = last.parallelSavedSeconds, let serial = last.serialSeconds {
            line(out.isEmpty ? "path" : "", "running in parallel saved " + style.green(formatSeconds(saved)) + " (the steps add up to \(formatSeconds(serial)))")
        }
        return out
    }
}

extension ReportHTML {
    /// The summary's critical-path row, beside the RTO's.
    package static func criticalPathSummary(_ last: DrillReport.Run) -> String {
        var parts: [String] = []
        if last.hasBranches, let path = last.criticalPath, let seconds = last.criticalPathSeconds {
            parts.append("critical path <strong>\(formatSeconds(seconds))</strong> at the last run: "
                         + esc(CriticalPath.describe(path)))
        }
        if let saved = last.parallelSavedSeconds, let serial = last.serialSeconds {
            parts.append("running in parallel saved <span class=\"good\">\(formatSeconds(saved))</span> (the steps add up to \(formatSeconds(serial)))")
        }
        return parts.isEmpty ? "" : "<dt>Path</dt><dd>\(parts.joined(separator: "; "))</dd>\n"
    }
}
