#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import MusterBasics
import MusterFormat
import MusterEngine
import MusterJournal

/// Whether a record's times agree with the two stamps its writer did not
/// choose freely: the run id (taken when the run's folder was created, just
/// before `run_started`) and every journal event's wall time against its
/// `t`. A record rebuilt from a journal whose times were edited, chain and
/// all, still matches that journal; it does not match these.
public enum RecordTimes {
    /// Between the run id's stamp and `run_started`: the run folder is made
    /// after parameters and preflight, then the journal is opened and the
    /// session signed, so seconds; five minutes leaves room for a slow
    /// shared store and none for moving a drill to another day.
    public static let startSlack = 300.0
    /// Between an event's `at` minus the run's start and its `t`: stamps are
    /// whole seconds and `t` is measured on the monotonic clock.
    public static let clockSlack = 5.0

    /// The first disagreement, in words; nil when the times agree.
    /// `events`: the journal's events the record covers (empty without one).
    public static func problem(record: DrillRecord, events: [JournalEvent]) -> String? {
        guard let started = UTCTime.parse(record.startedAt) else {
            return "its started_at '\(record.startedAt)' is not a UTC time"
        }
        if let id = record.runID {
            guard let stamp = runIDStart(id) else {
                return "its run id \(id) does not start with a UTC stamp (YYYYMMDDTHHMMSSZ-) as every run id does"
            }
            let after = started.timeIntervalSince(stamp)
            guard after >= 0, after <= startSlack else {
                return "its started_at \(record.startedAt) disagrees with its run id \(id), made when the run began (\(UTCTime.format(stamp))): the record's times were edited"
            }
        }
        if let first = events.first(where: { $0.event == .runStarted }), first.at != record.startedAt {
            return "its started_at \(record.startedAt) is not the time of the journal's run_started event (\(first.at))"
        }
        for e in events {
            guard let at = UTCTime.parse(e.at), let t = e.clock else { continue }
            let wall = at.timeIntervalSince(started)
            if abs(wall - t) > clockSlack {
                return "the journal's event \(e.seq) (\(e.event.rawValue)) is stamped \(e.at), \(Int(wall.rounded())) s after the run's start, but its t says \(t) s: the journal's times were edited (or the machine's clock was set during the run)"
            }
        }
        if let finished = UTCTime.parse(record.finishedAt) {
            let wall = finished.timeIntervalSince(started)
            if abs(wall - record.elapsedSeconds) > clockSlack {
                return "its finished_at is \(Int(wall.rounded())) s after its started_at, but its elapsed_seconds says \(record.elapsedSeconds)"
            }
        }
        return nil
    }

    /// The UTC time a run id's stamp names (`20261205T153258Z-drop`).
    public static func runIDStart(_ id: String) -> Date? {
        let c = Array(id.utf8)
        guard c.count > 17, c[8] == UInt8(ascii: "T"), c[15] == UInt8(ascii: "Z"), c[16] == UInt8(ascii: "-") else { return nil }
        let s = String(decoding: c[0..<15], as: UTF8.self)
        let iso = "\(s.prefix(4))-\(s.dropFirst(4).prefix(2))-\(s.dropFirst(6).prefix(2))T\(s.dropFirst(9).prefix(2)):\(s.dropFirst(11).prefix(2)):\(s.dropFirst(13).prefix(2))Z"
        return UTCTime.parse(iso)
    }
}
