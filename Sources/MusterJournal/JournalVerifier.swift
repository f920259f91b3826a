#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import MusterBasics
import MusterEngine

/// Checks a journal's hash chain (`muster verify RUN_ID`): pure over the
/// journal's bytes, so tests alter, remove and reorder lines and check each
/// is named.
public struct JournalVerification: Sendable, Equatable {
    /// Whole lines read (a torn last line is not counted).
    public var lines: Int
    /// The first line that carries a hash (1-based); nil when none does.
    public var chainStartsAt: Int?
    /// The last line's hash: what a drill record carries as `journal_hash`.
    public var finalHash: String?
    /// Every line's hash by line (1-based), for finding a record's event.
    public var hashes: [String]
    /// The first break, in words that name the event; nil when intact.
    public var problem: String?
    public var problemLine: Int?

    public var intact: Bool { problem == nil && chainStartsAt != nil }
}

public enum JournalVerifier {
    public static func verify(_ bytes: [UInt8]) -> JournalVerification {
        var lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map { Array($0) }
        if lines.last?.isEmpty == true { lines.removeLast() }
        var result = JournalVerification(lines: 0, chainStartsAt: nil, finalHash: nil, hashes: [], problem: nil, problemLine: nil)
        var previous = ""
        var previousSeq: Int?
        let decoder = JSONDecoder()
        let seqs = lines.map { try? decoder.decode(JournalEvent.self, from: Data($0)).seq }
        for (i, line) in lines.enumerated() {
            let n = i + 1
            func fail(_ why: String) -> JournalVerification {
                result.problem = why
                result.problemLine = n
                return result
            }
            let event = try? decoder.decode(JournalEvent.self, from: Data(line))
            let name = event.map { "event \($0.seq) (\($0.event.rawValue)\($0.step.map { " of step \($0)" } ?? ""), line \(n))" } ?? "line \(n)"
            if i == lines.count - 1, !bytes.isEmpty, bytes.last != UInt8(ascii: "\n"), event == nil {
                // Cut off by a crash mid-write: the executor drops it on resume.
                break
            }
            // Counters no executor writes (seq 2^63-1) are damage, as for the reader.
            guard let event, event.countersInRange else { return fail("line \(n) is not a journal event: it was altered or damaged") }
            if let prev = previousSeq, event.seq != prev + 1 {
                if event.seq > prev + 1, !seqs[(i + 1)...].contains(prev + 1) {
                    let missing = event.seq == prev + 2 ? "event \(prev + 1) is missing" : "events \(prev + 1) to \(event.seq - 1) are missing"
                    return fail("\(missing) before \(name): removed from the journal")
                }
                return fail("\(name) is out of order: it follows event \(prev); events were moved or inserted")
            }
            previousSeq = event.seq
            guard let (body, hash) = JournalChain.split(line) else {
                if result.chainStartsAt != nil {
                    return fail("\(name) has no hash although the lines before it do: it was altered or inserted")
                }
                previous = SHA256Hash.hex(line)
                result.hashes.append(previous)
                result.lines = n
                continue
            }
            if result.chainStartsAt == nil { result.chainStartsAt = n }
            guard JournalChain.hash(previous: previous, body: body) == hash else {
                return fail("\(name) was altered: its hash does not match its content and the line before it")
            }
            previous = hash
            result.hashes.append(hash)
            result.finalHash = hash
            result.lines = n
        }
        return result
    }
}
