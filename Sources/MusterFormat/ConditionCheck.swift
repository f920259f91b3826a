import MusterYAML
import MusterBasics

/// What a condition may read at the step that carries it.
public struct ConditionScope: Sendable {
    /// Parameters, built-ins, and answers and outputs of steps that end
    /// before this one, with their declared rules (a bare `ValueRule()` when
    /// none is declared).
    public var names: [String: ValueRule]
    /// Names set only by steps that do not end before this one: name → the
    /// key of the first step setting it.
    public var later: [String: String]
    /// Declared secrets and secret answers: never readable by a condition,
    /// whose values are journaled and shown.
    public var secrets: Set<String>
    /// Keys of the steps that have an outcome when this one is reached.
    public var steps: Set<String>
    /// Keys of every other step (later, itself, or in a branch running
    /// alongside), so naming one says why instead of "unknown".
    public var otherSteps: Set<String>

    public init(names: [String: ValueRule] = [:], later: [String: String] = [:], secrets: Set<String> = [],
                steps: Set<String> = [], otherSteps: Set<String> = []) {
        self.names = names
        self.later = later
        self.secrets = secrets
        self.steps = steps
        self.otherSteps = otherSteps
    }
}

extension Condition {
    /// Every mistake `validate` can see before the run: names that do not
    /// exist here, secrets, steps without an outcome yet, and comparisons
    /// that can never hold or never be made. Each is at the node it is about.
    public func problems(in scope: ConditionScope, path: String) -> [Diagnostic] {
        var checker = ConditionChecker(scope: scope, path: path)
        checker.visit(root, asCondition: true)
        return checker.found
    }
}

private struct ConditionChecker {
    typealias Expression = Condition.Expression
    let scope: ConditionScope
    let path: String
    var found: [Diagnostic] = []
    /// Did-you-mean costs a pass over every name; a hostile condition naming
    /// thousands of unknown ones gets suggestions for the first few only.
    var hintsLeft = 20

    init(scope: ConditionScope, path: String) {
        self.scope = scope
        self.path = path
    }

    mutating func report(_ e: Expression, _ message: String) {
        guard found.count < Diagnostic.limit else { return }
        found.append(Diagnostic(path: path, mark: e.mark, message: message))
    }

    /// `candidates` gets the scope rather than capturing the checker, which is being changed.
    mutating func hint(_ word: String, among candidates: (ConditionScope) -> [String]) -> String {
        guard hintsLeft > 0 else { return "" }
        hintsLeft -= 1
        return suggestion(for: word, among: candidates(scope)).map { " (did you mean '\($0)'?)" } ?? ""
    }

    mutating func visit(_ e: Expression, asCondition: Bool) {
        switch e.kind {
        case .all(let items), .any(let items):
            for item in items { visit(item, asCondition: true) }
        case .not(let inner):
            visit(inner, asCondition: true)
        case .compare(let op, let l, let r):
            visit(l, asCondition: false)
            visit(r, asCondition: false)
            compare(op, l, r)
        case .name(let n):
            guard known(e, n), asCondition, let rule = scope.names[n] else { return }
            if rule.type != .bool, rule.type != .string || !(rule.choices.map { Set($0).isSubset(of: ["true", "false"]) } ?? true) {
                report(e, "'\(n)' is \(describe(rule)), not true or false; compare it, e.g. \(n) == \(example(rule))")
            }
        case .outcome(let key):
            guard !scope.steps.contains(key) else { return }
            let shown = clippedForMessage(key)
            if scope.otherSteps.contains(key) {
                report(e, "step '\(shown)' does not end before this point, so it has no outcome yet; "
                    + "a condition reads the outcome of steps that run before it")
            } else {
                let h = hint(key) { $0.steps.union($0.otherSteps).sorted() }
                report(e, "unknown step '\(shown)' in steps.\(shown).outcome\(h); name a step by its key, nested ones joined with '/' (rebuild/cluster/create)")
            }
        case .list(let items):
            for item in items { visit(item, asCondition: false) }
        case .number, .string, .bool, .mode:
            break
        }
    }

    /// Whether the name can be read here; reports why not.
    mutating func known(_ e: Expression, _ n: String) -> Bool {
        if scope.names[n] != nil { return true }
        let shown = clippedForMessage(n)
        if scope.secrets.contains(n) {
            report(e, "'\(shown)' is a secret, and a condition cannot name a secret (the values it reads are journaled and shown); "
                + "check it in a run step and compare that step's output or outcome instead")
        } else if let step = scope.later[n] {
            report(e, "'\(shown)' is set by step '\(clippedForMessage(step))', which does not run before this point")
        } else if Condition.modes.contains(n) || Condition.outcomes.contains(n) {
            let what = Condition.modes.contains(n) ? "mode == \"\(n)\"" : "steps.ID.outcome == \"\(n)\""
            report(e, "'\(n)' is not a name; words are written in double quotes: \(what)")
        } else {
            let h = hint(n) { $0.names.keys.sorted() + ["mode"] }
            report(e, "unknown name '\(shown)' in condition\(h); a condition may use parameters, built-ins, answers and outputs "
                + "of earlier steps, mode and steps.ID.outcome")
        }
        return false
    }

    mutating func compare(_ op: Condition.Operator, _ l: Expression, _ r: Expression) {
        if op.orders {
            for side in [l, r] { ordered(op, side) }
            return
        }
        if op.isMembership {
            if case .list(let items) = r.kind {
                for item in items { equal(l, item, op: op) }
            }
            return
        }
        equal(l, r, op: op)
        equal(r, l, op: op)
    }

    /// A side of `<` etc. that can never be a number.
    mutating func ordered(_ op: Condition.Operator, _ e: Expression) {
        let o = op.rawValue
        switch e.kind {
        case .string(let s):
            let unquote = readsAsNumber(s) ? "; write \(s) without quotes to compare numbers" : ""
            report(e, "'\(o)' compares numbers, and \(clippedForMessage(e.source)) is quoted text\(unquote)")
        case .bool:
            report(e, "'\(o)' compares numbers, not true or false")
        case .mode:
            report(e, "'\(o)' cannot compare mode, which is a word; write mode == \"drill\" or mode in [\"drill\", \"training\"]")
        case .outcome(let key):
            report(e, "'\(o)' cannot compare a step's outcome, which is a word; write steps.\(clippedForMessage(key)).outcome == \"done\"")
        case .name(let n):
            guard let rule = scope.names[n] else { return }
            let numeric = rule.type == .int || rule.type == .number
            if !numeric, rule.type != .string || (rule.choices.map { !$0.contains(where: readsAsNumber) } ?? false) {
                report(e, "'\(o)' compares numbers, and '\(n)' is \(describe(rule)); compare it with == or in instead")
            }
        default:
            break
        }
    }

    /// `subject == literal` (or `subject in [literal, …]`) that can never hold.
    mutating func equal(_ subject: Expression, _ other: Expression, op: Condition.Operator) {
        guard let text = literalText(other) else { return }
        let shown = clippedForMessage(other.source)
        switch subject.kind {
        case .mode where !Condition.modes.contains(text) || !isQuoted(other):
            let h = hint(text) { _ in Condition.modes }
            report(other, "\(shown) is not a mode\(h); mode is \(modeList)")
        case .outcome where !Condition.outcomes.contains(text) || !isQuoted(other):
            let h = hint(text) { _ in Condition.outcomes }
            report(other, "\(shown) is not an outcome\(h); a step's outcome is \"done\", \"skipped\" or \"failed\"")
        case .name(let n):
            guard let rule = scope.names[n] else { return }
            if rule.type == .int || rule.type == .number, case .string(let s) = other.kind {
                report(other, readsAsNumber(s)
                    ? "'\(n)' is a number (type: \(rule.type.rawValue)) and \(shown) is quoted text, so they compare as text; write \(s) without quotes"
                    : "'\(n)' is a number (type: \(rule.type.rawValue)), so '\(op.rawValue)' \(shown) is always \(op == .notEqual || op == .notIn ? "true" : "false")")
            } else if rule.type == .bool, text != "true", text != "false" {
                report(other, "'\(n)' is true or false (type: bool), never \(shown)")
            } else if let choices = rule.choices, !choices.contains(text) {
                let h = hint(text) { _ in choices }
                report(other, "\(shown) is not one of the choices for '\(n)'\(h): \(choices.map { JSON.string($0).serialized() }.joined(separator: ", "))")
            }
        default:
            break
        }
    }

    /// The text a literal compares as, or nil for anything else.
    func literalText(_ e: Expression) -> String? {
        switch e.kind {
        case .number(let n): return n
        case .string(let s): return s
        case .bool(let b): return b ? "true" : "false"
        default: return nil
        }
    }

    func isQuoted(_ e: Expression) -> Bool {
        if case .string = e.kind { return true }
        return false
    }

    var modeList: String {
        let q = Condition.modes.map { "\"\($0)\"" }
        return q.dropLast().joined(separator: ", ") + " or " + q.last!
    }

    func describe(_ rule: ValueRule) -> String {
        if let choices = rule.choices { return "one of " + choices.map { JSON.string($0).serialized() }.joined(separator: ", ") }
        switch rule.type {
        case .int, .number: return "a number (type: \(rule.type.rawValue))"
        case .duration: return "a duration (type: duration)"
        case .bool: return "true or false (type: bool)"
        case .string: return "text"
        }
    }

    func example(_ rule: ValueRule) -> String {
        if let first = rule.choices?.first { return JSON.string(first).serialized() }
        return rule.type == .int || rule.type == .number ? "0" : "\"…\""
    }
}
