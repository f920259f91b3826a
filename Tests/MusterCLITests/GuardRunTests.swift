import Foundation
import MusterTestSupport
import Testing

/// Guards as a run meets them: a command polled while the steps run; a
/// breach is journaled at once and, by `on_breach`, stops the step at
/// work and ends or rolls back the run. The breach is caused by the step
/// itself (it leaves what the guard looks for), so no test waits on a clock.
@Suite("muster run: guards")
struct GuardRunTests {
    static func runbook(_ name: String, onBreach: String) -> String {
        """
        muster: 1
        name: \(name)
        title: Guarded
        guards:
          - id: health
            title: The service answers
            run: test ! -e broken
            every: 1s
            on_breach: \(onBreach)
        steps:
          - {id: prepare, title: Prepare, run: 'touch prepared', rollback: 'touch prepare.undone'}
          - {id: break, title: Break it, run: 'touch broken; sleep 30; touch break.done', timeout: 60s}
          - {id: after, title: After, run: 'touch after.done'}
        finally:
          - {id: tell, title: Tell the channel, run: 'touch told'}
        """
    }

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

    @Test func rollbackUndoesWhatWasDone() throws {
        let s = try Sandbox(["g": Self.runbook("g", onBreach: "rollback")])
        let r = try s.run(["run", "g", "--yes"], env: ["NO_COLOR": "1"])
        #expect(s.exists("prepare.undone"), "\(r.stdout)\(r.stderr)")
        #expect(!s.exists("break.done"))
        let end = try s.journal().last { $0["event"] as? String == "run_finished" }
        #expect(end?["outcome"] as? String == "rolled_back", "\(r.stdout)")
    }

    @Test func aGuardThatHoldsChangesNothing() throws {
        let s = try Sandbox(["g": """
        muster: 1
        name: g
        title: Guarded
        guards:
          - {id: fine, title: Always fine, run: "true", every: 1s}
        steps:
          - {id: a, title: A, run: 'sleep 1.5; touch a.done'}
        """])
        let r = try s.run(["run", "g", "--yes"])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(!(try s.journal()).contains { ($0["event"] as? String)?.hasPrefix("guard_") == true })
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
