import MusterBasics
import MusterFormat
import MusterEngine
import MusterJournal
import MusterDrills
import MusterPreflight
import MusterTerminal


/// What an operator coming back to a run needs before the first question:
/// what was done, the values the rest of the run will use, and what the
/// interrupted step was printing, so that `r`, `d` or `s` is an informed
/// choice rather than a guess.
package enum ResumeRecap {
    package static func render(state: RunState, runbook rb: Runbook, includes: [String: Runbook], runDir: String, masker: Masker) -> [String] {
        var out: [String] = []
        var known = state.info?.params ?? [:]
        for (_, v) in state.values { known.merge(v) { $1 } }
        let titles = stepTitles(rb, includes: includes, params: known, loopItems: state.loopItems)
        let done = state.finishOrder.filter { state.finished[$0] != nil }
        if let why = state.paused { out.append("Paused: " + sanitize(masker.mask(why))) }
        if let e = state.endedUnattended, let key = e.step {
            // What it did with nobody watching, before anything else is asked.
            let outcome = e.event == .stepFinished ? (e.outcome ?? "done") : e.interrupted == true ? (e.text ?? "stopped") : "failed"
            let status = e.exit.map { ", exit status \($0)" } ?? ""
            let took = e.seconds.map { " after \(formatSeconds($0))" } ?? ""
            out.append("Ended while the terminal was lost: \(key): " + sanitize(titles[key] ?? key) + ", \(outcome)\(status)\(took)")
        }
        if done.isEmpty {
            out.append("Nothing was finished before.")
        } else {
            out.append("Done so far:")
            for key in done {
                let outcome = state.finished[key] ?? .done
                let mark = switch outcome {
                case .done, .rehearsed: "✓"
                case .skipped: "↷"
                case .failed: "✗"
                }
                out.append("  \(mark) \(key): " + sanitize(titles[key] ?? key) + (outcome == .done ? "" : " (\(outcome.rawValue))"))
            }
        }
        let values = done.flatMap { key in
            (state.values[key] ?? [:]).sorted { $0.key < $1.key }.map { name, value in
                "\(name) = " + (state.masked.contains(key + "." + name) ? "*** (held a secret: asked again)" : sanitize(masker.mask(value)))
            }
        }
        if !values.isEmpty { out.append("Values: " + values.joined(separator: " · ")) }
        if let key = state.interruptedStep ?? state.awaitingChoice {
            let how = state.stoppedBy[key].map { "\($0) when the last session paused" } ?? (state.interruptedStep == key ? "running when the last session ended" : "failed, with no choice made")
            out.append("Interrupted: \(key): " + sanitize(titles[key] ?? key) + ", attempt \(state.attempts[key] ?? 1), " + sanitize(how))
            let lines = Transcript.lastLines(of: key, runDir: runDir)
            if lines.isEmpty {
                out.append("  (it printed nothing that was saved)")
            } else {
                out.append("  its last output:")
                for line in lines { out.append("  | " + sanitize(masker.mask(line))) }
            }
        }
        return out
    }

    /// Step titles by key (`id`, `parent/child`), from the one flattening of
    /// the plan, templates filled with the values known.
    package static func stepTitles(_ rb: Runbook, includes: [String: Runbook], params: [String: String], loopItems: [String: [String]] = [:]) -> [String: String] {
        var out: [String: String] = [:]
        // A loop's items each with its own title: "Redeploy api".
        for e in FlatPlan(rb, includes: includes).expanded(loopItems) {
            var values = params
            if let item = e.item { values[item.name] = item.value }
            out[e.key] = e.step.title.expand(values)
        }
        return out
    }
}
