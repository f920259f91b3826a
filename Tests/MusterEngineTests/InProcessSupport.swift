import Foundation
@testable import MusterFormat
@testable import MusterEngine
@testable import MusterDrills
import MusterTesting

/// What `muster validate FILE` reports for `file`, in-process: the runbooks
/// written into a fresh `runbooks/` folder, then loaded and cross-checked
/// (includes, conditions) as the command does, each problem as
/// `runbooks/NAME.yaml:LINE:COL: error: …`.
func catalogProblems(_ runbooks: [String: String], in file: String) throws -> [String] {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("muster-validate-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: dir + "/runbooks", withIntermediateDirectories: true)
    for (name, text) in runbooks {
        try text.write(toFile: "\(dir)/runbooks/\(name).yaml", atomically: true, encoding: .utf8)
    }
    let catalog = Catalog(currentDirectory: dir) { _ in dir }
    let path = "\(dir)/runbooks/\(file).yaml"
    let entry = catalog.load(path)
    let problems = entry.diagnostics + (entry.document == nil ? [] : catalog.crossCheck(entry, at: path))
    return problems.map(\.formatted)
}

/// `script` as the shell sees it once it reads the values it was given:
/// each `"${MUSTER_VALUE_name}"` replaced by the value in `environment`.
func withValues(_ script: String, _ environment: [String: String]) -> String {
    var s = script
    for (k, v) in environment where k.hasPrefix("MUSTER_VALUE_") { s = s.replacingOccurrences(of: "\"${\(k)}\"", with: v) }
    return s
}

extension FakeRunner {
    /// What ran, with the values in place (`withValues`).
    var ranWithValues: [String] { zip(ran, environments).map { withValues($0, $1) } }
}

extension FakeConsole {
    /// The words of every message, as plain text a line each (`text`
    /// quotes them as Swift would, escaping quotes).
    var lines: [String] {
        shown.compactMap { m -> String? in
            switch m {
            case .info(let s), .warning(let s), .progress(let s), .notes(let s), .checklistItem(let s), .command(let s): s
            case .output(_, let s): s
            case .laneOutput(let lane, _, _, let s): "[\(lane)] \(s)"
            case .stepResult(_, _, let detail): detail
            case .runResult(let outcome, _, _, _): outcome
            default: nil
            }
        }
    }
    var plain: String { lines.joined(separator: "\n") }
}

/// `drills/failover-drill.yaml` (`drill`) read beside `runbooks/failover.yaml`
/// (`runbook`), run with `answers` as `muster drill failover-drill` runs it
/// (the drill's params, mode and faults), and the record it leaves.
func runDrill(_ runbook: String, _ drill: String, _ answers: [String], yes: Bool = false, http: HTTPTransport? = nil,
              runner: FakeRunner = FakeRunner()) throws -> (outcome: RunOutcome, console: FakeConsole, record: DrillRecord, runner: FakeRunner) {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("muster-drill-\(UUID().uuidString)").path
    for folder in ["runbooks", "drills"] {
        try FileManager.default.createDirectory(atPath: "\(dir)/\(folder)", withIntermediateDirectories: true)
    }
    try runbook.write(toFile: dir + "/runbooks/failover.yaml", atomically: true, encoding: .utf8)
    try drill.write(toFile: dir + "/drills/failover-drill.yaml", atomically: true, encoding: .utf8)
    let entry = Catalog(currentDirectory: dir) { _ in dir }.load(dir + "/drills/failover-drill.yaml")
    guard entry.diagnostics.isEmpty, let d = entry.drill else { throw DrillFixtureError(problems: entry.diagnostics.map(\.formatted)) }
    let rb = try loadRunbook(runbook, name: "failover")
    let setup = DrillSetup(drill: d, runbook: rb, recordsDir: "drills/records", junit: nil)
    let params = Dictionary(d.params.map { ($0.name, $0.value) }, uniquingKeysWith: { _, b in b })
    let console = FakeConsole(answers), journal = MemoryJournal()
    let e = executor(rb, journal: journal, console: console, runner: runner, yes: yes, params: params, drill: setup)
    e.http = http
    let outcome = e.execute(resumed: false)
    guard let record = DrillRecorder.record(events: journal.events, drill: setup, steps: DrillRecorder.stepFacts(rb, includes: [:]),
                                            runbookCommit: nil, runbookDirty: false) else {
        throw DrillFixtureError(problems: ["no record from the journal: \(console.text)"])
    }
    return (outcome, console, record, runner)
}

/// A drill file that does not load, or a run that left no record.
struct DrillFixtureError: Error {
    let problems: [String]
}
