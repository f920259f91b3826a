import Foundation
import MusterTestSupport
import Testing

/// Guards end to end: a real command polled while real steps run; a
/// breach stops the step at work and ends the run, with its exit status
/// and what the operator sees. The breach is caused by the step itself (it
/// leaves what the guard looks for), so no test waits on a clock. Rolling
/// back on a breach and a guard that holds are GuardRunEngineTests'.
@Suite("muster run: guards")
struct GuardRunTests {
    static func runbook(_ name: String, onBreach: String) -> String { FeatureRunbooks.guarded(name: name, onBreach: onBreach) }

    @Test func abortStopsTheStepAtWorkAndEndsTheRunFailedAfterItsFinally() throws {
        let s = try Sandbox(["g": Self.runbook("g", onBreach: "abort")])
        let r = try s.run(["run", "g", "--yes"], env: ["NO_COLOR": "1"])
        #expect(r.status == 1, "\(r.stdout)\(r.stderr)")
        #expect(!s.exists("break.done"), "the step at work was stopped")
        #expect(!s.exists("after.done"))
        #expect(s.exists("told"), "finally runs however the run ended")
        #expect((r.stdout + r.stderr).contains("GUARD BREACHED: The service answers ('health')"), "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("failed: guard 'health' was breached: exited with status 1"), "\(r.stdout)")
        let events = try s.journal().map { "\($0["event"]!) \($0["value"] ?? $0["step"] ?? "")" }
        let breached = try #require(events.firstIndex(of: "guard_breached health"), "\(events)")
        let answered = try #require(events.firstIndex(of: "guard_answered health"))
        #expect(breached < answered)
        #expect(!events.contains("step_started after"))
    }
}

extension TerminalTests {
    /// A breach while a checklist waits: the question gives way to the
    /// breach's, and the checklist is asked again after `y` (continue).
    @Test func aBreachInterruptsTheQuestionAndTheQuestionComesBack() throws {
        let s = try Sandbox(["g": """
        muster: 1
        name: g
        title: Guarded at a terminal
        guards:
          - {id: health, title: The service answers, run: test ! -e broken, every: 1s}
        steps:
          - {id: break, title: Break it, run: touch broken}
          - {id: check, title: Check, manual: [Look at the dashboards]}
        """])
        let term = try Tmux(cwd: s.dir)
        try term.type("\(musterBinary) run g")
        var screen = try term.waitFor("Continue, roll back, or abort the run?")
        #expect(screen.contains("GUARD BREACHED: The service answers ('health')"))
        #expect(screen.contains("(y continue · b roll back · a abort the run"))
        try FileManager.default.removeItem(atPath: s.dir + "/broken")
        try term.type("y")
        _ = try term.waitFor("[ ] Look at the dashboards", after: "going on;")
        try term.type("y")
        screen = try term.waitFor("completed after")
        let events = try s.journal().compactMap { $0["event"] as? String }
        #expect(events.filter { $0 == "guard_answered" }.count == 1)
        #expect(events.filter { $0 == "item_answered" }.count == 1)
    }
}
