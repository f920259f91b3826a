public import MusterYAML
import MusterBasics

extension Condition {
    /// Reads a condition written on one line starting at `mark` (a plain
    /// YAML scalar): each node's column is `mark`'s plus its offset. Use
    /// `parse(_:node:source:)` when the scalar may be quoted or span lines.
    public static func parse(_ text: String, at mark: Mark) throws(ConditionError) -> Condition {
        try parse(text, at: mark) { offsets in
            // Lines of a multi-line text start at column 1: the best guess without the source.
            let scalars = Array(text.unicodeScalars)
            var out: [Mark] = []
            var line = mark.line, column = mark.column, k = 0
            for o in offsets {
                while k < o, k < scalars.count {
                    if scalars[k] == "\n" { line += 1; column = 1 } else { column += 1 }
                    k += 1
                }
                out.append(Mark(line: line, column: column + max(0, o - k)))
            }
            return out
        }
    }

    /// Reads the condition held by a YAML scalar, placing each node where it
    /// is written in the file, whether the scalar is plain, quoted or a
    /// block (see `ScalarPlacer`).
    public static func parse(_ text: String, node: Node, source: SourceText) throws(ConditionError) -> Condition {
        try parse(text, at: node.mark) { ScalarPlacer(source: source, node: node, text: text).marks(at: $0) }
    }

    /// `place` turns increasing scalar offsets into marks.
    static func parse(_ text: String, at mark: Mark, place: ([Int]) -> [Mark]) throws(ConditionError) -> Condition {
        var lexer = ConditionLexer(text)
        let lexemes: [ConditionLexer.Lexeme]
        do throws(ConditionLexer.Problem) {
            lexemes = try lexer.lexemes()
        } catch {
            throw ConditionError(message: error.message, mark: place([error.offset])[0], offset: error.offset)
        }
        var parser = ConditionParser(lexemes: lexemes, marks: place(lexemes.map(\.offset)))
        let root = try parser.parseCondition()
        return Condition(text: text, mark: mark, root: root)
    }
}

/// Recursive descent over the lexemes. Depth is counted at every `(`, `not`
/// and `[`, and refused past `Condition.maxDepth`.
struct ConditionParser {
    typealias Expression = Condition.Expression
    let lexemes: [ConditionLexer.Lexeme]
    let marks: [Mark]
    var i = 0
    var depth = 0

    init(lexemes: [ConditionLexer.Lexeme], marks: [Mark]) {
        self.lexemes = lexemes
        self.marks = marks
    }

    private var token: ConditionLexer.Token { lexemes[i].token }

    private func error(_ message: String, at k: Int? = nil) -> ConditionError {
        let k = k ?? i
        return ConditionError(message: message, mark: marks[k], offset: lexemes[k].offset)
    }

    private func isWord(_ w: String) -> Bool { token == .word(w) }

    mutating func parseCondition() throws(ConditionError) -> Expression {
        if token == .end { throw error("empty condition; write one such as lag_seconds < 30 or mode == \"drill\"") }
        let root = try parseOr()
        guard token == .end else {
            if case .word(let w) = token, w != w.lowercased(), ["and", "or", "not", "in"].contains(w.lowercased()) {
                throw error("'\(w)' is written in lower case: \(w.lowercased())")
            }
            throw error("unexpected \(describe(token)) after \(lexemes[i - 1].token == .symbol(")") ? "')'" : "a complete condition"); "
                + "join conditions with 'and' or 'or'")
        }
        return try asCondition(root)
    }

    private mutating func parseOr() throws(ConditionError) -> Expression {
        let first = try parseAnd()
        guard isWord("or") else { return first }
        var items = [try asCondition(first)]
        while isWord("or") {
            i += 1
            items.append(try asCondition(try parseAnd()))
        }
        return Expression(kind: .any(items), offset: first.offset, mark: first.mark)
    }

    private mutating func parseAnd() throws(ConditionError) -> Expression {
        let first = try parseNot()
        guard isWord("and") else { return first }
        var items = [try asCondition(first)]
        while isWord("and") {
            i += 1
            items.append(try asCondition(try parseNot()))
        }
        return Expression(kind: .all(items), offset: first.offset, mark: first.mark)
    }

    private mutating func parseNot() throws(ConditionError) -> Expression {
        guard isWord("not") else { return try parseComparison() }
        let at = i
        try enter()
        defer { depth -= 1 }
        i += 1
        let inner = try asCondition(try parseNot())
        return Expression(kind: .not(inner), offset: lexemes[at].offset, mark: marks[at])
    }

    private mutating func parseComparison() throws(ConditionError) -> Expression {
        let left = try parseValue()
        let opAt = i
        guard let op = comparisonOperator() else { return left }
        let right = try parseValue()
        if comparisonOperator() != nil {
            throw error("comparisons do not chain; write 'a < b and b < c'", at: opAt)
        }
        try checkOperands(op, left, right, opAt: opAt)
        return Expression(kind: .compare(op, left, right), offset: lexemes[opAt].offset, mark: marks[opAt])
    }

    /// The operator at the cursor, consumed, or nil.
    private mutating func comparisonOperator() -> Condition.Operator? {
        switch token {
        case .symbol(let s):
            guard let op = Condition.Operator(rawValue: s) else { return nil }
            i += 1
            return op
        case .word("in"):
            i += 1
            return .in
        case .word("not") where lexemes[i + 1].token == .word("in"):
            i += 2
            return .notIn
        default:
            return nil
        }
    }

    private func checkOperands(_ op: Condition.Operator, _ left: Expression, _ right: Expression, opAt: Int) throws(ConditionError) {
        for side in [left, right] where !side.isValue {
            throw ConditionError(message: "'\(op.rawValue)' compares values, not conditions; compare each value on its own and join with 'and' or 'or'",
                                 mark: side.mark, offset: side.offset)
        }
        if case .list = left.kind {
            throw ConditionError(message: "a list stands after 'in' only (x in [1, 2])", mark: left.mark, offset: left.offset)
        }
        if op.isMembership {
            switch right.kind {
            case .list, .name: break
            default:
                throw ConditionError(message: "'\(op.rawValue)' needs a [list] or the name of a value holding one (a JSON array or one item per line), not \(right.source)",
                                     mark: right.mark, offset: right.offset)
            }
        } else if case .list = right.kind {
            throw ConditionError(message: "a list is compared with 'in' only; write x in [...]", mark: right.mark, offset: right.offset)
        }
    }

    private mutating func parseValue() throws(ConditionError) -> Expression {
        let at = i
        let offset = lexemes[at].offset, mark = marks[at]
        func make(_ kind: Expression.Kind) -> Expression { Expression(kind: kind, offset: offset, mark: mark) }
        switch token {
        case .number(let n):
            i += 1
            return make(.number(n))
        case .string(let s):
            i += 1
            return make(.string(s))
        case .outcome(let key):
            i += 1
            return make(.outcome(step: key))
        case .symbol("("):
            try enter()
            defer { depth -= 1 }
            i += 1
            if token == .symbol(")") { throw error("empty parentheses; put a condition or a value inside") }
            let inner = try parseOr()
            guard token == .symbol(")") else {
                throw error("'(' is not closed with ')'" + (token == .end ? "" : "; found \(describe(token))"), at: at)
            }
            i += 1
            return inner
        case .symbol("["):
            try enter()
            defer { depth -= 1 }
            i += 1
            var items: [Expression] = []
            while token != .symbol("]") {
                items.append(try parseListItem())
                if token == .symbol(",") { i += 1; continue }
                guard token == .symbol("]") else {
                    throw error(token == .end ? "'[' is not closed with ']'" : "separate list items with ','; found \(describe(token))", at: token == .end ? at : nil)
                }
            }
            i += 1
            return make(.list(items))
        case .word(let w):
            switch w {
            case "true", "false":
                i += 1
                return make(.bool(w == "true"))
            case "mode":
                i += 1
                return make(.mode)
            case "and", "or", "in":
                throw error("a value is missing before '\(w)'")
            case "not":
                throw error("'not' stands before a whole condition: not (a == b)")
            default:
                if ["and", "or", "not", "in", "true", "false", "mode"].contains(w.lowercased()) {
                    throw error("'\(w)' is written in lower case: \(w.lowercased())")
                }
                i += 1
                return make(.name(w))
            }
        case .end:
            throw error(i == 0 ? "empty condition" : "the condition ends where a value is expected after \(describe(lexemes[i - 1].token))")
        case .symbol(let s):
            throw error("a value is missing before '\(s)'")
        }
    }

    /// Lists hold literals: a bare word there is almost always text missing its quotes.
    private mutating func parseListItem() throws(ConditionError) -> Expression {
        let offset = lexemes[i].offset, mark = marks[i]
        switch token {
        case .number(let n): i += 1; return Expression(kind: .number(n), offset: offset, mark: mark)
        case .string(let s): i += 1; return Expression(kind: .string(s), offset: offset, mark: mark)
        case .word("true"), .word("false"):
            let b = token == .word("true")
            i += 1
            return Expression(kind: .bool(b), offset: offset, mark: mark)
        case .word(let w):
            throw error("a list holds numbers, \"strings\", true or false; write \"\(clippedForMessage(w))\" in double quotes")
        case .end:
            throw error("the list ends where an item is expected")
        default:
            throw error("a list holds numbers, \"strings\", true or false, not \(describe(token))")
        }
    }

    /// A value standing where true or false is needed: a name (its value
    /// must be true or false at run time) or a boolean; anything else is a
    /// mistake the author can see now.
    private func asCondition(_ e: Expression) throws(ConditionError) -> Expression {
        let why: String
        switch e.kind {
        case .bool, .name, .not, .all, .any, .compare: return e
        case .number(let n): why = "\(n) is a number, not a condition; compare it: lag_seconds < \(n)"
        case .string: why = "\(clippedForMessage(e.source)) is text, not a condition; compare it: region == \(clippedForMessage(e.source))"
        case .list: why = "a list is not a condition; use it after 'in': region in [...]"
        case .mode: why = "'mode' is a word, not a condition; compare it: mode == \"drill\""
        case .outcome(let key): why = "a step's outcome is a word, not a condition; compare it: steps.\(clippedForMessage(key)).outcome == \"done\""
        }
        throw ConditionError(message: why, mark: e.mark, offset: e.offset)
    }

    private mutating func enter() throws(ConditionError) {
        depth += 1
        if depth > Condition.maxDepth {
            throw error("the condition nests deeper than \(Condition.maxDepth) levels of parentheses, 'not' and lists; write it flatter or split it across steps")
        }
    }

    private func describe(_ t: ConditionLexer.Token) -> String {
        switch t {
        case .number(let n): return "'\(clippedForMessage(n))'"
        case .string(let s): return clippedForMessage(JSON.string(s).serialized())
        case .word(let w): return "'\(clippedForMessage(w))'"
        case .outcome(let k): return "'steps.\(clippedForMessage(k)).outcome'"
        case .symbol(let s): return "'\(s)'"
        case .end: return "the end"
        }
    }
}
