import Foundation
@testable import MusterEngine
@testable import MusterJournal
import Testing

/// The journal's own writing of an event is the encoder's line byte for
/// byte (the hash chain and every reader see the same file), over every
/// field it writes and text that needs escapes; what it does not write is
/// left to the encoder.
@Suite("Journal lines written without the encoder")
struct JournalLineTests {
    static func encoded(_ e: JournalEvent) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(e))
    }

    static var texts: [String] {
        var controls = ""
        for u in 0..<0x20 { controls.unicodeScalars.append(Unicode.Scalar(UInt8(u))) }
        return ["", "plain", controls, "\u{7F}\u{80}\u{9B}\u{2028} / \" \\ é 🚀", "{\"hash\":\"x\"}"]
    }

    static var events: [JournalEvent] {
        var all: [JournalEvent] = []
        var started = JournalEvent(seq: 2, at: "2026-12-06T16:33:33Z", t: 0.004, event: .stepStarted)
        started.step = "s0"; started.text = "run"; started.attempt = 1
        all.append(started)
        var finished = JournalEvent(seq: 3, at: "2026-12-06T16:33:33Z", t: 0.065, event: .stepFinished)
        finished.step = "s0"; finished.attempt = 1; finished.exit = 0; finished.outcome = "done"; finished.seconds = 0.061
        all.append(finished)
        for text in texts {
            var e = JournalEvent(seq: 1 << 53, at: text, t: 12345.678, event: .attemptFinished)
            e.step = text; e.item = 7; e.answer = text; e.text = text; e.name = text; e.value = text
            e.attempt = 3; e.exit = -1; e.status = 503; e.seconds = 1e-05; e.timedOut = true; e.outcome = text
            e.contact = text; e.auto = false; e.outputs = ["b": text, "B": "2", "a10": "x", "a9": "y", "_z": text]
            e.tail = [text, text, ""]; e.interrupted = true; e.masked = [text]; e.by = text; e.identity = text
            e.statement = text; e.signature = text; e.key = text; e.sha256 = text; e.osUser = text
            e.items = [text, "b"]; e.seen = ["x": text, "X": ""]
            all.append(e)
        }
        for t in [0, 1, 2.5, 1e-05, 123456789, 1e16, 1e17, 0.1 + 0.2, -0.0, 1e300, Double.leastNonzeroMagnitude] {
            var e = JournalEvent(seq: 0, at: "", t: t, event: .note)
            e.seconds = t; e.outputs = [:]; e.tail = []; e.seen = [:]
            all.append(e)
        }
        for kind in [JournalEvent.Kind.runPaused, .runFinished, .escalated, .guardBreached, .handoff, .decided] {
            all.append(JournalEvent(seq: 9, at: "a", t: 1, event: kind))
        }
        return all
    }

    @Test func eachEventIsTheEncodersLineByteForByte() throws {
        for e in Self.events {
            let ours = try #require(JournalLine.body(e), "\(e)")
            let theirs = try Self.encoded(e)
            #expect(ours == theirs, "\(String(decoding: ours, as: UTF8.self))\n\(String(decoding: theirs, as: UTF8.self))")
        }
    }

    @Test func whatItDoesNotWriteIsLeftToTheEncoder() {
        var run = JournalEvent(seq: 1, at: "a", t: 0, event: .runStarted)
        run.run = JournalEvent.RunInfo(runID: "r", runbook: "b", runbookPath: "p", runbookHash: "h", operatorName: "o", host: "h",
                                       params: [:], yes: true, startedAt: "a")
        var leftovers = JournalEvent(seq: 1, at: "a", t: 0, event: .stepFinished)
        leftovers.leftovers = [.init(pid: 1, command: "sleep 9", kept: true)]
        var approval = JournalEvent(seq: 1, at: "a", t: 0, event: .approvalRequested)
        approval.approval = .init(count: 1, from: nil)
        var unicodeKey = JournalEvent(seq: 1, at: "a", t: 0, event: .stepFinished)
        unicodeKey.outputs = ["é": "1", "e": "2"]
        var notFinite = JournalEvent(seq: 1, at: "a", t: .infinity, event: .note)
        notFinite.text = "x"
        var hashed = JournalEvent(seq: 1, at: "a", t: 0, event: .note)
        hashed.hash = "00"
        for e in [run, leftovers, approval, unicodeKey, notFinite, hashed] { #expect(JournalLine.body(e) == nil, "\(e)") }
    }

    @Test func theJournalWritesTheSameLinesEitherWay() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("muster-journal-line-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let journal = try FileJournal(path: dir + "/journal.jsonl")
        for e in Self.events { try journal.append(e) }
        let lines = try String(contentsOfFile: dir + "/journal.jsonl", encoding: .utf8).split(separator: "\n")
        #expect(lines.count == Self.events.count)
        var previous = ""
        for (line, e) in zip(lines, Self.events) {
            let bytes = Array(line.utf8)
            let split = try #require(JournalChain.split(bytes))
            #expect(split.body == (try Self.encoded(e)))
            #expect(split.hash == JournalChain.hash(previous: previous, body: split.body))
            previous = split.hash
        }
        let (read, warning) = try FileJournal.read(path: dir + "/journal.jsonl")
        #expect(warning == nil)
        #expect(read == Self.events)
    }
}
