#if canImport(Glibc)
@preconcurrency import Glibc
#endif
import Foundation
import MusterTestSupport
import Testing

/// A run folder no group member can bend: each attack is made by a real OS
/// user of the on-call group against another's run (see `Bastion`).
@Suite("the run folder against the people in the group", .serialized,
       .enabled(if: getuid() == 0, "creating OS users and switching to them needs root"))
struct RunFolderTests {
    static let slow = TeamRunTests.slow
    static let drop = TeamRunTests.drop

    /// `script` run by bash as `user` (with the group), in `cwd`; its output.
    @discardableResult
    static func run(as user: String, _ script: String, cwd: String) throws -> String {
        try sh("setpriv --reuid=\(user) --regid=$(id -g \(user)) --init-groups bash -c \"$SCRIPT\"", cwd: cwd, env: ["SCRIPT": script])
    }

    /// A run of `slow` paused at its first prompt (answers ran out).
    static func pausedRun(_ b: Bastion) throws -> String {
        let paused = try b.muster(Bastion.op, ["run", "slow"])
        #expect(paused.status == 3, "\(paused.stdout)\(paused.stderr)")
        return try #require(b.runID)
    }

    @Test func aSymlinkedLockJournalOrScreenLogIsRefusedAndNothingOutsideChanges() throws {
        let b = try Bastion(runbooks: ["slow": Self.slow])
        let id = try Self.pausedRun(b)
        let run = "\(b.state)/runs/\(id)"
        // The operator's own file, which a link planted by a group member
        // would have the operator's resume overwrite.
        let precious = "\(b.dir)/precious"
        try "the operator's own file\n".write(toFile: precious, atomically: true, encoding: .utf8)
        _ = try sh("chown \(Bastion.op) '\(precious)'", cwd: b.dir)
        try Self.run(as: Bastion.ic, "rm -f lock && ln -s '\(precious)' lock", cwd: run)
        let lock = try b.muster(Bastion.op, ["resume", id])
        #expect(lock.status == 2, "\(lock.stdout)\(lock.stderr)")
        #expect(lock.stderr.contains("cannot open the lock \(run)/lock: it is a symbolic link, and Muster never follows a link in its state folder"), "\(lock.stderr)")
        #expect(lock.stderr.contains("ls -l '\(run)/lock'"), "says what to do: \(lock.stderr)")
        #expect(try String(contentsOfFile: precious, encoding: .utf8) == "the operator's own file\n")

        // The journal, moved out and linked: read, never written through.
        _ = try sh("rm lock && mv journal.jsonl '\(b.dir)/journal-outside' && ln -s '\(b.dir)/journal-outside' journal.jsonl", cwd: run)
        let before = try sh("sha256sum '\(b.dir)/journal-outside'", cwd: b.dir)
        let journal = try b.muster(Bastion.op, ["resume", id], stdin: "y\ny\n")
        #expect(journal.status != 0, "\(journal.stdout)\(journal.stderr)")
        #expect(journal.stderr.contains("cannot open the journal \(run)/journal.jsonl: it is a symbolic link"), "\(journal.stderr)")
        #expect(try sh("sha256sum '\(b.dir)/journal-outside'", cwd: b.dir) == before)

        // The screen log: the run goes on without it, saying why.
        _ = try sh("rm journal.jsonl && mv '\(b.dir)/journal-outside' journal.jsonl && rm -f screen.jsonl && ln -s '\(precious)' screen.jsonl", cwd: run)
        let screen = try b.muster(Bastion.op, ["resume", id], stdin: "y\ny\n")
        #expect(screen.status == 0, "\(screen.stdout)\(screen.stderr)")
        #expect(screen.stderr.contains("\(run)/screen.jsonl: it is a symbolic link"), "\(screen.stderr)")
        #expect(try String(contentsOfFile: precious, encoding: .utf8) == "the operator's own file\n")
    }

    @Test func aRunFolderReplacedByALinkIsRefused() throws {
        let b = try Bastion(runbooks: ["slow": Self.slow])
        let id = try Self.pausedRun(b)
        let elsewhere = "\(b.dir)/elsewhere"
        _ = try sh("mkdir '\(elsewhere)' && chown \(Bastion.op) '\(elsewhere)' && cp -a runs/\(id)/. '\(elsewhere)/' && rm -rf runs/\(id) && ln -s '\(elsewhere)' runs/\(id)", cwd: b.state)
        let before = try sh("ls -l '\(elsewhere)' && cat '\(elsewhere)/journal.jsonl' | sha256sum", cwd: b.dir)
        let resumed = try b.muster(Bastion.op, ["resume", id], stdin: "y\ny\n")
        #expect(resumed.status == 2, "\(resumed.stdout)\(resumed.stderr)")
        #expect(resumed.stderr.contains("\(b.state)/runs/\(id) is a symbolic link"), "\(resumed.stderr)")
        #expect(try sh("ls -l '\(elsewhere)' && cat '\(elsewhere)/journal.jsonl' | sha256sum", cwd: b.dir) == before)
    }

    @Test func aTakeoverRequestByAnotherUserNamingPid1DoesNotStopALiveSession() async throws {
        let b = try Bastion(runbooks: ["slow": Self.slow])
        let op = try b.live(Bastion.op, ["run", "slow"])
        Bastion.waitFor(op, "[ ] Announce")
        let id = try #require(b.runID)
        let host = try sh("hostname", cwd: b.dir).trimmingCharacters(in: .whitespacesAndNewlines)
        let start = try sh("awk '{print $22}' /proc/1/stat", cwd: b.dir).trimmingCharacters(in: .whitespacesAndNewlines)
        let body = #"{"run_id":"\#(id)","kind":"takeover","pid":1,"pid_start":\#(start),"host":"\#(host)","now":true}"#
        // Straight in requests/, as older releases wrote them, then in a
        // folder of muster-ic's own, as this release does.
        try Self.run(as: Bastion.ic, """
            printf '%s' '\(body)' > requests/.u && mv requests/.u requests/forged.json
            mkdir -p requests/\(Bastion.ic) && printf '%s' '\(body)' > requests/\(Bastion.ic)/.t && mv requests/\(Bastion.ic)/.t requests/\(Bastion.ic)/forged.json
            """, cwd: "\(b.state)/runs/\(id)")
        // The new name wakes the session, which reads its requests and asks
        // its question again: once it has, it has seen both (and would
        // have stopped, had it believed either).
        _ = eventually(within: 20) { op.stdout.components(separatedBy: "[ ] Announce").count >= 3 || !op.isRunning }
        #expect(op.stdout.components(separatedBy: "[ ] Announce").count >= 3, "the session never looked: \(op.stdout)")
        #expect(op.isRunning, "the session goes on: \(op.stdout)")
        op.send("y")
        Bastion.waitFor(op, "[ ] Tell everyone")
        op.send("y")
        let end = await op.finish()
        #expect(end.status == 0, "\(op.stdout)\(op.stderr)")
        #expect(!op.stdout.contains("handed over"), "\(op.stdout)")
        #expect(!b.journal(id).contains("\"event\":\"handoff\""), "\(b.journal(id))")
    }

    @Test func eachPersonsRequestsGoInAFolderOnlyTheyWrite() async throws {
        let b = try Bastion(runbooks: ["drop": Self.drop])
        let op = try b.live(Bastion.op, ["run", "drop"])
        op.send("y")
        let id = try #require(b.waitForJournal("approval_requested"))
        let run = "\(b.state)/runs/\(id)"
        // muster-ic's file, with an approval in it, renamed by muster-sec
        // into a folder of muster-sec's: nobody's request.
        let forged = #"{"run_id":"\#(id)","kind":"approve","step":"drop"}"#
        try Self.run(as: Bastion.ic, "printf '%s' '\(forged)' > ic-note.json", cwd: run)
        // And a folder named for muster-ic, taken first by muster-sec.
        try Self.run(as: Bastion.sec, "mkdir -p requests/\(Bastion.sec) && mv ic-note.json requests/\(Bastion.sec)/x.json && mkdir requests/\(Bastion.ic)", cwd: run)
        // Nothing may come of it, and nothing the session shows says it
        // has looked (a wait for approval from a pipe prints nothing): a
        // window of a second, four looks of its request watch, left at
        // once if the session stops or takes an approval.
        _ = eventually(within: 1) { !op.isRunning || b.journal(id).contains("approval_given") }
        #expect(op.isRunning, "\(op.stdout)")
        #expect(!b.journal(id).contains("approval_given"), "\(b.journal(id))")

        let ic = try b.muster(Bastion.ic, ["approve", id])
        #expect(ic.status == 0, "\(ic.stdout)\(ic.stderr)")
        #expect(await op.finish().status == 0, "\(op.stdout)\(op.stderr)")
        // In a folder of muster-ic's own, the name taken passed by.
        let ics = "requests/\(Bastion.ic)-2"
        #expect(b.journal(id).contains("\"by\":\"\(Bastion.ic)\",\"event\":\"approval_given\""), "\(b.journal(id))")
        #expect(b.journal(id).contains("\"value\":\"\(Bastion.ic)-2/"), "\(b.journal(id))")
        #expect(!b.journal(id).contains("\"by\":\"\(Bastion.sec)\""), "\(b.journal(id))")
        let modes = try sh("stat -c '%a %U %n' requests \(ics) \(ics)/*.json", cwd: run)
        #expect(modes.contains("3770 \(Bastion.op) requests\n"), "\(modes)")
        #expect(modes.contains("2750 \(Bastion.ic) \(ics)\n"), "\(modes)")
        #expect(modes.contains("640 \(Bastion.ic) \(ics)/"), "\(modes)")
        // Another member can neither remove nor add to it.
        let removed = try Self.run(as: Bastion.sec, "rm -rf \(ics) 2>&1 || echo REFUSED; touch \(ics)/y.json 2>&1 || echo REFUSED", cwd: run)
        #expect(removed.components(separatedBy: "REFUSED").count == 3, "\(removed)")
        #expect(try sh("ls \(ics) | grep -c json", cwd: run).hasPrefix("1"))
    }

    @Test func theLockScreenLogAndJournalAreTheOperatorsAloneAndATakeoverReplacesThem() async throws {
        let b = try Bastion(runbooks: ["slow": Self.slow])
        let op = try b.live(Bastion.op, ["run", "slow"])
        Bastion.waitFor(op, "[ ] Announce")
        let id = try #require(b.runID)
        let run = "\(b.state)/runs/\(id)"
        let modes = try sh("stat -c '%a %U %n' lock screen.jsonl output.log journal.jsonl", cwd: run)
        #expect(modes.contains("640 \(Bastion.op) journal.jsonl\n"), "\(modes)")
        #expect(modes.contains("600 \(Bastion.op) lock\n"), "\(modes)")
        #expect(modes.contains("640 \(Bastion.op) screen.jsonl\n"), "\(modes)")
        #expect(modes.contains("640 \(Bastion.op) output.log\n"), "\(modes)")
        // A group member can neither flock the lock (and so block the run),
        // nor write what followers see, nor append to the journal.
        let tried = try Self.run(as: Bastion.trainee, """
            flock -n lock true 2>&1 || echo REFUSED
            echo '{"show":{"info":"completed"}}' >> screen.jsonl 2>&1 || echo REFUSED
            echo '{"event":"approval_given"}' >> journal.jsonl 2>&1 || echo REFUSED
            """, cwd: run)
        #expect(tried.contains("lock: Permission denied"), "\(tried)")
        #expect(tried.components(separatedBy: "REFUSED").count == 4, "\(tried)")
        // Another user's resume is told who holds it, by the kernel's word.
        let resume = try b.muster(Bastion.ic, ["resume", id])
        #expect(resume.status == 2)
        #expect(resume.stderr.contains("run \(id) is being executed by pid"), "\(resume.stderr)")
        #expect(resume.stderr.contains("(\(Bastion.op))"), "\(resume.stderr)")

        // A follower from before the hand-off sees the new operator's screen.
        let follower = try b.live(Bastion.trainee, ["follow", id])
        Bastion.waitFor(follower, "Announce")
        let taker = try b.live(Bastion.ic, ["takeover", id])
        #expect(await op.finish().status == 3)
        Bastion.waitFor(taker, "[ ] Announce")
        let after = try sh("stat -c '%a %U %n' lock screen.jsonl output.log journal.jsonl", cwd: run)
        #expect(after.contains("640 \(Bastion.ic) journal.jsonl\n"), "\(after)")
        #expect(after.contains("600 \(Bastion.ic) lock\n"), "\(after)")
        #expect(after.contains("640 \(Bastion.ic) screen.jsonl\n"), "\(after)")
        #expect(after.contains("640 \(Bastion.ic) output.log\n"), "\(after)")
        taker.send("y")
        Bastion.waitFor(follower, "Tell everyone")
        taker.send("y")
        #expect(await taker.finish().status == 0, "\(taker.stdout)\(taker.stderr)")
        #expect(await follower.finish().status == 0, "\(follower.stdout)\(follower.stderr)")
        // The new operator's journal goes on the old one's chain.
        let verified = try b.muster(Bastion.trainee, ["verify", id])
        #expect(verified.status == 0, "\(verified.stdout)\(verified.stderr)")
        #expect(b.journal(id).contains("\"by\":\"\(Bastion.ic)\",\"event\":\"handoff\""), "\(b.journal(id))")
        let files = try sh("ls -a", cwd: run)
        #expect(!files.contains("lock."), "no lock left aside: \(files)")
        #expect(!files.contains("screen.jsonl."), "no copy left aside: \(files)")
        #expect(!files.contains("journal.jsonl."), "no copy left aside: \(files)")
    }

    /// The lock every start of a runbook takes for a moment is the group's
    /// (any operator may start a run): a member holding it keeps nobody
    /// waiting for good.
    @Test func aMemberHoldingTheStartLockIsNamedNotWaitedForForever() throws {
        let b = try Bastion(runbooks: ["slow": Self.slow])
        _ = try Self.pausedRun(b)
        let gid = try sh("id -g \(Bastion.trainee)", cwd: "/").trimmingCharacters(in: .whitespacesAndNewlines)
        let holder = try LiveMuster(["--reuid=\(Bastion.trainee)", "--regid=\(gid)", "--init-groups", "flock", "locks/start-slow.lock", "sleep", "60"],
                                    cwd: b.state, executable: "/usr/bin/setpriv")
        defer { holder.kill() }
        let found = waitForHolder(b.state + "/locks/start-slow.lock")
        #expect(found, "the trainee never took the lock")
        let start = try b.muster(Bastion.op, ["run", "slow", "--new"])
        #expect(start.status == 2, "\(start.stdout)\(start.stderr)")
        #expect(start.stderr.contains("(\(Bastion.trainee)) has held \(b.state)/locks/start-slow.lock for 10 seconds"), "\(start.stderr)")
    }

    private func waitForHolder(_ path: String) -> Bool {
        eventually(within: 15) { (try? sh("grep -q \":$(stat -c %i '\(path)') \" /proc/locks", cwd: "/")) != nil }
    }
}
