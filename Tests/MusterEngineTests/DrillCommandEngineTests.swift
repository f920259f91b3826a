import Foundation
@testable import MusterDrills
@testable import MusterEngine
@testable import MusterTesting
import MusterTestSupport
import Testing

/// A drill in rehearsal with an injected fault, in-process: nothing runs,
/// the fault is the step's error, and the record counts the step as
/// rehearsed after two attempts. The CLI's part (records on disk, their
/// names, resume, `--records-dir`, `-p`, JUnit, usage errors) is
/// DrillCommandTests'.
@Suite("muster drill, in-process")
struct DrillCommandEngineTests {
    @Test func aRehearsalRunsNothingAndAFaultIsShownAsTheStepsError() throws {
        let drill = FeatureRunbooks.drillCommandDrill + """

        mode: rehearsal
        faults:
          - step: create
            fail: "AccessDeniedException: not authorized"
            times: 1
        """
        // Checklist, then the fault's failure menu: retry; then confirm the rehearsal.
        let (outcome, console, record, runner) = try runDrill(FeatureRunbooks.drillCommand, drill, ["y", "y", "r", "y", "y"])
        #expect(outcome == .completed, "\(console.text)")
        #expect(console.plain.contains("AccessDeniedException: not authorized"), "\(console.text)")
        #expect(runner.ran.isEmpty, "a rehearsal ran \(runner.ran)")
        // Walked through, not failed: the step's result says so (the screen's `✓ rehearsed`).
        let results = console.shown.compactMap { if case .stepResult(let r, _, _) = $0 { r } else { nil } }
        #expect(results.contains(.finished(.rehearsed)), "\(console.shown)")
        #expect(record.steps[1].outcome == "rehearsed")
        #expect(record.steps[1].attempts == 2)
        #expect(record.faults.first?.step == "create")
    }
}
