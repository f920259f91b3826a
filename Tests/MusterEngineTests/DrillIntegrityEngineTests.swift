import Foundation
@testable import MusterBasics
@testable import MusterFormat
@testable import MusterEngine
@testable import MusterDrills
@testable import MusterTerminal
@testable import MusterApp
@testable import MusterTesting
import MusterTestSupport
import Testing

/// What makes a drill's record worth comparing, in-process: whether anybody
/// answered it, and a fault the trainee meets as a real error. The CLI's
/// part (a drill resumed with `--yes`, `--mode` against the drill file, who
/// the operator is) stays in DrillIntegrityTests.
@Suite("drill integrity, in-process")
struct DrillIntegrityEngineTests {
    /// The probe's server is not there: every request is refused.
    struct NoServer: HTTPTransport {
        func send(method: String, url: String, headers: [(name: String, value: String)], body: String?, timeout: Double,
                  confidential: Confidential, onSignal: @escaping (Signal) -> Bool) throws(HTTPFailure) -> HTTPReply {
            throw HTTPFailure(message: "connection refused")
        }
    }

    func drill(_ answers: [String], file: String = FeatureRunbooks.integrityDrill, yes: Bool = false)
        throws -> (outcome: RunOutcome, console: FakeConsole, record: DrillRecord, runner: FakeRunner) {
        try runDrill(FeatureRunbooks.integrity, file, answers, yes: yes, http: NoServer())
    }

    @Test func aYesDrillIsUnattendedAndAnAnsweredOneIsNot() throws {
        let yes = try drill([], yes: true)
        // The probe has no server: failed, with on_failure abort.
        guard case .failed = yes.outcome else { Issue.record("the --yes drill should fail at the probe: \(yes.outcome) \(yes.console.text)"); return }
        #expect(yes.record.unattended == true)
        let summary = DrillSummary.render(yes.record, style: Style(color: false, isTerminal: false))
        #expect(summary.contains("\nUnattended: --yes answered for the operator"), "\(summary)")

        let answered = try drill(["y", "s no server here"])
        #expect(answered.outcome == .completed, "\(answered.console.text)")
        #expect(answered.record.unattended == false)
        #expect(!DrillSummary.render(answered.record, style: Style(color: false, isTerminal: false)).lowercased().contains("unattended"))
        // After the documented keys.
        let text = answered.record.json.serialized(pretty: true)
        let training = try #require(text.range(of: "\"training\""))
        let unattended = try #require(text.range(of: "\"unattended\""))
        #expect(training.lowerBound < unattended.lowerBound)
    }

    @Test func anInjectedFaultShowsTheCommandLineAsARealFailureDoes() throws {
        // Checklist; the fault at create: retry; the fault at probe: skip.
        let (outcome, console, record, runner) = try drill(["y", "r", "s no server"], file: FeatureRunbooks.integrityDrill + FeatureRunbooks.integrityFaults)
        #expect(outcome == .completed, "\(console.text)")
        let shown = console.shown
        let fault = try #require(shown.firstIndex { if case .output(_, "AccessDeniedException: not authorized") = $0 { true } else { false } }, "\(console.text)")
        #expect(fault > 0 && { if case .command("echo created in eu-north-1 > created.txt") = shown[fault - 1] { true } else { false } }(), "\(console.text)")
        let refused = try #require(shown.firstIndex { if case .output(_, "connection refused by the load balancer") = $0 { true } else { false } }, "\(console.text)")
        #expect(refused > 0 && { if case .command("GET http://127.0.0.1:9/health/eu-north-1") = shown[refused - 1] { true } else { false } }(), "\(console.text)")
        // The fault stood in for the command the first time only: the retry ran it.
        #expect(runner.ranWithValues == ["echo created in eu-north-1 > created.txt"], "\(runner.ran)")
        // Nothing shown says the failure was scripted; the record names both faults.
        #expect(!console.plain.lowercased().contains("inject") && !console.plain.lowercased().contains("fault"), "\(console.text)")
        #expect(record.faults.map(\.step) == ["create", "probe"])
    }
}
