#if canImport(Glibc)
@preconcurrency import Glibc
#endif
import Foundation
import MusterBasics
import MusterFormat
import MusterEngine
import MusterJournal
import MusterDrills
import MusterApp
import MusterTestSupport
import Testing

/// The two-person rule against the people in the room (issue 23): real OS
/// users on a shared bastion, each with their own SSH key listed in the
/// repository's allowed_signers, trying what an attacker tried.
@Suite("signed approvals: forgeries by the people in the room", .serialized,
       .enabled(if: getuid() == 0, "creating OS users and switching to them needs root"))
struct SignedApprovalTests {
    /// Appends `line` to `path` as `user` (a group member may write the journal).
    func append(_ line: [UInt8], to path: String, as user: String, in b: Bastion) throws {
        let tmp = b.dir + "/line"
        try Data(line).write(to: URL(fileURLWithPath: tmp))
        _ = try sh("chmod 644 line && setpriv --reuid=\(user) --regid=$(id -g \(user)) --init-groups sh -c 'cat line >> \(path)'", cwd: b.dir)
    }

    @Test func aChainedApprovalTheOperatorAppendedIsRefusedOnResumeAndByVerify() async throws {
        let b = try Bastion(runbooks: ["drop": TeamRunTests.drop])
        let op = try b.live(Bastion.op, ["run", "drop"])
        op.send("y")
        let id = try #require(b.waitForJournal("approval_requested"))
        kill(op.pid, SIGTERM)
        #expect(await op.finish().status == 3)
        let path = "\(b.state)/runs/\(id)/journal.jsonl"
        let last = try FileJournal.read(path: path).events.last!
        var forged = JournalEvent(seq: last.seq + 1, at: last.at, t: last.t + 1, event: .approvalGiven)
        forged.step = "drop"
        forged.by = Bastion.ic
        forged.value = "forged.json"
        try append(try FileJournal(path: path).sealed(forged), to: path, as: Bastion.op, in: b)
        // The chain holds (it was recomputed); the signature is what fails.
        let verify = try b.muster(Bastion.ic, ["verify", id])
        #expect(verify.status == 1, "\(verify.stdout)\(verify.stderr)")
        #expect(verify.stdout.contains("is intact"), "the chain itself is whole: \(verify.stdout)")
        #expect(verify.stderr.contains("event \(forged.seq) (approval_given, step 'drop') is not believed: it is not signed"), "\(verify.stderr)")

        // A follower is told, and is not shown the approval as given.
        let follow = try b.muster(Bastion.ic, ["follow", id, "--json", "--until-pause"])
        #expect(follow.status == 3, "\(follow.stdout)\(follow.stderr)")
        #expect(follow.stderr.contains("event \(forged.seq) (approval_given, step 'drop') is not believed"), "\(follow.stderr)")
        #expect(!follow.stdout.contains("\"approval_given\""), "\(follow.stdout)")
        // A taker who cannot sign is refused before anyone is asked to stop.
        _ = try sh("rm keys/\(Bastion.trainee)", cwd: b.dir)
        let keyless = try b.muster(Bastion.trainee, ["takeover", id, "--yes"])
        #expect(keyless.status == 2, "\(keyless.stdout)\(keyless.stderr)")
        #expect(keyless.stderr.contains("has steps that need approval") && keyless.stderr.contains("ssh-keygen -t ed25519"), "\(keyless.stderr)")
        #expect(!b.journal(id).contains("\"handoff\""))
        let keylessApproval = try b.muster(Bastion.trainee, ["approve", id])
        #expect(keylessApproval.status == 2 && keylessApproval.stderr.contains("keys/\(Bastion.trainee) does not exist"), "\(keylessApproval.stderr)")

        let resumed = try b.live(Bastion.op, ["resume", id, "--yes"])
        Bastion.waitFor(resumed, "muster approve \(id)")
        #expect(resumed.stderr.contains("event \(forged.seq) (approval_given, step 'drop') is not believed: it is not signed"), "\(resumed.stderr)")
        kill(resumed.pid, SIGTERM)
        #expect(await resumed.finish().status == 3, "\(resumed.stdout)\(resumed.stderr)")
        #expect(!resumed.stdout.contains("| dropping"), "the step did not run on a forged approval: \(resumed.stdout)")
        let events = try FileJournal.read(path: path).events
        #expect(!events.contains { $0.step == "drop" && $0.attempt != nil })
    }

    @Test func oneKeyThroughTwoAccountsCountsOnce() async throws {
        let b = try Bastion(runbooks: ["twoof": TeamRunTests.twoOf])
        // muster-sec is the same person as muster-ic: their key, another account.
        _ = try sh("cp keys/\(Bastion.ic) keys/\(Bastion.sec) && cp keys/\(Bastion.ic).pub keys/\(Bastion.sec).pub && chown \(Bastion.sec) keys/\(Bastion.sec) && chmod 600 keys/\(Bastion.sec)", cwd: b.dir)
        let op = try b.live(Bastion.op, ["run", "twoof"])
        let id = try #require(b.waitForJournal("approval_requested"))
        let first = try b.muster(Bastion.ic, ["approve", id])
        #expect(first.status == 0, "\(first.stdout)\(first.stderr)")
        let second = try b.muster(Bastion.sec, ["approve", id])
        #expect(second.status == 2, "\(second.stdout)\(second.stderr)")
        #expect(second.stderr.contains("your key (muster-ic) has approved this step already"), "\(second.stderr)")
        #expect(op.isRunning, "one person's approval of two does not run the step")
        kill(op.pid, SIGTERM)
        #expect(await op.finish().status == 3)
        #expect(!op.stdout.contains("| promoted"), "\(op.stdout)")
    }

    /// muster-ic approved `rm -f /tmp/scratch`; the step is edited into
    /// something else and the run resumed with --force: not approved.
    @Test func anApprovalDoesNotCarryAnEditedStep() async throws {
        let b = try Bastion(runbooks: ["drop": TeamRunTests.drop])
        let id = try await b.crashedAwaitingApproval("drop")
        let ic = try b.muster(Bastion.ic, ["approve", id])
        #expect(ic.status == 0 && ic.stdout.contains("it counts when the run is resumed"), "\(ic.stdout)\(ic.stderr)")
        let edited = TeamRunTests.drop.replacingOccurrences(of: "run: echo dropping db-{{ run_id }}", with: "run: echo DROP DATABASE prod")
        try edited.write(toFile: "\(b.repo)/runbooks/drop.yaml", atomically: true, encoding: .utf8)
        _ = try sh("chmod a+r runbooks/drop.yaml", cwd: b.repo)
        let resumed = try b.live(Bastion.op, ["resume", id, "--yes", "--force"])
        Bastion.waitFor(resumed, "muster approve \(id)")
        Bastion.waitFor(resumed, "an approval from muster-ic was refused: it approves another command")
        #expect(resumed.stdout.contains("changed since its approval was asked for"), "\(resumed.stdout)")
        kill(resumed.pid, SIGTERM)
        #expect(await resumed.finish().status == 3, "\(resumed.stdout)\(resumed.stderr)")
        #expect(!resumed.stdout.contains("| DROP DATABASE"), "\(resumed.stdout)")
        // A new approval of the command as it is now is what runs it.
        let again = try b.muster(Bastion.ic, ["approve", id])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stdout.contains("echo DROP DATABASE prod"), "the approver sees the new command: \(again.stdout)")
        let done = try b.muster(Bastion.op, ["resume", id, "--yes", "--force"])
        #expect(done.status == 0, "\(done.stdout)\(done.stderr)")
        #expect(done.stdout.contains("| DROP DATABASE prod"), "\(done.stdout)")
    }

    @Test func withoutAllowedSignersAnApprovalStepDoesNotValidate() throws {
        let b = try Bastion(runbooks: ["drop": TeamRunTests.drop])
        _ = try sh("rm allowed_signers", cwd: b.repo)
        let v = try b.muster(Bastion.op, ["validate", "runbooks/drop.yaml"])
        #expect(v.status == 1 || v.status == 2, "\(v.stdout)\(v.stderr)")
        #expect(v.stderr.contains("step 'drop' needs approval, and this repository has no allowed_signers file"), "\(v.stderr)")
        #expect(v.stderr.contains(">> allowed_signers"), "the set-up to do is said: \(v.stderr)")
        let run = try b.muster(Bastion.op, ["run", "drop"], stdin: "y\n")
        #expect(run.status == 2, "\(run.stdout)\(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: "\(b.state)/runs"), "nothing was started")
    }

    /// A line altered in the middle of the journal: resume does not act on it.
    @Test func aJournalAlteredInTheMiddleIsNotResumed() throws {
        let s = try Sandbox(["two": """
        muster: 1
        name: two
        title: Two
        steps:
          - id: a
            title: A
            manual: [First]
          - id: b
            title: B
            manual: [Second]
        """])
        let first = try s.run(["run", "two"], stdin: "y\n")
        #expect(first.status == 3, "\(first.stdout)\(first.stderr)")
        let runs = try FileManager.default.contentsOfDirectory(atPath: s.dir + "/.muster/runs").sorted()
        let path = "\(s.dir)/.muster/runs/\(runs.last!)/journal.jsonl"
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let altered = text.replacingOccurrences(of: "\"step\":\"a\"", with: "\"step\":\"b\"")
        #expect(altered != text)
        try altered.write(toFile: path, atomically: true, encoding: .utf8)
        let resumed = try s.run(["resume", runs.last!, "--yes"])
        #expect(resumed.status == 2, "\(resumed.stdout)\(resumed.stderr)")
        #expect(resumed.stderr.contains("journal is not intact, so it is not resumed: event 2 (step_started of step b, line 2) was altered"), "\(resumed.stderr)")
        #expect(resumed.stderr.contains("muster verify \(runs.last!)"), "\(resumed.stderr)")
        #expect(!resumed.stdout.contains("Second"), "\(resumed.stdout)")
    }
}
