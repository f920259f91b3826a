import Foundation
@testable import MusterBasics
@testable import MusterFormat
@testable import MusterEngine
@testable import MusterJournal
@testable import MusterDrills
@testable import MusterApp
@testable import MusterTesting
import Testing

/// The two-person rule in the core: approvals arrive through the inbox
/// while the step waits, are journaled with the OS user the inbox attests,
/// and replay like every other event.
@Suite("approval: the two-person rule")
struct ApprovalTests {
    static let runbook = """
    muster: 1
    name: t
    title: Approvals
    steps:
      - id: drop
        title: Drop the old primary
        run: drop-primary
        approval: {count: 2, from: [bob, carol, alice]}
        on_failure: abort
      - id: after
        title: After
        run: after
    """

    final class Inbox: RunInbox {
        var requests: [TeamRequest] = []
        func pending(taken: Set<String>) -> [TeamRequest] { requests.filter { !taken.contains($0.id) } }
        func isWaiting(_ request: TeamRequest) -> Bool { true }
    }

    /// Each time the step waits, the next arrival lands in the inbox.
    final class Operator: RunConsole {
        var shown: [ConsoleMessage] = []
        var arrivals: [[TeamRequest]]
        let inbox: Inbox
        init(inbox: Inbox, arrivals: [[TeamRequest]]) { self.inbox = inbox; self.arrivals = arrivals }
        var isInteractive: Bool { true }
        func show(_ message: ConsoleMessage) { shown.append(message) }
        func ask(_ question: String, hint: String, status: String) -> AnswerRead {
            // A cut while `drop` ran: it is not idempotent, so it is asked about.
            if question.contains("did not succeed") { return .line("r") }
            guard question.hasPrefix("Waiting for approval"), !arrivals.isEmpty else { return .eof }
            inbox.requests += arrivals.removeFirst()
            return .signal(.inboxWake)
        }
        var text: [String] {
            shown.compactMap { m in
                switch m {
                case .info(let t), .warning(let t), .command(let t): t
                case .stepResult(_, _, let d): d
                default: nil
                }
            }
        }
    }

    final class Journal: JournalSink {
        var events: [JournalEvent] = []
        func append(_ event: JournalEvent) throws(JournalError) { events.append(event) }
    }

    /// alice operates; bob (also known as robert), carol and mallory are
    /// listed in allowed_signers; eve has a key nobody listed.
    static let keys = try! TestKeys(listed: ["alice", "bob,robert", "carol", "mallory"], unlisted: ["eve"])
    static let shown = SignedStatement.digest("drop-primary")

    func session(_ state: RunState, arrivals: [[TeamRequest]], runbook: String = ApprovalTests.runbook) throws -> (RunOutcome, FakeRunner, Journal, Operator) {
        let rb = try loadRunbook(runbook)
        var setup = RunSetup(runbook: rb, params: [:], secrets: [:], runID: "run-1", operatorName: "Alice", yes: false, includes: [:], baseEnvironment: [:])
        setup.osUser = "alice"
        let operate = try Self.keys.sign("alice", SignedStatement(runID: "run-1", step: "-", sha256: SignedStatement.digest("runbook"), decision: .operate, at: "2026-11-29T09:00:00Z"))
        setup.session = .init(signed: operate, key: Self.keys.fingerprint(operate), principal: "alice")
        setup.signatures = Self.keys.checker
        let inbox = Inbox()
        inbox.requests = arrivals.first ?? []
        let console = Operator(inbox: inbox, arrivals: Array(arrivals.dropFirst()))
        let journal = Journal()
        let runner = FakeRunner()
        let e = Executor(setup: setup, state: state, journal: journal, console: console, runner: runner,
                         baseElapsed: state.lastT, clock: FakeClock(frozen: true, now: 0, stamp: "2026-11-29T09:00:00Z"))
        e.inbox = inbox
        return (e.execute(resumed: state.info != nil), runner, journal, console)
    }

    /// A request signed by `signer` (nil: unsigned) for `step` of run-1.
    func request(_ signer: String?, _ id: String, kind: TeamRequest.Kind = .approve, step: String = "drop", signedAs: SignedStatement.Decision? = nil,
                 shown: String = ApprovalTests.shown, run: String = "run-1", user: String? = nil, reason: String? = nil) throws -> TeamRequest {
        let decision = signedAs ?? (kind == .deny ? .deny : .approve)
        let signed = try signer.map { try Self.keys.sign($0, SignedStatement(runID: run, step: step, sha256: shown, decision: decision, reason: reason ?? "", at: "2026-11-29T09:01:00Z")) }
        return TeamRequest(id: id, user: user ?? signer ?? "nobody", kind: kind, step: step, reason: reason, signed: signed)
    }

    func approve(_ who: String, _ id: String, step: String = "drop") throws -> TeamRequest { try request(who, id, step: step) }

    @Test func theOperatorCannotApproveAndTwoOtherKeysMust() throws {
        let (outcome, runner, journal, console) = try session(RunState(), arrivals: [
            [try approve("alice", "r1")],                                             // the operator's key: refused
            [try approve("bob", "r2"), try request("bob", "r3", user: "atkbob")],     // one key through two OS users counts once
            [try approve("mallory", "r4")],                                           // listed, not in `from`
            [try approve("eve", "r5")],                                               // a key allowed_signers does not list
            [try request(nil, "r6", user: "carol")],                                  // unsigned: the OS user proves nothing
            [try request("carol", "r7", shown: SignedStatement.digest("rm -f /tmp/scratch"))],  // signed for another command
            [try request("carol", "r8", signedAs: .deny)],                            // a denial presented as an approval
            [try request("carol", "r9", run: "run-2")],                               // another run
            [try approve("carol", "r10", step: "after")],                             // another step
            [try approve("carol", "r11")],
        ])
        #expect(outcome == .completed)
        #expect(runner.ran == ["drop-primary", "after"])
        let given = journal.events.filter { $0.event == .approvalGiven }
        #expect(given.map(\.by) == ["bob", "carol"])
        #expect(given.map(\.value) == ["r2", "r11"])
        #expect(given.allSatisfy { $0.statement != nil && $0.signature != nil && $0.key?.hasPrefix("SHA256:") == true })
        #expect(given.first?.osUser == "bob")
        // Approved before it ran: the approvals come before the step's attempt.
        let firstAttempt = try #require(journal.events.firstIndex { $0.attempt == 1 && $0.step == "drop" })
        #expect(journal.events.firstIndex { $0.value == "r11" }! < firstAttempt)
        let requested = try #require(journal.events.first { $0.event == .approvalRequested })
        #expect(requested.text == "drop-primary")
        #expect(requested.sha256 == Self.shown)
        #expect(requested.approval == .init(count: 2, from: ["bob", "carol", "alice"]))
        let text = console.text.joined(separator: "\n")
        #expect(text.contains("signed with the operator's own key (alice)"), "\(text)")
        #expect(text.contains("bob's key has approved this step already: one key is one person"), "\(text)")
        #expect(text.contains("mallory is not among those who may approve"), "\(text)")
        #expect(text.contains("is not in allowed_signers"), "\(text)")
        #expect(text.contains("it is not signed"), "\(text)")
        #expect(text.contains("it approves another command than the one waiting"), "\(text)")
        #expect(text.contains("signed as 'deny', not 'approve'"), "\(text)")
        #expect(text.contains("signed for another run or step"), "\(text)")
        #expect(text.contains("muster approve run-1"), "\(text)")
        // Every fold believes what the session journaled.
        #expect(JournalTrust.check(journal.events, runID: "run-1", checker: Self.keys.checker).isEmpty)
    }

    @Test func aDenialFailsTheStepIntoItsFailurePolicy() throws {
        let deny = try request("carol", "d1", kind: .deny, reason: "wrong region")
        let (outcome, runner, journal, _) = try session(RunState(), arrivals: [[try approve("bob", "r1")], [deny]])
        #expect(outcome == .failed("step 'drop' approval denied by carol: wrong region"))
        #expect(runner.ran.isEmpty)
        #expect(journal.events.contains { $0.event == .approvalDenied && $0.by == "carol" && $0.text == "wrong region" })
    }

    @Test func approvalsSurviveAPauseAndEveryPrefixReplays() throws {
        let arrivals = [[try approve("bob", "r1")], [try approve("carol", "r2")]]
        let (_, fullRunner, full, _) = try session(RunState(), arrivals: arrivals)
        #expect(fullRunner.ran == ["drop-primary", "after"])
        for cut in 1..<full.events.count {
            let prefix = Array(full.events[..<cut])
            // The requests stay in the inbox (they are files): a resumed
            // session finds those not yet journaled.
            let (outcome, runner, more, _) = try session(RunState(replaying: prefix), arrivals: [arrivals.flatMap { $0 }])
            let end = RunState(replaying: prefix + more.events)
            #expect(outcome == .completed, "cut at \(cut)")
            #expect(end.approverNames("drop") == ["bob", "carol"], "cut at \(cut)")
            #expect((prefix + more.events).filter { $0.event == .approvalRequested }.count == 1, "cut at \(cut)")
            let ranBefore = prefix.contains { $0.step == "drop" && $0.event == .stepFinished } ? 1 : 0
            #expect(runner.ran.filter { $0 == "drop-primary" }.count + ranBefore <= 2, "cut at \(cut)")
        }
    }

    /// bob approved `rm -f /tmp/scratch`; the step was edited and the run
    /// resumed with --force: the old approvals do not carry it.
    @Test func anApprovalDoesNotOutliveTheCommandItApproved() throws {
        let old = ApprovalTests.runbook.replacingOccurrences(of: "run: drop-primary", with: "run: rm -f /tmp/scratch")
        let first = try session(RunState(), arrivals: [[try request("bob", "r1", shown: SignedStatement.digest("rm -f /tmp/scratch")),
                                                        try request("carol", "r2", shown: SignedStatement.digest("rm -f /tmp/scratch"))]], runbook: old)
        // Stop it just before the approved step ran.
        let cut = try #require(first.2.events.firstIndex { $0.event == .attemptStarted || ($0.event == .stepStarted && $0.attempt != nil) })
        let prefix = Array(first.2.events[..<cut])
        #expect(RunState(replaying: prefix).approved("drop", Approval(count: 2)))
        let (outcome, runner, more, console) = try session(RunState(replaying: prefix), arrivals: [[try approve("bob", "r3"), try approve("carol", "r4")]])
        #expect(outcome == .completed)
        #expect(runner.ran == ["drop-primary", "after"])
        // Asked again, for the new command, and approved again before it ran.
        let asked = more.events.filter { $0.event == .approvalRequested }
        #expect(asked.map(\.sha256) == [Self.shown])
        #expect(more.events.filter { $0.event == .approvalGiven }.map(\.value) == ["r3", "r4"])
        #expect(console.text.contains { $0.contains("changed since its approval was asked for") }, "\(console.text)")
    }

    /// An approver who takes the run over is its operator now: their own
    /// approval no longer counts towards the step they would run.
    @Test func anApproverWhoTakesOverCannotRunTheStepOnTheirOwnApproval() throws {
        let (_, _, full, _) = try session(RunState(), arrivals: [[try approve("bob", "r1"), try approve("carol", "r2")]])
        let cut = try #require(full.events.firstIndex { $0.value == "r2" })
        var state = RunState(replaying: Array(full.events[...cut]))
        #expect(state.approved("drop", Approval(count: 2)))
        var handoff = JournalEvent(seq: state.lastSeq + 1, at: "2026-11-29T09:02:00Z", t: 5, event: .handoff)
        let operate = try Self.keys.sign("bob", SignedStatement(runID: "run-1", step: "-", sha256: SignedStatement.digest("runbook"), decision: .operate, at: "2026-11-29T09:02:00Z"))
        handoff.by = "bob"
        handoff.statement = operate.statement
        handoff.signature = operate.signature
        handoff.key = Self.keys.fingerprint(operate)
        state.apply(handoff)
        #expect(!state.approved("drop", Approval(count: 2)))
        #expect(state.approverNames("drop") == ["carol"])
        #expect(JournalTrust.check(Array(full.events[...cut]) + [handoff], runID: "run-1", checker: Self.keys.checker).isEmpty)
    }
}

/// Verified before believed: what a fold refuses of a journal someone
/// else could append to.
@Suite("journal trust: approvals are believed only once their signature holds")
struct JournalTrustTests {
    let keys = ApprovalTests.keys

    func events(_ approvals: [(String?, String, (inout JournalEvent) -> Void)]) throws -> [JournalEvent] {
        var info = JournalEvent.RunInfo(runID: "run-1", runbook: "t", runbookPath: "runbooks/t.yaml", runbookHash: "", operatorName: "Alice", host: "h",
                                        params: [:], yes: false, startedAt: "2026-11-29T09:00:00Z")
        info.osUser = "alice"
        var start = JournalEvent(seq: 1, at: info.startedAt, t: 0, event: .runStarted)
        start.run = info
        let operate = try keys.sign("alice", SignedStatement(runID: "run-1", step: "-", sha256: SignedStatement.digest("runbook"), decision: .operate, at: info.startedAt))
        (start.statement, start.signature, start.key) = (operate.statement, operate.signature, keys.fingerprint(operate))
        var asked = JournalEvent(seq: 2, at: info.startedAt, t: 1, event: .approvalRequested)
        asked.step = "drop"
        asked.text = "drop-primary"
        asked.sha256 = ApprovalTests.shown
        asked.approval = .init(count: 2, from: ["bob", "carol", "alice"])
        var out = [start, asked]
        for (signer, decision, fill) in approvals {
            var e = JournalEvent(seq: out.count + 1, at: info.startedAt, t: Double(out.count), event: decision == "deny" ? .approvalDenied : .approvalGiven)
            e.step = "drop"
            e.by = signer ?? "bob"
            if let signer {
                let s = try keys.sign(signer, SignedStatement(runID: "run-1", step: "drop", sha256: ApprovalTests.shown, decision: decision == "deny" ? .deny : .approve, at: info.startedAt))
                (e.statement, e.signature, e.key) = (s.statement, s.signature, keys.fingerprint(s))
            }
            fill(&e)
            out.append(e)
        }
        return out
    }

    @Test func eachForgeryIsNamedAndLeftOut() throws {
        let bobsDenial = try keys.sign("bob", SignedStatement(runID: "run-1", step: "drop", sha256: ApprovalTests.shown, decision: .deny, reason: "no", at: "x"))
        let all = try events([
            (nil, "approve", { _ in }),                                       // 3: appended by hand, no signature
            ("alice", "approve", { _ in }),                                   // 4: the operator's own key
            ("bob", "approve", { $0.osUser = "atkbob" }),                     // 5: counts
            ("bob", "approve", { $0.identity = "arn:aws:iam::1:user/bob" }),  // 6: bob's key again, through AWS
            ("eve", "approve", { _ in }),                                     // 7: not listed
            ("carol", "approve", { $0.statement = $0.statement?.replacingOccurrences(of: "run: run-1", with: "run: run-2") }),  // 8: altered after signing
            ("carol", "approve", { e in (e.statement, e.signature) = (bobsDenial.statement, bobsDenial.signature) }),          // 9: a denial turned into an approval
            ("mallory", "approve", { _ in }),                                 // 10: not in `from`
            ("carol", "approve", { _ in }),                                   // 11: counts
        ])
        let refused = JournalTrust.check(all, runID: "run-1", checker: keys.checker)
        #expect(refused.map(\.seq) == [3, 4, 6, 7, 8, 9, 10], "\(refused)")
        #expect(refused[0].why.contains("not signed"))
        #expect(refused[1].why.contains("operator's own key"))
        #expect(refused[2].why.contains("one key is one person"))
        #expect(refused[3].why.contains("not in allowed_signers"))
        #expect(refused[4].why.contains("does not match"))
        #expect(refused[5].why.contains("signed as 'deny'"))
        #expect(refused[6].why.contains("mallory is not among"))
        #expect(refused[0].named == "event 3 (approval_given, step 'drop')")
        let believed = RunState(replaying: JournalTrust.believed(all, refused: refused))
        #expect(believed.approverNames("drop") == ["bob", "carol"])
        // Everything believed: bob's key counted once, alice's not at all.
        let naive = RunState(replaying: all)
        #expect(naive.approvers("drop").count == 5, "without the check, the forgeries would count: \(naive.approverNames("drop"))")
    }

    @Test func anApprovalOfAnEarlierRequestDoesNotCarryANewOne() throws {
        var all = try events([("bob", "approve", { _ in }), ("carol", "approve", { _ in })])
        var again = JournalEvent(seq: 5, at: "x", t: 5, event: .approvalRequested)
        again.step = "drop"
        again.text = "DROP DATABASE prod"
        again.sha256 = SignedStatement.digest("DROP DATABASE prod")
        all.append(again)
        var replayed = all[2]
        replayed.seq = 6
        all.append(replayed)
        let refused = JournalTrust.check(all, runID: "run-1", checker: keys.checker)
        #expect(refused.map(\.seq) == [6])
        #expect(refused.first?.why.contains("another command") == true)
        #expect(!RunState(replaying: all).approved("drop", Approval(count: 1)))
    }
}

/// What the evidence keeps of people's part in a team run.
@Suite("approvals and hand-offs in records and traces")
struct TeamEvidenceTests {
    static func event(_ seq: Int, _ t: Double, _ kind: JournalEvent.Kind, step: String? = nil, _ fill: (inout JournalEvent) -> Void = { _ in }) -> JournalEvent {
        var e = JournalEvent(seq: seq, at: "2026-11-29T09:00:00Z", t: t, event: kind)
        e.step = step
        fill(&e)
        return e
    }

    static let events: [JournalEvent] = {
        var info = JournalEvent.RunInfo(runID: "r", runbook: "t", runbookPath: "runbooks/t.yaml", runbookHash: "", operatorName: "Alice", host: "h",
                                        params: [:], yes: false, startedAt: "2026-11-29T09:00:00Z")
        info.osUser = "alice"
        return [
            event(1, 0, .runStarted) { $0.run = info },
            event(2, 1, .stepStarted, step: "drop") { $0.text = "run" },
            event(3, 10, .approvalRequested, step: "drop") { $0.approval = .init(count: 1, from: nil) },
            event(4, 40, .approvalGiven, step: "drop") { $0.by = "bob"; $0.value = "req-1" },
            event(5, 41, .attemptStarted, step: "drop") { $0.attempt = 1 },
            event(6, 45, .stepFinished, step: "drop") { $0.outcome = "done"; $0.attempt = 1 },
            event(7, 50, .runPaused) { $0.text = "taken over by carol" },
            event(8, 70, .handoff) { $0.by = "carol"; $0.text = "alice is off shift" },
            event(9, 70, .runResumed),
            event(10, 75, .runFinished) { $0.outcome = "completed" },
        ]
    }()

    @Test func theRecordKeepsWhoApprovedHowLongTheRunWaitedAndEachHandoff() throws {
        let drill = DrillSetup(name: "d", mode: "live", rtoSeconds: 600, faults: [], expectEscalation: nil, recordsDir: "/tmp/unused", junit: nil)
        let record = try #require(DrillRecorder.record(events: Self.events, drill: drill, steps: [("drop", .init(kind: .run, expect: nil))],
                                                       runbookCommit: nil, runbookDirty: false))
        #expect(record.approvals == [.init(step: "drop", by: "bob", atSeconds: 40, waitedSeconds: 30)])
        #expect(record.handoffs == [.init(from: "alice", to: "carol", atSeconds: 70, reason: "alice is off shift")])
        // The 30 s waiting for bob and the 20 s paused until carol resumed are people's time.
        #expect(record.humanSeconds == 50)
        let json = record.json.serialized()
        #expect(json.contains("\"approvals\":[{\"step\":\"drop\",\"by\":\"bob\",\"at_seconds\":40.0,\"waited_seconds\":30.0}]"), "\(json)")
        #expect(json.contains("\"handoffs\":[{\"from\":\"alice\",\"to\":\"carol\",\"at_seconds\":70.0,\"reason\":\"alice is off shift\"}]"), "\(json)")
        let state = RunState(replaying: Self.events)
        #expect(state.operatorUser == "carol")
        #expect(state.takenRequests == ["req-1"])
    }

    @Test func theTraceHasAnApprovalSpanAndAHandoffEvent() throws {
        let spans = Trace.spans(Self.events)
        let approval = try #require(spans.first { $0.name == "approval" })
        #expect(approval.parent == "step drop")
        #expect(approval.start == 10 && approval.end == 40)
        #expect(approval.attributes.contains { $0.0 == "muster.approval.by" && $0.1 == .string("bob") })
        #expect(spans[0].events.contains { $0.1 == "handoff" })
    }
}

/// A shared run's journal can lose its place to another machine's events.
@Suite("events another machine wrote first")
struct SupersededTests {
    /// Loses event 1 to another machine's `run_started` of the same id.
    final class LosingJournal: JournalSink {
        var events: [JournalEvent] = []
        func append(_ event: JournalEvent) throws(JournalError) {
            guard event.seq == 1, event.event == .runStarted else { return events.append(event) }
            var other = JournalEvent(seq: 1, at: event.at, t: 0, event: .runStarted)
            other.run = JournalEvent.RunInfo(runID: "run-1", runbook: "t", runbookPath: "runbooks/t.yaml", runbookHash: "", operatorName: "Bob",
                                             host: "laptop-2", params: [:], yes: false, startedAt: event.at)
            var e = JournalError(message: "event 1 was written by another machine")
            e.superseded = [other]
            throw e
        }
    }

    @Test func aRunStartedElsewhereWithTheSameIdStopsThisOneBeforeAnythingRuns() throws {
        let rb = try loadRunbook("""
        muster: 1
        name: t
        title: T
        steps:
          - id: a
            title: A
            run: echo a
        """)
        let runner = FakeRunner()
        let journal = LosingJournal()
        final class Screen: RunConsole {
            var warnings: [String] = []
            var isInteractive: Bool { false }
            func show(_ message: ConsoleMessage) { if case .warning(let w) = message { warnings.append(w) } }
            func ask(_ question: String, hint: String, status: String) -> AnswerRead { .eof }
        }
        let screen = Screen()
        var setup = RunSetup(runbook: rb, params: [:], secrets: [:], runID: "run-1", operatorName: "alice", yes: true, includes: [:], baseEnvironment: [:])
        setup.host = "laptop-1"
        let e = Executor(setup: setup, state: RunState(), journal: journal, console: screen, runner: runner,
                         baseElapsed: 0, clock: FakeClock(frozen: true, now: 0, stamp: "2026-11-29T09:00:00Z"))
        guard case .notStarted = e.execute(resumed: false) else { Issue.record("the run went on"); return }
        #expect(runner.ran.isEmpty)
        #expect(journal.events.isEmpty)
        #expect(screen.warnings.contains { $0.contains("another machine (laptop-2) started a run with the same id run-1") }, "\(screen.warnings)")
    }
}

@Suite("approval: the key as written")
struct ApprovalKeyTests {
    func diagnostics(_ yaml: String) throws -> [String] {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("muster-approval-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir + "/runbooks", withIntermediateDirectories: true)
        try yaml.write(toFile: dir + "/runbooks/t.yaml", atomically: true, encoding: .utf8)
        return Catalog(currentDirectory: dir) { _ in dir }.load(dir + "/runbooks/t.yaml").diagnostics.map { "\($0.mark?.line ?? 0):\($0.mark?.column ?? 0) \($0.message)" }
    }

    @Test func everyMistakeIsSaidWhereItIs() throws {
        let found = try diagnostics("""
        muster: 1
        name: t
        title: T
        steps:
          - id: a
            title: A
            manual: [x]
            approval: true
          - id: b
            title: B
            run: echo b
            approvel: true
          - id: c
            title: C
            run: echo c
            approval: {cuont: 2}
          - id: d
            title: D
            run: echo d
            approval: {count: 0, from: alice}
          - id: e
            title: E
            run: echo e
            approval: {count: 3, from: [alice, bob, alice]}
          - id: f
            title: F
            run: echo f
            approval: maybe
        """)
        #expect(found == [
            "8:5 'approval' applies to automated steps (run, wait, http, ci), not to a manual step",
            "12:5 unknown key 'approvel' in step 'b' (did you mean 'approval'?)",
            "16:16 unknown key 'cuont' in approval (did you mean 'count'?)",
            "20:23 'approval.count' must be between 1 and 10, not 0",
            "20:32 'approval.from' must be a list of names in allowed_signers, like [alice, bob]",
            "24:23 'approval.count' is 3 but 'from' names only 2 people: the step could never be approved",
            "24:45 'alice' is listed twice in 'approval.from'",
            "28:15 'approval' must be true, false or {count: N, from: [names in allowed_signers]}, not 'maybe'",
        ], "\(found)")
    }

    @Test func theFormsThatMeanSomething() throws {
        let rb = try loadRunbook("""
        muster: 1
        name: t
        title: T
        steps:
          - {id: a, title: A, run: a, approval: true}
          - {id: b, title: B, run: b, approval: false}
          - {id: c, title: C, run: c, approval: {count: 2, from: [alice, bob.smith, carol_1]}}
        """)
        #expect(rb.steps.map { $0.automation?.approval } == [Approval(), nil, Approval(count: 2, from: ["alice", "bob.smith", "carol_1"])])
    }
}
