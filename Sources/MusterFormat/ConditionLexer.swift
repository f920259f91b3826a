import MusterBasics

/// The words and symbols of a condition. Mistakes people bring from other
/// languages (`=`, `&&`, `'single'`, `{{ name }}`, `$VAR`) get a message
/// saying what to write instead, not just "unexpected character".
struct ConditionLexer {
    enum Token: Equatable {
        case number(String)
        case string(String)
        case word(String)
        /// `steps.KEY.outcome`, holding KEY.
        case outcome(String)
        case symbol(String)   // == != < <= > >= ( ) [ ] ,
        case end
    }

    struct Lexeme {
        var token: Token
        /// Unicode scalars from the start of the text.
        var offset: Int
    }

    /// A problem found while reading, at a scalar offset; placed later.
    struct Problem: Error {
        var message: String
        var offset: Int
    }

    let scalars: [Unicode.Scalar]
    var i = 0

    init(_ text: String) { scalars = Array(text.unicodeScalars) }

    mutating func lexemes() throws(Problem) -> [Lexeme] {
        var out: [Lexeme] = []
        while true {
            let l = try next()
            out.append(l)
            if l.token == .end { return out }
        }
    }

    private func at(_ k: Int) -> Unicode.Scalar? { k < scalars.count ? scalars[k] : nil }

    private mutating func next() throws(Problem) -> Lexeme {
        while let c = at(i), c == " " || c == "\t" || c == "\n" || c == "\r" { i += 1 }
        let start = i
        guard let c = at(i) else { return Lexeme(token: .end, offset: i) }
        func fail(_ message: String) -> Problem { Problem(message: message, offset: start) }

        switch c {
        case "(", ")", "[", "]", ",":
            i += 1
            return Lexeme(token: .symbol(String(c)), offset: start)
        case "=", "!", "<", ">":
            i += 1
            if at(i) == "=" {
                i += 1
                return Lexeme(token: .symbol(String(c) + "="), offset: start)
            }
            if c == "=" { throw fail("'=' does not compare; write '==' (or '!=')") }
            if c == "!" { throw fail("write 'not' to negate a condition, or '!=' to compare") }
            return Lexeme(token: .symbol(String(c)), offset: start)
        case "&": throw fail("write 'and', not '\(at(i + 1) == "&" ? "&&" : "&")'")
        case "|": throw fail("write 'or', not '\(at(i + 1) == "|" ? "||" : "|")'")
        case "'": throw fail("strings are written in double quotes: \"…\"")
        case "{" where at(i + 1) == "{":
            throw fail("a condition names values directly: write the name, not '{{ name }}'")
        case "$":
            throw fail("a condition cannot read variables or secrets ('$'); name a parameter, answer or output")
        case "\"":
            return Lexeme(token: .string(try string()), offset: start)
        case "-", "0"..."9":
            return Lexeme(token: .number(try number()), offset: start)
        default:
            guard isWordStart(c) else {
                throw fail("unexpected '\(printableScalar(c))'; a condition holds names, numbers, \"strings\", true, false, [lists], "
                    + "== != < <= > >= in, and, or, not and parentheses")
            }
            // A dash between word characters belongs to the word: a
            // `decide` step's id names its option (`go-no-go == "failover"`).
            while let d = at(i), isWordPart(d) || (d == "-" && at(i + 1).map(isWordPart) == true) { i += 1 }
            let word = String(String.UnicodeScalarView(scalars[start..<i]))
            if at(i) == "." {
                if word == "steps" { return Lexeme(token: .outcome(try stepKey(from: start)), offset: start) }
                throw fail("'\(clippedForMessage(word)).': names have no fields; only steps.ID.outcome has dots")
            }
            return Lexeme(token: .word(word), offset: start)
        }
    }

    /// After the opening quote; only `\"` and `\\` are escapes, so a value
    /// written in a condition reads the same as it does in the file.
    private mutating func string() throws(Problem) -> String {
        let open = i
        i += 1
        var out = String.UnicodeScalarView()
        while let c = at(i) {
            switch c {
            case "\"":
                i += 1
                return String(out)
            case "\\":
                guard let e = at(i + 1), e == "\"" || e == "\\" else {
                    let shown = at(i + 1).map { "\\" + printableScalar($0) } ?? "\\"
                    throw Problem(message: "unknown escape '\(shown)' in a string; only \\\" and \\\\ are escapes", offset: i)
                }
                out.append(e)
                i += 2
            default:
                out.append(c)
                i += 1
            }
        }
        throw Problem(message: "the string is not closed with '\"'", offset: open)
    }

    /// `-?digits(.digits)?`, with no letter after it.
    private mutating func number() throws(Problem) -> String {
        let start = i
        if at(i) == "-" {
            i += 1
            guard let d = at(i), isDigit(d) else {
                throw Problem(message: "'-' is only the sign of a number (-5); conditions do no arithmetic", offset: start)
            }
        }
        while let d = at(i), isDigit(d) { i += 1 }
        if at(i) == ".", let d = at(i + 1), isDigit(d) {
            i += 1
            while let d = at(i), isDigit(d) { i += 1 }
        }
        let text = String(String.UnicodeScalarView(scalars[start..<i]))
        if let c = at(i), isWordPart(c) || c == "." {
            var j = i
            while let d = at(j), isWordPart(d) || d == "." { j += 1 }
            let whole = String(String.UnicodeScalarView(scalars[start..<j]))
            throw Problem(message: "'\(clippedForMessage(whole))' is not a number; numbers are digits with an optional sign and decimal point (30, -1.5), "
                + "and text is written in double quotes", offset: start)
        }
        return text
    }

    /// `steps.KEY.outcome`: KEY runs to the last `.outcome`, so nested keys
    /// (`rebuild/cluster/create`) and loop keys (`redeploy[api]`, even
    /// `deploy[v1.2]`) need no quoting.
    private mutating func stepKey(from start: Int) throws(Problem) -> String {
        i += 1
        let keyStart = i
        while let d = at(i), isWordPart(d) || d == "-" || d == "/" || d == "." || d == "[" || d == "]" { i += 1 }
        let run = String(String.UnicodeScalarView(scalars[keyStart..<i]))
        let usage = "write steps.ID.outcome, ID the step's key (nested keys join with '/': steps.rebuild/cluster/create.outcome)"
        guard let dot = run.lastIndex(of: ".") else { throw Problem(message: usage, offset: start) }
        let key = String(run[..<dot]), field = String(run[run.index(after: dot)...])
        guard !key.isEmpty else { throw Problem(message: usage, offset: start) }
        guard field == "outcome" else {
            let hint = suggestion(for: field, among: ["outcome"]) != nil ? " (did you mean 'outcome'?)" : ""
            throw Problem(message: "'steps.\(clippedForMessage(key)).\(clippedForMessage(field))' is not something a condition can read\(hint); a step gives only its outcome: \(usage)", offset: start)
        }
        return key
    }
}

private func isDigit(_ c: Unicode.Scalar) -> Bool { c.value >= 48 && c.value <= 57 }
private func isWordStart(_ c: Unicode.Scalar) -> Bool {
    c == "_" || (c.value >= 65 && c.value <= 90) || (c.value >= 97 && c.value <= 122)
}
private func isWordPart(_ c: Unicode.Scalar) -> Bool { isWordStart(c) || isDigit(c) }

/// A character for a message: control and invisible ones as their code.
func printableScalar(_ c: Unicode.Scalar) -> String {
    if c.value < 0x20 || (0x7F..<0xA0).contains(c.value) || c.properties.generalCategory == .format {
        return "U+" + String(c.value, radix: 16, uppercase: true)
    }
    return String(c)
}
