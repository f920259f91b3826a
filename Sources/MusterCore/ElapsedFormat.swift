/// Durations from a hand-edited journal or record may be anything; beyond
/// this (about 31 million years), or not finite, they show as `?`.
private let displayableSeconds = 1e15

/// `4m05s`, `1h02m`, `12.3s`: a duration as results and logs show it.
public func formatSeconds(_ s: Double) -> String {
    guard s.isFinite, abs(s) < displayableSeconds else { return "?" }
    if s < 60 { return s < 10 ? "\(Double(Int(s * 10)) / 10)s" : "\(Int(s))s" }
    return formatClock(s)
}

/// `0m05s`, `14m05s`, `1h02m`: elapsed time as the status line shows it,
/// always with minutes so it reads like a clock.
public func formatClock(_ seconds: Double) -> String {
    guard seconds.isFinite, abs(seconds) < displayableSeconds else { return "?" }
    let s = Int(seconds)
    func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
    return s >= 3600 ? "\(s / 3600)h\(two(s % 3600 / 60))m" : "\(s / 60)m\(two(s % 60))s"
}
