public import MusterYAML
import MusterBasics

/// A `when:` condition, parsed: a small expression language over values the
/// run already has. It has no function calls, no templates and no access to
/// the environment or to secrets, so nothing in it can run code; the values
/// it reads are compared as data and never parsed again.
///
/// Grammar (lowest precedence first; `not` applies to a whole comparison,
/// as in Python, so `not mode == "drill"` is `not (mode == "drill")`):
///
///     condition  = and ("or" and)*
///     and        = not ("and" not)*
///     not        = "not" not | comparison
///     comparison = value [("==" | "!=" | "<" | "<=" | ">" | ">=" | "in" | "not in") value]
///     value      = NUMBER | STRING | "true" | "false" | "[" [literal ("," literal)* [","]] "]"
///                | NAME | "mode" | "steps." KEY ".outcome" | "(" condition ")"
public struct Condition: Sendable, Hashable {
    /// The text as written, for the skip reason and the paper copy.
    public var text: String
    public var mark: Mark
    public var root: Expression

    /// The values `mode` takes.
    public static let modes = ["incident", "drill", "training", "rehearsal"]
    /// The values `steps.ID.outcome` takes.
    public static let outcomes = ["done", "skipped", "failed"]
    /// Parentheses, `not` and lists nest at most this deep: every pass over
    /// the tree (checking, evaluating, comparing, freeing) recurses, and a
    /// hostile file must not exhaust the stack. `and` and `or` chains are
    /// flat lists, so a long condition costs length, not depth.
    public static let maxDepth = 32

    /// One node of the tree, with where it is written: a comparison is placed
    /// at its operator, everything else at its first character.
    public struct Expression: Sendable, Hashable {
        public indirect enum Kind: Sendable, Hashable {
            /// As written (`30`, `-1.5`), compared exactly, never through a Double.
            case number(String)
            /// A double-quoted literal, unescaped; always text, never a number.
            case string(String)
            case bool(Bool)
            /// Literals only, after `in`.
            case list([Expression])
            /// A parameter, a built-in, an answer or an output.
            case name(String)
            case mode
            /// `steps.KEY.outcome`, KEY the step's full key (`rebuild/cluster/create`).
            case outcome(step: String)
            case not(Expression)
            /// `a and b and c`, flat.
            case all([Expression])
            /// `a or b or c`, flat.
            case any([Expression])
            case compare(Operator, Expression, Expression)
        }

        public var kind: Kind
        /// Unicode scalars from the start of the condition's text.
        public var offset: Int
        public var mark: Mark

        public init(kind: Kind, offset: Int, mark: Mark) {
            self.kind = kind
            self.offset = offset
            self.mark = mark
        }
    }

    public enum Operator: String, Sendable, Hashable, CaseIterable {
        case equal = "==", notEqual = "!=", less = "<", lessOrEqual = "<=", greater = ">", greaterOrEqual = ">="
        case `in` = "in", notIn = "not in"

        /// `<`, `<=`, `>`, `>=`: numbers only.
        public var orders: Bool { [.less, .lessOrEqual, .greater, .greaterOrEqual].contains(self) }
        public var isMembership: Bool { self == .in || self == .notIn }
    }
}

/// A condition that cannot be read, at the position of the problem.
public struct ConditionError: Error, Sendable, Hashable {
    public var message: String
    public var mark: Mark
    /// Unicode scalars from the start of the condition's text.
    public var offset: Int

    public init(message: String, mark: Mark, offset: Int) {
        self.message = message
        self.mark = mark
        self.offset = offset
    }

    public func diagnostic(path: String) -> Diagnostic {
        Diagnostic(path: path, mark: mark, message: message)
    }
}

extension Condition.Expression {
    /// The node as a condition would write it, for messages.
    public var source: String {
        switch kind {
        case .number(let n): return n
        case .string(let s): return JSON.string(s).serialized()
        case .bool(let b): return b ? "true" : "false"
        case .list(let items): return "[" + items.map(\.source).joined(separator: ", ") + "]"
        case .name(let n): return n
        case .mode: return "mode"
        case .outcome(let key): return "steps.\(key).outcome"
        case .not(let e):
            switch e.kind {
            case .all, .any: return "not (\(e.source))"
            default: return "not " + e.source
            }
        case .all(let items): return items.map(\.nestedSource).joined(separator: " and ")
        case .any(let items): return items.map(\.source).joined(separator: " or ")
        case .compare(let op, let l, let r): return "\(l.source) \(op.rawValue) \(r.source)"
        }
    }

    /// Inside an `and`, an `or` keeps its parentheses.
    private var nestedSource: String {
        if case .any = kind { return "(\(source))" }
        return source
    }

    /// Whether this node is a value (compared) rather than a condition (true or false).
    var isValue: Bool {
        switch kind {
        case .number, .string, .bool, .list, .name, .mode, .outcome: return true
        case .not, .all, .any, .compare: return false
        }
    }
}

/// A quoted piece of a condition or a value in a message: whole when short,
/// else its start and its length, so one hostile line cannot fill the screen.
func clippedForMessage(_ text: String, limit: Int = 40) -> String {
    let scalars = text.unicodeScalars
    guard scalars.count > limit else { return text }
    return String(String.UnicodeScalarView(scalars.prefix(limit))) + "… (\(scalars.count) characters)"
}
