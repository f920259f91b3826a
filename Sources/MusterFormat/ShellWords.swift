import MusterBasics

/// One simple command of a script, split into words the way bash splits
/// them, so the template check can ask what a word is to the command: its
/// name, an option's value, a script handed to another shell, a variable
/// name. Quotes are removed from a word's text (`e"v"al` reads `eval`);
/// a template stands in it as `templateMark`, anything bash computes
/// (`$( )`, `${ }`, backticks) as `computedMark`.
struct ShellWord {
    var start: Int
    var end: Int
    var text: [UInt8] = []
    /// The word after `>`, `<`, `>>`, `<<`, `<<<`, …: a file, a delimiter or a string.
    var redirect: Redirect?

    enum Redirect: Equatable { case file, heredoc, herestring }

    static let templateMark: UInt8 = 0
    static let computedMark: UInt8 = 1

    var string: String { String(decoding: text, as: UTF8.self) }
    /// True when nothing in it is computed or templated.
    var isLiteral: Bool { !text.contains(Self.templateMark) && !text.contains(Self.computedMark) }
    func contains(_ i: Int) -> Bool { i >= start && i < end }
    /// The last path component: `/usr/bin/bash` is `bash`.
    var commandName: String {
        guard isLiteral else { return "" }
        let s = string
        return s.split(separator: "/", omittingEmptySubsequences: false).last.map(String.init) ?? s
    }
    var isOption: Bool { text.first == 45 && text.count > 1 }
}

struct ShellCommandWords {
    var words: [ShellWord] = []
    var end: Int
    /// The command's output goes to the next command of a pipeline.
    var pipesOn = false
}

enum ShellWords {
    /// The words of the simple command that starts at `from`, up to the
    /// `;`, `&`, `|`, newline or closing bracket that ends it. In `[[ ]]`,
    /// `&&`, `||` and `<`/`>` are part of the command.
    static func command(_ b: [UInt8], from: Int, refs: [Range<Int>]) -> ShellCommandWords {
        var out = ShellCommandWords(end: b.count)
        var i = from
        var current: ShellWord?
        var nextRedirect: ShellWord.Redirect?
        var doubleBracket = false
        var refIndex = firstRef(refs, endingAfter: from)

        func isBlank(_ c: UInt8) -> Bool { c == 32 || c == 9 }
        func finish() {
            guard var w = current else { return }
            w.end = i
            w.redirect = nextRedirect
            nextRedirect = nil
            if w.text == Array("[[".utf8), out.words.allSatisfy({ $0.redirect != nil || isAssignment($0) }) { doubleBracket = true }
            if doubleBracket, w.text == Array("]]".utf8) { doubleBracket = false }
            out.words.append(w)
            current = nil
        }
        func append(_ c: UInt8, at: Int) {
            if current == nil { current = ShellWord(start: at, end: at) }
            current!.text.append(c)
        }

        while i < b.count {
            if refIndex < refs.count, i == refs[refIndex].lowerBound {
                append(ShellWord.templateMark, at: i)
                i = refs[refIndex].upperBound
                refIndex += 1
                continue
            }
            while refIndex < refs.count, refs[refIndex].upperBound <= i { refIndex += 1 }
            let c = b[i]
            if isBlank(c) { finish(); i += 1; continue }
            if c == 92 {  // backslash: the next byte is literal; a newline joins lines
                if i + 1 < b.count, b[i + 1] == 10 { i += 2; continue }
                if i + 1 < b.count { append(b[i + 1], at: i) }
                i += 2
                continue
            }
            if c == 10 || c == 59 || (c == 38 && !has(b, i, "&>")) || c == 124 || c == 41 {
                if doubleBracket, c == 38 || c == 124 || c == 41 {
                    finish(); i += (i + 1 < b.count && b[i + 1] == c) ? 2 : 1; continue
                }
                finish()
                out.end = i
                out.pipesOn = c == 124 && !has(b, i, "||")
                return out
            }
            if c == 35, current == nil {  // a comment ends the command at the newline
                while i < b.count, b[i] != 10 { i += 1 }
                continue
            }
            if c == 39 {
                let e = skipSingle(b, i + 1)
                if current == nil { current = ShellWord(start: i, end: i) }
                current!.text.append(contentsOf: b[(i + 1)..<max(i + 1, e - 1)])
                i = e
                continue
            }
            if c == 34 {
                let e = skipDouble(b, i + 1)
                if current == nil { current = ShellWord(start: i, end: i) }
                current!.text.append(contentsOf: literal(b, (i + 1)..<max(i + 1, e - 1), refs: refs))
                i = e
                continue
            }
            if c == 36, has(b, i, "$'") {
                let e = skipAnsiC(b, i + 2)
                if current == nil { current = ShellWord(start: i, end: i) }
                current!.text.append(contentsOf: b[(i + 2)..<max(i + 2, e - 1)])
                i = e
                continue
            }
            if c == 36, has(b, i, "$(") || has(b, i, "${") || has(b, i, "$[") {
                append(ShellWord.computedMark, at: i)
                i = skipBracket(b, i + 1)
                continue
            }
            if c == 96 {
                append(ShellWord.computedMark, at: i)
                i = skipBacktick(b, i + 1)
                continue
            }
            if (c == 60 || c == 62), has(b, i + 1, "(") {  // <( ) and >( )
                append(ShellWord.computedMark, at: i)
                i = skipBracket(b, i + 1)
                continue
            }
            if c == 40, doubleBracket {  // grouping inside [[ ]]
                finish(); i += 1; continue
            }
            if c == 40 {
                // `a=( … )` is one word; `(( … ))` an arithmetic command; else a subshell starts.
                if let w = current, isAssignmentPrefix(w.text) {
                    let e = skipBracket(b, i)
                    current!.text.append(contentsOf: b[i..<e])
                    i = e
                    continue
                }
                finish()
                out.end = i
                return out
            }
            if (c == 60 || c == 62) && !doubleBracket {
                // A redirection: an fd number before it belongs to it.
                if let w = current, w.text.allSatisfy({ $0 >= 48 && $0 <= 57 }) || w.text == [38] { current = nil } else { finish() }
                var j = i
                var kind = ShellWord.Redirect.file
                if has(b, i, "<<<") { kind = .herestring; j += 3 } else if has(b, i, "<<-") { kind = .heredoc; j += 3 } else if has(b, i, "<<") { kind = .heredoc; j += 2 } else {
                    j += 1
                    while j < b.count, [60, 62, 38, 124].contains(b[j]) { j += 1 }
                }
                nextRedirect = kind
                i = j
                continue
            }
            append(c, at: i)
            i += 1
        }
        finish()
        out.end = b.count
        return out
    }

    /// The first of `refs` (in order) that ends after `i`, by bisection.
    static func firstRef(_ refs: [Range<Int>], endingAfter i: Int) -> Int {
        var lo = 0, hi = refs.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if refs[mid].upperBound <= i { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    static func isAssignment(_ w: ShellWord) -> Bool { assignmentName(w.text) != nil }

    /// `NAME=` or `NAME+=` or `NAME[…]=` at the start of a word: the name.
    static func assignmentName(_ t: [UInt8]) -> String? {
        var i = 0
        while i < t.count, isNameByte(t[i]), !(i == 0 && t[i] >= 48 && t[i] <= 57) { i += 1 }
        guard i > 0 else { return nil }
        let name = String(decoding: t[0..<i], as: UTF8.self)
        if i < t.count, t[i] == 91 {
            var depth = 0
            while i < t.count {
                if t[i] == 91 { depth += 1 }
                if t[i] == 93 { depth -= 1; if depth == 0 { i += 1; break } }
                i += 1
            }
        }
        if i < t.count, t[i] == 43 { i += 1 }
        return i < t.count && t[i] == 61 ? name : nil
    }

    static func isAssignmentPrefix(_ t: [UInt8]) -> Bool { t.last == 61 && assignmentName(t) != nil }

    static func isNameByte(_ c: UInt8) -> Bool {
        (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c == 95
    }

    static func has(_ b: [UInt8], _ i: Int, _ s: StaticString) -> Bool {
        let n = s.utf8CodeUnitCount
        guard i >= 0, i + n <= b.count else { return false }
        return (0..<n).allSatisfy { b[i + $0] == s.utf8Start[$0] }
    }

    /// The text of a double-quoted part: escapes removed, expansions marked.
    static func literal(_ b: [UInt8], _ r: Range<Int>, refs: [Range<Int>]) -> [UInt8] {
        var out: [UInt8] = []
        var i = r.lowerBound
        var n = firstRef(refs, endingAfter: r.lowerBound)
        while i < r.upperBound {
            while n < refs.count, refs[n].lowerBound < i { n += 1 }
            if n < refs.count, refs[n].lowerBound == i { out.append(ShellWord.templateMark); i = refs[n].upperBound; n += 1; continue }
            let c = b[i]
            if c == 92, i + 1 < r.upperBound { out.append(b[i + 1]); i += 2; continue }
            if c == 36, has(b, i, "$(") || has(b, i, "${") || has(b, i, "$[") { out.append(ShellWord.computedMark); i = skipBracket(b, i + 1); continue }
            if c == 96 { out.append(ShellWord.computedMark); i = skipBacktick(b, i + 1); continue }
            out.append(c)
            i += 1
        }
        return out
    }

    /// Past the `'` that closes a single-quoted string starting at `i`.
    static func skipSingle(_ b: [UInt8], _ i: Int) -> Int {
        var j = i
        while j < b.count, b[j] != 39 { j += 1 }
        return min(j + 1, b.count)
    }

    static func skipAnsiC(_ b: [UInt8], _ i: Int) -> Int {
        var j = i
        while j < b.count, b[j] != 39 { j += b[j] == 92 ? 2 : 1 }
        return min(j + 1, b.count)
    }

    static func skipDouble(_ b: [UInt8], _ i: Int) -> Int {
        var j = i
        while j < b.count, b[j] != 34 {
            if b[j] == 92 { j += 2; continue }
            if b[j] == 36, has(b, j, "$(") || has(b, j, "${") { j = skipBracket(b, j + 1); continue }
            if b[j] == 96 { j = skipBacktick(b, j + 1); continue }
            j += 1
        }
        return min(j + 1, b.count)
    }

    static func skipBacktick(_ b: [UInt8], _ i: Int) -> Int {
        var j = i
        while j < b.count, b[j] != 96 { j += b[j] == 92 ? 2 : 1 }
        return min(j + 1, b.count)
    }

    /// Past the bracket that closes the one at `i` (`(`, `{` or `[`), quotes respected.
    static func skipBracket(_ b: [UInt8], _ i: Int) -> Int {
        guard i < b.count else { return b.count }
        let open = b[i]
        let close: UInt8 = open == 40 ? 41 : open == 123 ? 125 : 93
        var depth = 0
        // The depth of each open `case`: a pattern's `)` there closes nothing.
        var cases: [Int] = []
        var j = i
        while j < b.count {
            let c = b[j]
            if c == 92 { j += 2; continue }
            if c == 39 { j = skipSingle(b, j + 1); continue }
            if c == 34 { j = skipDouble(b, j + 1); continue }
            if c == 96 { j = skipBacktick(b, j + 1); continue }
            if open == 40, isKeyword(b, j, "case") { cases.append(depth); j += 4; continue }
            if open == 40, isKeyword(b, j, "esac"), !cases.isEmpty { cases.removeLast(); j += 4; continue }
            if c == 35, j > i, [32, 9, 10, 59].contains(b[j - 1]) {  // a comment
                while j < b.count, b[j] != 10 { j += 1 }
                continue
            }
            if c == close, open == 40, cases.last == depth { j += 1; continue }
            if c == open { depth += 1 } else if c == close { depth -= 1; if depth == 0 { return j + 1 } }
            j += 1
        }
        return b.count
    }

    /// `word` standing alone at `i`, as a reserved word would.
    static func isKeyword(_ b: [UInt8], _ i: Int, _ word: StaticString) -> Bool {
        let n = word.utf8CodeUnitCount
        guard has(b, i, word) else { return false }
        let before = i == 0 || [32, 9, 10, 59, 40, 38, 124].contains(b[i - 1])
        let after = i + n >= b.count || [32, 9, 10, 59, 41].contains(b[i + n])
        return before && after
    }
}
