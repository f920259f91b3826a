import MusterBasics

extension Condition {
    /// One value a condition read, in the order it read them.
    public struct Seen: Sendable, Hashable {
        /// `lag_seconds`, `mode` or `steps.ID.outcome`.
        public var name: String
        public var value: String

        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    /// What a condition decided, and from what.
    public struct Verdict: Sendable, Hashable {
        public var holds: Bool
        /// Each value read, once, in order. `and` and `or` stop at the first
        /// operand that decides, so a value behind a guard
        /// (`steps.measure.outcome == "done" and lag_seconds < 30`) is not read
        /// when the guard already decided.
        public var seen: [Seen]
        /// `lag_seconds < 30 is false (lag_seconds = 42)`: the screen's skip
        /// reason and the journal's.
        public var because: String
    }

    /// A condition that could not be decided: a value missing at run time, or
    /// a comparison it cannot make. The step fails with `message`.
    public struct Failure: Error, Sendable, Hashable {
        public var message: String
        public var seen: [Seen]
    }

    /// Decides the condition. `lookup` gives the value of a parameter,
    /// built-in, answer or output (nil when it has none: a step skipped
    /// earlier never produced it); `outcome` gives a step's outcome by key
    /// (`done`, `skipped`, `failed`; nil when it has none yet). The values
    /// are only compared: never evaluated or expanded.
    public func evaluate(lookup: (String) -> String?, mode: String, outcome: (String) -> String?) throws(Failure) -> Verdict {
        // The closures are only called during this call; the run holds them for its length.
        let (decided, seen) = withoutActuallyEscaping(lookup) { lookup in
            withoutActuallyEscaping(outcome) { outcome in
                var run = ConditionRun(lookup: lookup, mode: mode, outcome: outcome)
                let decided = Result { () throws(Undecidable) -> Bool in try run.decide(root) }
                return (decided, run.seen)
            }
        }
        let holds: Bool
        switch decided {
        case .success(let h): holds = h
        case .failure(let error):
            throw Failure(message: "cannot decide 'when: \(clippedForMessage(conditionLine(text), limit: 200))': \(error.message)", seen: seen)
        }
        var because = "\(conditionLine(text)) is \(holds)"
        if !seen.isEmpty {
            because += " (" + seen.map { "\($0.name) = \(shownValue($0.value))" }.joined(separator: ", ") + ")"
        }
        return Verdict(holds: holds, seen: seen, because: because)
    }
}

/// The condition's text on one line, control characters escaped: it is
/// shown on the operator's screen.
func conditionLine(_ text: String) -> String {
    let words = text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" || $0 == "\r\n" })
    return JSON.escapingControls(words.joined(separator: " "))
}

/// A value as the skip reason shows it: bare when it is a plain word or
/// number, else quoted and escaped, so a value holding a terminal escape or
/// a line break cannot change the screen. A long value is never cut (a
/// piece of it could be a piece of a secret the masker no longer knows):
/// only its length is shown.
func shownValue(_ value: String) -> String {
    let scalars = value.unicodeScalars
    if scalars.count > 200 { return "<\(scalars.count) characters>" }
    let plain = !value.isEmpty && value.utf8.allSatisfy { c in
        (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || "_.:/@+-".utf8.contains(c)
    }
    return plain ? value : JSON.string(value).serialized()
}

private struct Undecidable: Error { var message: String }

/// One evaluation: reads values through the closures and remembers them.
private struct ConditionRun {
    typealias Expression = Condition.Expression
    let lookup: (String) -> String?
    let mode: String
    let outcome: (String) -> String?
    var seen: [Condition.Seen] = []

    /// A value with how to name it in a message.
    struct Operand {
        var text: String
        /// Set when the value is a number: a number literal, or a value read
        /// from a name that parses as one. A quoted literal never is.
        var number: NumberText?
        var label: String
    }

    mutating func decide(_ e: Expression) throws(Undecidable) -> Bool {
        switch e.kind {
        case .all(let items):
            for item in items {
                if try !decide(item) { return false }
            }
            return true
        case .any(let items):
            for item in items {
                if try decide(item) { return true }
            }
            return false
        case .not(let inner):
            return try !decide(inner)
        case .bool(let b):
            return b
        case .name(let n):
            let v = try read(n)
            if v == "true" { return true }
            if v == "false" { return false }
            throw Undecidable(message: "\(clippedForMessage(n)) is \(shownValue(v)), not true or false")
        case .compare(let op, let l, let r):
            let left = try value(l)
            switch op {
            case .equal: return same(left, try value(r))
            case .notEqual: return !same(left, try value(r))
            case .in, .notIn:
                let found = try items(r).contains { same(left, $0) }
                return op == .in ? found : !found
            case .less, .lessOrEqual, .greater, .greaterOrEqual:
                let right = try value(r)
                guard let a = left.number, let b = right.number else {
                    let culprit = left.number == nil ? left : right
                    throw Undecidable(message: "cannot compare \(left.label) with \(right.label) using '\(op.rawValue)': "
                        + "it compares numbers, and \(culprit.label) is not one")
                }
                let c = a.compare(b)
                switch op {
                case .less: return c < 0
                case .lessOrEqual: return c <= 0
                case .greater: return c > 0
                default: return c >= 0
                }
            }
        case .number, .string, .list, .mode, .outcome:
            // The parser refuses these where a condition is needed.
            throw Undecidable(message: "\(e.source) is not true or false")
        }
    }

    mutating func value(_ e: Expression) throws(Undecidable) -> Operand {
        switch e.kind {
        case .number(let n): return Operand(text: n, number: NumberText(n), label: n)
        case .string(let s): return Operand(text: s, number: nil, label: clippedForMessage(e.source))
        case .bool(let b): return Operand(text: b ? "true" : "false", number: nil, label: b ? "true" : "false")
        case .name(let n):
            let v = try read(n)
            return Operand(text: v, number: NumberText(v), label: "\(clippedForMessage(n)) (= \(shownValue(v)))")
        case .mode:
            note("mode", mode)
            return Operand(text: mode, number: nil, label: "mode (= \(shownValue(mode)))")
        case .outcome(let key):
            let name = "steps.\(key).outcome"
            guard let v = outcome(key) else {
                throw Undecidable(message: "step '\(clippedForMessage(key))' has no outcome yet")
            }
            note(name, v)
            return Operand(text: v, number: nil, label: "steps.\(clippedForMessage(key)).outcome (= \(shownValue(v)))")
        case .list, .not, .all, .any, .compare:
            throw Undecidable(message: "\(e.source) is not a value")
        }
    }

    /// The items `in` looks through: a literal list, or a value holding a
    /// JSON array or one item per line.
    mutating func items(_ e: Expression) throws(Undecidable) -> [Operand] {
        switch e.kind {
        case .list(let literals):
            var out: [Operand] = []
            for l in literals { out.append(try value(l)) }
            return out
        case .name(let n):
            let v = try read(n)
            guard let items = ValueList.items(v) else {
                throw Undecidable(message: "\(clippedForMessage(n)) starts with '[' but is not a JSON array of strings, numbers and booleans")
            }
            return items.map { Operand(text: $0, number: NumberText($0), label: shownValue($0)) }
        default:
            throw Undecidable(message: "\(e.source) is not a list")
        }
    }

    func same(_ a: Operand, _ b: Operand) -> Bool {
        if let x = a.number, let y = b.number { return x.compare(y) == 0 }
        return a.text == b.text
    }

    mutating func read(_ name: String) throws(Undecidable) -> String {
        guard let v = lookup(name) else {
            throw Undecidable(message: "\(clippedForMessage(name)) has no value: the step that sets it was skipped, or did not produce it")
        }
        note(name, v)
        return v
    }

    mutating func note(_ name: String, _ value: String) {
        guard !seen.contains(where: { $0.name == name }) else { return }
        seen.append(Condition.Seen(name: name, value: value))
    }
}

/// Whether text reads as a number in a condition.
func readsAsNumber(_ text: String) -> Bool { NumberText(text) != nil }

/// A decimal number compared exactly, digit by digit: `0.1` and `0.10` are
/// equal, 20-digit ids compare right, and no Double rounds anything.
struct NumberText: Hashable {
    var negative: Bool
    /// Without leading zeros.
    var whole: [UInt8]
    /// Without trailing zeros.
    var fraction: [UInt8]

    /// `-?digits(.digits)?`, spaces around it ignored; anything else is not a number.
    init?(_ text: String) {
        var b = Array(text.utf8)[...]
        while let f = b.first, f == 32 || f == 9 || f == 10 || f == 13 { b = b.dropFirst() }
        while let l = b.last, l == 32 || l == 9 || l == 10 || l == 13 { b = b.dropLast() }
        negative = b.first == UInt8(ascii: "-")
        if negative { b = b.dropFirst() }
        let parts = b.split(separator: UInt8(ascii: "."), maxSplits: 1, omittingEmptySubsequences: false)
        guard let w = parts.first, !w.isEmpty, w.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
        var f: ArraySlice<UInt8> = []
        if parts.count == 2 {
            f = parts[1]
            guard !f.isEmpty, f.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
        }
        whole = Array(w.drop(while: { $0 == 48 }))
        var frac = Array(f)
        while frac.last == 48 { frac.removeLast() }
        fraction = frac
        if whole.isEmpty && fraction.isEmpty { negative = false }
    }

    /// Negative, zero or positive as self is below, equal to or above other.
    func compare(_ other: NumberText) -> Int {
        if negative != other.negative { return negative ? -1 : 1 }
        let m = magnitude(other)
        return negative ? -m : m
    }

    private func magnitude(_ other: NumberText) -> Int {
        if whole.count != other.whole.count { return whole.count < other.whole.count ? -1 : 1 }
        for (a, b) in zip(whole, other.whole) where a != b { return a < b ? -1 : 1 }
        for k in 0..<max(fraction.count, other.fraction.count) {
            let a = k < fraction.count ? fraction[k] : 48, b = k < other.fraction.count ? other.fraction[k] : 48
            if a != b { return a < b ? -1 : 1 }
        }
        return 0
    }
}
