import MusterBasics

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
/// Allowed by position: a template may stand only where bash takes the
/// value as one literal word or literal text (see ShellCommandRules), or, for
/// a value typed as a number, in arithmetic. Everywhere else no quoting
/// helps, and the place is a validation error that says what to write.
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
    /// In arithmetic, for a value typed int, number or bool: `${V}`, which
    /// was checked to hold digits (or true/false) when it was set.
    case arithmetic
    /// Where no quoting makes the value data: why, and what to write instead.
    case unsafe(String)
}

/// The environment variable a template value reaches a script through.
public func shellValueVariable(_ name: String) -> String { "MUSTER_VALUE_" + name }

extension Template {
    /// The context of each reference, in order.
    public var shellContexts: [ShellContext] { ShellLexer.contexts(of: self) }

    /// The names whose values are typed int, number or bool: only they may
    /// stand in arithmetic.
    public func withArithmeticNames(_ names: Set<String>) -> Template {
        var t = self
        t.arithmeticNames = names.intersection(references.map(\.name))
        return t
    }

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
            case .doubleQuoted, .heredoc, .comment, .arithmetic: parts.append(v)
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

