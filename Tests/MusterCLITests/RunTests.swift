import Foundation
import MusterEngine
import MusterJournal
import MusterTestSupport
import Testing

/// A runbook repository in a temporary folder (outside git), with its own
/// state folder, for driving `muster run` through a pipe.
struct Sandbox {
    let dir: String

    init(_ runbooks: [String: String]) throws {
        dir = try temporaryDirectory()
        try FileManager.default.createDirectory(atPath: dir + "/runbooks", withIntermediateDirectories: true)
        for (name, text) in runbooks {
            try text.write(toFile: "\(dir)/runbooks/\(name).yaml", atomically: true, encoding: .utf8)
        }
    }

    func run(_ args: [String], stdin: String = "", env: [String: String] = [:]) throws -> Result {
        try muster(args, cwd: dir, stdin: stdin, env: env)
    }

    /// Every file the runs wrote, as text.
    func stateFiles() throws -> [(String, String)] {
        let root = dir + "/.muster"
        guard let e = FileManager.default.enumerator(atPath: root) else { return [] }
        var out: [(String, String)] = []
        for case let p as String in e {
            let full = root + "/" + p
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: full, isDirectory: &isDir), !isDir.boolValue {
                out.append((p, (try? String(contentsOfFile: full, encoding: .utf8)) ?? ""))
            }
        }
        return out
    }

    func journal() throws -> [[String: Any]] {
        // The runs folder may be there a moment before the run's own (a
        // test polling for the first event must not crash on it).
        guard let last = try FileManager.default.contentsOfDirectory(atPath: dir + "/.muster/runs").sorted().last else { throw NoRunYet() }
        let text = try String(contentsOfFile: "\(dir)/.muster/runs/\(last)/journal.jsonl", encoding: .utf8)
        return try text.split(separator: "\n").map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
    }

    func exists(_ p: String) -> Bool { FileManager.default.fileExists(atPath: dir + "/" + p) }

    /// The newest run's id.
    func runID() throws -> String {
        try FileManager.default.contentsOfDirectory(atPath: dir + "/.muster/runs").sorted().last ?? ""
    }

    struct NoRunYet: Error {}
}

@Suite("muster run through a pipe")
struct RunTests {
    static let checklist = FeatureRunbooks.checklist

    @Test func checklistAnswersAndAskValuesFlowIntoCommands() throws {
        let s = try Sandbox(["check": Self.checklist])
        let r = try s.run(["run", "check"], stdin: "y\n\nINC-42\n")
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(try String(contentsOfFile: s.dir + "/incident.txt", encoding: .utf8) == "incident INC-42\n")
        #expect(r.stdout.contains("[1/2] Declare the incident"))
        #expect(r.stdout.contains("next escalation at 30m: Secondary on-call"))
        let events = try s.journal().map { $0["event"] as! String }
        #expect(events.first == "run_started" && events.last == "run_finished")
        #expect(events.filter { $0 == "item_answered" }.count == 2)
    }

    @Test func endOfInputPausesWithExitThreeAndResumeAsksOnlyWhatIsLeft() throws {
        let s = try Sandbox(["check": Self.checklist])
        let first = try s.run(["run", "check"], stdin: "y\n")
        #expect(first.status == 3)
        #expect(first.stdout.contains("Continue with: muster resume"))
        let runs = try s.run(["runs"])
        #expect(runs.stdout.contains("paused"))
        let second = try s.run(["resume"], stdin: "y\nINC-7\n")
        #expect(second.status == 0, "\(second.stdout)\(second.stderr)")
        #expect(!second.stdout.contains("[ ] Open an incident"))
        #expect(second.stdout.contains("[ ] Page the incident commander"))
        let nothing = try s.run(["resume"])
        #expect(nothing.status == 2)
        #expect(nothing.stderr.contains("nothing to resume"))
    }

    @Test func parameterValuesAreOneShellWordAndRunNothing() throws {
        let s = try Sandbox(["inject": """
        muster: 1
        name: inject
        title: Injection
        params:
          value: {}
        steps:
          - id: echo
            title: Echo
            run: printf '%s\\n' {{ value }} > out.txt; printf '%s\\n' "$VALUE" > env.txt
        """])
        let hostile = "x'; touch pwned; echo '"
        let r = try s.run(["run", "inject", "-p", "value=\(hostile)", "--yes"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(!s.exists("pwned"))
        #expect(try String(contentsOfFile: s.dir + "/out.txt", encoding: .utf8) == hostile + "\n")
        #expect(try String(contentsOfFile: s.dir + "/env.txt", encoding: .utf8) == hostile + "\n")
    }

    @Test func secretsNeverReachTheScreenOrAnyFileTheRunWrote() throws {
        let secret = "hunter2-very-secret"
        let s = try Sandbox(["sec": """
        muster: 1
        name: sec
        title: Secrets
        secrets:
          API_TOKEN: {env: API_TOKEN}
        steps:
          - id: leak
            title: Leak it
            run: |
              echo "token=$API_TOKEN"
              echo "again $API_TOKEN" >&2
              echo "{\\"token\\": \\"$API_TOKEN\\"}"
            outputs:
              tok: {json: token}
          - id: fail
            title: Fail with it
            run: echo "failing with $API_TOKEN"; exit 4
        """])
        let r = try s.run(["run", "sec"], stdin: "a\n", env: ["API_TOKEN": secret])
        #expect(r.status == 3)
        #expect(r.stdout.contains("token=***"))
        #expect(!r.stdout.contains(secret) && !r.stderr.contains(secret))
        let files = try s.stateFiles()
        #expect(!files.isEmpty)
        for (name, text) in files { #expect(!text.contains(secret), "secret found in \(name)") }
        let log = try s.run(["log", try s.journal().first!["run"].flatMap { ($0 as? [String: Any])?["run_id"] as? String } ?? ""])
        #expect(!log.stdout.contains(secret))
    }

    @Test func aMissingSecretStopsBeforeTheFirstStep() throws {
        let s = try Sandbox(["sec": """
        muster: 1
        name: sec
        title: Secrets
        secrets:
          DEPLOY_TOKEN: {env: MUSTER_TEST_ABSENT_TOKEN, description: token with deploy rights}
        steps:
          - id: touch
            title: Touch
            run: touch ran
        """])
        let r = try s.run(["run", "sec", "--yes"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("DEPLOY_TOKEN (set environment variable MUSTER_TEST_ABSENT_TOKEN)"))
        #expect(!s.exists("ran"))
    }

    @Test func dryRunShowsCommandsWithValuesAndRunsNothing() throws {
        let s = try Sandbox(["dry": """
        muster: 1
        name: dry
        title: Dry
        params:
          region: {default: eu-north-1}
        steps:
          - id: touch
            title: Touch
            run: touch ran-{{ region }}
        """])
        let r = try s.run(["run", "dry", "--dry-run"])
        #expect(r.status == 0)
        #expect(r.stdout.contains("$ touch ran-eu-north-1"))
        #expect(!s.exists("ran-eu-north-1"))
        #expect(!s.exists(".muster"))
    }

    @Test func aParameterOutsideItsChoicesStopsTheRun() throws {
        let s = try Sandbox(["p": """
        muster: 1
        name: p
        title: P
        params:
          region: {choices: [eu-central-1, eu-north-1]}
        steps:
          - id: touch
            title: Touch
            run: touch ran
        """])
        let r = try s.run(["run", "p", "-p", "region=us-east-1"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("'us-east-1' is not one of the choices for 'region'"))
        let asked = try s.run(["run", "p", "--yes"], stdin: "eu-north-1\n")
        #expect(asked.status == 0)
        #expect(asked.stdout.contains("Value for parameter 'region'"))
    }

    @Test func aTimeoutStopsTheWholeProcessGroup() throws {
        let s = try Sandbox(["slow": """
        muster: 1
        name: slow
        title: Slow
        steps:
          - id: hang
            title: Hang
            run: (sleep 37; touch late) & sleep 37
            timeout: 1s
            on_failure: abort
        """])
        let r = try s.run(["run", "slow"])
        #expect(r.status == 1)
        #expect(r.stdout.contains("timed out after 1s"))
        let ps = try sh("ps -eo pgid,args | grep -c '[s]leep 37' || true", cwd: s.dir)
        #expect(ps.trimmingCharacters(in: .whitespacesAndNewlines) == "0", "a child of the timed-out step is still running")
    }

    @Test func resumeRefusesARunbookThatChangedUnlessForced() throws {
        let s = try Sandbox(["check": Self.checklist])
        #expect(try s.run(["run", "check"]).status == 3)
        try (Self.checklist + "\n  - id: extra\n    title: Extra\n    run: \"true\"\n").write(toFile: s.dir + "/runbooks/check.yaml", atomically: true, encoding: .utf8)
        let refused = try s.run(["resume"], stdin: "y\ny\nINC\n")
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("changed since run"))
        let forced = try s.run(["resume", "--force"], stdin: "y\ny\nINC\n")
        #expect(forced.status == 0, "\(forced.stdout)\(forced.stderr)")
    }

    /// Replay re-checks decisions: a journal whose next step is not what
    /// this release's machine would have done is not resumed blind.
    @Test func resumeRefusesAJournalWhoseDecisionsThisReleaseWouldNotMakeUnlessForced() throws {
        let s = try Sandbox(["check": Self.checklist])
        #expect(try s.run(["run", "check"]).status == 3)
        let runs = s.dir + "/.muster/runs"
        let id = try #require(try FileManager.default.contentsOfDirectory(atPath: runs).first { !$0.hasPrefix(".") })
        // The second step begun while the first's checklist is unanswered:
        // chained like any event (the chain is intact), but no machine of
        // this release goes there.
        let path = "\(runs)/\(id)/journal.jsonl"
        let state = RunState(replaying: try FileJournal.read(path: path).events)
        let journal = try FileJournal(path: path)
        var e = JournalEvent(seq: state.lastSeq + 1, at: "2026-12-05T19:00:00Z", t: state.lastT + 1, event: .stepStarted)
        e.step = "record"
        e.attempt = 1
        e.text = "run"
        try journal.append(e)
        let refused = try s.run(["resume"], stdin: "y\ny\nINC\n")
        #expect(refused.status == 2, "\(refused.stdout)\(refused.stderr)")
        #expect(refused.stderr.contains("journal records a decision this release of Muster would not make: event \(e.seq) (step_started of 'record')"), "\(refused.stderr)")
        #expect(refused.stderr.contains("muster log \(id)") && refused.stderr.contains("--force"))
        #expect(!refused.stdout.contains("Open an incident"), "the refused resume asked something")
        let forced = try s.run(["resume", "--force"], stdin: "y\ny\nINC\nr\n")
        #expect(forced.status == 0, "\(forced.stdout)\(forced.stderr)")
        #expect(try String(contentsOfFile: s.dir + "/incident.txt", encoding: .utf8) == "incident INC\n")
    }

    @Test func resumeRefusesWhenAnIncludedRunbookChanged() throws {
        let child = """
        muster: 1
        name: child
        title: Child
        steps:
          - id: one
            title: One
            run: "true"
        """
        let s = try Sandbox([
            "parent": """
            muster: 1
            name: parent
            title: Parent
            steps:
              - id: check
                title: Check
                manual: [Ready]
              - id: child
                title: Child
                runbook: child
            """,
            "child": child,
        ])
        #expect(try s.run(["run", "parent"]).status == 3)
        try (child + "\n  - id: two\n    title: Two\n    run: \"true\"\n").write(toFile: s.dir + "/runbooks/child.yaml", atomically: true, encoding: .utf8)
        let refused = try s.run(["resume"], stdin: "y\n")
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("included runbook child changed since run"))
        #expect(try s.run(["resume", "--force"], stdin: "y\n").status == 0)
    }

    @Test func aBackgroundChildDoesNotHoldTheStepOpenAndARedirectingScriptStillTimesOut() throws {
        let s = try Sandbox(["bg": """
        muster: 1
        name: bg
        title: Background
        steps:
          - id: bg
            title: Leaves a child behind
            run: sleep 30 & echo started
            timeout: 20s
          - id: redirect
            title: Redirects its own output
            run: exec >/dev/null 2>&1; sleep 30
            timeout: 1s
            on_failure: continue
        """])
        let r = try s.run(["run", "bg", "--yes"])
        #expect(r.status == 1)
        let steps = try s.journal().filter { $0["event"] as? String == "step_finished" }
        #expect(steps.first?["outcome"] as? String == "done")
        #expect((steps.first?["seconds"] as? Double ?? 99) < 5, "the step waited for its background child")
        #expect(r.stdout.contains("timed out after 1s"))
    }

    @Test func aParameterAnswerThatDoesNotFitIsAskedAgain() throws {
        let s = try Sandbox(["p": """
        muster: 1
        name: p
        title: P
        params:
          region: {choices: [eu-central-1, eu-north-1]}
        steps:
          - id: echo
            title: Echo
            run: echo "$REGION" > region.txt
        """])
        let r = try s.run(["run", "p", "--yes"], stdin: "mars\neu-north-1\n")
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("'mars' is not one of the choices for 'region'"))
        #expect(try String(contentsOfFile: s.dir + "/region.txt", encoding: .utf8) == "eu-north-1\n")
    }

    @Test func logAndRunsDescribeTheRun() throws {
        let s = try Sandbox(["check": Self.checklist])
        #expect(try s.run(["run", "check"], stdin: "y\ny\nINC-5\n").status == 0)
        let runs = try s.run(["runs", "--json"])
        let list = try JSONSerialization.jsonObject(with: Data(runs.stdout.utf8)) as? [[String: Any]]
        #expect(list?.first?["state"] as? String == "completed")
        let id = list?.first?["run_id"] as? String ?? ""
        let log = try s.run(["log", id])
        #expect(log.status == 0)
        #expect(log.stdout.contains("answered  declare  incident=INC-5"))
        let missing = try s.run(["log", "nope"])
        #expect(missing.status == 2)
    }
}

@Suite("signals pause a run cleanly")
struct SignalTests {
    /// SIGINT with nobody at a terminal to ask, and SIGQUIT (which would
    /// otherwise end Muster as a crash, its lock held), count as SIGTERM.
    /// (SIGHUP leaves the step running: HangUpTests.)
    @Test(arguments: [SIGTERM, SIGINT, SIGQUIT])
    func aSignalDuringAStepPausesWithExitThree(signal: Int32) throws {
        let s = try Sandbox(["slow": """
        muster: 1
        name: slow
        title: Slow
        steps:
          - id: wait
            title: Wait
            run: touch started; sleep 20; touch finished
          - id: after
            title: After
            run: "true"
        """])
        let p = Process()
        p.executableURL = URL(fileURLWithPath: musterBinary)
        p.arguments = ["run", "slow", "--yes"]
        p.currentDirectoryURL = URL(fileURLWithPath: s.dir)
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        p.standardInput = FileHandle.nullDevice
        try p.run()
        #expect(eventually(within: 10) { s.exists("started") })
        kill(p.processIdentifier, signal)
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus == 3, "\(text)")
        #expect(!s.exists("finished"), "the step's process group should have been stopped")
        let events = try s.journal()
        #expect(events.last?["event"] as? String == "run_paused")
        let name = [SIGTERM: "SIGTERM", SIGINT: "SIGINT", SIGQUIT: "SIGQUIT"][signal]!
        let attempt = events.first { $0["event"] as? String == "attempt_finished" }
        #expect(attempt?["text"] as? String == "stopped by \(name)")
        #expect((events.last?["text"] as? String)?.contains(name) == true, "\(events.last ?? [:])")
        #expect(text.contains("stopped by \(name)"))
        #expect(!text.contains("crashed"), "\(text)")
        #expect(text.contains("Continue with: muster resume"))
    }
}
