import Foundation
@testable import MusterBasics
@testable import MusterFormat
@testable import MusterEngine
@testable import MusterJournal
@testable import MusterDrills
@testable import MusterTesting
import Testing

@Suite("evidence: SHA-256, the journal chain, recovery points, people's time")
struct EvidenceUnitTests {
    @Test("FIPS 180-4 vectors", arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
        ("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
         "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"),
    ])
    func fipsVectors(input: String, digest: String) {
        #expect(SHA256Hash.hex(Array(input.utf8)) == digest)
    }

    @Test func aMillionAs() {
        var s = SHA256Hash()
        let chunk = [UInt8](repeating: UInt8(ascii: "a"), count: 1000)
        for _ in 0..<1000 { s.update(chunk) }
        #expect(SHA256Hash.hexString(s.finalize()) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    /// Every length around the block and padding edges, against Python's hashlib.
    @Test func agreesWithHashlibOnEveryLengthUpTo300() throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", "import hashlib\nfor n in range(301): print(hashlib.sha256(bytes(i * 7 % 251 for i in range(n))).hexdigest())"]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        let expected = text.split(separator: "\n").map(String.init)
        #expect(expected.count == 301)
        for (n, want) in expected.enumerated() {
            let bytes = (0..<n).map { UInt8($0 * 7 % 251) }
            #expect(SHA256Hash.hex(bytes) == want, "length \(n)")
        }
    }

    @Test func aSealedLineSplitsBackAndChains() {
        let first = JournalChain.seal(body: Array(#"{"seq":1}"#.utf8), previous: "")
        #expect(String(decoding: first.line, as: UTF8.self) == #"{"seq":1,"hash":""# + first.hash + #""}"#)
        let split = JournalChain.split(first.line)
        #expect(split?.hash == first.hash && split?.body == Array(#"{"seq":1}"#.utf8))
        let second = JournalChain.seal(body: Array(#"{"seq":2}"#.utf8), previous: first.hash)
        let journal = Array((String(decoding: first.line, as: UTF8.self) + "\n" + String(decoding: second.line, as: UTF8.self) + "\n").utf8)
        #expect(JournalChain.lastLink(journal) == second.hash)
        // A line without a hash links by its own digest.
        #expect(JournalChain.link(of: Array(#"{"seq":1}"#.utf8)) == SHA256Hash.hex(Array(#"{"seq":1}"#.utf8)))
        #expect(JournalChain.split(Array(#"{"seq":1,"hash":"zz"}"#.utf8)) == nil)
    }

    @Test func verifyingHostileBytesNamesTheLineAndNeverTraps() {
        let lines = [#"{"at":"","event":"run_started","seq":9223372036854775807,"t":0}"#, #"{"at":"","event":"run_finished","seq":1,"t":0}"#]
        let v = JournalVerifier.verify(Array((lines.joined(separator: "\n") + "\n").utf8))
        #expect(v.problemLine == 1 && v.problem?.contains("not a journal event") == true, "\(v)")
        for junk in ["", "\n\n", "{", #"{"hash":"zz"}"#, String(repeating: "x", count: 100)] {
            _ = JournalVerifier.verify(Array(junk.utf8))
        }
    }

    @Test func aLoopItemAndAGroupsStepAreSpansUnderTheirStep() throws {
        func e(_ seq: Int, _ t: Double, _ kind: JournalEvent.Kind, step: String? = nil) -> JournalEvent {
            var ev = JournalEvent(seq: seq, at: "", t: t, event: kind)
            ev.step = step
            return ev
        }
        var started = JournalEvent(seq: 1, at: "2026-11-27T09:00:00Z", t: 0, event: .runStarted)
        started.run = .init(runID: "r1", runbook: "rb", runbookPath: "runbooks/rb.yaml", runbookHash: "", operatorName: "o", host: "h",
                            params: [:], yes: false, startedAt: "2026-11-27T09:00:00Z")
        let events = [started, e(2, 1, .stepStarted, step: "redeploy"), e(3, 1, .stepStarted, step: "redeploy[eu/west]"),
                      e(4, 2, .stepFinished, step: "redeploy[eu/west]"), e(5, 2, .stepFinished, step: "redeploy"),
                      e(6, 3, .stepStarted, step: "g"), e(7, 3, .stepStarted, step: "g/c"), e(8, 4, .stepFinished, step: "g/c"),
                      e(9, 4, .stepFinished, step: "g"), e(10, 5, .runFinished)]
        let spans = Trace.spans(events)
        #expect(spans.first { $0.name == "step redeploy[eu/west]" }?.parent == "step redeploy")
        #expect(spans.first { $0.name == "step g/c" }?.parent == "step g")
        #expect(spans.first { $0.name == "step redeploy" }?.parent == "run")
    }

    @Test func aPauseIsASpanUntilTheResumeAndIdsDependOnlyOnTheRun() throws {
        var started = JournalEvent(seq: 1, at: "2026-11-27T09:00:00Z", t: 0, event: .runStarted)
        started.run = .init(runID: "r1", runbook: "rb", runbookPath: "runbooks/rb.yaml", runbookHash: "", operatorName: "o", host: "h",
                            params: ["region": "eu"], yes: false, startedAt: "2026-11-27T09:00:00Z")
        func e(_ seq: Int, _ t: Double, _ kind: JournalEvent.Kind, step: String? = nil) -> JournalEvent {
            var ev = JournalEvent(seq: seq, at: "", t: t, event: kind)
            ev.step = step
            return ev
        }
        var escalated = e(5, 150, .escalated, step: "a")
        escalated.contact = "Secondary"
        let events = [started, e(2, 1, .stepStarted, step: "a"), e(3, 10, .runPaused), e(4, 100, .runResumed), escalated,
                      e(6, 160, .itemAnswered, step: "a"), e(7, 160, .stepFinished, step: "a"), e(8, 161, .runFinished)]
        let spans = Trace.spans(events)
        let paused = try #require(spans.first { $0.name == "paused" })
        #expect(paused.parent == "run" && paused.start == 10 && paused.end == 100)
        let step = try #require(spans.first { $0.name == "step a" })
        #expect(step.events.map(\.name) == ["escalated"] && step.events.first?.at == 150)
        let item = try #require(spans.first { $0.name.hasPrefix("checklist item") })
        #expect(item.parent == "step a" && item.start == 150 && item.end == 160)
        #expect(Trace.traceID(runID: "r1") == Trace.traceID(runID: "r1") && Trace.traceID(runID: "r1") != Trace.traceID(runID: "r2"))
        #expect(Trace.traceID(runID: "r1").count == 32)
        let body = try #require(Trace.request(events, serviceName: "s", version: "1")).serialized()
        #expect(body == Trace.request(events, serviceName: "s", version: "1")?.serialized())
        #expect(body.contains(#""startTimeUnixNano":"1795770010000000000""#), "the pause began 10 s after 09:00:00Z")
    }

    @Test("recovery point stamps", arguments: [
        ("2026-11-27T09:00:00Z", 1_795_770_000.0),
        ("2026-11-27T09:00:00.250000+00:00", 1_795_770_000.25),
        ("2026-11-27T10:30:00+01:30", 1_795_770_000.0),
        ("2026-11-27 09:00:00", 1_795_770_000.0),
        ("1795770000", 1_795_770_000.0),
        (" 2026-11-27T09:00:00Z ", 1_795_770_000.0),
    ])
    func recoveryPointStamps(text: String, seconds: Double) {
        #expect(RecoveryPoint.seconds(text) == seconds)
    }

    @Test("not a recovery point", arguments: ["", "yesterday", "2026-13-01T00:00:00Z", "2026-11-27T09:00:00Q", "-5", "nan", "2026-11-27"])
    func notARecoveryPoint(text: String) {
        #expect(RecoveryPoint.seconds(text) == nil)
    }

    @Test func theOldestRecoveryPointDecidesAndNewerDataLosesNothing() throws {
        let m = try #require(RecoveryPoint.measure(points: ["2026-11-27T08:30:00Z", "2026-11-27T08:00:00Z", "junk"], startedAt: "2026-11-27T09:00:00Z", rpo: 3000))
        #expect(m.point == "2026-11-27T08:00:00Z" && m.lostSeconds == 3600 && m.met == false)
        let newer = try #require(RecoveryPoint.measure(points: ["2026-11-27T09:05:00Z"], startedAt: "2026-11-27T09:00:00Z", rpo: nil))
        #expect(newer.lostSeconds == 0 && newer.met == nil)
        #expect(RecoveryPoint.measure(points: [], startedAt: "2026-11-27T09:00:00Z", rpo: 60) == nil)
    }

    @Test func peopleTimeIsTheGapsThatAnAnswerEnded() {
        func e(_ seq: Int, _ t: Double, _ kind: JournalEvent.Kind, step: String? = nil, auto: Bool? = nil) -> JournalEvent {
            var ev = JournalEvent(seq: seq, at: "", t: t, event: kind)
            ev.step = step
            ev.auto = auto
            return ev
        }
        let events = [
            e(1, 0, .runStarted), e(2, 1, .stepStarted, step: "a"), e(3, 11, .itemAnswered, step: "a"), e(4, 15, .itemAnswered, step: "a"),
            e(5, 15, .stepFinished, step: "a"), e(6, 16, .stepStarted, step: "b"), e(7, 76, .stepFinished, step: "b"),
            e(8, 77, .gateAnswered, step: "c", auto: true), e(9, 80, .runPaused), e(10, 200, .runResumed), e(11, 201, .runFinished),
        ]
        let split = PeopleTime.split(events)
        #expect(split.human == 10 + 4 + 120)
        #expect(split.automated == 201 - 134)
        #expect(split.waits == [.init(step: "a", atSeconds: 1, seconds: 14), .init(step: nil, atSeconds: 80, seconds: 120)])
    }
}
