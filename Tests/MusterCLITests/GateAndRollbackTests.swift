import Foundation
import MusterTestSupport
import Testing

/// Confirm gates show what will run before they ask; a rollback lists what
/// it will undo, asks, offers the failing step's own rollback, and shows
/// each result.
@Suite("Confirm gates and rollbacks")
struct GateAndRollbackTests {
    @Test func aConfirmGateShowsExactlyWhatWillRunBeforeItAsks() throws {
        let s = try Sandbox(["gate": """
        muster: 1
        name: gate
        title: Gate
        params:
          region: {default: eu-north-1}
        secrets:
          TOKEN: {env: GATE_TOKEN}
        steps:
          - id: promote
            title: Promote the standby
            confirm: true
            run: echo promoting {{ region }} with "$TOKEN" > promoted.txt
        """])
        let r = try s.run(["run", "gate"], stdin: "y\n", env: ["GATE_TOKEN": "tok-gate-secret-123"])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        let shown = try #require(r.stdout.range(of: "echo promoting eu-north-1 with \"$TOKEN\" > promoted.txt"), "\(r.stdout)")
        let asked = try #require(r.stdout.range(of: "Run this step as shown?"))
        #expect(shown.lowerBound < asked.lowerBound, "the command came after the question")
        #expect(!r.stdout.contains("tok-gate-secret-123"))
    }

    static let chain = """
    muster: 1
    name: chain
    title: Chain
    steps:
      - id: stop-writes
        title: Stop writes
        run: echo stop >> log.txt
        rollback: echo undo-stop >> log.txt
      - id: promote
        title: Promote
        run: echo promote >> log.txt
        rollback: echo undo-promote >> log.txt
      - id: switch-dns
        title: Switch DNS
        run: echo half-switched >> log.txt; exit 1
        on_failure: rollback
        rollback: echo undo-switch >> log.txt
    """

    func log(_ s: Sandbox) throws -> String { try String(contentsOfFile: s.dir + "/log.txt", encoding: .utf8) }

    @Test func onFailureRollbackListsWhatItUndoesAsksAndShowsEachResult() throws {
        let s = try Sandbox(["chain": Self.chain])
        let r = try s.run(["run", "chain"], stdin: "y\n")
        #expect(r.status == 1, "\(r.stdout)\(r.stderr)")
        let out = r.stdout
        let order = ["1. switch-dns (the step that failed", "2. promote", "3. stop-writes", "Roll back these 3 steps?"].map { out.range(of: $0)?.lowerBound }
        #expect(order.allSatisfy { $0 != nil }, "\(out)")
        #expect(order.compactMap { $0 } == order.compactMap { $0 }.sorted(), "listed out of order: \(out)")
        #expect(try log(s) == "stop\npromote\nhalf-switched\nundo-switch\nundo-promote\nundo-stop\n")
        #expect(out.components(separatedBy: "↶ rolled back").count - 1 == 3, "\(out)")
        #expect(try s.journal().last!["outcome"] as? String == "rolled_back")
    }

    @Test func pausingAtTheRollbackQuestionUndoesNothingAndResumeAsksAgain() throws {
        let s = try Sandbox(["chain": Self.chain])
        let paused = try s.run(["run", "chain"], stdin: "a\n")
        #expect(paused.status == 3, "\(paused.stdout)")
        #expect(try log(s) == "stop\npromote\nhalf-switched\n", "something was undone before the operator said yes")
        let resumed = try s.run(["resume"], stdin: "y\n")
        #expect(resumed.status == 1, "\(resumed.stdout)\(resumed.stderr)")
        #expect(resumed.stdout.contains("Roll back these 3 steps?"), "\(resumed.stdout)")
        #expect(try log(s) == "stop\npromote\nhalf-switched\nundo-switch\nundo-promote\nundo-stop\n")
    }

    @Test func withYesTheCompletedStepsAreRolledBackUnasked() throws {
        let s = try Sandbox(["chain": Self.chain])
        let r = try s.run(["run", "chain", "--yes"])
        #expect(r.status == 1)
        #expect(!r.stdout.contains("Roll back these"))
        #expect(try log(s) == "stop\npromote\nhalf-switched\nundo-promote\nundo-stop\n")
        #expect(r.stdout.contains("↶ rolled back"))
    }

    @Test func aFailedRollbackIsShownWithItsOutputAndReason() throws {
        let s = try Sandbox(["chain": Self.chain.replacingOccurrences(of: "rollback: echo undo-promote >> log.txt", with: "rollback: echo cannot demote >&2; exit 4")])
        let r = try s.run(["run", "chain", "--yes"])
        #expect(r.status == 1)
        #expect(r.stdout.contains("cannot demote"), "\(r.stdout)")
        #expect(r.stdout.contains("✗ rollback failed"), "\(r.stdout)")
        #expect(r.stdout.contains("exited with status 4; finish it by hand"))
        #expect(try s.journal().last!["outcome"] as? String == "rollback_incomplete")
    }
}
