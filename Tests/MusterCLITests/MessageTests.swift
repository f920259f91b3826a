import Foundation
import MusterTestSupport
import Testing

/// Issue 12, item 11: what muster says, where the words themselves were in
/// the operator's way. What the engine says during a run (the next rung
/// in the status line, the hint past `expect`, a wait's last poll) is
/// MessageEngineTests'; here are the commands' words and the terminal's.
@Suite("Messages")
struct MessageTests {
    // MARK: - YAML

    @Test func aSecondColonInATextGetsAQuoteHint() throws {
        let s = try Sandbox([
            "colon": """
            muster: 1
            name: colon
            title: Colon
            steps:
              - id: a
                title: A
                manual:
                  - Check: the database: is up
            """,
            "pair": """
            muster: 1
            name: pair
            title: Pair
            steps:
              - id: a
                title: A
                manual:
                  - Check: the database
            """,
            "title": """
            muster: 1
            name: title
            title: Step: restore
            steps:
              - {id: a, title: A, run: "true"}
            """,
        ])
        var r = try s.run(["validate", "runbooks/colon.yaml"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("runbooks/colon.yaml:8:28: error: mapping values are not allowed in this context; a ': ' inside unquoted text starts a mapping: put the text in quotes, e.g. `- 'Check: the database: is up'`"), "\(r.stderr)")
        r = try s.run(["validate", "runbooks/title.yaml"])
        #expect(r.stderr.contains("e.g. `title: 'Step: restore'`"), "\(r.stderr)")
        // Valid YAML, but a mapping where a text was meant: the same hint,
        // and no second error saying the step has no items.
        r = try s.run(["validate", "runbooks/pair.yaml"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("must be text, not a mapping; a ': ' inside unquoted text makes a mapping: quote the text, e.g. `'Check: the database'`"), "\(r.stderr)")
        #expect(!r.stderr.contains("no checklist items"), "\(r.stderr)")
    }

    // MARK: - Did you mean

    @Test func didYouMeanForTemplatesParametersAndCommands() throws {
        let s = try Sandbox([
            "typo": """
            muster: 1
            name: typo
            title: Typo
            params:
              region: {default: eu-west-1}
            steps:
              - {id: a, title: A, run: "echo {{ regoin }}"}
            """,
            "ok": """
            muster: 1
            name: ok
            title: OK
            params:
              region: {default: eu-west-1}
            steps:
              - {id: a, title: A, run: "echo {{ region }}"}
            """,
        ])
        var r = try s.run(["validate", "runbooks/typo.yaml"])
        #expect(r.stderr.contains("unknown name 'regoin' in template (did you mean 'region'?)"), "\(r.stderr)")
        r = try s.run(["run", "ok", "-p", "regoin=x"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("runbook 'ok' has no parameter 'regoin' (did you mean 'region'?)"), "\(r.stderr)")
        r = try s.run(["rnus"])
        #expect(r.status == 2)
        #expect(r.stderr == "muster: unknown command 'rnus'. Did you mean `muster runs`?\n")
        // Nothing close: ArgumentParser's own words, still exit 2.
        r = try s.run(["xyzzy"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("Unexpected argument 'xyzzy'"))
    }

    /// Every command that names a run says the same when there is none:
    /// one lookup, not one wording per command.
    @Test func everyCommandNamingARunThatIsNotThereSaysSoAlikeAndSuggestsTheNearest() throws {
        let s = try Sandbox(["t": "muster: 1\nname: t\ntitle: T\nsteps:\n  - {id: a, title: A, run: \"true\"}\n"])
        #expect(try s.run(["run", "t"]).status == 0)
        let id = try #require(try FileManager.default.contentsOfDirectory(atPath: s.dir + "/.muster/runs").first)
        let typo = String(id.dropLast()) + "x"
        let commands: [[String]] = [["log", typo], ["trace", typo], ["verify", typo], ["abandon", typo, "--reason", "gone"], ["follow", typo],
                                    ["resume", typo], ["approve", typo], ["takeover", typo]]
        for args in commands {
            let r = try s.run(args)
            #expect(r.status == 2, "\(args): \(r.stderr)")
            #expect(r.stderr.hasPrefix("muster: no run \(typo) in "), "\(args): \(r.stderr)")
            #expect(r.stderr.hasSuffix(". Did you mean \(id)? `muster runs` lists them\n"), "\(args): \(r.stderr)")
        }
    }

    @Test func aRunbookFileInTheCurrentFolderIsSuggested() throws {
        let dir = try temporaryDirectory()
        try "muster: 1\nname: failover\ntitle: F\nsteps:\n  - {id: a, title: A, run: \"true\"}\n"
            .write(toFile: dir + "/failover.yaml", atomically: true, encoding: .utf8)
        let r = try muster(["run", "failover"], cwd: dir)
        #expect(r.status == 2)
        #expect(r.stderr.contains("no runbook 'failover' (looked for runbooks/failover.yaml). There is ./failover.yaml in this folder: `muster run ./failover.yaml`?"), "\(r.stderr)")
        #expect(try muster(["run", "./failover.yaml"], cwd: dir).status == 0)
    }

    // MARK: - Log and runs

    @Test func logNumbersRungsAsTheLadderDoesAndShowsHTTPStatuses() throws {
        let server = try HTTPTestServer()
        let s = try Sandbox(["esc": """
        muster: 1
        name: esc
        title: Escalate
        escalation:
          - {after: 30m, contact: Secondary on-call}
          - {after: 1h, contact: Incident manager}
        steps:
          - id: declare
            title: Declare
            manual: [Open an incident]
          - id: health
            title: Health
            http: {url: "\(server.base)/status/503"}
        """])
        let r = try s.run(["run", "esc"], stdin: "e\n2\ny\ns known outage\n")
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        let failed = try s.journal().first { $0["event"] as? String == "attempt_finished" }
        #expect(failed?["status"] as? Int == 503)
        #expect(failed?["exit"] == nil)
        let runID = try FileManager.default.contentsOfDirectory(atPath: s.dir + "/.muster/runs").sorted().last!
        let log = try s.run(["log", runID]).stdout
        #expect(log.contains("escalated  declare  rung 2  Incident manager"), "\(log)")
        #expect(log.contains("attempt_finished  health  attempt 1  status 503"), "\(log)")
        #expect(!log.contains("exit 503"))
    }

    @Test func runsShowsARunningRunsElapsedTimeFromNow() async throws {
        let s = try Sandbox(["wait": """
        muster: 1
        name: wait
        title: Wait
        steps:
          - id: a
            title: A
            manual: [Something slow]
        """])
        let launched = Date()
        let live = try LiveMuster(["run", "wait"], cwd: s.dir)
        _ = eventually(within: 60) { live.stdout.contains("[ ] Something slow") }
        // The run sits at its question, journaling nothing, while 2.5 s
        // pass: a length of time is what is under test (the elapsed time
        // counts up to now, not up to the last event), so the moment
        // waited for is the wall clock's.
        let asked = Date()
        _ = eventually(within: 3) { Date().timeIntervalSince(asked) >= 2.5 }
        let r = try s.run(["runs", "--json"])
        // The run cannot have lasted longer than the test has waited for it
        // (plus the journal's whole-second wall clock).
        let upper = Date().timeIntervalSince(launched) + 1.5
        live.send("y")
        _ = await live.finish()
        let runs = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: Any]]
        #expect(runs?.first?["state"] as? String == "running")
        let elapsed = runs?.first?["elapsed_seconds"] as? Double ?? 0
        #expect(elapsed >= 2.4 && elapsed <= upper, "elapsed \(elapsed), at most \(upper)")
    }

    // MARK: - Prompts

    @Test func aChecklistItemAnsweredOnATerminalIsRedrawnChecked() throws {
        let s = try Sandbox(["list": "muster: 1\nname: list\ntitle: L\nsteps:\n  - {id: a, title: A, manual: [Open an incident, Page the commander]}\n"])
        let term = try Tmux(cwd: s.dir)
        try term.type("\(musterBinary) run list")
        _ = try term.waitFor("[ ] Open an incident")
        try term.type("y")
        var screen = try term.waitFor("[ ] Page the commander")
        #expect(screen.contains("    [x] Open an incident\n"), "\(screen)")
        #expect(!screen.contains("[ ] Open an incident"), "\(screen)")
        try term.type("")
        screen = try term.waitFor("completed after")
        #expect(screen.contains("    [x] Open an incident\n    [x] Page the commander\n"), "\(screen)")
        #expect(!screen.contains("(y/Enter done"), "\(screen)")
    }

    @Test func aChecklistItemAnsweredOnAPipeIsNotRepeated() throws {
        let s = try Sandbox(["list": "muster: 1\nname: list\ntitle: L\nsteps:\n  - {id: a, title: A, manual: [Open an incident]}\n"])
        let r = try s.run(["run", "list"], stdin: "y\n")
        #expect(r.status == 0)
        #expect(r.stdout.contains("    [ ] Open an incident\n    (y/Enter done"))
        #expect(!r.stdout.contains("[x]"))
    }

    // MARK: - One duration format, one warning prefix

    @Test func oneWarningPrefixAndOneDurationFormat() throws {
        let s = try Sandbox(["slow": """
        muster: 1
        name: slow
        title: Slow
        secrets:
          TOKEN: {env: MESSAGE_TEST_TOKEN}
        escalation:
          - {after: 1h, contact: Secondary on-call}
        steps:
          - id: slow
            title: Slow
            run: sleep 1.6
            expect: 1s
        """])
        var r = try s.run(["run", "slow", "--yes"], env: ["MESSAGE_TEST_TOKEN": "x"])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("    warning: 'slow' is running past its expected 1s; consider escalating to Secondary on-call"), "\(r.stdout)")
        #expect(!r.stdout.contains("    ! "))
        r = try s.run(["run", "slow", "--dry-run"])
        #expect(r.stderr.contains("muster: warning: "), "\(r.stderr)")
        #expect(!r.stdout.contains("Warning"))
        // The RTO in the drill banner, the status line and the summary: one spelling.
        try FileManager.default.createDirectory(atPath: s.dir + "/drills", withIntermediateDirectories: true)
        try "muster: 1\ndrill: d\nrunbook: slow\nrto: 10m\n".write(toFile: s.dir + "/drills/d.yaml", atomically: true, encoding: .utf8)
        r = try s.run(["drill", "d", "--yes"], env: ["MESSAGE_TEST_TOKEN": "x"])
        #expect(r.stdout.contains("RTO 10m"), "\(r.stdout)")
        #expect(!r.stdout.contains("10m00s"), "\(r.stdout)")
        #expect(r.stdout.range(of: #"\b0m[0-9][0-9]s"#, options: .regularExpression) == nil, "\(r.stdout)")
    }

    // MARK: - HTML report

    @Test func theHTMLTrendAxisShowsTimesWhenRunsShareADay() throws {
        let repo = try drillsRepo()
        try sh("mkdir -p drills/records/twice", cwd: repo)
        for (file, start) in [("20260501T100000Z", "2026-05-01T10:00:00Z"), ("20260501T153000Z", "2026-05-01T15:30:00Z"), ("20260503T090000Z", "2026-05-03T09:00:00Z")] {
            let record = """
            {"muster": 1, "drill": "twice", "runbook": "x", "runbook_path": "runbooks/x.yaml", "runbook_commit": null,
             "runbook_dirty": false, "mode": "live", "operator": "dana", "started_at": "\(start)", "finished_at": "\(start)",
             "outcome": "recovered", "elapsed_seconds": 300.0, "rto_seconds": 600, "rto_met": true, "steps": [], "escalations": [],
             "faults": [], "training": null}
            """
            try record.write(toFile: "\(repo)/drills/records/twice/\(file).json", atomically: true, encoding: .utf8)
        }
        let r = try muster(["report", "twice", "--html", "report.html"], cwd: repo)
        #expect(r.status == 0, "\(r.stderr)")
        let html = try String(contentsOfFile: repo + "/report.html", encoding: .utf8)
        let trend = try #require(html.components(separatedBy: "<svg class=\"chart trend\"").dropFirst().first?.components(separatedBy: "</svg>").first)
        #expect(trend.contains(">2026-05-01 10:00Z</text>"), "\(trend)")
        #expect(trend.contains(">2026-05-01 15:30Z</text>"))
        #expect(trend.contains(">2026-05-03</text>"))
    }
}
