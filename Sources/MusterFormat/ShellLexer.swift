import MusterBasics

/// A small bash lexer: just enough of bash's quoting, substitutions,
/// comments, `case` and heredocs to know where each template reference
/// stands; ShellCommandRules then says what its word is to its command.
/// Every command the reference is nested in is checked (a value inside
/// `$( )` inside `bash -c "…"` is code to that bash). Where it cannot
/// follow the script (a line continuation inside a word), it refuses.
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
        /// `reader`: the program the body is fed to, when it runs it as code.
        case heredoc(delimiter: [UInt8], quoted: Bool, stripTabs: Bool, reader: String?)
    }

    enum Closer: Equatable { case end, paren(Int), backtick, brace(Int) }

    /// Beside each frame: where it opened, where its current simple command
    /// started (code frames), and the depth of each open `case`.
    struct Level { var openedAt: Int; var cmdStart: Int; var cases: [Int] = [] }

    struct PendingHeredoc { var delimiter: [UInt8]; var quoted: Bool; var stripTabs: Bool; var reader: String? }

    let b: [UInt8]
    let refs: [Template.Reference]
    let refRanges: [Range<Int>]
    let arithmeticNames: Set<String>
    var integerNames: Set<String> = []
    var stack: [Frame] = [.code(.end, inDoubleQuotes: false)]
    var levels: [Level] = [Level(openedAt: 0, cmdStart: 0)]
    var pending: [PendingHeredoc] = []
    var contexts: [ShellContext] = []
    var next = 0
    var inDoubleBracket = false
    var inArray = false
    /// Just past the last `)`, backtick or `}` that closed a substitution:
    /// a `#` there continues a word, it does not start a comment.
    var lastClose = -1
    var lostTrack: String?
    var commands: [Int: (ShellCommandWords, String?)] = [:]

    static func contexts(of t: Template) -> [ShellContext] {
        let bytes = Array(t.raw.utf8)
        var l = ShellLexer(b: bytes, refs: t.references, refRanges: t.references.map(\.range), arithmeticNames: t.arithmeticNames)
        l.integerNames = Self.integerDeclarations(bytes)
        l.run()
        while l.contexts.count < t.references.count { l.contexts.append(.unsafe("this script could not be read to its end; check its quotes and brackets")) }
        if let why = l.lostTrack {
            return l.contexts.map { if case .comment = $0 { $0 } else { .unsafe(why) } }
        }
        return l.contexts
    }

    static let arithmeticHelp = "a value inside arithmetic is evaluated as code by bash (a[$(cmd)] runs cmd); declare the value `type: int` (or number), or check it first: n={{ name }}; [[ $n =~ ^[0-9]+$ ]] || exit 1; echo $((n + 1))"

    mutating func run() {
        var i = 0
        while i < b.count {
            if case .heredoc(let delim, _, let strip, _) = stack.last!, i == 0 || b[i - 1] == 10 {
                var eol = i
                while eol < b.count, b[eol] != 10 { eol += 1 }
                var s = i
                if strip { while s < eol, b[s] == 9 { s += 1 } }
                if b[s..<eol].elementsEqual(delim) {
                    pop()
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

    mutating func push(_ f: Frame, at: Int, body: Int) {
        stack.append(f)
        levels.append(Level(openedAt: at, cmdStart: body))
    }

    mutating func pop() {
        stack.removeLast()
        levels.removeLast()
    }

    func has(_ i: Int, _ s: StaticString) -> Bool { ShellWords.has(b, i, s) }

    func atWordStart(_ i: Int) -> Bool {
        i == 0 || ([9, 10, 32, 59, 38, 124, 40, 41].contains(b[i - 1]) && i != lastClose)
    }

    func wordEnds(_ i: Int) -> Bool { i >= b.count || [9, 10, 32, 59, 38, 124, 41, 60, 62].contains(b[i]) }

    /// Handles the byte at `i` in the current frame; returns where to go on.
    mutating func step(_ i: Int) -> Int {
        let c = b[i]
        switch stack.last! {
        case .single:
            if c == 39 { pop() }
            return i + 1
        case .ansiC:
            if c == 92 { return i + 2 }
            if c == 39 { pop() }
            return i + 1
        case .comment:
            if c == 10 { pop(); return i }
            return i + 1
        case .arithmetic(let closer, let depth):
            if c == 40 { stack[stack.count - 1] = .arithmetic(closer: closer, depth: depth + 1) }
            if c == 41, closer == 41 {
                if depth == 0 { pop(); return has(i, "))") ? i + 2 : i + 1 }
                stack[stack.count - 1] = .arithmetic(closer: closer, depth: depth - 1)
            }
            if c == 93, closer == 93 { pop() }
            if let j = substitution(i, inDoubleQuotes: false) { return j }
            return i + 1
        case .double:
            if c == 34 { pop(); return i + 1 }
            return expansion(i, inDoubleQuotes: true) ?? i + 1
        case .heredoc(_, let quoted, _, _):
            if quoted { return i + 1 }
            return expansion(i, inDoubleQuotes: true) ?? i + 1
        case .code(let closer, let inDQ):
            return code(i, closer, inDQ)
        }
    }

    /// `$( )`, backticks: active in code, quotes, heredocs and arithmetic.
    mutating func substitution(_ i: Int, inDoubleQuotes: Bool) -> Int? {
        if has(i, "$((") { push(.arithmetic(closer: 41, depth: 0), at: i, body: i + 3); return i + 3 }
        if has(i, "$(") { push(.code(.paren(0), inDoubleQuotes: false), at: i, body: i + 2); return i + 2 }
        if b[i] == 96 { push(.code(.backtick, inDoubleQuotes: false), at: i, body: i + 1); return i + 1 }
        if has(i, "${") { push(.code(.brace(0), inDoubleQuotes: inDoubleQuotes), at: i, body: i + 2); return i + 2 }
        return nil
    }

    /// `$( )`, `$(( ))`, `${ }`, backticks and escapes: active in code,
    /// double quotes and unquoted heredocs alike.
    mutating func expansion(_ i: Int, inDoubleQuotes: Bool) -> Int? {
        let c = b[i]
        if c == 92 {
            // A line continuation that joins two halves of one word (ev\⏎al,
            // $(\⏎( … ))) makes a word this check cannot see whole.
            if !inDoubleQuotes, i + 2 < b.count, b[i + 1] == 10, i > 0, ![32, 9, 10].contains(b[i - 1]), ![32, 9, 10].contains(b[i + 2]) {
                lostTrack = lostTrack ?? "a line continuation (a \\ at the end of a line) joins two halves of one word here, which bash reads as one word and this check cannot; join the line, or break it between words"
            }
            return i + 2
        }
        if has(i, "$[") { push(.arithmetic(closer: 93, depth: 0), at: i, body: i + 2); return i + 2 }
        return substitution(i, inDoubleQuotes: inDoubleQuotes)
    }

    mutating func code(_ i: Int, _ closer: Closer, _ inDQ: Bool) -> Int {
        let c = b[i]
        let top = levels.count - 1
        switch closer {
        case .backtick where c == 96:
            pop(); lastClose = i + 1; return i + 1
        case .paren(let d) where c == 41:
            if levels[top].cases.last == d { levels[top].cmdStart = i + 1; return i + 1 }  // a case pattern's `)`
            if d == 0 { pop(); lastClose = i + 1 } else { stack[stack.count - 1] = .code(.paren(d - 1), inDoubleQuotes: inDQ); levels[top].cmdStart = i + 1 }
            return i + 1
        case .paren(let d) where c == 40 && !has(i, "(("):
            stack[stack.count - 1] = .code(.paren(d + 1), inDoubleQuotes: inDQ); levels[top].cmdStart = i + 1; return i + 1
        case .brace(let d) where c == 125:
            if d == 0 { pop(); lastClose = i + 1 } else { stack[stack.count - 1] = .code(.brace(d - 1), inDoubleQuotes: inDQ) }
            return i + 1
        case .brace(let d) where c == 123:
            stack[stack.count - 1] = .code(.brace(d + 1), inDoubleQuotes: inDQ); return i + 1
        default: break
        }
        if let j = expansion(i, inDoubleQuotes: inDQ) { return j }
        if case .brace = closer {
            // Inside ${ }: quotes, and nothing else that starts a command.
            if c == 39, !inDQ { push(.single, at: i, body: i + 1) }
            if c == 34 { push(.double, at: i, body: i + 1) }
            return i + 1
        }
        let depth: Int = if case .paren(let d) = closer { d } else { -1 }
        if atWordStart(i), ShellWords.isKeyword(b, i, "case") { levels[top].cases.append(depth); return i + 4 }
        if atWordStart(i), ShellWords.isKeyword(b, i, "esac"), !levels[top].cases.isEmpty { levels[top].cases.removeLast(); return i + 4 }
        switch c {
        case 39:
            push(.single, at: i, body: i + 1); return i + 1
        case 34:
            push(.double, at: i, body: i + 1); return i + 1
        case 36 where has(i, "$'"):
            push(.ansiC, at: i, body: i + 2); return i + 2
        case 35 where atWordStart(i):
            push(.comment, at: i, body: i + 1); return i + 1
        case 40 where has(i, "(("):
            push(.arithmetic(closer: 41, depth: 0), at: i, body: i + 2); return i + 2
        case 60 where has(i, "<("), 62 where has(i, ">("):
            push(.code(.paren(0), inDoubleQuotes: false), at: i, body: i + 2); return i + 2
        case 60 where has(i, "<<") && !has(i, "<<<"):
            return heredocOperator(i)
        case 60 where has(i, "<<<"):
            return i + 3
        case 10:
            for h in pending.reversed() { push(.heredoc(delimiter: h.delimiter, quoted: h.quoted, stripTabs: h.stripTabs, reader: h.reader), at: i, body: i + 1) }
            pending.removeAll()
            if !inDoubleBracket { levels[top].cmdStart = i + 1 }
            return i + 1
        case 40 where i > 0 && b[i - 1] == 61:  // a=( … ): an array's words, not a subshell
            inArray = true; return i + 1
        case 41 where inArray:
            inArray = false; return i + 1
        case 59, 38, 124, 40, 41:
            if !inDoubleBracket { levels[top].cmdStart = i + 1 }
            return i + 1
        case 91 where has(i, "[[") && atWordStart(i) && wordEnds(i + 2):
            inDoubleBracket = true; return i + 2
        case 93 where has(i, "]]") && wordEnds(i + 2):
            inDoubleBracket = false; return i + 2
        default:
            return i + 1
        }
    }

    /// `<<WORD` or `<<-WORD`: the delimiter, whether any part of it is
    /// quoted (then the body is not expanded), and who reads the body.
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
            pending.append(PendingHeredoc(delimiter: delimiter, quoted: quoted, stripTabs: strip, reader: stdinProgramReader(from: levels[levels.count - 1].cmdStart)))
        }
        return i
    }

    /// The program that reads, as code, the standard input of the command
    /// starting at `from`: the command itself, or one its output is piped into.
    func stdinProgramReader(from: Int) -> String? {
        var cmd = ShellWords.command(b, from: from, refs: refRanges)
        if let r = ShellCommandRules.readsProgramFromStdin(cmd) { return r }
        return pipedInto(cmd: &cmd)
    }

    /// A program further down the pipeline that runs what it reads.
    func pipedInto(cmd: inout ShellCommandWords) -> String? {
        var guardCount = 0
        while cmd.pipesOn, cmd.end + 1 < b.count, guardCount < 64 {
            cmd = ShellWords.command(b, from: cmd.end + 1, refs: refRanges)
            if let r = ShellCommandRules.readsProgramFromStdin(cmd) { return r }
            guardCount += 1
        }
        return nil
    }

    /// Commands are read once however many references they hold (a hostile
    /// file may put thousands in one), and checked only up to this size.
    static let wordLimit = 2_000

    /// The simple command starting at `from`, and a program further down its
    /// pipeline that runs what it reads; read once per command.
    mutating func command(at from: Int) -> (ShellCommandWords, String?) {
        if let cached = commands[from] { return cached }
        var cmd = ShellWords.command(b, from: from, refs: refRanges)
        let words = cmd
        let reader = pipedInto(cmd: &cmd)
        commands[from] = (words, reader)
        return (words, reader)
    }

    /// The context of a reference starting at `at`, checked against every
    /// frame and command it is nested in.
    mutating func classify(at: Int) -> ShellContext {
        let name = refs[next].name
        var context: ShellContext
        var arithmetic: String?
        switch stack.last! {
        case .single: context = .singleQuoted
        case .ansiC: context = .ansiC
        case .comment: return .comment
        case .double: context = .doubleQuoted
        case .arithmetic: context = .arithmetic; arithmetic = Self.arithmeticHelp
        case .heredoc(let delimiter, let quoted, _, let reader):
            if let reader {
                return .unsafe("this heredoc is read as code by '\(reader)', so the value would run; give the value to it as data: a local program inherits the variable MUSTER_VALUE_{{ name }} (write \\$MUSTER_VALUE_… in the heredoc), and ssh can take it on stdin or in a file")
            }
            if quoted {
                let d = String(decoding: delimiter, as: UTF8.self)
                return .unsafe("the heredoc ending at '\(d)' is quoted, so bash would not expand a variable there and the value would be pasted into the script, where a line '\(d)' in it ends the heredoc early; write an unquoted <<\(d) (then $ and ` in its body are expanded: escape them as \\$ and \\`), or write the value with printf '%s\\n' {{ name }} >>FILE")
            }
            context = .heredoc
        case .code(let closer, let inDQ):
            context = (closer != .end && closer != .backtick && inDQ) ? .doubleQuoted : .word
        }

        if at > 0, b[at - 1] == 36, !(context == .singleQuoted || context == .ansiC || context == .heredoc) {
            return .unsafe("a template right after $ would be read as part of an expansion (${…}, $\"…\"); write the $ apart from it")
        }
        var target = at
        var skipCode = false
        for j in stride(from: stack.count - 1, through: 0, by: -1) {
            switch stack[j] {
            case .code(.brace, _):
                switch braceVerdict(openedAt: levels[j].openedAt, target: target) {
                case .data: break
                case .arithmetic(let m): arithmetic = arithmetic ?? m
                case .code(let m): return .unsafe(m)
                }
            case .code:
                if skipCode { skipCode = false; break }
                let (cmd, reader) = command(at: levels[j].cmdStart)
                if cmd.words.count > Self.wordLimit {
                    return .unsafe("this command has more than \(Self.wordLimit) words, more than this check reads; split it, and pass the values as data")
                }
                switch ShellCommandRules.verdict(cmd, target: target, integerNames: integerNames, b: b) {
                case .data: break
                case .arithmetic(let m): arithmetic = arithmetic ?? m
                case .code(let m): return .unsafe(m)
                }
                if let reader {
                    return .unsafe("this command's output is piped into '\(reader)', which runs it as code, so the value would run; \(ShellCommandRules.dataAdvice)")
                }
            case .heredoc(_, _, _, let reader):
                if let reader, j != stack.count - 1 {
                    return .unsafe("this heredoc is read as code by '\(reader)', and what is expanded in it becomes part of that program; \(ShellCommandRules.dataAdvice)")
                }
                skipCode = true
            case .arithmetic:
                if j != stack.count - 1 { arithmetic = arithmetic ?? Self.arithmeticHelp }
            case .double, .single, .ansiC, .comment:
                break
            }
            target = levels[j].openedAt
        }
        if let arithmetic {
            guard arithmeticNames.contains(name) else { return .unsafe(arithmetic) }
            if case .arithmetic = context { return .arithmetic }
        }
        return context
    }

    /// What a template is inside `${ … }`: only a default value
    /// (`${x:-…}`, `${x:=…}`, `${x:+…}`, `${x:?…}`) is a plain word there.
    func braceVerdict(openedAt o: Int, target: Int) -> ShellCommandRules.Verdict {
        var i = o + 2
        let glob = ShellCommandRules.Verdict.code("inside ${x#…}, ${x%…}, ${x/…/…} and ${x^…} a value is a pattern (* and ? match anything), not text; put it in a variable and quote it there: p={{ name }}; echo \"${x/\"$p\"/}\"")
        let named = ShellCommandRules.Verdict.code("the value would name the variable that is expanded (${!…} and ${…} take names); write the name, and pass the value as data")
        if i < b.count, b[i] == 33 || (b[i] == 35 && i + 1 < b.count && b[i + 1] != 125) { i += 1 }  // ${!x}, ${#x}
        if target <= i { return named }
        while i < b.count, ShellWords.isNameByte(b[i]) || (i == o + 2 && "@*#?$!-".utf8.contains(b[i])) { i += 1 }
        if target < i { return named }
        if i < b.count, b[i] == 91 {
            let e = ShellWords.skipBracket(b, i)
            if target < e { return .arithmetic(ShellCommandRules.subscriptHelp) }
            i = e
        }
        guard i < b.count, target > i else { return named }
        for op in [":-", ":=", ":+", ":?"] where b[i...].starts(with: op.utf8) { return .data }
        if ["-", "=", "+", "?"].contains(where: { b[i] == $0.utf8.first! }) { return .data }
        if b[i] == 58 { return .arithmetic("${x:offset:length} evaluates the offset and length as arithmetic, which runs code in a[$(cmd)]; declare the value `type: int`") }
        return glob
    }

    /// Names declared integer anywhere in the script (`declare -i n`,
    /// `local -i n=0`): assigning to them later is arithmetic.
    static func integerDeclarations(_ b: [UInt8]) -> Set<String> {
        var names: Set<String> = []
        let tokens = b.split { [32, 9, 10, 59, 38, 124, 40, 41].contains($0) }.map { Array($0) }
        var i = 0
        while i < tokens.count {
            let t = String(decoding: tokens[i], as: UTF8.self)
            guard ["declare", "typeset", "local", "export", "readonly"].contains(t) else { i += 1; continue }
            var flags = ""
            i += 1
            while i < tokens.count, tokens[i].first == 45 { flags += String(decoding: tokens[i], as: UTF8.self); i += 1 }
            while i < tokens.count, tokens[i].first != 45 {
                let t = tokens[i]
                if ["declare", "typeset", "local", "export", "readonly"].contains(String(decoding: t, as: UTF8.self)) { break }
                if flags.contains("i") {
                    let name = t.prefix { ShellWords.isNameByte($0) }
                    if !name.isEmpty { names.insert(String(decoding: name, as: UTF8.self)) }
                }
                i += 1
            }
        }
        return names
    }
}
