/// Longer spans than the format's durations: `90d`, `12w`, `2w3d`, `36h`.
/// Units `w`, `d`, `h`, `m`, `s`, each at most once, largest first. Only for
/// command-line flags such as `--stale-after`; runbook files keep to
/// `h`/`m`/`s` (a timeout in weeks is a typo).
public enum Span {
    public static func parse(_ text: String) -> Int? {
        var total = 0, number = 0, digits = 0, lastUnit = -1
        let units: [UInt8: (rank: Int, seconds: Int)] = [
            UInt8(ascii: "w"): (0, 604_800), UInt8(ascii: "d"): (1, 86_400), UInt8(ascii: "h"): (2, 3600),
            UInt8(ascii: "m"): (3, 60), UInt8(ascii: "s"): (4, 1),
        ]
        for u in text.utf8 {
            if u >= UInt8(ascii: "0"), u <= UInt8(ascii: "9") {
                guard digits < 7 else { return nil }
                number = number * 10 + Int(u - UInt8(ascii: "0"))
                digits += 1
            } else if let unit = units[u] {
                guard digits > 0, unit.rank > lastUnit else { return nil }
                total += number * unit.seconds
                lastUnit = unit.rank
                number = 0
                digits = 0
            } else {
                return nil
            }
        }
        guard digits == 0, lastUnit >= 0 else { return nil }
        return total
    }

    /// `90d`, `3d4h`, `5h12m`, `42m`, `30s`: the two largest units, for ages
    /// shown in tables.
    public static func format(_ seconds: Int) -> String {
        let s = max(0, seconds)
        let d = s / 86_400, h = s % 86_400 / 3600, m = s % 3600 / 60
        if d > 0 { return h > 0 ? "\(d)d\(h)h" : "\(d)d" }
        if h > 0 { return m > 0 ? "\(h)h\(m)m" : "\(h)h" }
        if m > 0 { return "\(m)m" }
        return "\(s)s"
    }
}
