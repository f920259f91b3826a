/// A small POSIX shell word splitter, for checking what `shellQuote` makes:
/// bare words, single quotes, double quotes and backslashes, as sh and bash
/// read them. Anything the shell would act on instead of taking literally
/// (`$`, a backtick, `;`, `|`, `&`, redirections, globs, `~`, `#`, braces,
/// `!`, ...) outside quotes makes the text not inert, and `split` returns nil.
public enum ShellWords {
    public static func split(_ text: String) -> [String]? {
        let b = Array(text.utf8)
        var words: [[UInt8]] = []
        var word: [UInt8] = []
        var inWord = false
        var i = 0
        func end() {
            if inWord { words.append(word) }
            word = []
            inWord = false
        }
        while i < b.count {
            let c = b[i]
            switch c {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"):
                end()
                i += 1
            case UInt8(ascii: "'"):
                // Everything up to the next single quote, literally.
                inWord = true
                var j = i + 1
                while j < b.count, b[j] != UInt8(ascii: "'") { j += 1 }
                guard j < b.count else { return nil }
                word += b[(i + 1)..<j]
                i = j + 1
            case UInt8(ascii: "\""):
                inWord = true
                var j = i + 1
                var closed = false
                while j < b.count {
                    let d = b[j]
                    if d == UInt8(ascii: "\"") { closed = true; break }
                    if d == UInt8(ascii: "$") || d == UInt8(ascii: "`") { return nil }
                    if d == UInt8(ascii: "\\"), j + 1 < b.count {
                        let e = b[j + 1]
                        if e == UInt8(ascii: "\n") {
                            j += 2
                            continue
                        }
                        if e == UInt8(ascii: "$") || e == UInt8(ascii: "`") || e == UInt8(ascii: "\"") || e == UInt8(ascii: "\\") {
                            word.append(e)
                            j += 2
                            continue
                        }
                    }
                    word.append(d)
                    j += 1
                }
                guard closed else { return nil }
                i = j + 1
            case UInt8(ascii: "\\"):
                guard i + 1 < b.count else { return nil }
                if b[i + 1] != UInt8(ascii: "\n") {
                    inWord = true
                    word.append(b[i + 1])
                }
                i += 2
            default:
                guard isBare(c) else { return nil }
                inWord = true
                word.append(c)
                i += 1
            }
        }
        end()
        return words.map { String(decoding: $0, as: UTF8.self) }
    }

    /// Characters that mean only themselves outside quotes, in sh and bash
    /// alike (`=` counts: after the first word it is plain text).
    static func isBare(_ c: UInt8) -> Bool {
        switch c {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return "@%+=:,./-_".utf8.contains(c)
        }
    }
}
