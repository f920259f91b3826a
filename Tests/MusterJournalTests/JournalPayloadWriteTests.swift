import Foundation
@testable import MusterBasics
@testable import MusterEngine
@testable import MusterFormat
@testable import MusterJournal
import Testing

/// Writers say what happened as a `Payload`, and `JournalEvent(seq:at:t:step:_:)`
/// writes the flat line: the same bytes the flat writers wrote before it
/// (older releases read them, and old journals resume), read back as the
/// same payload. Where an old or hand-edited line does not come back as it
/// was, the read side gave it a default on purpose: those cases are listed
/// here, each with its reason.
@Suite("journal events written from typed payloads")
struct JournalPayloadWriteTests {
    typealias E = JournalEvent

    /// As FileJournal writes a line: its own writer where it has one, else
    /// the encoder (keys sorted, slashes not escaped).
    static func line(_ e: JournalEvent) throws -> String {
        if let fast = JournalLine.body(e) { return String(decoding: fast, as: UTF8.self) }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(e), as: UTF8.self)
    }

    static func decoded(_ line: String) throws -> JournalEvent {
        try JSONDecoder().decode(JournalEvent.self, from: Data(line.utf8))
    }

    /// The typed line, made as the journal makes it.
    static func typed(_ p: E.Payload, step: String? = "s") -> JournalEvent {
        E(seq: 5, at: "2026-12-06T21:40:00Z", t: 12.345, step: step, p)
    }

    /// The flat line, made as the writers made it before they were typed.
    static func flat(_ kind: E.Kind, step: String? = "s", _ fill: (inout JournalEvent) -> Void) -> JournalEvent {
        var e = E(seq: 5, at: "2026-12-06T21:40:00Z", t: 12.345, event: kind)
        e.step = step
        fill(&e)
        return e
    }

    static let proof = E.Proof(statement: "muster-session v1\nrun r1", signature: "-----BEGIN SSH SIGNATURE-----\nU1NI\n-----END SSH SIGNATURE-----", key: "SHA256:k3y")
    static let pipeline = PipelineRef(provider: .gitlab, kind: "pipeline", [.init("id", 701)])
    static let token = PipelineRef(provider: .gitlab, kind: "trigger", [.init("after", 700)])
    static let facts = E.AttemptFacts(attempt: 2, exit: 3, seconds: 1.25, timedOut: true, tail: ["last", "lines"],
                                      leftovers: [.init(pid: 4242, command: "sleep 600", kept: true)])
    static let info: E.RunInfo = {
        var run = E.RunInfo(runID: "20261206T214000Z-restore", runbook: "restore", runbookPath: "runbooks/restore.yaml", runbookHash: "0938f7b5",
                            operatorName: "Ann", host: "vm", params: ["region": "eu-north-1"], yes: false, startedAt: "2026-12-06T21:40:00Z",
                            includedHashes: ["db": "abc"], runbookCommit: "e308cf98", runbookDirty: false)
        run.osUser = "ann"
        run.identity = "arn:aws:sts::1:assumed-role/ops/ann"
        return run
    }()

    /// Every kind, with its optional parts set and (where a writer leaves
    /// them out) unset.
    static let samples: [E.Payload] = [
        .runStarted(info, proof: proof),
        .runStarted(info, proof: E.Proof()),
        .runResumed(text: "resumed by Ann on vm", auto: true, proof: proof),
        .runResumed(text: "resumed by Ann on vm", auto: false, proof: E.Proof()),
        .stepStarted(kind: .run, attempt: 1, items: nil),
        .stepStarted(kind: .manual, attempt: nil, items: ["a", "b"]),
        .stepStarted(kind: .run, attempt: nil, items: []),
        .itemAnswered(item: 0, answer: .done, isNote: false, reason: nil, auto: true),
        .itemAnswered(item: 1, answer: .skipped, isNote: false, reason: "not needed", auto: false),
        .itemAnswered(item: 2, answer: nil, isNote: true, reason: "an early note", auto: false),
        .note(item: 1, text: "called the DBA"),
        .answered(name: "ticket", value: "T-42", masked: false),
        .answered(name: "token", value: "***", masked: true),
        .decided(name: "go", option: "failover", reason: "lag", by: "Ann", masked: false),
        .decided(name: "go", option: "***", reason: "lag", by: "muster (default_after)", masked: true),
        .gateAnswered(.run, reason: nil, auto: true),
        .gateAnswered(.skip, reason: "done by hand", auto: false),
        .attemptStarted(attempt: 3),
        .attemptFinished(E.AttemptEnd(facts, interrupted: true, problem: "exited with status 3")),
        .attemptFinished(E.AttemptEnd(E.AttemptFacts(attempt: 1, status: 503, seconds: 0.2), problem: "expected 200, got 503")),
        .failureChoice(.retry, text: nil),
        .failureChoice(.done, text: "restarted it by hand"),
        .stepFinished(E.StepEnd(.done, outputs: ["snap": "snap-1", "key": "***"], masked: ["key"], facts: facts)),
        .stepFinished(E.StepEnd(.skipped, text: "skipped: its condition is false")),
        .stepFinished(E.StepEnd(.rehearsed, facts: E.AttemptFacts(attempt: 1, exit: 0, seconds: 0))),
        .escalated(contact: "IC", rung: 2, answered: false),
        .escalated(contact: "DBA on call", rung: nil, answered: true),
        .rollbackStarted(reason: "'promote' failed"),
        .rollbackStarted(reason: nil),
        .rollbackFinished(E.RollbackEnd(exit: 1, seconds: 0.5, timedOut: true)),
        .rollbackFinished(E.RollbackEnd(text: "not run: undo what it did by hand")),
        .runPaused(why: "answers ran out (end of input)"),
        .runFinished(.completed, why: nil),
        .runFinished(.rollbackIncomplete, why: "'promote' failed"),
        .runAbandoned(by: "ann on vm", why: "superseded"),
        .pipelineStarted(pipeline, text: "GitLab pipeline 701", legacy: nil),
        .pipelineStarted(nil, text: "Jenkins build #12", legacy: E.LegacyPipeline(id: "job/ops/job/deploy/12", item: 1)),
        .pipelineTriggering(token, attempt: 1),
        .pipelineAbsent(token, attempt: 2),
        .pipelineCancelled(pipeline, text: "cancelled GitLab pipeline 701"),
        .faultInjected(text: "disk full"),
        .approvalRequested(sha256: "5ha", shown: "pg_ctl promote\nsystemctl restart app", who: "2 of ops",
                           rule: E.ApprovalInfo(count: 2, from: ["ops"])),
        .approvalGiven(E.Approving(request: "approve-1.json", by: "bob", name: "Bob", osUser: "bob", identity: "arn:aws:sts::1:assumed-role/ops/bob", proof: proof)),
        .approvalDenied(E.Approving(request: "deny-2.json", by: "carol"), reason: "not during the freeze"),
        .handoff(E.Handoff(request: "takeover-3.json", by: "dave", name: "Dave", osUser: "dave", identity: "arn:aws:sts::1:assumed-role/ops/dave",
                           reason: "shift change", proof: proof)),
        .handoff(E.Handoff(request: nil, by: "", reason: nil)),
        .runUnshared(why: "the shared store s3://b cannot be reached: timeout; going on alone"),
        .runShared(text: "the shared store s3://b answers again; every event is in it"),
        .conditionChecked(E.ConditionCheck(holds: true, text: "lag < 30 is true", seen: ["lag": "3"])),
        .conditionChecked(E.ConditionCheck(holds: false, text: "lag < 30 is false", seen: [:])),
        .conditionChecked(E.ConditionCheck(holds: nil, text: "its condition could not be evaluated: no lag", seen: [:])),
        .runClosing(by: "ann on vm", why: "superseded"),
        .guardBreached(guardKey: "db/lag", why: "lag is 90"),
        .guardAnswered(guardKey: "db/lag", answer: "rollback", text: "lag is 90", auto: true),
        .guardAnswered(guardKey: "db/lag", answer: "continue", text: "lag is 90", auto: false),
    ]

    @Test func everyKindHasARoundTrip() {
        let covered = Set(Self.samples.map(\.kind))
        for kind in E.Kind.allCases {
            #expect(covered.contains(kind), "no payload of \(kind.rawValue) is written and read back here: add one to `samples`")
        }
    }

    @Test(arguments: samples)
    func aPayloadWrittenReadsBackTheSame(_ p: E.Payload) throws {
        let e = Self.typed(p)
        #expect(e.event == p.kind)
        #expect(e.payload == p)
        // And through the file's bytes.
        let back = try Self.decoded(try Self.line(e))
        #expect(back.payload == p)
        #expect(back == e)
    }

    /// Each writer's line before and after it was typed (the flat fills are
    /// the writers' own code as it was, values made up): the same bytes.
    @Test func writersWriteTheLinesTheyWroteBefore() throws {
        // Attempt.describe, as it was.
        func describe(_ a: Attempt, _ e: inout JournalEvent, attempt n: Int) {
            e.attempt = n
            if let h = a.httpStatus { e.status = h } else { e.exit = Int(a.status) }
            e.seconds = (a.seconds * 1000).rounded() / 1000
            e.timedOut = a.timedOut ? true : nil
            e.tail = a.tail.isEmpty ? nil : a.tail
            e.leftovers = a.leftovers.isEmpty ? nil : a.leftovers
        }
        var ran = Attempt(ok: false, status: 2, seconds: 1.23456, timedOut: true, tail: ["boom"], problem: "exited with status 2")
        ran.leftovers = [.init(pid: 7, command: "sleep 9", kept: false)]
        let http = Attempt(ok: true, status: 0, seconds: 0.0004, httpStatus: 200)
        var quiet = Attempt(ok: true, status: 0, seconds: 2)
        quiet.outputs = ["snap": "snap-1"]
        let p = Self.proof
        func sign(_ e: inout JournalEvent) {
            e.statement = p.statement
            e.signature = p.signature
            e.key = p.key
        }
        let pairs: [(E.Payload, JournalEvent)] = [
            // Executor+Automated
            (.attemptStarted(attempt: 2), Self.flat(.attemptStarted) { $0.attempt = 2 }),
            (.stepStarted(kind: .http, attempt: 1, items: nil), Self.flat(.stepStarted) { $0.text = StepKind.http.rawValue; $0.attempt = 1 }),
            (.stepFinished(.init(.skipped, text: "not now", facts: http.facts(attempt: 1))),
             Self.flat(.stepFinished) { describe(http, &$0, attempt: 1); $0.outcome = "skipped"; $0.text = "not now" }),
            (.stepFinished(.init(.done, outputs: quiet.outputs, facts: quiet.facts(attempt: 3))),
             Self.flat(.stepFinished) { describe(quiet, &$0, attempt: 3); $0.outcome = "done"; $0.outputs = quiet.outputs }),
            (.stepFinished(.init(.rehearsed, outputs: http.outputs, facts: http.facts(attempt: 1))),
             Self.flat(.stepFinished) { describe(http, &$0, attempt: 1); $0.outcome = "rehearsed"; $0.outputs = http.outputs.isEmpty ? nil : http.outputs }),
            (.attemptFinished(.init(ran.facts(attempt: 2), interrupted: true, problem: ran.problem)),
             Self.flat(.attemptFinished) { describe(ran, &$0, attempt: 2); $0.text = ran.problem; $0.interrupted = true }),
            (.attemptFinished(.init(http.facts(attempt: 1), interrupted: false, problem: nil)),
             Self.flat(.attemptFinished) { describe(http, &$0, attempt: 1); $0.text = nil; $0.interrupted = nil }),
            // Executor+Prompts, Executor+Walk, Executor
            (.escalated(contact: "IC", rung: 1, answered: false), Self.flat(.escalated) { $0.contact = "IC"; $0.item = 1; $0.text = JournalEvent.noAnswer }),
            (.escalated(contact: "IC", rung: nil, answered: true), Self.flat(.escalated) { $0.contact = "IC"; $0.item = nil }),
            (.runAbandoned(by: "ann on vm", why: "abandoned"), Self.flat(.runAbandoned, step: nil) { $0.by = "ann on vm"; $0.text = "abandoned" }),
            (.runFinished(.failed, why: "'b' failed"), Self.flat(.runFinished, step: nil) { $0.outcome = "failed"; $0.text = "'b' failed" }),
            (.runFinished(.completed, why: nil), Self.flat(.runFinished, step: nil) { $0.outcome = "completed"; $0.text = nil }),
            (.stepFinished(.init(.skipped, text: "skipped: " + "its condition is false")),
             Self.flat(.stepFinished) { $0.outcome = "skipped"; $0.text = "skipped: its condition is false" }),
            (.stepStarted(kind: .manual, attempt: nil, items: nil), Self.flat(.stepStarted) { $0.text = "manual" }),
            (.runPaused(why: "operator aborted at 's'"), Self.flat(.runPaused, step: nil) { $0.text = "operator aborted at 's'" }),
            // FailureDesk
            (.stepFinished(.init(.failed, text: "exited with status 1")), Self.flat(.stepFinished) { $0.outcome = "failed"; $0.text = "exited with status 1" }),
            (.failureChoice(.retry, text: nil), Self.flat(.failureChoice) { $0.answer = "retry" }),
            (.failureChoice(.skip, text: "not needed"), Self.flat(.failureChoice) { $0.answer = "skip"; $0.text = "not needed" }),
            (.failureChoice(.done, text: "by hand"), Self.flat(.failureChoice) { $0.answer = "done"; $0.text = "by hand" }),
            (.stepFinished(.init(.done, text: "marked done by hand: by hand")), Self.flat(.stepFinished) { $0.outcome = "done"; $0.text = "marked done by hand: by hand" }),
            (.failureChoice(.rollback, text: nil), Self.flat(.failureChoice) { $0.answer = "rollback" }),
            (.stepFinished(.init(.failed)), Self.flat(.stepFinished) { $0.outcome = "failed" }),
            // ManualDesk
            (.itemAnswered(item: 0, answer: .done, isNote: false, reason: nil, auto: false), Self.flat(.itemAnswered) { $0.item = 0; $0.answer = "done" }),
            (.itemAnswered(item: 1, answer: .skipped, isNote: false, reason: "n/a", auto: false),
             Self.flat(.itemAnswered) { $0.item = 1; $0.answer = "skipped"; $0.text = "n/a" }),
            (.note(item: 1, text: "noted"), Self.flat(.note) { $0.item = 1; $0.text = "noted" }),
            (.itemAnswered(item: 2, answer: .done, isNote: false, reason: nil, auto: true), Self.flat(.itemAnswered) { $0.item = 2; $0.answer = "done"; $0.auto = true }),
            (.answered(name: "ticket", value: "T-42", masked: false), Self.flat(.answered) { $0.name = "ticket"; $0.value = "T-42" }),
            (.answered(name: "token", value: "***", masked: true), Self.flat(.answered) { $0.name = "token"; $0.value = "***"; $0.masked = ["token"] }),
            // GateDesk
            (.gateAnswered(.run, reason: nil, auto: true), Self.flat(.gateAnswered) { $0.answer = "run"; $0.auto = true }),
            (.gateAnswered(.run, reason: nil, auto: false), Self.flat(.gateAnswered) { $0.answer = "run" }),
            (.gateAnswered(.skip, reason: "later", auto: false), Self.flat(.gateAnswered) { $0.answer = "skip"; $0.text = "later" }),
            // DrillAttempt, DecisionDesk, GuardDesk
            (.faultInjected(text: "disk full"), Self.flat(.faultInjected) { $0.text = "disk full" }),
            (.decided(name: "go", option: "failover", reason: "nobody decided", by: "muster (default_after)", masked: false),
             Self.flat(.decided) { $0.name = "go"; $0.value = "failover"; $0.text = "nobody decided"; $0.by = "muster (default_after)" }),
            (.guardBreached(guardKey: "db/lag", why: "lag 90"), Self.flat(.guardBreached, step: nil) { $0.value = "db/lag"; $0.text = "lag 90" }),
            (.guardAnswered(guardKey: "db/lag", answer: "abort", text: "lag 90", auto: true),
             Self.flat(.guardAnswered, step: nil) { $0.value = "db/lag"; $0.answer = "abort"; $0.text = "lag 90"; $0.auto = true }),
            (.guardAnswered(guardKey: "db/lag", answer: "continue", text: "lag 90", auto: false),
             Self.flat(.guardAnswered, step: nil) { $0.value = "db/lag"; $0.answer = "continue"; $0.text = "lag 90"; $0.auto = nil }),
            // RollbackDesk
            (.rollbackStarted(reason: "'b' failed"), Self.flat(.rollbackStarted, step: nil) { $0.text = "'b' failed" }),
            (.runFinished(.rolledBack, why: "'b' failed"), Self.flat(.runFinished, step: nil) { $0.outcome = "rolled_back"; $0.text = "'b' failed" }),
            (.rollbackFinished(.init(text: "not run: undo what it did by hand")), Self.flat(.rollbackFinished) { $0.text = "not run: undo what it did by hand" }),
            (.rollbackStarted(reason: nil), Self.flat(.rollbackStarted) { _ in }),
            (.rollbackFinished(.init(exit: 2, seconds: (ran.seconds * 1000).rounded() / 1000, timedOut: true)),
             Self.flat(.rollbackFinished) { $0.exit = 2; $0.seconds = (ran.seconds * 1000).rounded() / 1000; $0.timedOut = true }),
            (.rollbackFinished(.init(exit: 0, seconds: 0.1, timedOut: false)), Self.flat(.rollbackFinished) { $0.exit = 0; $0.seconds = 0.1; $0.timedOut = nil }),
            // FlowDesk
            (.conditionChecked(.init(holds: true, text: "x is true", seen: ["x": "1"])),
             Self.flat(.conditionChecked) { $0.value = "true"; $0.text = "x is true"; $0.seen = ["x": "1"] }),
            (.conditionChecked(.init(holds: false, text: "x is false", seen: [:])), Self.flat(.conditionChecked) { $0.value = "false"; $0.text = "x is false"; $0.seen = [:] }),
            (.conditionChecked(.init(holds: nil, text: "its condition could not be evaluated: no x", seen: [:])),
             Self.flat(.conditionChecked) { $0.text = "its condition could not be evaluated: no x"; $0.seen = [:] }),
            (.stepStarted(kind: .runbook, attempt: nil, items: []), Self.flat(.stepStarted) { $0.text = "runbook"; $0.items = [] }),
            (.stepStarted(kind: .manual, attempt: nil, items: ["a"]), Self.flat(.stepStarted) { $0.text = "manual"; $0.items = ["a"] }),
            // PipelineDesk
            (.pipelineAbsent(Self.token, attempt: 2), Self.flat(.pipelineAbsent) { $0.pipeline = Self.token; $0.attempt = 2 }),
            (.pipelineStarted(Self.pipeline, text: "GitLab pipeline 701", legacy: nil), Self.flat(.pipelineStarted) { $0.pipeline = Self.pipeline; $0.text = "GitLab pipeline 701" }),
            (.pipelineCancelled(Self.pipeline, text: "cancelled"), Self.flat(.pipelineCancelled) { $0.pipeline = Self.pipeline; $0.text = "cancelled" }),
            (.pipelineTriggering(Self.token, attempt: nil), Self.flat(.pipelineTriggering) { $0.pipeline = Self.token; $0.attempt = nil }),
            // TeamDesk
            (.approvalRequested(sha256: "5ha", shown: "a\nb", who: "anyone", rule: .init(count: 1, from: nil)),
             Self.flat(.approvalRequested) { $0.text = "a\nb"; $0.sha256 = "5ha"; $0.value = "anyone"; $0.approval = .init(count: 1, from: nil) }),
            (.approvalGiven(.init(request: "approve-1.json", by: "bob", name: "Bob B", osUser: nil, identity: nil, proof: p)),
             Self.flat(.approvalGiven) { e in
                 e.by = "bob"; e.key = p.key; e.statement = p.statement; e.signature = p.signature
                 e.value = "approve-1.json"; e.name = "Bob B"; e.osUser = nil; e.identity = nil
             }),
            (.approvalDenied(.init(request: "deny-1.json", by: "bob", name: "Bob B", osUser: "bob", identity: "arn:x", proof: .init(key: "user:bob")), reason: "no reason given"),
             Self.flat(.approvalDenied) { e in
                 e.by = "bob"; e.key = "user:bob"; e.statement = nil; e.signature = nil
                 e.value = "deny-1.json"; e.name = "Bob B"; e.osUser = "bob"; e.identity = "arn:x"; e.text = "no reason given"
             }),
            // RunSetup
            (.handoff(.init(request: "takeover-1.json", by: "dave", name: "Dave", osUser: "dave", identity: "arn:d", reason: "shift", proof: p)),
             Self.flat(.handoff, step: nil) { e in
                 e.by = "dave"; e.osUser = "dave"; sign(&e); e.identity = "arn:d"; e.name = "Dave"; e.text = "shift"; e.value = "takeover-1.json"
             }),
            (.handoff(.init(request: nil, by: "", name: "Dave", osUser: nil, identity: nil, reason: nil)),
             Self.flat(.handoff, step: nil) { e in e.by = ""; e.osUser = nil; e.identity = nil; e.name = "Dave"; e.text = nil; e.value = nil }),
            (.runResumed(text: "resumed by Ann on vm", auto: true, proof: p), Self.flat(.runResumed, step: nil) { $0.text = "resumed by Ann on vm"; $0.auto = true; sign(&$0) }),
            (.runResumed(text: "resumed by Ann on vm", auto: false, proof: .init()), Self.flat(.runResumed, step: nil) { $0.text = "resumed by Ann on vm"; $0.auto = nil }),
            (.runStarted(Self.info, proof: p), Self.flat(.runStarted, step: nil) { $0.run = Self.info; sign(&$0) }),
            // SharedJournal, AbandonRun
            (.runUnshared(why: "gone; going on alone"), Self.flat(.runUnshared, step: nil) { $0.text = "gone; going on alone" }),
            (.runShared(text: "the shared store s3://b answers again; every event is in it"),
             Self.flat(.runShared, step: nil) { $0.text = "the shared store s3://b answers again; every event is in it" }),
            (.runClosing(by: "ann on vm", why: "superseded"), Self.flat(.runClosing, step: nil) { $0.by = "ann on vm"; $0.text = "superseded" }),
        ]
        for (payload, before) in pairs {
            let after = Self.typed(payload, step: before.step)
            #expect(try Self.line(after) == Self.line(before))
            #expect(after.payload == payload)
        }
    }

    /// Every journal under Tests/ (fixtures of this and earlier releases,
    /// `written-before-typed` by the flat writers): each line, read and
    /// written again from its payload, is the line in the file.
    @Test func everyFixtureLineIsWrittenAgainAsItWas() throws {
        let tests = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        let found = FileManager.default.enumerator(at: tests, includingPropertiesForKeys: nil)?
            .compactMap { $0 as? URL }.filter { $0.lastPathComponent == "journal.jsonl" } ?? []
        #expect(found.count >= 12, "the fixture journals were not found under \(tests.path)")
        var lines = 0
        var kinds: Set<E.Kind> = []
        for file in found {
            let text = try String(contentsOf: file, encoding: .utf8)
            for raw in text.split(separator: "\n").map(String.init) {
                let original = try Self.decoded(raw)
                let again = JournalEvent(seq: original.seq, at: original.at, t: original.t, step: original.step, original.payload)
                // The chain's hash is the journal file's, sealed after the body.
                #expect(try Self.line(again) == Self.body(raw), "\(file.path): \(raw)")
                var unsealed = original
                unsealed.hash = nil
                #expect(again == unsealed, "\(file.path): \(raw)")
                lines += 1
                kinds.insert(original.event)
            }
        }
        #expect(lines >= 135 && kinds.count >= 24, "\(lines) lines of \(kinds.count) kinds")
    }

    /// A line as written before JournalChain sealed it: without its hash.
    static func body(_ line: String) -> String {
        guard let r = line.range(of: #",\"hash\":\"[0-9a-f]{64}\"\}$"#, options: .regularExpression) else { return line }
        return line.replacingCharacters(in: r, with: "}")
    }

    /// Old or hand-edited lines the read side gives a default, or drops
    /// what no writer ever wrote: written again, they differ, as listed.
    @Test(arguments: [
        // A default for what the fold needs.
        (#"{"at":"","event":"run_paused","seq":1,"t":0}"#, #"{"at":"","event":"run_paused","seq":1,"t":0,"text":"paused"}"#,
         "a pause without words reads as `paused`"),
        (#"{"at":"","event":"attempt_started","seq":1,"step":"s","t":0}"#, #"{"at":"","attempt":1,"event":"attempt_started","seq":1,"step":"s","t":0}"#,
         "an attempt without a number is the first"),
        (#"{"at":"","event":"escalated","seq":1,"t":0}"#, #"{"at":"","contact":"","event":"escalated","seq":1,"t":0}"#,
         "an escalation without a contact called nobody by name"),
        (#"{"at":"","event":"approval_denied","seq":1,"t":0}"#, #"{"at":"","event":"approval_denied","seq":1,"t":0,"text":"no reason given"}"#,
         "a denial without a reason"),
        (#"{"at":"","event":"run_unshared","seq":1,"t":0}"#, #"{"at":"","event":"run_unshared","seq":1,"t":0,"text":"the shared store could not be reached"}"#,
         "unshared without saying why"),
        (#"{"at":"","event":"run_closing","seq":1,"t":0}"#, #"{"at":"","by":"someone","event":"run_closing","seq":1,"t":0,"text":"abandoned"}"#,
         "closing without who or why"),
        (#"{"at":"","event":"guard_breached","seq":1,"t":0}"#, #"{"at":"","event":"guard_breached","seq":1,"t":0,"text":"breached","value":""}"#,
         "a breach without a guard or words"),
        (#"{"at":"","event":"guard_answered","seq":1,"t":0}"#, #"{"at":"","event":"guard_answered","seq":1,"t":0,"value":""}"#,
         "an answer without its guard"),
        // An outcome or answer this release does not know.
        (#"{"at":"","event":"step_finished","outcome":"exploded","seq":1,"t":0}"#, #"{"at":"","event":"step_finished","outcome":"skipped","seq":1,"t":0}"#,
         "an unknown step outcome reads as skipped"),
        (#"{"at":"","event":"step_finished","seq":1,"t":0}"#, #"{"at":"","event":"step_finished","outcome":"done","seq":1,"t":0}"#,
         "the first releases wrote no outcome: done"),
        (#"{"at":"","event":"run_finished","outcome":"exploded","seq":1,"t":0}"#, #"{"at":"","event":"run_finished","outcome":"failed","seq":1,"t":0}"#,
         "an unknown run outcome is a failure"),
        (#"{"answer":"maybe","at":"","event":"gate_answered","seq":1,"t":0}"#, #"{"at":"","event":"gate_answered","seq":1,"t":0}"#,
         "an unknown gate answer passes nothing"),
        (#"{"answer":"maybe","at":"","event":"item_answered","item":0,"seq":1,"t":0}"#, #"{"at":"","event":"item_answered","item":0,"seq":1,"t":0}"#,
         "an unknown item answer"),
        (#"{"answer":"maybe","at":"","event":"failure_choice","seq":1,"t":0}"#, #"{"at":"","event":"failure_choice","seq":1,"t":0}"#,
         "an unknown failure choice"),
        (#"{"at":"","event":"step_started","seq":1,"t":0,"text":"teleport"}"#, #"{"at":"","event":"step_started","seq":1,"t":0}"#,
         "a step kind this release does not know"),
        (#"{"at":"","event":"condition_checked","seq":1,"t":0,"value":"maybe"}"#, #"{"at":"","event":"condition_checked","seq":1,"t":0}"#,
         "a condition neither true nor false could not be evaluated"),
        (#"{"at":"","event":"pipeline_started","seq":1,"t":0,"value":""}"#, #"{"at":"","event":"pipeline_started","seq":1,"t":0}"#,
         "an empty legacy pipeline id names no pipeline"),
        // Flags written false, lists written empty: no writer writes them.
        (#"{"at":"","auto":false,"event":"run_resumed","seq":1,"t":0}"#, #"{"at":"","event":"run_resumed","seq":1,"t":0}"#, "a flag is written only when set"),
        (#"{"at":"","attempt":1,"event":"attempt_finished","exit":0,"interrupted":false,"seq":1,"t":0,"timed_out":false}"#,
         #"{"at":"","attempt":1,"event":"attempt_finished","exit":0,"seq":1,"t":0}"#, "flags written false"),
        (#"{"at":"","event":"step_finished","masked":[],"outcome":"done","outputs":{},"seq":1,"t":0,"tail":[]}"#,
         #"{"at":"","event":"step_finished","outcome":"done","seq":1,"t":0}"#, "empty lists and maps"),
        (#"{"at":"","event":"answered","masked":["other"],"name":"n","seq":1,"t":0,"value":"***"}"#,
         #"{"at":"","event":"answered","masked":["n"],"name":"n","seq":1,"t":0,"value":"***"}"#, "an answer's `masked` names the answer"),
        // Masking names a value it masked in `masked`; only answers and
        // decisions keep that (a resume asks for them again). A guard's key,
        // a request's name or who may approve equal to a secret is masked
        // all the same, but the mark is not read back.
        (#"{"at":"","event":"guard_breached","masked":[""],"seq":1,"t":0,"text":"lag","value":"***"}"#,
         #"{"at":"","event":"guard_breached","seq":1,"t":0,"text":"lag","value":"***"}"#, "`masked` on a value that is no answer"),
        // A field its kind never had.
        (#"{"at":"","by":"eve","event":"step_started","seq":1,"t":0,"text":"run"}"#, #"{"at":"","event":"step_started","seq":1,"t":0,"text":"run"}"#,
         "`by` on a step's start"),
    ])
    func anOldLineReadWithADefaultIsWrittenWithIt(_ old: String, _ rewritten: String, _ why: String) throws {
        let e = try Self.decoded(old)
        let again = JournalEvent(seq: e.seq, at: e.at, t: e.t, step: e.step, e.payload)
        #expect(try Self.line(again) == rewritten, "\(why)")
        #expect(try Self.line(e) != rewritten, "not lossy after all: \(why)")
        // What it was read as stays what it is read as.
        #expect(again.payload == e.payload, "\(why)")
    }
}
