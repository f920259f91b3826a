public import MusterYAML
import MusterBasics

/// What a parameter, an `ask` answer or a step output may hold.
///
/// A value is checked when it is set (given with `-p`, answered, captured
/// from a step's output), not when it is used: a hostile reply from the
/// service being recovered is refused at the step that read it, before any
/// later step can see it. The type is also what lets the shell-template
/// check allow a value where bash evaluates text again (arithmetic,
/// `declare -i`, `[[ -eq ]]`): only a value that cannot hold code may stand
/// there.
public enum ValueType: String, Sendable, CaseIterable, Hashable {
    case string, int, number, duration, bool

    /// Values of this type are digits, a sign, a point or true/false only,
    /// so bash's arithmetic evaluation cannot find code in them.
    public var isArithmeticSafe: Bool { self == .int || self == .number || self == .bool }

    func problem(with value: String) -> String? {
        switch self {
        case .string: return nil
        case .int:
            let digits = value.hasPrefix("-") ? value.dropFirst() : Substring(value)
            guard !digits.isEmpty, digits.count <= 18, digits.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else {
                return "is not an int (digits, optionally after '-')"
            }
            // bash reads 010 as octal (8) and 08 as an error.
            if digits.count > 1, digits.hasPrefix("0") { return "is not an int: a leading 0 makes bash read it as octal" }
            return nil
        case .number:
            let body = value.hasPrefix("-") ? value.dropFirst() : Substring(value)
            let parts = body.split(separator: ".", omittingEmptySubsequences: false)
            guard (1...2).contains(parts.count), body.count <= 40,
                  parts.allSatisfy({ !$0.isEmpty && $0.utf8.allSatisfy { $0 >= 48 && $0 <= 57 } })
            else { return "is not a number (digits, optionally a sign and one decimal point)" }
            return nil
        case .duration:
            return DurationFormat.parse(value) == nil ? "is not a duration (90s, 15m, 1h30m)" : nil
        case .bool:
            return value == "true" || value == "false" ? nil : "is not a bool (true or false)"
        }
    }
}

/// The checks one value passes: its type, its choices, its pattern.
public struct ValueRule: Sendable, Hashable {
    public var type: ValueType = .string
    public var choices: [String]?
    public var pattern: String?

    public init(type: ValueType = .string, choices: [String]? = nil, pattern: String? = nil) {
        self.type = type
        self.choices = choices
        self.pattern = pattern
    }

    public var isEmpty: Bool { type == .string && choices == nil && pattern == nil }

    /// Why `value`, the value of `name`, is refused, or nil when it is not.
    /// The value is quoted cut short: it may come from a hostile reply.
    /// `reveal: false` for a secret answer or a captured output: the message
    /// never quotes it (a quote cut short could hold part of a secret the
    /// masker no longer recognises).
    public func problem(with value: String, name: String, reveal: Bool = true) -> ValueProblem? {
        let shown = !reveal ? "the value" : value.count > 60 ? String(value.prefix(60)) + "…" : value
        if let why = type.problem(with: value) {
            return ValueProblem(description: "\(reveal ? "'\(shown)'" : shown) \(why), as '\(name)' must be (type: \(type.rawValue))")
        }
        if let choices, !choices.contains(value) {
            return ValueProblem(description: "\(reveal ? "'\(shown)'" : shown) is not one of the choices for '\(name)': \(choices.joined(separator: ", "))")
        }
        if let pattern {
            switch Patterns.search(pattern, in: value) {
            case .found: break
            case .notFound:
                return ValueProblem(description: "\(reveal ? "'\(shown)'" : shown) does not match the pattern of '\(name)': \(pattern)")
            case .gaveUp:
                return ValueProblem(description: "the pattern of '\(name)' (\(pattern)) \(Patterns.gaveUpAdvice)", patternGaveUp: true)
            }
        }
        return nil
    }
}

/// An `ask` question of a manual step: `name: Prompt`, or
/// `name: {prompt: …, type: …, pattern: …, choices: […], secret: true}`.
public struct Ask: Sendable, Hashable {
    public var name: String
    public var mark: Mark
    public var prompt: String
    public var rule = ValueRule()
    /// Not echoed, masked like a declared secret, never journaled: the
    /// journal records that it was given, and a resume asks again.
    public var secret = false

    public init(name: String, mark: Mark, prompt: String, rule: ValueRule = ValueRule(), secret: Bool = false) {
        self.name = name
        self.mark = mark
        self.prompt = prompt
        self.rule = rule
        self.secret = secret
    }
}
