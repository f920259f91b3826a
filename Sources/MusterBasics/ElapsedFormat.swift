/// Durations from a hand-edited journal or record may be anything; beyond
/// this (about 31 million years), or not finite, they show as `?`.
private let displayableSeconds = 1e15

/// Every duration muster shows, measured or configured, in one spelling:
/// the runbook format's (`DurationFormat.parse` reads it back), with
/// minutes and seconds in two digits after a larger unit, zeros at the end
/// left out, and tenths under ten seconds. `4.2s`, `42s`, `4m05s`, `15m`,
/// `1h`, `1h02m`, `1h00m05s`.
public func formatSeconds(_ s: Double) -> String {
    guard s.isFinite, abs(s) < displayableSeconds else { return "?" }
    if s < 0 { return "-" + formatSeconds(-s) }
    if s < 10, s != s.rounded(.down) { return "\(Double(Int(s * 10)) / 10)s" }
    let whole = Int(s)
    let h = whole / 3600, m = whole % 3600 / 60, sec = whole % 60
    func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
    if h > 0 { return "\(h)h" + (m > 0 || sec > 0 ? "\(two(m))m" : "") + (sec > 0 ? "\(two(sec))s" : "") }
    if m > 0 { return "\(m)m" + (sec > 0 ? "\(two(sec))s" : "") }
    return "\(sec)s"
}
