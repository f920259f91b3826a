#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import MusterBasics
import MusterFormat
import MusterEngine
import MusterJournal

/// Checks a drill record against its journal (`muster verify RECORD.json`):
/// the journal's chain must be whole, must hold the event whose hash the
/// record carries, and the record rebuilt from the journal up to that event
/// must say what the file says. Pure, so tests alter each side.
public enum RecordVerifier {
    public struct Result: Sendable {
        public var chain: JournalVerification
        /// The first problem, in words; nil when the record matches.
        public var problem: String?
        /// Lines of the journal the record covers.
        public var coveredLines: Int
    }

    /// `text`: the record file's bytes. A record that carries a journal hash
    /// was written by a muster that writes exactly what it rebuilds here,
    /// so any other byte in it is an edit, even one no field shows (a
    /// number changed below the rounding, a key added).
    public static func verify(record: DrillRecord, text: [UInt8]? = nil, journal bytes: [UInt8], journalName: String) -> Result {
        let chain = JournalVerifier.verify(bytes)
        var result = Result(chain: chain, problem: nil, coveredLines: 0)
        if let p = chain.problem {
            result.problem = "the journal \(journalName) is not intact: \(p)"
            return result
        }
        var covered = chain.lines
        if let want = record.journalHash {
            guard let i = chain.hashes.firstIndex(of: want) else {
                result.problem = "the journal \(journalName) does not hold the event the record ends at (hash \(want.prefix(12))…): events were removed from its end, or it was rewritten"
                return result
            }
            covered = i + 1
        }
        result.coveredLines = covered
        let lines = bytes.split(separator: UInt8(ascii: "\n")).prefix(covered)
        let decoder = JSONDecoder()
        let events = lines.compactMap { try? decoder.decode(JournalEvent.self, from: Data($0)) }
        guard let info = events.first(where: { $0.event == .runStarted })?.run, let drill = info.drill else {
            result.problem = "the journal \(journalName) is not a drill's journal (no drill in its run_started event)"
            return result
        }
        guard info.runID == record.runID || record.runID == nil else {
            result.problem = "the record is of run \(record.runID ?? "?"), the journal of run \(info.runID)"
            return result
        }
        // The record's own steps supply kind and `expect` (the runbook is not
        // needed); the journal supplies every time and outcome.
        var facts: [(key: String, facts: DrillRecorder.StepFacts)] = []
        for s in record.steps {
            guard let kind = StepKind(rawValue: s.kind) else {
                result.problem = "the record's step \(s.id) has kind '\(s.kind)', which no runbook step has"
                return result
            }
            var f = DrillRecorder.StepFacts(kind: kind, expect: s.expectSeconds)
            if let rp = record.recoveryPoint {
                let finished = events.last { $0.event == .stepFinished && $0.step == s.id }
                f.recoveryPoints = (finished?.outputs ?? [:]).filter { $0.value == rp }.map(\.key)
            }
            facts.append((s.id, f))
        }
        guard var rebuilt = DrillRecorder.record(events: events, drill: drill, steps: facts,
                                                 runbookCommit: info.runbookCommit, runbookDirty: info.runbookDirty ?? false) else {
            result.problem = "the journal \(journalName) has no run to rebuild the record from"
            return result
        }
        // Not in the journal: the store's times are checked against the
        // store, the signature against allowed_signers (VerifyCommand).
        // Records written before steps named their `parent` have none.
        if !record.steps.contains(where: { $0.parent != nil }) {
            for i in rebuilt.steps.indices { rebuilt.steps[i].parent = nil }
        }
        // Records written before the critical path was kept lack it.
        if record.criticalPath == nil && record.serialSeconds == nil {
            rebuilt.criticalPath = nil; rebuilt.serialSeconds = nil
        }
        // Journals written before drills kept their environment made
        // records without it, nor their values.
        if drill.environment == nil {
            rebuilt.environment = nil
            if record.params == nil { rebuilt.params = nil }
            if record.overrides == nil { rebuilt.overrides = nil }
        }
        rebuilt.journalHash = record.journalHash
        rebuilt.storeTimes = record.storeTimes
        rebuilt.signature = record.signature
        if record.recoveryPoint == nil {
            // Without a recovery point, there is nothing to look for.
            rebuilt.recoveryPoint = nil; rebuilt.rpoSeconds = nil; rebuilt.rpoMet = nil
        }
        guard case .object(let want) = rebuilt.json, case .object(let got) = record.json else { return result }
        let wantByKey = Dictionary(want, uniquingKeysWith: { a, _ in a })
        for (key, value) in got {
            guard let w = wantByKey[key], w != value else { continue }
            // Records written before a key existed say null for it.
            if value == .null || value == .array([]) && key == "people_waits", record.journalHash == nil { continue }
            result.problem = "the record's '\(key)' is \(clip(value.serialized())), but its journal says \(clip(w.serialized())): the record was altered"
            return result
        }
        if result.problem == nil, let text, record.journalHash != nil {
            let expected = Array((written(rebuilt.json, like: text).serialized(pretty: true) + "\n").utf8)
            if text != expected {
                let a = text.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
                let b = expected.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
                let n = Array(zip(a, b)).firstIndex { !$0.0.elementsEqual($0.1) } ?? min(a.count, b.count)
                let line = n < a.count ? String(String(decoding: a[n], as: UTF8.self).drop { $0 == " " }) : "(end of file)"
                result.problem = "line \(n + 1) of the record (\(clip(line))) is not what its journal gives: the record was altered"
            }
        }
        return result
    }

    /// Keys added after the first records with a `journal_hash` that a
    /// record written before them lacks: left out of the rebuilt record
    /// when null, so such a record still compares byte for byte.
    static let laterKeys: Set<String> = ["critical_path", "serial_seconds", "store_times", "signature", "environment", "params", "overrides"]

    static func written(_ json: JSON, like text: [UInt8]) -> JSON {
        guard case .object(let pairs) = json,
              case .object(let present)? = try? JSONDecoder().decode(JSON.self, from: Data(text)) else { return json }
        let keys = Set(present.map(\.0))
        return .object(pairs.filter { !(laterKeys.contains($0.0) && $0.1 == .null && !keys.contains($0.0)) })
    }

    static func clip(_ s: String) -> String { s.count > 80 ? String(s.prefix(77)) + "..." : s }
}
