import Foundation
import MusterDrills
import MusterTestSupport
import Testing

/// Groups, `finally` and `deadline` as an operator meets them through a
/// pipe: keys under the group, a pause inside it that resumes there, the
/// cleanup that runs after an abort, and every prompt past the deadline.
@Suite("muster run: groups, finally and the deadline")
struct FlowRunTests {
    static let flow = """
    muster: 1
    name: flow
    title: Flow
    steps:
      - id: first
        title: First
        run: echo one
      - id: rebuild
        title: Rebuild
        steps:
          - {id: create, title: Create, run: 'echo created > created.txt'}
          - {id: confirm, title: Confirm, manual: [The cluster is up]}
          - {id: deploy, title: Deploy, run: 'exit 4', on_failure: abort}
      - id: never
        title: Never reached
        run: touch never.txt
    finally:
      - id: cleanup
        title: Clean up
        run: echo cleaned > cleaned.txt
    """

    @Test func aPauseInsideAGroupResumesThereAndFinallyRunsOnlyWhenTheRunEnds() throws {
        let s = try Sandbox(["flow": Self.flow])
        let first = try s.run(["run", "flow"])
        #expect(first.status == 3, "end of input at the checklist pauses: \(first.stdout)\(first.stderr)")
        #expect(first.stdout.contains("Rebuild  steps · rebuild"))
        #expect(first.stdout.contains("Create  run · rebuild/create"))
        #expect(s.exists("created.txt"))
        #expect(!s.exists("cleaned.txt"), "a paused run has not ended: its finally steps wait")

        let second = try s.run(["resume"], stdin: "y\n", env: ["NO_COLOR": "1"])
        #expect(second.status == 1, "\(second.stdout)\(second.stderr)")
        #expect(second.stdout.contains("✓ rebuild/create: Create"), "the recap lists it")
        #expect(!second.stdout.contains("Create  run · rebuild/create"), "a finished step of the group is not run again")
        #expect(second.stdout.contains("finally: the steps that always run"))
        #expect(second.stdout.contains("Run \(try s.runID()) failed: step 'rebuild/deploy' exited with status 4"))
        #expect(s.exists("cleaned.txt"), "the abort ends the steps, not the cleanup")
        #expect(!s.exists("never.txt"))
        let finished = try s.journal().filter { $0["event"] as? String == "step_finished" }.map { "\($0["step"]!) \($0["outcome"]!)" }
        #expect(finished == ["first done", "rebuild/create done", "rebuild/confirm done", "rebuild/deploy failed", "cleanup done"])
        let end = try s.journal().last
        #expect(end?["event"] as? String == "run_finished" && end?["outcome"] as? String == "failed")
    }

    @Test func pastTheDeadlineEveryPromptSaysSoAndOffersTheLadder() throws {
        let s = try Sandbox(["late": """
        muster: 1
        name: late
        title: Late
        deadline: 1s
        escalation:
          - after: 1h
            contact: Incident commander
        steps:
          - {id: slow, title: Slow, run: sleep 1.5}
          - {id: check, title: Check, manual: [Look at the dashboards]}
        """])
        let r = try s.run(["run", "late"], stdin: "e\n1\ny\n")
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("[PAST THE DEADLINE of 1s by"), "\(r.stdout)")
        #expect(r.stdout.contains("answer e to escalate"))
        let escalated = try s.journal().first { $0["event"] as? String == "escalated" }
        #expect(escalated?["contact"] as? String == "Incident commander")
    }

    static let loop = """
    muster: 1
    name: loop
    title: Loop
    steps:
      - id: list
        title: List the services
        run: echo "$SERVICES"
        outputs: {services: {regex: '(?s)(.*)'}}
      - id: redeploy
        title: Redeploy {{ service }}
        for_each: {in: services, as: service}
        run: echo {{ service }} >> deployed.txt
      - id: check
        title: Check
        manual: [The services answer]
    """

    @Test func aLoopRepeatsOverTheItemsItsStartFixedAlsoAfterAResume() throws {
        let s = try Sandbox(["loop": Self.loop])
        let first = try s.run(["run", "loop"], env: ["SERVICES": "[\"api\", \"web\"]", "NO_COLOR": "1"])
        #expect(first.status == 3, "\(first.stdout)\(first.stderr)")
        #expect(first.stdout.contains("Redeploy each service  run · redeploy"))
        #expect(first.stdout.contains("for each of 2 items: api, web"))
        #expect(first.stdout.contains("Redeploy web  run · redeploy[web]"))
        #expect(try String(contentsOfFile: s.dir + "/deployed.txt", encoding: .utf8) == "api\nweb\n")
        let started = try s.journal().first { $0["event"] as? String == "step_started" && $0["step"] as? String == "redeploy" }
        #expect(started?["items"] as? [String] == ["api", "web"])
        let second = try s.run(["resume"], stdin: "y\n")
        #expect(second.status == 0, "\(second.stdout)\(second.stderr)")
        #expect(second.stdout.contains("✓ redeploy[web]: Redeploy web"), "the recap names each item: \(second.stdout)")
        #expect(try String(contentsOfFile: s.dir + "/deployed.txt", encoding: .utf8) == "api\nweb\n", "no item runs twice")
    }

    @Test func anItemThatIsNotANameFailsTheLoopBeforeAnythingRuns() throws {
        let s = try Sandbox(["loop": Self.loop])
        let r = try s.run(["run", "loop", "--yes"], env: ["SERVICES": "api\n'; touch pwned; '\n"])
        #expect(r.status == 1, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("for_each cannot repeat over {{ services }}: item ''; touch pwned; '' is not a name of letters, digits and . _ : @ -"), "\(r.stdout)")
        #expect(!s.exists("deployed.txt") && !s.exists("pwned"))
    }

    static let conditions = """
    muster: 1
    name: cond
    title: Conditions
    params:
      region: {default: eu-west-1}
      limit: {default: x}
    steps:
      - id: measure
        title: Measure the lag
        run: echo lag=42
        outputs: {lag_seconds: {regex: 'lag=(\\d+)', type: int}}
      - id: promote
        title: Promote the replica
        when: lag_seconds < 30 and mode != "rehearsal"
        run: touch promoted.txt
      - id: restore
        title: Restore the snapshot
        when: steps.promote.outcome == "skipped" and mode == "incident"
        run: touch restored.txt
      - id: word
        title: Compare a word
        when: region < limit
        run: touch never.txt
    """

    @Test func aFalseConditionSkipsSayingWhyAndOneThatCannotBeDecidedAsks() throws {
        let s = try Sandbox(["cond": Self.conditions])
        let r = try s.run(["run", "cond"], stdin: "s cannot compare\n", env: ["NO_COLOR": "1"])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("↷ skipped: lag_seconds < 30 and mode != \"rehearsal\" is false (lag_seconds = 42)"), "\(r.stdout)")
        #expect(!s.exists("promoted.txt") && s.exists("restored.txt") && !s.exists("never.txt"))
        #expect(r.stdout.contains("its condition could not be evaluated: cannot decide 'when: region < limit'"))
        #expect(r.stdout.contains("Step 'word' did not succeed. What now?"))
        let checked = try s.journal().filter { $0["event"] as? String == "condition_checked" }
        #expect(checked.map { "\($0["step"]!) \($0["value"] ?? "-")" } == ["promote false", "restore true", "word -"])
        #expect(checked.first?["seen"] as? [String: String] == ["lag_seconds": "42", "mode": "incident"] || checked.first?["seen"] as? [String: String] == ["lag_seconds": "42"])
        let promote = try s.journal().first { $0["event"] as? String == "step_finished" && $0["step"] as? String == "promote" }
        #expect(promote?["outcome"] as? String == "skipped")
        #expect((promote?["text"] as? String)?.hasPrefix("skipped: lag_seconds < 30") == true)
    }

    @Test func validateFindsUnknownNamesAndSecretsInAConditionAtTheirPlace() throws {
        let s = try Sandbox(["bad": """
        muster: 1
        name: bad
        title: Bad
        secrets:
          TOKEN: {env: TOKEN}
        steps:
          - {id: measure, title: Measure, run: echo lag=1, outputs: {lag_seconds: {regex: 'lag=(.*)'}}}
          - id: promote
            title: Promote
            when: lag_second < 30 or TOKEN == "x"
            run: echo promote
        """])
        let r = try s.run(["validate", "runbooks/bad.yaml"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("runbooks/bad.yaml:10:11: error:") && r.stderr.contains("did you mean 'lag_seconds'?"), "\(r.stderr)")
        #expect(r.stderr.contains("runbooks/bad.yaml:10:30: error:") && r.stderr.contains("secret"), "\(r.stderr)")
    }

    @Test func preflightChecksWhatStepsInGroupsAndFinallyNeed() throws {
        let s = try Sandbox(["pre": """
        muster: 1
        name: pre
        title: Preflight reaches every step
        secrets:
          DEPLOY_KEY: {env: DEPLOY_KEY_ENV}
        steps:
          - id: rebuild
            title: Rebuild
            steps:
              - {id: probe-dead, title: A host that is down, http: {url: "http://127.0.0.1:9/health"}}
        finally:
          - {id: cleanup, title: Clean up, run: 'test -n "$DEPLOY_KEY"'}
        """])
        let r = try s.run(["preflight", "pre"], env: ["NO_COLOR": "1"])
        #expect(r.status == 1, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("✗ http://127.0.0.1:9/ resolves and answers"), "\(r.stdout)")
        #expect(r.stdout.contains("needed by: rebuild/probe-dead"))
        #expect(r.stdout.contains("✗ secret DEPLOY_KEY is set (environment variable DEPLOY_KEY_ENV)"))
        #expect(r.stdout.contains("needed by: cleanup"))
    }

    @Test func aRunbookIncludedInsideAGroupIsLoadedValidatedAndRun() throws {
        let s = try Sandbox([
            "outer": """
            muster: 1
            name: outer
            title: Outer
            steps:
              - id: rebuild
                title: Rebuild
                steps:
                  - {id: db, title: Restore the database, runbook: inner, with: {region: eu-central-1}}
            """,
            "inner": """
            muster: 1
            name: inner
            title: Inner
            params:
              region: {required: true}
            steps:
              - {id: restore, title: Restore, run: 'echo {{ region }} > restored.txt'}
            """,
            "broken": """
            muster: 1
            name: broken
            title: Broken
            steps:
              - id: g
                title: G
                steps:
                  - {id: db, title: Missing, runbook: no-such-runbook}
            """,
        ])
        let r = try s.run(["run", "outer"])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("Restore  run · rebuild/db/restore"))
        #expect(try String(contentsOfFile: s.dir + "/restored.txt", encoding: .utf8) == "eu-central-1\n")
        let v = try s.run(["validate", "runbooks/broken.yaml"])
        #expect(v.status == 1)
        #expect(v.stderr.contains("step 'db' runs runbook 'no-such-runbook', which does not exist"), "\(v.stderr)")
    }

    @Test func aDrillRecordOfGroupsLoopsAndIncludesVerifiesAndAChangedParentIsCaught() throws {
        let s = try Sandbox([
            "flowdrill": """
            muster: 1
            name: flowdrill
            title: Flow drill
            steps:
              - id: rebuild
                title: Rebuild
                steps:
                  - {id: create, title: Create, run: 'true'}
                  - {id: db, title: Database, runbook: inner}
              - {id: redeploy, title: "Redeploy {{ service }}", for_each: {in: [api, web], as: service}, run: 'true'}
            """,
            "inner": """
            muster: 1
            name: inner
            title: Inner
            steps:
              - {id: restore, title: Restore, run: 'true'}
            """,
        ])
        try FileManager.default.createDirectory(atPath: s.dir + "/drills", withIntermediateDirectories: true)
        try "muster: 1\ndrill: flow-drill\nrunbook: flowdrill\nrto: 10m\n".write(toFile: s.dir + "/drills/flow-drill.yaml", atomically: true, encoding: .utf8)
        let d = try s.run(["drill", "flow-drill"])
        #expect(d.status == 0, "\(d.stdout)\(d.stderr)")
        let dir = s.dir + "/drills/records/flow-drill"
        let file = dir + "/" + (try FileManager.default.contentsOfDirectory(atPath: dir).first ?? "")
        let text = try String(contentsOfFile: file, encoding: .utf8)
        let record = try JSONDecoder().decode(DrillRecord.self, from: Data(text.utf8))
        #expect(record.steps.map(\.id) == ["rebuild", "rebuild/create", "rebuild/db", "rebuild/db/restore", "redeploy", "redeploy[api]", "redeploy[web]"])
        #expect(record.steps.map(\.parent) == [nil, "rebuild", "rebuild", "rebuild/db", nil, "redeploy", "redeploy"])
        let ok = try s.run(["verify", file])
        #expect(ok.status == 0 && ok.stdout.contains("matches its journal"), "\(ok.stdout)\(ok.stderr)")

        // A step moved under another parent by hand is an edit.
        try text.replacingOccurrences(of: #""parent": "rebuild/db""#, with: #""parent": "rebuild""#).write(toFile: file, atomically: true, encoding: .utf8)
        let moved = try s.run(["verify", file])
        #expect(moved.status == 1 && moved.stderr.contains("the record was altered"), "\(moved.stdout)\(moved.stderr)")

        // A record written before steps named their parent still matches its journal.
        var old = record
        for i in old.steps.indices { old.steps[i].parent = nil }
        let runs = try FileManager.default.contentsOfDirectory(atPath: s.dir + "/.muster/runs")
        let journal = try Data(contentsOf: URL(fileURLWithPath: s.dir + "/.muster/runs/\(runs.first ?? "")/journal.jsonl"))
        #expect(RecordVerifier.verify(record: old, journal: Array(journal), journalName: "journal.jsonl").problem == nil)
        #expect(RecordVerifier.verify(record: record, journal: Array(journal), journalName: "journal.jsonl").problem == nil)
    }

    @Test func abandonAsksWhetherToRunTheFinallyStepsAndNeverAssumesYes() throws {
        let s = try Sandbox(["flow": Self.flow])
        #expect(try s.run(["run", "flow"]).status == 3)
        let id = try s.runID()
        let yes = try s.run(["abandon", id, "--reason", "superseded by a new run"], stdin: "y\n")
        #expect(yes.status == 0, "\(yes.stdout)\(yes.stderr)")
        #expect(yes.stdout.contains("has finally steps that have not run: cleanup. Run them now, before it is closed?"))
        #expect(s.exists("cleaned.txt") && !s.exists("never.txt"), "only the finally steps ran")
        let events = try s.journal().map { "\($0["event"]!)" }
        #expect(Array(events.suffix(5)) == ["run_closing", "run_resumed", "step_started", "step_finished", "run_abandoned"], "\(events)")
        #expect(try s.journal().last?["text"] as? String == "superseded by a new run")
        #expect(try s.run(["resume", id]).status == 2, "an abandoned run stays closed")

        // No answer (or any other) closes the run without them.
        let t = try Sandbox(["flow": Self.flow])
        #expect(try t.run(["run", "flow"]).status == 3)
        let quiet = try t.run(["abandon", try t.runID(), "--reason", "nobody home"])
        #expect(quiet.status == 0, "\(quiet.stdout)\(quiet.stderr)")
        #expect(quiet.stdout.contains("Closing without the finally steps."))
        #expect(!t.exists("cleaned.txt"))
        #expect(try t.journal().last?["event"] as? String == "run_abandoned")
    }

}
