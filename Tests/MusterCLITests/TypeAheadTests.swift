import Foundation
import MusterTestSupport
import Testing

/// Keys pressed before a question is on screen never answer it on a
/// terminal: a `y` typed while a step runs must not pass the gate that
/// follows. On a pipe the answers are a script's, read in order, as before.
@Suite("type-ahead", .serialized)
struct TypeAheadTests {
    static let gate = """
    muster: 1
    name: repoint
    title: Repoint
    steps:
      - id: drain
        title: Drain the old primary
        run: echo draining; sleep 3
      - id: repoint
        title: Repoint production
        notes: This repoints production.
        confirm: true
        run: touch repointed
    """

    static let goNoGo = """
    muster: 1
    name: gonogo
    title: Go or no go
    steps:
      - id: drain
        title: Drain the old primary
        run: echo draining; sleep 3
      - id: check
        title: Go or no go
        manual:
          - Replication lag is zero
          - The standby answers reads
          - The change window is open
    """

    @Test func aYesTypedDuringAStepDoesNotAnswerTheConfirmGate() throws {
        let s = try Sandbox(["repoint": Self.gate])
        let term = try Tmux(cwd: s.dir)
        try term.type("\(musterBinary) run repoint")
        _ = try term.waitFor("draining")
        // Typed while the step sleeps, before the gate is on screen.
        try term.type("y")
        var screen = try term.waitFor("Run this step as shown?")
        #expect(screen.contains("keys pressed before this question was shown are ignored"), "\(screen)")
        // The gate still waits: a line typed now reaches it, not the `y`
        // typed ahead (which, read first, would have run the step).
        try term.type("what")
        screen = try term.waitFor("not understood: answer ")
        #expect(!FileManager.default.fileExists(atPath: s.dir + "/repointed"), "the typed-ahead y ran the gated step")
        #expect(screen.components(separatedBy: "✓ done in").count == 2, "one step done, the drain:\n\(screen)")
        try term.type("y")
        screen = try term.waitFor("completed after")
        #expect(FileManager.default.fileExists(atPath: s.dir + "/repointed"))
        let gates = try s.journal().filter { $0["event"] as? String == "gate_answered" }
        #expect(gates.count == 1, "\(gates)")
    }

    @Test func yesesTypedAheadTickNoChecklistItemAndEachAnswerShowsChecked() throws {
        let s = try Sandbox(["gonogo": Self.goNoGo])
        let term = try Tmux(cwd: s.dir)
        try term.type("\(musterBinary) run gonogo")
        _ = try term.waitFor("draining")
        for _ in 0..<3 { try term.type("y") }
        var screen = try term.waitFor("[ ] Replication lag is zero")
        #expect(screen.contains("keys pressed before this question was shown are ignored"), "\(screen)")
        try term.type("what")
        screen = try term.waitFor("not understood: answer ")
        #expect(!screen.contains("[x] Replication lag is zero"), "\(screen)")
        #expect(try s.journal().filter { $0["event"] as? String == "item_answered" }.isEmpty)
        try term.type("y")
        _ = try term.waitFor("[ ] The standby answers reads")
        try term.type("y")
        _ = try term.waitFor("[ ] The change window is open")
        try term.type("y")
        screen = try term.waitFor("completed after")
        // Each answered item is shown checked, on a line of its own.
        let lines = screen.split(separator: "\n").map { String($0) }
        for item in ["Replication lag is zero", "The standby answers reads", "The change window is open"] {
            #expect(lines.filter { $0 == "    [x] \(item)" }.count == 1, "\(item):\n\(screen)")
        }
        #expect(try s.journal().filter { $0["event"] as? String == "item_answered" }.count == 3)
    }

    /// A request arriving while a question waits draws the question again:
    /// it was on screen all along, so what the operator is typing is kept.
    @Test func aQuestionDrawnAgainForARequestKeepsWhatIsBeingTyped() throws {
        let s = try Sandbox(["fix": """
        muster: 1
        name: fix
        title: Fix
        steps:
          - id: check
            title: Check the fix
            run: test -e fixed || { echo "not fixed yet" >&2; exit 1; }
        """])
        let term = try Tmux(cwd: s.dir)
        try term.type("\(musterBinary) run fix")
        _ = try term.waitFor("did not succeed. What now?")
        try "".write(toFile: s.dir + "/fixed", atomically: true, encoding: .utf8)
        try term.type("r", enter: false)
        _ = try term.waitFor(") > r")
        // Any new request file wakes the session (this one is junk, ignored),
        // in the requester's own folder of requests/.
        let runs = try FileManager.default.contentsOfDirectory(atPath: s.dir + "/.muster/runs").sorted()
        let requests = s.dir + "/.muster/runs/\(runs.last!)/requests/" + ProcessInfo.processInfo.userName
        try FileManager.default.createDirectory(atPath: requests, withIntermediateDirectories: true)
        try "{}".write(toFile: requests + "/junk.json", atomically: true, encoding: .utf8)
        _ = try term.waitFor("What now?", after: ") > r")
        try term.key("Enter")
        let screen = try term.waitFor("completed after")
        #expect(!screen.contains("not understood"), "\(screen)")
        #expect(!screen.contains("keys pressed before this question was shown are ignored"), "\(screen)")
    }

    /// On a pipe every answer is there before any question: each is read in order.
    @Test func onAPipeAnswersWrittenAheadAreReadInOrder() throws {
        let s = try Sandbox(["repoint": Self.gate, "gonogo": Self.goNoGo])
        let r = try s.run(["run", "repoint"], stdin: "y\n")
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(FileManager.default.fileExists(atPath: s.dir + "/repointed"))
        #expect(!r.stdout.contains("keys pressed before"))
        let c = try s.run(["run", "gonogo"], stdin: "y\ny\ny\n")
        #expect(c.status == 0, "\(c.stdout)\(c.stderr)")
        #expect(!c.stdout.contains("keys pressed before"))
    }
}
