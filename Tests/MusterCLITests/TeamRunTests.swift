#if canImport(Glibc)
@preconcurrency import Glibc
#endif
import Foundation
import MusterTestSupport
import Testing

/// A shared bastion: real OS users (created here; CI runs as root), a
/// state folder the on-call group shares, and muster started as each user
/// by `setpriv`, so identities are the kernel's, as in production.
final class Bastion {
    static let group = "muster-oncall"
    /// In the group: the operator, an incident commander, a second
    /// approver, a trainee. Outside it: `out`.
    static let op = "muster-op", ic = "muster-ic", sec = "muster-sec", trainee = "muster-tr", out = "muster-out"

    let dir: String
    let repo: String
    let state: String
    let runner: String

    static func createUsers() throws {
        var script = "getent group \(group) >/dev/null || groupadd \(group)\n"
        for u in [op, ic, sec, trainee, out] { script += "id -u \(u) >/dev/null 2>&1 || useradd -M -s /usr/sbin/nologin \(u)\n" }
        for u in [op, ic, sec, trainee] { script += "usermod -aG \(group) \(u)\n" }
        _ = try sh(script, cwd: "/")
    }

    init(runbooks: [String: String]) throws {
        try Self.createUsers()
        dir = try temporaryDirectory()
        repo = dir + "/repo"
        state = dir + "/state"
        runner = dir + "/as"
        _ = try sh("chmod 755 . && mkdir -p repo/runbooks home state keys && chmod 711 keys && cp '\(musterBinary)' muster && chmod 755 muster", cwd: dir)
        for (name, yaml) in runbooks { try yaml.write(toFile: "\(repo)/runbooks/\(name).yaml", atomically: true, encoding: .utf8) }
        // Each person's own SSH key, readable only by them, listed in the
        // repository's allowed_signers under their OS user name.
        var keys = ""
        for u in [Self.op, Self.ic, Self.sec, Self.trainee, Self.out] {
            keys += "ssh-keygen -q -t ed25519 -N '' -C \(u) -f keys/\(u) && chown \(u) keys/\(u) keys/\(u).pub && chmod 600 keys/\(u)\n"
            keys += "printf '%s %s\\n' \(u) \"$(cut -d' ' -f1,2 keys/\(u).pub)\" >> repo/allowed_signers\n"
        }
        _ = try sh(keys, cwd: dir)
        let setup = """
        cd repo && git init -q . && git add -A && git -c user.name=t -c user.email=t@t commit -qm runbooks && cd ..
        chown -R \(Self.op) repo && chmod -R a+rX repo
        printf '[safe]\\n\\tdirectory = %s\\n' '\(repo)' > home/.gitconfig && chmod -R a+rX home
        chgrp \(Self.group) state && chmod 2770 state
        printf '#!/bin/sh\\nu=$1; shift\\nexec setpriv --reuid="$u" --regid="$(id -g "$u")" --init-groups env HOME=%s/home MUSTER_SIGNING_KEY=%s/keys/$u MUSTER_STATE_DIR=%s NO_COLOR=1 %s/muster "$@"\\n' '\(dir)' '\(dir)' '\(state)' '\(dir)' > as
        chmod 755 as
        """
        _ = try sh(setup, cwd: dir)
    }

    deinit { _ = try? sh("rm -rf '\(dir)'", cwd: "/") }

    /// `muster ARGS` as `user`, to the end.
    func muster(_ user: String, _ args: [String], stdin: String = "") throws -> Result {
        try MusterCLITests.muster([user] + args, cwd: repo, stdin: stdin, executable: runner)
    }

    /// `muster ARGS` as `user`, driven live.
    func live(_ user: String, _ args: [String]) throws -> LiveMuster {
        try LiveMuster([user] + args, cwd: repo, executable: runner)
    }

    /// The operator runs `runbook` until its step waits for approval, and
    /// the session dies there (SIGKILL): the run's id.
    func crashedAwaitingApproval(_ runbook: String) async throws -> String {
        let op = try live(Self.op, ["run", runbook])
        op.send("y")
        let id = try #require(waitForJournal("approval_requested"))
        op.kill()
        _ = await op.finish()
        return id
    }

    /// The newest run (of `runbook`).
    func runID(_ runbook: String? = nil) -> String? {
        try? FileManager.default.contentsOfDirectory(atPath: state + "/runs").filter { runbook == nil || $0.hasSuffix("-" + runbook!) }.sorted().last
    }
    var runID: String? { runID() }

    func journal(_ id: String) -> String { (try? String(contentsOfFile: "\(state)/runs/\(id)/journal.jsonl", encoding: .utf8)) ?? "" }

    /// Waits (polling, a real sleep) until the newest run's journal holds `text`.
    @discardableResult
    func waitForJournal(_ text: String, seconds: Double = 20) -> String? {
        var found: String?
        if eventually(within: seconds, {
            found = runID.flatMap { journal($0).contains(text) ? $0 : nil }
            return found != nil
        }) { return found }
        Issue.record("the journal never held \(text): \(runID.map(journal) ?? "no run")")
        return nil
    }

    static func waitFor(_ live: LiveMuster, _ text: String, seconds: Double = 20) {
        if eventually(within: seconds, { live.stdout.contains(text) }) { return }
        Issue.record("the screen never showed \(text): \(live.stdout)\n\(live.stderr)")
    }
}

@Suite("team runs on one host: approve, takeover, a shared state folder", .serialized,
       .enabled(if: getuid() == 0, "creating OS users and switching to them needs root"))
struct TeamRunTests {
    static let drop = """
    muster: 1
    name: drop
    title: Drop the old primary
    steps:
      - id: check
        title: Check the replica
        manual: [Replica is caught up]
      - id: drop
        title: Drop the old primary
        run: echo dropping db-{{ run_id }}
        approval: true
        on_failure: abort
      - id: after
        title: After
        run: echo after
    """

    static let twoOf = """
    muster: 1
    name: twoof
    title: Two of them
    steps:
      - id: promote
        title: Promote the standby
        run: echo promoted
        approval: {count: 2, from: [\(Bastion.ic), \(Bastion.sec)]}
    """

    static let slow = """
    muster: 1
    name: slow
    title: Slow failover
    steps:
      - id: first
        title: First
        manual: [Announce]
      - id: long
        title: Long step
        run: echo started; sleep {{ seconds }}; echo finished
      - id: last
        title: Last
        manual: [Tell everyone]
    params:
      seconds:
        default: "3"
    """

    @Test func theOperatorCannotApproveTheirOwnRunAnotherUserCan() async throws {
        let b = try Bastion(runbooks: ["drop": Self.drop])
        let op = try b.live(Bastion.op, ["run", "drop"])
        op.send("y")
        let id = try #require(b.waitForJournal("approval_requested"))
        Bastion.waitFor(op, "muster approve \(id)")
        #expect(op.stdout.contains("needs approval by one person other than the operator"), "\(op.stdout)")
        #expect(op.stdout.contains("echo dropping db-"), "the exact command is shown: \(op.stdout)")

        let own = try b.muster(Bastion.op, ["approve", id])
        #expect(own.status == 2)
        #expect(own.stderr.contains("your key (muster-op) is the key of this run's operator"), "\(own.stderr)")
        let outsider = try b.muster(Bastion.out, ["approve", id])
        #expect(outsider.status == 2)
        #expect(outsider.stderr.contains("muster-out may not write to the state folder"), "\(outsider.stderr)")
        #expect(outsider.stderr.contains("group muster-oncall"), "\(outsider.stderr)")
        // A variable or flag claiming another identity changes nothing.
        let claimed = try b.muster(Bastion.op, ["approve", id], stdin: "")
        #expect(claimed.status == 2)

        let ic = try b.muster(Bastion.ic, ["approve", id])
        #expect(ic.status == 0, "\(ic.stderr)")
        #expect(ic.stdout.contains("echo dropping db-"), "the approver sees what will run: \(ic.stdout)")
        #expect(ic.stdout.contains("Approved by muster-ic (1 of 1): the step goes on."), "\(ic.stdout)")
        let end = await op.finish()
        #expect(end.status == 0, "\(op.stdout)\n\(op.stderr)")
        #expect(op.stdout.contains("✓ approved by muster-ic (1 of 1)"), "\(op.stdout)")
        let journal = b.journal(id)
        #expect(journal.contains("\"by\":\"muster-ic\",\"event\":\"approval_given\""), "\(journal)")
        #expect(journal.contains("\"os_user\":\"muster-op\""), "\(journal)")
        #expect(journal.contains("\"os_user\":\"muster-ic\""), "the approver's OS user is kept as context: \(journal)")
        #expect(!journal.contains("\"by\":\"muster-op\",\"event\":\"approval_given\""))
        // Group access, nothing for the world.
        let modes = try sh("stat -c '%a %G %n' '\(b.state)/runs/\(id)' '\(b.state)/runs/\(id)/journal.jsonl' '\(b.state)/runs/\(id)/lock' '\(b.state)/runs/\(id)/requests'", cwd: b.dir)
        #expect(modes.contains("2770 muster-oncall \(b.state)/runs/\(id)\n"), "\(modes)")
        #expect(modes.contains("640 muster-oncall \(b.state)/runs/\(id)/journal.jsonl"), "\(modes)")
        #expect(modes.contains("600 muster-oncall \(b.state)/runs/\(id)/lock"), "\(modes)")
        #expect(modes.contains("3770 muster-oncall \(b.state)/runs/\(id)/requests"), "\(modes)")
    }

    @Test func fromAndCountAreEnforcedAndADenialFailsTheStep() async throws {
        let b = try Bastion(runbooks: ["twoof": Self.twoOf, "drop": Self.drop])
        let op = try b.live(Bastion.op, ["run", "twoof"])
        let id = try #require(b.waitForJournal("approval_requested"))
        let trainee = try b.muster(Bastion.trainee, ["approve", id])
        #expect(trainee.status == 2)
        #expect(trainee.stderr.contains("muster-tr is not among those who may approve this step (muster-ic, muster-sec)"), "\(trainee.stderr)")
        let first = try b.muster(Bastion.ic, ["approve", id])
        #expect(first.stdout.contains("Approved by muster-ic (1 of 2): 1 more needed."), "\(first.stdout)\(first.stderr)")
        let again = try b.muster(Bastion.ic, ["approve", id])
        #expect(again.status == 2)
        #expect(again.stderr.contains("your key (muster-ic) has approved this step already"), "\(again.stderr)")
        #expect(op.isRunning, "one approval of two does not run the step")
        let second = try b.muster(Bastion.sec, ["approve", id])
        #expect(second.stdout.contains("(2 of 2): the step goes on."), "\(second.stdout)\(second.stderr)")
        #expect(await op.finish().status == 0, "\(op.stdout)\(op.stderr)")
        #expect(op.stdout.contains("promoted"))

        // Denied: the step fails into its failure policy (abort: the run fails) and never runs.
        let op2 = try b.live(Bastion.op, ["run", "drop"])
        op2.send("y")
        Bastion.waitFor(op2, "muster approve")
        let id2 = try #require(b.runID("drop"))
        let denied = try b.muster(Bastion.ic, ["approve", id2, "--deny", "wrong region"])
        #expect(denied.status == 0, "\(denied.stderr)")
        #expect(denied.stdout.contains("Denied by muster-ic"), "\(denied.stdout)")
        #expect(await op2.finish().status == 1)
        #expect(op2.stdout.contains("approval denied by muster-ic: wrong region"), "\(op2.stdout)")
        #expect(!op2.stdout.contains("| dropping"), "\(op2.stdout)")
        #expect(b.journal(id2).contains("\"event\":\"approval_denied\""))
    }

    @Test func anApprovalSurvivesSIGKILLAndCountsOnResume() async throws {
        let b = try Bastion(runbooks: ["drop": Self.drop])
        let id = try await b.crashedAwaitingApproval("drop")
        let ic = try b.muster(Bastion.ic, ["approve", id])
        #expect(ic.status == 0, "\(ic.stderr)")
        #expect(ic.stdout.contains("it counts when the run is resumed"), "\(ic.stdout)")
        // --yes never approves: the approval is muster-ic's, taken in on resume.
        let resumed = try b.muster(Bastion.op, ["resume", id, "--yes"])
        #expect(resumed.status == 0, "\(resumed.stdout)\(resumed.stderr)")
        #expect(resumed.stdout.contains("✓ approved by muster-ic"), "\(resumed.stdout)")
        #expect(resumed.stdout.contains("| dropping db-"), "\(resumed.stdout)")
        let journal = b.journal(id)
        #expect(journal.components(separatedBy: "\"event\":\"approval_requested\"").count == 2, "asked once: \(journal)")
    }

    @Test func takeoverAtAPromptWithTheOldSessionAlive() async throws {
        let b = try Bastion(runbooks: ["slow": Self.slow])
        let old = try b.live(Bastion.op, ["run", "slow"])
        Bastion.waitFor(old, "[ ] Announce")
        let id = try #require(b.runID)
        // One run per runbook, across users: a second start is refused.
        let second = try b.muster(Bastion.ic, ["run", "slow"])
        #expect(second.status == 2)
        #expect(second.stderr.contains("already being run: \(id)"), "\(second.stderr)")
        let taker = try b.live(Bastion.ic, ["takeover", id, "--reason", "op is off shift"])
        #expect(await old.finish().status == 3)
        #expect(old.stdout.contains("handed over to muster-ic"), "\(old.stdout)")
        #expect(old.stdout.contains("(op is off shift)"), "\(old.stdout)")
        Bastion.waitFor(taker, "[ ] Announce")
        taker.send("y")
        taker.send("y")
        #expect(await taker.finish(within: 30).status == 0, "\(taker.stdout)\(taker.stderr)")
        #expect(taker.stdout.contains("you operate run \(id) now"), "\(taker.stdout)")
        let journal = b.journal(id)
        #expect(journal.contains("\"by\":\"muster-ic\",\"event\":\"handoff\""), "\(journal)")
        #expect(journal.contains("\"text\":\"op is off shift\""), "\(journal)")
        #expect(journal.contains("taken over by muster-ic"), "\(journal)")
    }

    @Test func takeoverDuringARunningStepWaitsForItUnlessNow() async throws {
        let b = try Bastion(runbooks: ["slow": Self.slow])
        let old = try b.live(Bastion.op, ["run", "slow", "-p", "seconds=3"])
        old.send("y")
        Bastion.waitFor(old, "| started")
        let id = try #require(b.runID)
        let taker = try b.live(Bastion.ic, ["takeover", id])
        Bastion.waitFor(taker, "'long' is running: that session stops when it ends")
        Bastion.waitFor(old, "muster-ic is taking over this run")
        #expect(await old.finish().status == 3)
        #expect(old.stdout.contains("| finished"), "the step ran to its end: \(old.stdout)")
        Bastion.waitFor(taker, "[ ] Tell everyone")
        taker.send("y")
        #expect(await taker.finish().status == 0, "\(taker.stdout)\(taker.stderr)")
        #expect(!taker.stdout.contains("| started"), "the finished step is not run again: \(taker.stdout)")

        // --now: the step is stopped as SIGTERM would, its processes with it.
        let old2 = try b.live(Bastion.op, ["run", "slow", "-p", "seconds=61"])
        old2.send("y")
        Bastion.waitFor(old2, "| started")
        let id2 = try #require(b.runID)
        let now = try b.live(Bastion.ic, ["takeover", id2, "--now"])
        #expect(await old2.finish().status == 3)
        #expect(old2.stdout.contains("stopped by a takeover (--now)"), "\(old2.stdout)")
        let left = try sh("pgrep -u \(Bastion.op) -f 'sleep 61' || true", cwd: b.dir)
        #expect(left.isEmpty, "the step's processes were stopped: \(left)")
        Bastion.waitFor(now, "did not succeed")
        now.send("s not needed")
        now.send("y")
        #expect(await now.finish().status == 0, "\(now.stdout)\(now.stderr)")
    }

    @Test func takeoverAfterTheOperatorCrashed() async throws {
        let b = try Bastion(runbooks: ["slow": Self.slow])
        let old = try b.live(Bastion.op, ["run", "slow"])
        Bastion.waitFor(old, "[ ] Announce")
        old.kill()
        _ = await old.finish()
        let id = try #require(b.runID)
        let taken = try b.muster(Bastion.ic, ["takeover", id, "--reason", "laptop died"], stdin: "y\ny\n")
        #expect(taken.status == 0, "\(taken.stdout)\(taken.stderr)")
        #expect(!taken.stdout.contains("Asked "), "nobody to ask: \(taken.stdout)")
        #expect(b.journal(id).contains("\"by\":\"muster-ic\",\"event\":\"handoff\""))
        #expect(b.journal(id).contains("\"text\":\"laptop died\""))
    }

    @Test func anotherUserFollowsTheRunAndSeesTheApprovalWait() async throws {
        let b = try Bastion(runbooks: ["drop": Self.drop])
        let op = try b.live(Bastion.op, ["run", "drop"])
        op.send("y")
        let id = try #require(b.waitForJournal("approval_requested"))
        let watcher = try b.live(Bastion.trainee, ["follow", id])
        Bastion.waitFor(watcher, "needs approval by one person other than the operator")
        #expect(watcher.stdout.contains("muster approve \(id)"), "\(watcher.stdout)")
        #expect(try b.muster(Bastion.ic, ["approve", id]).status == 0)
        #expect(await op.finish().status == 0)
        #expect(await watcher.finish().status == 0, "\(watcher.stdout)\(watcher.stderr)")
        #expect(watcher.stdout.contains("approved by muster-ic"), "\(watcher.stdout)")
    }

    @Test func takeoverAfterTheOperatorCrashedDuringAStep() async throws {
        let b = try Bastion(runbooks: ["slow": Self.slow])
        let old = try b.live(Bastion.op, ["run", "slow", "-p", "seconds=30"])
        old.send("y")
        Bastion.waitFor(old, "| started")
        old.kill()
        _ = await old.finish()
        let id = try #require(b.runID)
        // The step was running and is not idempotent: the new operator chooses.
        let taken = try b.muster(Bastion.ic, ["takeover", id], stdin: "s the old session did it\ny\n")
        #expect(taken.status == 0, "\(taken.stdout)\(taken.stderr)")
        #expect(taken.stdout.contains("'long' was running when the last session ended"), "\(taken.stdout)")
        #expect(b.journal(id).contains("\"by\":\"muster-ic\",\"event\":\"handoff\""))
        _ = try? sh("pkill -KILL -u \(Bastion.op) -f 'sleep 30' || true", cwd: b.dir)
    }

    /// A takeover while the step waits for approval: the new operator may
    /// no longer approve it, the old one now may; the chat hears of each.
    @Test func aTakeoverDuringAnApprovalWaitMovesWhoMayApprove() async throws {
        let log = try temporaryDirectory() + "/hooks.txt"
        let server = try HTTPTestServer(hookLog: log)
        let hooked = Self.drop.replacingOccurrences(of: "title: Drop the old primary\nsteps:", with: """
        title: Drop the old primary
        notify: {webhook: CHAT_HOOK}
        secrets:
          CHAT_HOOK: {env: CHAT_HOOK}
        steps:
        """)
        let b = try Bastion(runbooks: ["drop": hooked])
        let env = ["CHAT_HOOK": server.base + "/hook"]
        let old = try LiveMuster([Bastion.op, "run", "drop"], cwd: b.repo, env: env, executable: b.runner)
        old.send("y")
        let id = try #require(b.waitForJournal("approval_requested"))
        let taker = try LiveMuster([Bastion.ic, "takeover", id, "--reason", "shift change"], cwd: b.repo, env: env, executable: b.runner)
        #expect(await old.finish().status == 3)
        Bastion.waitFor(taker, "muster approve \(id)")
        let own = try b.muster(Bastion.ic, ["approve", id])
        #expect(own.status == 2 && own.stderr.contains("your key (muster-ic) is the key of this run's operator"), "\(own.stderr)")
        let formerOperator = try b.muster(Bastion.op, ["approve", id])
        #expect(formerOperator.status == 0, "\(formerOperator.stderr)")
        #expect(await taker.finish().status == 0, "\(taker.stdout)\(taker.stderr)")
        let posts = try String(contentsOfFile: log, encoding: .utf8)
        #expect(posts.contains("waits for approval"), "\(posts)")
        #expect(posts.contains("took the run over: shift change"), "\(posts)")
        #expect(posts.contains("approved by muster-op"), "\(posts)")
    }

    @Test func aTakerWhoGivesUpWithCtrlCLeavesTheRunWithItsOperator() async throws {
        let b = try Bastion(runbooks: ["slow": Self.slow])
        let old = try b.live(Bastion.op, ["run", "slow", "-p", "seconds=4"])
        old.send("y")
        Bastion.waitFor(old, "| started")
        let id = try #require(b.runID)
        let taker = try b.live(Bastion.ic, ["takeover", id])
        Bastion.waitFor(taker, "that session stops when it ends")
        Bastion.waitFor(old, "muster-ic is taking over this run")
        kill(taker.pid, SIGINT)
        let gaveUp = await taker.finish()
        #expect(gaveUp.status == 2)
        #expect(taker.stderr.contains("gave up taking over run \(id) (SIGINT); it goes on where it is"), "\(taker.stderr)")
        Bastion.waitFor(old, "[ ] Tell everyone")
        #expect(old.stdout.contains("muster-ic gave up taking over; the run goes on here"), "\(old.stdout)")
        old.send("y")
        #expect(await old.finish().status == 0, "\(old.stdout)\(old.stderr)")
        #expect(!b.journal(id).contains("handoff"))
    }
}
