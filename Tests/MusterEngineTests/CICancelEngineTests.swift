@testable import MusterBasics
@testable import MusterFormat
@testable import MusterEngine
@testable import MusterTesting
import Testing

/// `cancel_on_stop`, in-process: a pipeline that outlasts its step's
/// timeout on the test's clock is cancelled through the provider, shown
/// and journaled; without the key it is left running, and the failure says
/// so. The operator's `s` at a terminal and `abandon` after a kill are
/// CICancelTests'; each provider's cancel request is MusterCITests'.
@Suite("cancel_on_stop cancels a ci step's pipeline at its timeout, in-process")
struct CICancelEngineTests {
    @Test func aPipelineThatOutlastsTheTimeoutIsCancelled() throws {
        let ci = ScriptedCI(looksToFinish: nil)
        let (outcome, console, journal) = try ciRun(ci, timeout: "5s", ciKeys: ["cancel_on_stop: true"], extra: ["on_failure: abort"])
        guard case .failed = outcome else { Issue.record("the timed-out step ends the run: \(outcome)\n\(console.text)"); return }
        #expect(ci.cancelled == ["pipeline 701"], "\(console.text)")
        #expect(console.plain.contains("the pipeline is still running after 5s; cancel_on_stop: cancelled pipeline 701 of acme/platform"), "\(console.text)")
        let journaled = journal.events.filter { $0.event == .pipelineCancelled }
        #expect(journaled.map(\.pipeline) == [ScriptedCI.pipeline(701)], "\(journaled)")
        let failed = journal.events.last { $0.event == .attemptFinished || $0.event == .stepFinished }
        #expect(failed?.text?.contains("cancel_on_stop:") == true, "\(String(describing: failed))")
        // Cancelled before the step's end was journaled.
        let order = journal.events.map(\.event).filter { $0 == .pipelineCancelled || $0 == .stepFinished }
        #expect(order == [.pipelineCancelled, .stepFinished])
    }

    @Test func withoutCancelOnStopATimeoutLeavesThePipelineRunning() throws {
        let ci = ScriptedCI(looksToFinish: nil)
        let (outcome, console, journal) = try ciRun(ci, timeout: "3s", extra: ["on_failure: abort"])
        guard case .failed = outcome else { Issue.record("the timed-out step ends the run: \(outcome)\n\(console.text)"); return }
        #expect(console.plain.contains("the pipeline is still running after 3s; it was not cancelled (pipeline 701: https://ci.example/pipeline 701)"), "\(console.text)")
        #expect(ci.cancelled.isEmpty)
        #expect(!journal.events.contains { $0.event == .pipelineCancelled })
    }
}
