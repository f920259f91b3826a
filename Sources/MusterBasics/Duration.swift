/// Parses the format's durations: `90s`, `15m`, `1h`, `1h30m`, `2h15m30s`.
/// Units appear at most once each, in h-m-s order; anything else is refused so a
/// typo never silently becomes a different timeout.
public enum DurationFormat {
    public static func parse(_ text: String) -> Int? {
        var total = 0
        var number = 0
        var digits = 0
        var lastUnit = 0  // 0 none, 1 h, 2 m, 3 s
        for u in text.utf8 {
            switch u {
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                guard digits < 9 else { return nil }
                number = number * 10 + Int(u - UInt8(ascii: "0"))
                digits += 1
            case UInt8(ascii: "h"), UInt8(ascii: "m"), UInt8(ascii: "s"):
                let unit = u == UInt8(ascii: "h") ? 1 : u == UInt8(ascii: "m") ? 2 : 3
                guard digits > 0, unit > lastUnit else { return nil }
                total += number * (unit == 1 ? 3600 : unit == 2 ? 60 : 1)
                lastUnit = unit
                number = 0
                digits = 0
            default:
                return nil
            }
        }
        guard digits == 0, lastUnit > 0 else { return nil }
        return total
    }

    /// The canonical spelling of a number of seconds, as every duration
    /// is shown (`formatSeconds`): `90s` becomes `1m30s`.
    public static func format(_ seconds: Int) -> String {
        formatSeconds(Double(seconds))
    }
}
