/// A value holding a list, as `in` (and `for_each: {in: name}`) read it: a
/// JSON array of strings, numbers and booleans, or one item per line. Steps
/// print lists both ways (`jq -c`, `kubectl get -o name`); which one is
/// decided by the first character, so a list never changes meaning because
/// of one odd item.
public enum ValueList {
    /// The items, or nil when the value starts with `[` but is not a JSON
    /// array of plain values (nested arrays, objects and null are refused:
    /// an item is one value). Lines are trimmed of spaces, tabs and a CR;
    /// empty lines are not items.
    public static func items(_ value: String) -> [String]? {
        let trimmed = value.trimmingCharacters()
        if trimmed.hasPrefix("[") { return jsonArray(trimmed) }
        var out: [String] = []
        for line in trimmed.split(separator: "\n", omittingEmptySubsequences: true) {
            let item = String(line).trimmingCharacters()
            if !item.isEmpty { out.append(item) }
        }
        return out
    }

    /// A flat JSON array, read without recursion.
    static func jsonArray(_ text: String) -> [String]? {
        let s = Array(text.unicodeScalars)
        var i = 0
        func skipSpace() { while i < s.count, s[i] == " " || s[i] == "\t" || s[i] == "\n" || s[i] == "\r" { i += 1 } }
        guard i < s.count, s[i] == "[" else { return nil }
        i += 1
        skipSpace()
        var out: [String] = []
        if i < s.count, s[i] == "]" {
            i += 1
            skipSpace()
            return i == s.count ? out : nil
        }
        while true {
            skipSpace()
            guard i < s.count else { return nil }
            switch s[i] {
            case "\"":
                guard let str = jsonString(s, &i) else { return nil }
                out.append(str)
            case "-", "0"..."9":
                guard let n = jsonNumber(s, &i) else { return nil }
                out.append(n)
            case "t", "f":
                let word = s[i] == "t" ? "true" : "false"
                let w = Array(word.unicodeScalars)
                guard i + w.count <= s.count, Array(s[i..<(i + w.count)]) == w else { return nil }
                i += w.count
                out.append(word)
            default:
                return nil
            }
            skipSpace()
            guard i < s.count else { return nil }
            if s[i] == "," { i += 1; continue }
            guard s[i] == "]" else { return nil }
            i += 1
            skipSpace()
            return i == s.count ? out : nil
        }
    }

    private static func jsonString(_ s: [Unicode.Scalar], _ i: inout Int) -> String? {
        i += 1
        var out = String.UnicodeScalarView()
        var pendingHigh: UInt32?
        while i < s.count {
            let c = s[i]
            i += 1
            if c == "\"" { return pendingHigh == nil ? String(out) : nil }
            if c.value < 0x20 { return nil }
            guard c == "\\" else {
                guard pendingHigh == nil else { return nil }
                out.append(c)
                continue
            }
            guard i < s.count else { return nil }
            let e = s[i]
            i += 1
            if e == "u" {
                guard i + 4 <= s.count, let v = UInt32(String(String.UnicodeScalarView(s[i..<(i + 4)])), radix: 16) else { return nil }
                i += 4
                if let high = pendingHigh {
                    guard (0xDC00...0xDFFF).contains(v), let u = Unicode.Scalar(0x10000 + ((high - 0xD800) << 10) + (v - 0xDC00)) else { return nil }
                    out.append(u)
                    pendingHigh = nil
                } else if (0xD800...0xDBFF).contains(v) {
                    pendingHigh = v
                } else {
                    guard let u = Unicode.Scalar(v) else { return nil }
                    out.append(u)
                }
                continue
            }
            guard pendingHigh == nil else { return nil }
            switch e {
            case "\"", "\\", "/": out.append(e)
            case "b": out.append("\u{8}")
            case "f": out.append("\u{C}")
            case "n": out.append("\n")
            case "r": out.append("\r")
            case "t": out.append("\t")
            default: return nil
            }
        }
        return nil
    }

    /// JSON's number grammar; the item is the number as written.
    private static func jsonNumber(_ s: [Unicode.Scalar], _ i: inout Int) -> String? {
        let start = i
        func digits() -> Int {
            let from = i
            while i < s.count, ("0"..."9").contains(s[i]) { i += 1 }
            return i - from
        }
        if s[i] == "-" { i += 1 }
        guard i < s.count, ("0"..."9").contains(s[i]) else { return nil }
        if s[i] == "0" { i += 1 } else { _ = digits() }
        if i < s.count, s[i] == "." {
            i += 1
            guard digits() > 0 else { return nil }
        }
        if i < s.count, s[i] == "e" || s[i] == "E" {
            i += 1
            if i < s.count, s[i] == "+" || s[i] == "-" { i += 1 }
            guard digits() > 0 else { return nil }
        }
        return String(String.UnicodeScalarView(s[start..<i]))
    }
}
