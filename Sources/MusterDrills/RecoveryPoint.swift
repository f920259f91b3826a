#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import MusterBasics
import MusterFormat
import MusterEngine
import MusterJournal

/// The recovery point of a drill: the time of the newest data the recovery
/// brings back, from an output marked `recovery_point: true`, and how much
/// data that loses against the drill's start (the simulated failure).
public enum RecoveryPoint {
    /// Unix seconds of an ISO 8601 stamp (`2026-11-27T09:00:00Z`,
    /// `2026-11-27T09:00:00.123+00:00`, `2026-11-27 09:00:00`, no zone
    /// meaning UTC) or of a number of Unix seconds; nil for anything else.
    public static func seconds(_ text: String) -> Double? {
        let s = String(text.drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
        if let n = Double(s), n.isFinite, n >= 0, n < 1e11 { return n }
        let b = Array(s.utf8)
        func num(_ from: Int, _ count: Int) -> Int? {
            guard from + count <= b.count else { return nil }
            var v = 0
            for c in b[from..<(from + count)] {
                guard (48...57).contains(c) else { return nil }
                v = v * 10 + Int(c - 48)
            }
            return v
        }
        func at(_ i: Int, _ c: Character) -> Bool { i < b.count && b[i] == c.asciiValue! }
        guard let y = num(0, 4), at(4, "-"), let mo = num(5, 2), at(7, "-"), let d = num(8, 2),
              at(10, "T") || at(10, " ") || at(10, "t"), let h = num(11, 2), at(13, ":"), let mi = num(14, 2), at(16, ":"), let sec = num(17, 2),
              (1...12).contains(mo), (1...31).contains(d), h < 24, mi < 60, sec < 61 else { return nil }
        var i = 19
        var fraction = 0.0
        if at(i, ".") || at(i, ",") {
            i += 1
            var scale = 0.1
            while i < b.count, (48...57).contains(b[i]) { fraction += Double(b[i] - 48) * scale; scale /= 10; i += 1 }
        }
        var offset = 0
        if at(i, "Z") || at(i, "z") {
            i += 1
        } else if at(i, "+") || at(i, "-") {
            let sign = at(i, "-") ? -1 : 1
            guard let oh = num(i + 1, 2) else { return nil }
            var om = 0
            if at(i + 3, ":") { guard let m = num(i + 4, 2) else { return nil }; om = m; i += 6 }
            else if let m = num(i + 3, 2) { om = m; i += 5 }
            else { i += 3 }
            offset = sign * (oh * 3600 + om * 60)
        }
        guard i == b.count else { return nil }
        let days = UTCDateTime.days(year: y, month: mo, day: d)
        return Double(days * 86_400 + h * 3600 + mi * 60 + sec - offset) + fraction
    }

    /// The record's facts: the recovery point as given, the seconds of data
    /// it loses (its distance before `startedAt`, never negative: data
    /// newer than the simulated failure loses nothing), and whether that
    /// is within `rpo`.
    public static func measure(points: [String], startedAt: String, rpo: Int?) -> (point: String, lostSeconds: Double, met: Bool?)? {
        guard let start = seconds(startedAt) else { return nil }
        // Several recovery points (two databases): the oldest decides.
        let parsed = points.compactMap { p in seconds(p).map { (p, $0) } }
        guard let (point, t) = parsed.min(by: { $0.1 < $1.1 }) else { return nil }
        let lost = max(0, start - t)
        return (point, lost, rpo.map { lost <= Double($0) })
    }
}
