import MusterBasics
import MusterFormat
import MusterDrills
import MusterTerminal

/// `muster show --forecast`: what the recovery should take, and the steps
/// that set it, before anyone runs it.
package enum ShowForecast {
    package static func print(_ rb: Runbook, path: String, ws: Workspace, recordsDir: String?, json: Bool) throws {
        let includes = try RunSession.includes(of: rb, path: path, catalog: ws.catalog)
        let dir = recordsDir.map { Paths.absolute($0, from: ws.cwd) } ?? Paths.join(ws.root, "drills/records")
        let cwd = ws.cwd
        let loaded = RecordStore(directory: dir) { Paths.display($0, from: cwd) }.load()
        printWarnings(loaded.problems.map(\.text))
        // A sandbox drill's minutes would forecast production's recovery:
        // only the environment the runbook's schedule names counts.
        let cat = DrillCatalog(ws, recordsDir: recordsDir)
        let counted = cat.countedEnvironment(of: rb.name)
        let defined = cat.definedEnvironments
        let records = loaded.records.values.flatMap { $0.map(\.record) }.filter { RecordEnvironment.of($0, definition: defined[$0.drill]) == counted }
        let f = Forecast(runbook: rb, includes: includes, records: records)
        if json {
            Swift.print(f.json.serialized(pretty: true))
        } else {
            Swift.print(render(f, style: .stdout), terminator: "")
        }
    }

    package static func render(_ f: Forecast, style: Style) -> String {
        var head = "\(sanitize(f.runbook)): " + sanitize(f.headline)
        if let margin = f.marginSeconds { head = margin >= 0 ? style.green(head) : style.red(head) }
        var lines = [head]
        let width = max(4, f.steps.map(\.key.count).max() ?? 4)
        func pad(_ s: String, _ n: Int) -> String { s + String(repeating: " ", count: max(0, n - s.count)) }
        lines.append("  " + pad("step", width) + "  " + pad("expected", 8) + "  from")
        // Marked only when some step is off it: a straight runbook's path is every step.
        let critical = f.criticalPath.count < f.steps.count ? Set(f.criticalPath) : []
        for e in f.steps {
            let from: String = switch e.source {
            case .records(let n): "median of \(n) drill\(n == 1 ? "" : "s")"
            case .expect: "expect"
            case .unknown: style.yellow("no drill record, no expect")
            }
            let row = "  " + pad(sanitize(e.key), width) + "  " + pad(e.source == .unknown ? "?" : formatSeconds(e.seconds), 8) + "  " + from
                + (critical.contains(e.key) ? "  (critical path)" : "")
            lines.append(critical.contains(e.key) ? style.bold(row) : row)
        }
        if let saved = CriticalPath.saved(serial: f.serialSeconds, elapsed: f.seconds) {
            lines.append("Running in parallel saves \(formatSeconds(saved)): the steps add up to \(formatSeconds(f.serialSeconds)).")
        }
        if !f.unknown.isEmpty {
            lines.append(style.yellow("\(f.unknown.count) step\(f.unknown.count == 1 ? "" : "s") without a drill record or `expect` count\(f.unknown.count == 1 ? "s" : "") as no time: give them `expect:` or drill the runbook."))
        }
        lines.append(f.records == 0 ? "No drill records of \(sanitize(f.runbook)) yet: the times are the steps' `expect`."
                     : "Medians over \(f.records) drill record\(f.records == 1 ? "" : "s") of \(sanitize(f.runbook)); `expect` where a step has none.")
        return lines.joined(separator: "\n") + "\n"
    }
}
