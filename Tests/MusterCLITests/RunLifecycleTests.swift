#if canImport(Glibc)
@preconcurrency import Glibc
#endif
import Foundation
import MusterTestSupport
import Testing

/// One run per runbook at a time, closing runs for good, and what a bare
/// `muster resume` says when it cannot take the newest run.
@Suite("Runs: one at a time, abandon, resume")
struct RunLifecycleTests {
    static let failover = """
    muster: 1
    name: failover
    title: Failover
    params:
      wait: {default: "0"}
    steps:
      - id: checks
        title: Checks
        manual: [Standby is healthy]
      - id: promote
        title: Promote
        run: sleep {{ wait }}; echo promoted
    """

    static let other = """
    muster: 1
    name: other
    title: Other
    steps:
      - id: checks
        title: Checks
        manual: [Ready]
    """

    func runIDs(_ s: Sandbox) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: s.dir + "/.muster/runs").filter { !$0.hasPrefix(".") }.sorted()
    }

    func journal(_ s: Sandbox, _ id: String) throws -> [[String: Any]] {
        let text = try String(contentsOfFile: "\(s.dir)/.muster/runs/\(id)/journal.jsonl", encoding: .utf8)
        return try text.split(separator: "\n").map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
    }

    @Test func aSecondRunOfARunbookBeingExecutedIsRefusedUnlessNew() async throws {
        let s = try Sandbox(["failover": Self.failover])
        // The long step outlasts any load: it ends only by the SIGTERM below,
        // never by finishing while the second run is being refused (it once
        // finished its 60 s on a loaded machine, and the second run then ran).
        let first = try LiveMuster(["run", "failover", "--yes", "-p", "wait=3600"], cwd: s.dir, env: ["MUSTER_OPERATOR": "alice"])
        // Until the first run is at its long step (a bound for a machine
        // under load, not a timing: it is left as soon as the step shows).
        _ = eventually(within: 180) { first.stdout.contains("sleep 3600") || !first.isRunning }
        try #require(first.stdout.contains("sleep 3600"), "the first run never reached its long step: \(first.stdout)\(first.stderr)")
        let id = try #require(try runIDs(s).first)

        let second = try s.run(["run", "failover", "--yes"], env: ["MUSTER_OPERATOR": "bob"])
        #expect(second.status == 2, "\(second.stdout)\(second.stderr)")
        let host = try sh("hostname", cwd: s.dir).trimmingCharacters(in: .whitespacesAndNewlines)
        for part in ["runbook failover is already being run: \(id) by alice", "pid \(first.pid) on \(host)", "muster follow \(id)", "muster takeover \(id)", "--new"] {
            #expect(second.stderr.contains(part), "missing '\(part)' in: \(second.stderr)")
        }
        #expect(!second.stdout.contains("Standby is healthy"), "the refused run asked something")
        #expect(try runIDs(s) == [id], "the refused run left a run behind")

        let anyway = try s.run(["run", "failover", "--yes", "--new"])
        #expect(anyway.status == 0, "\(anyway.stdout)\(anyway.stderr)")
        #expect(anyway.stderr.contains("--new: starting another run of failover beside \(id)"))
        let newID = try #require(try runIDs(s).last)
        let started = try #require(try journal(s, newID).first?["run"] as? [String: Any])
        #expect(started["started_beside"] as? [String] == [id], "the second run is journaled as meant")

        // Stopped with SIGTERM, the first run is paused: the next start names it.
        kill(first.pid, SIGTERM)
        let end = await first.finish()
        #expect(end.status == 3)
        let third = try s.run(["run", "failover", "--yes"])
        #expect(third.status == 0, "\(third.stderr)")
        #expect(third.stderr.contains("warning: run \(id) of failover is paused"), "\(third.stderr)")
        #expect(third.stderr.contains("muster resume \(id)") && third.stderr.contains("muster abandon \(id) --reason TEXT"))
    }

    @Test func abandonClosesAPausedRunForGood() throws {
        let s = try Sandbox(["failover": Self.failover])
        #expect(try s.run(["run", "failover"]).status == 3, "end of input pauses")
        let id = try #require(try runIDs(s).first)

        let noReason = try s.run(["abandon", id])
        #expect(noReason.status == 2)
        #expect(noReason.stderr.contains("--reason"))

        let r = try s.run(["abandon", id, "--reason", "superseded by the manual failover"], env: ["MUSTER_OPERATOR": "carol"])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("Run \(id) (failover) abandoned by carol on"))
        let last = try #require(try journal(s, id).last)
        #expect(last["event"] as? String == "run_abandoned")
        #expect(last["text"] as? String == "superseded by the manual failover")
        #expect((last["by"] as? String)?.hasPrefix("carol on ") == true)

        let runs = try s.run(["runs", "--json"])
        #expect(runs.stdout.contains("\"state\": \"abandoned\"") || runs.stdout.contains("\"state\":\"abandoned\""), "\(runs.stdout)")
        let resume = try s.run(["resume", id])
        #expect(resume.status == 2)
        #expect(resume.stderr.contains("already finished (abandoned)"), "\(resume.stderr)")
        let bare = try s.run(["resume"])
        #expect(bare.status == 2)
        #expect(bare.stderr.contains("nothing to resume"), "\(bare.stderr)")
        let again = try s.run(["abandon", id, "--reason", "twice"])
        #expect(again.status == 2)
        #expect(again.stderr.contains("already finished (abandoned)"))
        #expect(try s.run(["abandon", "20200101T000000Z-nope", "--reason", "x"]).status == 2)
    }

    @Test func abandoningADrillWritesAnAbortedRecord() throws {
        let s = try Sandbox(["failover": Self.failover])
        try FileManager.default.createDirectory(atPath: s.dir + "/drills", withIntermediateDirectories: true)
        try "muster: 1\ndrill: quarterly\nrunbook: failover\nrto: 10m\n".write(toFile: s.dir + "/drills/quarterly.yaml", atomically: true, encoding: .utf8)
        let paused = try s.run(["drill", "quarterly", "--allow-dirty"])
        #expect(paused.status == 3, "\(paused.stdout)\(paused.stderr)")
        let id = try #require(try runIDs(s).first)
        let r = try s.run(["abandon", id, "--reason", "drill cancelled"])
        #expect(r.status == 0, "\(r.stderr)")
        let records = try FileManager.default.contentsOfDirectory(atPath: s.dir + "/drills/records/quarterly")
        #expect(records.count == 1, "\(records)")
        let record = try String(contentsOfFile: s.dir + "/drills/records/quarterly/" + records[0], encoding: .utf8)
        #expect(record.contains("\"outcome\": \"aborted\""), "\(record)")
    }

    @Test func aBareResumeThatRefusesTheNewestRunNamesTheOthers() throws {
        let s = try Sandbox(["failover": Self.failover, "other": Self.other])
        #expect(try s.run(["run", "other"]).status == 3)
        let older = try #require(try runIDs(s).first)
        waitForTheNextSecond()
        #expect(try s.run(["run", "failover"]).status == 3)
        let newest = try #require(try runIDs(s).last)
        #expect(newest != older)
        try (Self.failover + "\n  - id: extra\n    title: Extra\n    manual: [More]\n").write(toFile: s.dir + "/runbooks/failover.yaml", atomically: true, encoding: .utf8)

        let r = try s.run(["resume"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("changed since run \(newest) began"), "\(r.stderr)")
        #expect(r.stderr.contains("Other runs that can be resumed: \(older) (other, paused)"), "\(r.stderr)")
    }

    @Test func missingSecretsAreFoundBeforeAnyParameterIsAsked() throws {
        let s = try Sandbox(["sec": """
        muster: 1
        name: sec
        title: Secrets first
        params:
          region: {description: The standby region}
        secrets:
          DEPLOY_TOKEN: {env: LIFECYCLE_DEPLOY_TOKEN, description: Deploy token from the vault}
        steps:
          - id: go
            title: Go
            run: echo go
        """])
        let r = try s.run(["run", "sec"], stdin: "eu-north-1\n")
        #expect(r.status == 2, "\(r.stdout)\(r.stderr)")
        #expect(r.stderr.contains("DEPLOY_TOKEN"), "\(r.stderr)")
        #expect(!r.stdout.contains("Value for parameter"), "a parameter was asked before the secrets were checked")
    }

    /// A crash can only cut the last write short, before its newline; a
    /// whole last line that is no event was written so, or edited.
    @Test func aCompleteButInvalidLastJournalLineIsDamageNotATornWrite() throws {
        let s = try Sandbox(["failover": Self.failover])
        #expect(try s.run(["run", "failover"]).status == 3)
        let id = try #require(try runIDs(s).first)
        let path = "\(s.dir)/.muster/runs/\(id)/journal.jsonl"
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").count
        let handle = try #require(FileHandle(forWritingAtPath: path))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("{\"event\": \"step_finished\", \"seq\": \"not a number\"}\n".utf8))
        try handle.close()
        let r = try s.run(["resume", id])
        #expect(r.status == 2, "\(r.stdout)\(r.stderr)")
        #expect(r.stderr.contains("journal.jsonl:\(lines + 1): this journal line is not a valid event"), "\(r.stderr)")
        let runs = try s.run(["runs"])
        #expect(runs.stdout.contains("damaged"), "\(runs.stdout)")
    }

    @Test func aStateFolderThatCannotBeMadeIsSaidInPlainWords() throws {
        let s = try Sandbox(["failover": Self.failover])
        try "".write(toFile: s.dir + "/a-file", atomically: true, encoding: .utf8)
        let r = try s.run(["run", "failover", "--yes"], env: ["MUSTER_STATE_DIR": s.dir + "/a-file/state"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("cannot create the state folder \(s.dir)/a-file/state"), "\(r.stderr)")
        #expect(r.stderr.contains("Not a directory; set MUSTER_STATE_DIR to a writable folder"), "\(r.stderr)")
        #expect(!r.stderr.contains("CocoaError") && !r.stderr.contains("userInfo"))
    }

    /// A run that does not exist is named, with where to look, never a
    /// stack of "unexpected argument".
    @Test(arguments: ["takeover", "approve"])
    func teamRunCommandsNameAnUnknownRun(_ command: String) throws {
        let s = try Sandbox(["failover": Self.failover])
        #expect(try s.run(["run", "failover"]).status == 3)
        let r = try s.run([command, "20260101T000000Z-failover"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("no run 20260101T000000Z-failover in"), "\(r.stderr)")
        #expect(r.stderr.contains("`muster runs` lists them"), "\(r.stderr)")
    }
}
