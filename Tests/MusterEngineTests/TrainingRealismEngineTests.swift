import Foundation
@testable import MusterBasics
@testable import MusterFormat
@testable import MusterEngine
@testable import MusterDrills
@testable import MusterTesting
import MusterTestSupport
import Testing

/// A training drill driven in-process with the trainee's answers: the
/// scenario is shown and journaled (followers read it there), a rung the
/// drill makes unavailable does not answer, and the record's score counts
/// the first rung that did. The CLI's part (the drill command, the record
/// file, `muster follow`) is TrainingRealismTests'.
@Suite("training drills: scenario and unavailable rungs, in-process")
struct TrainingRealismEngineTests {
    static let runbook = FeatureRunbooks.training

    static let drill = FeatureRunbooks.trainingDrill

    /// The runbook and `drills/practice.yaml` in a fresh repository, read
    /// as `muster drill practice` reads them: the drill, its runbook, and
    /// the problems `muster validate` reports for the drill file.
    static func load(drill: String = Self.drill) throws -> (drill: Drill?, runbook: Runbook, problems: [String]) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("muster-training-\(UUID().uuidString)").path
        for folder in ["runbooks", "drills"] {
            try FileManager.default.createDirectory(atPath: "\(dir)/\(folder)", withIntermediateDirectories: true)
        }
        try Self.runbook.write(toFile: dir + "/runbooks/failover.yaml", atomically: true, encoding: .utf8)
        try drill.write(toFile: dir + "/drills/practice.yaml", atomically: true, encoding: .utf8)
        let catalog = Catalog(currentDirectory: dir) { _ in dir }
        let path = dir + "/drills/practice.yaml"
        let entry = catalog.load(path)
        let problems = entry.diagnostics + (entry.document == nil ? [] : catalog.crossCheck(entry, at: path))
        return (entry.drill, try loadRunbook(Self.runbook, name: "failover"), problems.map(\.formatted))
    }

    /// Runs the drill with `answers` at the failure menu (the fault fails
    /// `create` once; the retry runs it), as the drill command sets it up.
    func drillRun(_ answers: [String]) throws -> (outcome: RunOutcome, console: FakeConsole, journal: MemoryJournal, record: DrillRecord) {
        let (drill, rb, problems) = try Self.load()
        #expect(problems.isEmpty, "\(problems)")
        let d = try #require(drill)
        var setup = DrillSetup(drill: d, runbook: rb, recordsDir: "drills/records", junit: nil)
        setup.environment = d.environment(params: [:]).rawValue
        let console = FakeConsole(answers), journal = MemoryJournal()
        let outcome = executor(rb, journal: journal, console: console, runner: FakeRunner(), drill: setup).execute(resumed: false)
        let record = try #require(DrillRecorder.record(events: journal.events, drill: setup, steps: DrillRecorder.stepFacts(rb, includes: [:]),
                                                       runbookCommit: nil, runbookDirty: false))
        return (outcome, console, journal, record)
    }

    @Test func theUnavailableRungDoesNotAnswerAndTheNextOneCounts() throws {
        // At the failure menu: escalate to rung 1 (no answer), then to 2, then retry.
        let (outcome, console, journal, record) = try drillRun(["e", "1", "e", "2", "r"])
        #expect(outcome == .completed, "\(console.text)")
        let scenario = "It is 03:10. The **primary region** is failing.\nThe secondary on-call is on a flight."
        #expect(console.shown.contains { if case .description(let s, drill: true) = $0 { s.hasPrefix("SCENARIO\n" + scenario) } else { false } }, "\(console.text)")
        // Followers read the scenario from the journaled drill.
        #expect(journal.events.first?.run?.drill?.scenario?.hasPrefix(scenario) == true)
        #expect(console.plain.contains("Secondary on-call (PagerDuty platform-secondary) does not answer (this drill makes them unavailable): escalate again, to the next rung"), "\(console.text)")
        let escalated = journal.events.filter { $0.event == .escalated }
        #expect(escalated.count == 2)
        #expect(escalated.first?.text == "no answer" && escalated.last?.text == nil)
        #expect(record.escalations.count == 2 && record.escalations.first?.answered == false && record.escalations.last?.answered == nil)
        let training = try #require(record.training)
        #expect(training.contactOK, "the first rung that answered counts: \(training)")
        #expect(training.escalatedWithin)
        #expect(training.unanswered == 1 && training.wentOn == true, "\(training)")
        #expect(record.environment == "training", "unavailable rungs make it a training drill")
    }

    @Test func stoppingAtTheUnansweredRungIsScoredAsNotEscalated() throws {
        let (outcome, console, _, record) = try drillRun(["e", "1", "r"])
        #expect(outcome == .completed, "\(console.text)")
        let training = try #require(record.training)
        #expect(!training.escalatedWithin && !training.contactOK, "\(training)")
        #expect(training.wentOn == false)
    }

    @Test func anUnavailableRungTheLadderDoesNotHaveIsAnError() throws {
        let (_, _, problems) = try Self.load(drill: Self.drill.replacingOccurrences(of: "unavailable: [Secondary on-call]", with: "unavailable: [Tertiary on-call]"))
        #expect(problems.contains { $0.hasSuffix("drills/practice.yaml:7:15: error: unavailable names 'Tertiary on-call', which is not a rung of runbook 'failover': Secondary on-call (PagerDuty platform-secondary); Incident commander on duty") }, "\(problems)")
    }
}
