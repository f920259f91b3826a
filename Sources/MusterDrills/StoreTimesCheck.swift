#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import MusterBasics
import MusterFormat
import MusterEngine
import MusterJournal

/// A shared run's journal held to the store's clock: each event object's
/// `LastModified` is set by S3 when the object is written, so an operator
/// who rewrites the journal, chain and signature included, cannot move it.
public enum StoreTimesCheck {
    /// How far the machine's clock may run ahead of the store's.
    public static let skew = 60.0
    /// How long the record's last event may take to reach the store (a
    /// retry, a slow region): more, and its stamp was moved back.
    public static let delay = 300.0

    /// What to record: the first event the store holds and the last one
    /// at or before `lastSeq` (the event the record ends at), by the
    /// store's clock to the second; nil when it holds none.
    public static func times(received: [Int: String], lastSeq: Int) -> DrillRecord.StoreTimes? {
        let seqs = received.keys.filter { $0 <= lastSeq }.sorted()
        guard let first = seqs.first, let last = seqs.last,
              let f = received[first].flatMap(UTCTime.parse), let l = received[last].flatMap(UTCTime.parse) else { return nil }
        return .init(firstSeq: first, firstAt: UTCTime.format(f), lastSeq: last, lastAt: UTCTime.format(l))
    }

    /// The first disagreement between the record, its journal's events and
    /// the store's times now (`received`, by seq); nil when they agree.
    public static func problem(record: DrillRecord, events: [JournalEvent], received: [Int: String]) -> String? {
        let runID = record.runID ?? "?"
        guard let lastSeq = events.last?.seq else { return nil }
        guard !received.isEmpty else {
            return record.storeTimes == nil ? nil : "the record says run \(runID) was shared, but the store holds no event of it"
        }
        let now = times(received: received, lastSeq: lastSeq)
        if let kept = record.storeTimes {
            for (seq, at) in [(kept.firstSeq, kept.firstAt), (kept.lastSeq, kept.lastAt)] {
                let actual = received[seq].flatMap(UTCTime.parse).map(UTCTime.format)
                guard actual == at else {
                    return "the record says the store received event \(seq) at \(at), the store says \(actual ?? "it has no such event"): the record's store_times were edited"
                }
            }
        }
        guard let now else { return nil }
        for (seq, at, isLast) in [(now.firstSeq, now.firstAt, false), (now.lastSeq, now.lastAt, true)] {
            guard let event = events.first(where: { $0.seq == seq }), let stamped = UTCTime.parse(event.at), let got = UTCTime.parse(at) else { continue }
            let late = got.timeIntervalSince(stamped)
            if late < -skew {
                return "the journal stamps event \(seq) \(event.at), \(Int(-late)) s after the store received it (\(at)): the journal's times were moved later"
            }
            if isLast, late > delay {
                return "the journal stamps event \(seq) \(event.at), but the store received it only at \(at), \(Int(late)) s later: the journal's times were moved earlier"
            }
        }
        return nil
    }
}
