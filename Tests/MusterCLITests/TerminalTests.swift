import Foundation
import MusterTestSupport
import Testing

/// A real terminal: a tmux server of its own (its own socket), one window
/// running a shell in which the test types.
final class Tmux {
    let socket = "muster-test-\(UUID().uuidString.prefix(8))"
    let cwd: String

    init(cwd: String, width: Int = 140, height: Int = 50) throws {
        self.cwd = cwd
        let args = ["tmux", "-L", socket, "new-session", "-d", "-s", "t", "-x", "\(width)", "-y", "\(height)", "-c", cwd,
                    "env -u NO_COLOR TERM=xterm-256color PS1='$ ' bash --norc --noprofile"]
        try detached(args.map { "'\($0.replacingOccurrences(of: "'", with: "'\\''"))'" }.joined(separator: " ") + " >/dev/null 2>&1", cwd: cwd)
    }

    deinit { _ = try? tmux(["kill-server"]) }

    @discardableResult
    func tmux(_ args: [String]) throws -> String {
        try sh((["tmux", "-L", socket] + args).map { "'\($0.replacingOccurrences(of: "'", with: "'\\''"))'" }.joined(separator: " "), cwd: cwd)
    }

    func type(_ text: String, enter: Bool = true) throws {
        try tmux(["send-keys", "-t", "t", "-l", text])
        if enter { try tmux(["send-keys", "-t", "t", "Enter"]) }
    }

    func key(_ k: String) throws { try tmux(["send-keys", "-t", "t", k]) }

    /// The screen and scrollback as text (`escapes`: with colour codes).
    func screen(escapes: Bool = false) throws -> String {
        try tmux(["capture-pane", "-t", "t", "-p", "-S", "-200"] + (escapes ? ["-e"] : []))
    }

    /// Waits until the screen contains `text` (up to `seconds`).
    func waitFor(_ text: String, seconds: Double = 10) throws -> String {
        var last = ""
        if try eventually(within: seconds, {
            last = try screen()
            return last.contains(text)
        }) { return last }
        Issue.record("screen never showed \"\(text)\"; it shows:\n\(last)")
        return last
    }

    /// Waits until `text` shows below the last `marker`: a question asked
    /// again, which keys typed before it is drawn would not answer.
    func waitFor(_ text: String, after marker: String, seconds: Double = 10) throws -> String {
        var last = ""
        if try eventually(within: seconds, {
            last = try screen()
            guard let m = last.range(of: marker, options: .backwards) else { return false }
            return last[m.upperBound...].contains(text)
        }) { return last }
        Issue.record("screen never showed \"\(text)\" after \"\(marker)\"; it shows:\n\(last)")
        return last
    }
}

@Suite("muster in a real terminal (tmux)", .serialized)
struct TerminalTests {
    static let incident = """
    muster: 1
    name: incident
    title: Incident drill
    escalation:
      - after: 2s
        contact: Secondary on-call
    steps:
      - id: declare
        title: Declare the incident
        manual:
          - Open an incident
      - id: flaky
        title: Flaky step
        run: test -e fixed || { echo "not fixed yet" >&2; exit 1; }
      - id: long
        title: Long step
        run: for i in $(seq 1 40); do echo "tick $i"; sleep 0.25; done
        expect: 1s
      - id: last
        title: Last step
        run: echo all good
    """

    @Test func fullIncidentFlowWithRetryEscalationCtrlCAndResume() throws {
        let s = try Sandbox(["incident": Self.incident])
        let term = try Tmux(cwd: s.dir)
        try term.type("\(musterBinary) run incident")
        var screen = try term.waitFor("[ ] Open an incident")
        #expect(screen.contains("[1/4] Declare the incident"))
        #expect(screen.contains("step 1 of 4 · elapsed"))
        try term.type("y")
        screen = try term.waitFor("did not succeed. What now?")
        #expect(screen.contains("! not fixed yet"))
        // Fix the cause, retry.
        try "".write(toFile: s.dir + "/fixed", atomically: true, encoding: .utf8)
        try term.type("e")
        _ = try term.waitFor("Escalate to which rung?")
        try term.type("1")
        _ = try term.waitFor("What now?", after: "escalation recorded: Secondary on-call")
        try term.type("r")
        // The 2s rung passes while the long step runs: a banner says whom to call.
        _ = try term.waitFor("*** ESCALATE")
        try term.key("C-c")
        screen = try term.waitFor("stop 'long' now, or keep waiting?")
        try term.type("s")
        screen = try term.waitFor("stopped by the operator")
        _ = try term.waitFor("did not succeed. What now?")
        try term.type("a")
        screen = try term.waitFor("Continue with: muster resume")
        #expect(screen.contains("Call Secondary on-call"))

        // A new terminal, as after a dropped SSH session.
        let second = try Tmux(cwd: s.dir)
        try second.type("\(musterBinary) resume")
        screen = try second.waitFor("did not succeed. What now?")
        #expect(!screen.contains("[ ] Open an incident"), "a confirmed item was asked again")
        try second.type("r")
        screen = try second.waitFor("completed after", seconds: 20)
        #expect(screen.contains("tick 40"))
        #expect(screen.contains("all good"))
        let events = try s.journal()
        #expect(events.contains { $0["event"] as? String == "escalated" && $0["contact"] as? String == "Secondary on-call" })
        #expect(events.last?["event"] as? String == "run_finished")
    }

    @Test func colourOnATerminalButNotWithNoColor() throws {
        let s = try Sandbox(["incident": Self.incident])
        let term = try Tmux(cwd: s.dir)
        try term.type("\(musterBinary) run incident")
        _ = try term.waitFor("[ ] Open an incident")
        #expect(try term.screen(escapes: true).contains("\u{1B}["))
        try term.type("a")
        _ = try term.waitFor("Continue with")
        try term.type("clear; NO_COLOR=1 \(musterBinary) resume")
        _ = try term.waitFor("[ ] Open an incident")
        let plain = try term.screen(escapes: true)
        let afterClear = plain.components(separatedBy: "NO_COLOR=1").last ?? plain
        #expect(!afterClear.contains("\u{1B}[1m") && !afterClear.contains("\u{1B}[2m"))
        try term.type("a")
    }

    /// A secret answer typed on a terminal is not echoed, and the steps
    /// after it print `***` where it stands.
    @Test func aSecretAnswerIsNotEchoed() throws {
        let s = try Sandbox(["vault": SecretAskTests.runbook])
        let term = try Tmux(cwd: s.dir)
        try term.type("\(musterBinary) run vault; echo \"exit\"\"=$?\"")
        _ = try term.waitFor("[ ] Open the key envelope")
        try term.type("y")
        _ = try term.waitFor("Vault unseal key")
        try term.type(SecretAskTests.key)
        _ = try term.waitFor("[ ] The vault pods are up")
        try term.type("y")
        let screen = try term.waitFor("exit=")
        #expect(screen.contains("exit=0"), "\(screen)")
        #expect(screen.contains("unsealing with ***"), "\(screen)")
        #expect(!screen.contains(SecretAskTests.key), "\(screen)")
        #expect(try String(contentsOfFile: s.dir + "/got.txt", encoding: .utf8) == SecretAskTests.key)
        // The terminal echoes again afterwards.
        try term.type("echo typed-after")
        #expect(try term.waitFor("echo typed-after").contains("echo typed-after"))
    }

    @Test func ctrlCAtAPromptPausesTheRun() throws {
        let s = try Sandbox(["incident": Self.incident])
        let term = try Tmux(cwd: s.dir)
        // Quoted apart so the typed command line itself never shows "exit=".
        try term.type("\(musterBinary) run incident; echo \"exit\"\"=$?\"")
        _ = try term.waitFor("[ ] Open an incident")
        try term.key("C-c")
        let screen = try term.waitFor("exit=")
        #expect(screen.contains("exit=3"))
        #expect(screen.contains("paused: interrupted (SIGINT)"))
    }

    /// A training drill as a trainee sees it: the banner, the RTO at each
    /// prompt, the injected fault, their escalation, and the verdict.
    @Test func aTrainingDrillOnScreen() throws {
        let described = Self.incident.replacingOccurrences(of: "title: Incident drill\n",
                                                           with: "title: Incident drill\ndescription: |\n  Restores the service.\n\n  Page the **commander** first.\n")
        let s = try Sandbox(["incident": described])
        try FileManager.default.createDirectory(atPath: s.dir + "/drills", withIntermediateDirectories: true)
        try """
        muster: 1
        drill: incident-training
        runbook: incident
        description: "Scenario: the primary went dark at 02:40."
        rto: 10m
        faults:
          - step: flaky
            fail: "AccessDenied: you are not allowed to do that"
            times: 1
        expect_escalation:
          within: 5m
          contact: Secondary on-call
        """.write(toFile: s.dir + "/drills/incident-training.yaml", atomically: true, encoding: .utf8)
        try "".write(toFile: s.dir + "/fixed", atomically: true, encoding: .utf8)
        let term = try Tmux(cwd: s.dir)
        try term.type("\(musterBinary) drill incident-training")
        var screen = try term.waitFor("[ ] Open an incident")
        #expect(screen.contains("DRILL incident-training · live: automated steps really run · RTO 10m · not a real incident"))
        #expect(screen.contains("RTO 10m:"))
        // The scenario under the banner, then the runbook's description, before the first step.
        #expect(screen.contains(" · 4 steps\n\nScenario: the primary went dark at 02:40.\n\nRestores the service.\n\nPage the **commander** first.\n\n[1/4] Declare the incident"), "\(screen)")
        try term.type("y")
        screen = try term.waitFor("did not succeed. What now?")
        // The fault shows the command, as a real failure would.
        #expect(screen.contains("    $ test -e fixed || { echo \"not fixed yet\" >&2; exit 1; }\n    ! AccessDenied: you are not allowed to do that\n"), "\(screen)")
        #expect(screen.contains(": exited with status 1"))
        try term.type("e")
        _ = try term.waitFor("Escalate to which rung?")
        try term.type("1")
        _ = try term.waitFor("What now?", after: "escalation recorded: Secondary on-call")
        try term.type("r")
        screen = try term.waitFor("Record written:", seconds: 30)
        #expect(screen.contains("Drill incident-training (live): recovered after"))
        #expect(screen.contains("RTO 10m met"))
        #expect(screen.contains("Training: escalated to Secondary on-call"))
        #expect(screen.contains("in time, the right rung"))
        #expect(screen.contains("Fault injected at flaky"))
    }
}

extension TerminalTests {
    /// Two branches at a real terminal: one runs and prints, its lines
    /// named by its branch, while the other's checklist is asked, and the
    /// question's status line says what runs beside it. The running
    /// branch ends only once the answer is journaled: it ran meanwhile.
    @Test func twoBranchesRunWhileOneAsksAndTheQuestionNamesWhatRunsBesideIt() throws {
        let s = try Sandbox(["par": """
        muster: 1
        name: par
        title: Parallel at a terminal
        steps:
          - id: rebuild
            title: Rebuild
            parallel:
              branches:
                - id: build
                  title: Build the cluster
                  run: 'echo building; until grep -q item_answered .muster/runs/*/journal.jsonl; do sleep 0.1; done; echo built'
                  timeout: 60s
                - id: tell
                  title: Tell the channel
                  manual: [Post that the failover began]
        """])
        let term = try Tmux(cwd: s.dir)
        try term.type("\(musterBinary) run par")
        var screen = try term.waitFor("[ ] Post that the failover began")
        #expect(screen.contains("running beside it: [build] rebuild/build"), "\(screen)")
        #expect(screen.contains("Tell the channel  manual · rebuild/tell"))
        // Its lines are held while the question waits (none is drawn over
        // the prompt), and it cannot end before the answer is journaled.
        #expect(!screen.contains("[build] built"), "the branch waits for the answer")
        try term.type("y")
        screen = try term.waitFor("completed after", seconds: 20)
        // At a terminal a branch's lines are its live line, not a scroll
        // of lines; they are kept whole in its own step's log.
        #expect(screen.contains("[build] 'rebuild/build' ended"), "\(screen)")
        #expect(!screen.contains("[build] built"), "\(screen)")
        let log = try s.run(["log", try s.runID(), "--output", "rebuild/build"])
        #expect(log.stdout == "building\nbuilt\n", "\(log.stdout)")
        let ends = try s.journal().filter { $0["event"] as? String == "step_finished" }.compactMap { $0["step"] as? String }
        #expect(ends == ["rebuild/tell", "rebuild/build", "rebuild"])
    }

    /// Two branches printing at once at a real terminal: one live line
    /// each (its branch, title, time, last line), redrawn in place, so the
    /// screen holds two lines for them, not a scroll of both outputs.
    @Test func eachRunningBranchHasOneLiveLineRedrawnInPlace() throws {
        let s = try Sandbox(["live": """
        muster: 1
        name: live
        title: Live lines
        steps:
          - id: rebuild
            title: Rebuild
            parallel:
              branches:
                - id: cluster
                  title: Create the cluster
                  run: 'for i in 1 2 3 4 5 6; do echo cluster-$i; [ $i = 3 ] && until [ -e go ]; do sleep 0.1; done; sleep 0.2; done'
                  timeout: 60s
                - id: database
                  title: Restore the database
                  run: 'for i in 1 2 3 4 5 6; do echo database-$i; [ $i = 3 ] && until [ -e go ]; do sleep 0.1; done; sleep 0.2; done'
                  timeout: 60s
        """])
        let term = try Tmux(cwd: s.dir)
        try term.type("\(musterBinary) run live")
        // Both at their third line, held there until the test says go.
        var screen = try term.waitFor("database-3", seconds: 20)
        screen = try term.waitFor("cluster-3", seconds: 10)
        let live = screen.split(separator: "\n").filter { $0.contains("[cluster] Create the cluster ·") || $0.contains("[database] Restore the database ·") }
        #expect(live.count == 2, "one live line per branch: \(screen)")
        #expect(live.contains { $0.hasSuffix("· cluster-3") } && live.contains { $0.hasSuffix("· database-3") }, "\(screen)")
        #expect(!screen.contains("cluster-1") && !screen.contains("database-2"), "earlier lines are redrawn over, not scrolled: \(screen)")
        try "".write(toFile: s.dir + "/go", atomically: true, encoding: .utf8)
        screen = try term.waitFor("completed after", seconds: 20)
        #expect(!screen.contains("Create the cluster ·"), "the live lines are gone once both ended: \(screen)")
        #expect(screen.contains("[cluster] 'rebuild/cluster' ended") && screen.contains("[database] 'rebuild/database' ended"), "\(screen)")
        let log = try s.run(["log", try s.runID(), "--output", "rebuild/database"])
        #expect(log.stdout == (1...6).map { "database-\($0)\n" }.joined(), "\(log.stdout)")
    }
}
