/// How a `{{ name }}` in a `run`, `rollback` or `wait.run` script reaches bash.
///
/// A value is never written into the script. Each reference becomes a
/// reference to an environment variable (`MUSTER_VALUE_name`) quoted for the
/// place it stands in, so bash reads the value as data after it has parsed
/// the script: it cannot close a quote, end a heredoc, start a command
/// substitution or continue a comment onto a new line, whatever it holds;
/// and a value derived from a secret never appears in bash's arguments, where
/// `ps` would show it to every local user.
///
/// Where bash would evaluate the value again as code (arithmetic, array
/// subscripts, `[[ -eq ]]`, `eval`), or would not expand it at all (a quoted
/// heredoc), no quoting helps: those places are validation errors.
public enum ShellContext: Sendable, Equatable {
    /// An unquoted word: `"${V}"`, one word, never split or globbed.
    case word
    /// Inside `"..."`, or a `${...}` within one: `${V}`.
    case doubleQuoted
    /// Inside `'...'`: the quote is closed around `"${V}"`.
    case singleQuoted
    /// Inside `$'...'`: closed and reopened like a single quote.
    case ansiC
    /// In the body of a heredoc whose delimiter is unquoted: `${V}`.
    case heredoc
    /// In a comment: `${V}`, inert text that cannot start a new line.
    case comment
    /// Where no quoting makes the value data: why, and what to write instead.
    case unsafe(String)
}

/// The environment variable a template value reaches a script through.
public func shellValueVariable(_ name: String) -> String { "MUSTER_VALUE_" + name }

extension Template {
    /// The context of each reference, in order.
    public var shellContexts: [ShellContext] { ShellLexer.contexts(of: self) }

    /// The script bash runs: every reference replaced by its variable.
    /// Returns nil when a reference stands where its value could become code
    /// (the validator refuses such scripts; this guards a run all the same).
    public func shellCode() -> String? {
        guard !references.isEmpty else { return raw }
        let contexts = shellContexts
        var parts: [String] = []
        for (r, c) in zip(references, contexts) {
            let v = "${" + shellValueVariable(r.name) + "}"
            switch c {
            case .word: parts.append("\"\(v)\"")
            case .doubleQuoted, .heredoc, .comment: parts.append(v)
            case .singleQuoted: parts.append("'\"\(v)\"'")
            case .ansiC: parts.append("'\"\(v)\"$'")
            case .unsafe: return nil
            }
        }
        return splice(parts)
    }

    /// The script as the operator reads it: each known value written where
    /// its reference stands, shell-quoted where it is a word, as it is in
    /// quotes, heredocs and comments (bash will see it so). Unknown names
    /// stay as `{{ name }}`. For showing only: it is never run.
    public func shellDisplay(_ values: [String: String]) -> String {
        guard !references.isEmpty else { return raw }
        let contexts = shellContexts
        let bytes = Array(raw.utf8)
        let parts = zip(references, contexts).map { r, c -> String in
            guard let v = values[r.name] else { return String(decoding: bytes[r.range], as: UTF8.self) }
            if case .word = c { return shellQuote(v) }
            return v
        }
        return splice(parts)
    }

    private func splice(_ parts: [String]) -> String {
        let bytes = Array(raw.utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count + parts.count * 24)
        var at = 0
        for (r, p) in zip(references, parts) {
            out.append(contentsOf: bytes[at..<r.range.lowerBound])
            out.append(contentsOf: p.utf8)
            at = r.range.upperBound
        }
        out.append(contentsOf: bytes[at...])
        return String(decoding: out, as: UTF8.self)
    }
}

/// A small bash lexer: just enough of bash's quoting, substitutions,
/// comments and heredocs to know what each template reference stands in.
/// It errs towards `unsafe` where bash would evaluate text again.
struct ShellLexer {
    enum Frame {
        /// Shell code: the script itself, `$( )` (closes at the matching
        /// `)`), a backtick substitution, or `${ }` (closes at `}`).
        case code(Closer, inDoubleQuotes: Bool)
        case double
        case single
        case ansiC
        case arithmetic(closer: UInt8, depth: Int)
        case comment
        /// `reader`: the interpreter the body is fed to, if the command is one.
        case heredoc(delimiter: [UInt8], quoted: Bool, stripTabs: Bool, reader: String?)
    }

    enum Closer: Equatable { case end, paren(Int), backtick, brace(Int) }

    struct PendingHeredoc { var delimiter: [UInt8]; var quoted: Bool; var stripTabs: Bool; var reader: String? }

    let b: [UInt8]
    let refs: [Template.Reference]
    var stack: [Frame] = [.code(.end, inDoubleQuotes: false)]
    var pending: [PendingHeredoc] = []
    var contexts: [ShellContext] = []
    var next = 0
    /// Inside `[[ ]]`: where its references start in `contexts`, and whether
    /// it compares arithmetically (its operands are then evaluated as code).
    var doubleBracket: (first: Int, arithmetic: Bool)?

    static func contexts(of t: Template) -> [ShellContext] {
        var l = ShellLexer(b: Array(t.raw.utf8), refs: t.references)
        l.run()
        while l.contexts.count < t.references.count { l.contexts.append(.word) }
        return l.contexts
    }

    static let arithmeticHelp = "a value inside arithmetic is evaluated as code by bash (a[$(cmd)] runs cmd); check it first, e.g. n={{ name }}; [[ $n =~ ^[0-9]+$ ]] || exit 1; echo $((n + 1))"

    mutating func run() {
        var i = 0
        while i < b.count {
            if case .heredoc(let delim, _, let strip, _) = stack.last!, i == 0 || b[i - 1] == 10 {
                var eol = i
                while eol < b.count, b[eol] != 10 { eol += 1 }
                var s = i
                if strip { while s < eol, b[s] == 9 { s += 1 } }
                if b[s..<eol].elementsEqual(delim) {
                    stack.removeLast()
                    i = eol
                    continue
                }
            }
            if next < refs.count, i >= refs[next].range.lowerBound {
                contexts.append(classify(at: refs[next].range.lowerBound))
                i = refs[next].range.upperBound
                next += 1
                continue
            }
            i = step(i)
        }
    }

    func has(_ i: Int, _ s: StaticString) -> Bool {
        let n = s.utf8CodeUnitCount
        guard i + n <= b.count else { return false }
        return (0..<n).allSatisfy { b[i + $0] == s.utf8Start[$0] }
    }

    func atWordStart(_ i: Int) -> Bool {
        i == 0 || [9, 10, 32, 59, 38, 124, 40, 41, 96].contains(b[i - 1])
    }

    func wordEnds(_ i: Int) -> Bool { i >= b.count || [9, 10, 32, 59, 38, 124, 41].contains(b[i]) }

    /// Handles the byte at `i` in the current frame; returns where to go on.
    mutating func step(_ i: Int) -> Int {
        let c = b[i]
        switch stack.last! {
        case .single:
            if c == 39 { stack.removeLast() }
            return i + 1
        case .ansiC:
            if c == 92 { return i + 2 }
            if c == 39 { stack.removeLast() }
            return i + 1
        case .comment:
            if c == 10 { stack.removeLast(); return i }
            return i + 1
        case .arithmetic(let closer, let depth):
            if c == 40 { stack[stack.count - 1] = .arithmetic(closer: closer, depth: depth + 1) }
            if c == 41, closer == 41 {
                if depth == 0 { stack.removeLast(); return has(i, "))") ? i + 2 : i + 1 }
                stack[stack.count - 1] = .arithmetic(closer: closer, depth: depth - 1)
            }
            if c == 93, closer == 93 { stack.removeLast() }
            return i + 1
        case .double:
            if c == 34 { stack.removeLast(); return i + 1 }
            return expansion(i, inDoubleQuotes: true) ?? i + 1
        case .heredoc(_, let quoted, _, _):
            if quoted { return i + 1 }
            return expansion(i, inDoubleQuotes: true) ?? i + 1
        case .code(let closer, let inDQ):
            return code(i, closer, inDQ)
        }
    }

    /// `$( )`, `$(( ))`, `${ }`, backticks and escapes: active in code,
    /// double quotes and unquoted heredocs alike.
    mutating func expansion(_ i: Int, inDoubleQuotes: Bool) -> Int? {
        let c = b[i]
        if c == 92 { return i + 2 }
        if has(i, "$((") { stack.append(.arithmetic(closer: 41, depth: 0)); return i + 3 }
        if has(i, "$[") { stack.append(.arithmetic(closer: 93, depth: 0)); return i + 2 }
        if has(i, "$(") { stack.append(.code(.paren(0), inDoubleQuotes: false)); return i + 2 }
        if has(i, "${") { stack.append(.code(.brace(0), inDoubleQuotes: inDoubleQuotes)); return i + 2 }
        if c == 96 { stack.append(.code(.backtick, inDoubleQuotes: false)); return i + 1 }
        return nil
    }

    mutating func code(_ i: Int, _ closer: Closer, _ inDQ: Bool) -> Int {
        let c = b[i]
        switch closer {
        case .backtick where c == 96:
            stack.removeLast(); return i + 1
        case .paren(let d) where c == 41:
            if d == 0 { stack.removeLast() } else { stack[stack.count - 1] = .code(.paren(d - 1), inDoubleQuotes: inDQ) }
            return i + 1
        case .paren(let d) where c == 40 && !has(i, "(("):
            stack[stack.count - 1] = .code(.paren(d + 1), inDoubleQuotes: inDQ); return i + 1
        case .brace(let d) where c == 125:
            if d == 0 { stack.removeLast() } else { stack[stack.count - 1] = .code(.brace(d - 1), inDoubleQuotes: inDQ) }
            return i + 1
        case .brace(let d) where c == 123:
            stack[stack.count - 1] = .code(.brace(d + 1), inDoubleQuotes: inDQ); return i + 1
        default: break
        }
        if let j = expansion(i, inDoubleQuotes: inDQ) { return j }
        switch c {
        case 39:
            if inDQ { return i + 1 }
            stack.append(.single); return i + 1
        case 34:
            stack.append(.double); return i + 1
        case 36 where has(i, "$'"):
            stack.append(.ansiC); return i + 2
        case 35 where atWordStart(i) && !inDQ:
            stack.append(.comment); return i + 1
        case 40 where has(i, "(("):
            stack.append(.arithmetic(closer: 41, depth: 0)); return i + 2
        case 60 where has(i, "<<") && !has(i, "<<<"):
            return heredocOperator(i)
        case 60 where has(i, "<<<"):
            return i + 3
        case 10:
            for h in pending.reversed() { stack.append(.heredoc(delimiter: h.delimiter, quoted: h.quoted, stripTabs: h.stripTabs, reader: h.reader)) }
            pending.removeAll()
            return i + 1
        case 91 where has(i, "[[") && atWordStart(i) && wordEnds(i + 2):
            doubleBracket = (contexts.count, false); return i + 2
        case 93 where has(i, "]]") && wordEnds(i + 2) && doubleBracket != nil:
            if let db = doubleBracket, db.arithmetic {
                for k in db.first..<contexts.count where contexts[k] == .word {
                    contexts[k] = .unsafe("inside [[ ]] with an arithmetic comparison (-eq, -lt, …) a value is evaluated as code by bash; compare with = or check the value first, e.g. n={{ name }}; [[ $n =~ ^[0-9]+$ ]] || exit 1")
                }
            }
            doubleBracket = nil
            return i + 2
        case 45 where doubleBracket != nil && atWordStart(i):
            for op in ["-eq", "-ne", "-lt", "-le", "-gt", "-ge"] where b[i...].starts(with: op.utf8) && wordEnds(i + 3) {
                doubleBracket!.arithmetic = true
            }
            return i + 1
        default:
            return i + 1
        }
    }

    /// `<<WORD` or `<<-WORD`: the delimiter, and whether any part of it is
    /// quoted (then the body is not expanded).
    mutating func heredocOperator(_ at: Int) -> Int {
        var i = at + 2
        var strip = false
        if i < b.count, b[i] == 45 { strip = true; i += 1 }
        while i < b.count, b[i] == 32 || b[i] == 9 { i += 1 }
        var delimiter: [UInt8] = []
        var quoted = false
        var quote: UInt8?
        while i < b.count {
            if next < refs.count, i == refs[next].range.lowerBound {
                contexts.append(.unsafe("a template cannot be a heredoc's delimiter; write a fixed word, e.g. <<EOF"))
                i = refs[next].range.upperBound
                next += 1
                continue
            }
            let c = b[i]
            if let q = quote {
                if c == q { quote = nil } else { delimiter.append(c) }
                i += 1
                continue
            }
            if c == 39 || c == 34 { quote = c; quoted = true; i += 1; continue }
            if c == 92, i + 1 < b.count { quoted = true; delimiter.append(b[i + 1]); i += 2; continue }
            if [9, 10, 32, 59, 38, 124, 60, 62, 40, 41].contains(c) { break }
            delimiter.append(c)
            i += 1
        }
        if !delimiter.isEmpty {
            let reader = commandWord(before: at).flatMap { Self.interpreters.contains($0) ? $0 : nil }
            pending.append(PendingHeredoc(delimiter: delimiter, quoted: quoted, stripTabs: strip, reader: reader))
        }
        return i
    }

    /// Commands that evaluate their arguments as code again, whatever quotes
    /// they were written in (`trap` does so when the trap fires).
    static let evaluators: Set<String> = ["eval", "let", "trap"]

    /// Commands that read a heredoc as a program: a value in its body is code.
    static let interpreters: Set<String> = ["bash", "sh", "zsh", "dash", "ksh", "ssh", "eval", "source", "python", "python3", "perl", "ruby", "node", "php"]

    /// The context of a reference starting at `at`, from the frame it is in.
    func classify(at: Int) -> ShellContext {
        let context = frameContext(at: at)
        switch context {
        case .comment, .heredoc, .unsafe: return context
        default:
            if let word = commandWord(before: at), Self.evaluators.contains(word) {
                return .unsafe("'\(word)' evaluates its arguments as code, so the value would run, even quoted; pass the value as data instead (a variable, or an argument of the command itself)")
            }
            return context
        }
    }

    func frameContext(at: Int) -> ShellContext {
        switch stack.last! {
        case .single: return .singleQuoted
        case .ansiC: return .ansiC
        case .comment: return .comment
        case .double: return .doubleQuoted
        case .arithmetic: return .unsafe(Self.arithmeticHelp)
        case .heredoc(let delimiter, let quoted, _, let reader):
            if let reader {
                return .unsafe("this heredoc is read as code by '\(reader)', so the value would run; give the value to it as data: a local interpreter inherits the variable MUSTER_VALUE_{{ name }} (write \\$MUSTER_VALUE_… in the heredoc), and ssh can take it on stdin or in a file")
            }
            if quoted {
                let d = String(decoding: delimiter, as: UTF8.self)
                return .unsafe("the heredoc ending at '\(d)' is quoted, so bash would not expand a variable there and the value would be pasted into the script, where a line '\(d)' in it ends the heredoc early; write an unquoted <<\(d) (then $ and ` in its body are expanded: escape them as \\$ and \\`), or write the value with printf '%s\\n' {{ name }} >>FILE")
            }
            return .heredoc
        case .code(let closer, let inDQ):
            if at > 1, b[at - 1] == 91, isNameByte(b[at - 2]) {
                return .unsafe("an array subscript is evaluated as arithmetic by bash, which runs code in the value; use an associative array (declare -A) and a variable: k={{ name }}; m[$k]=…")
            }
            if case .brace = closer { return inDQ ? .doubleQuoted : .word }
            return .word
        }
    }

    func isNameByte(_ c: UInt8) -> Bool {
        (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c == 95
    }

    /// The first word of the simple command that the reference at `at` is part of.
    func commandWord(before at: Int) -> String? {
        var s = at
        while s > 0, ![10, 59, 38, 124, 40, 96, 123].contains(b[s - 1]) { s -= 1 }
        while s < at, b[s] == 32 || b[s] == 9 { s += 1 }
        var e = s
        while e < at, isNameByte(b[e]) { e += 1 }
        return e > s && e < at ? String(decoding: b[s..<e], as: UTF8.self) : nil
    }
}
