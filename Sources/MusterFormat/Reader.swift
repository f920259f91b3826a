import MusterYAML
import MusterBasics

/// Reads typed values out of nodes, collecting every problem instead of
/// stopping at the first, so one `validate` shows all that needs fixing.
struct Reader {
    let source: SourceText
    var diagnostics: [Diagnostic] = []
    /// "Did you mean" hints left for this file: each compares a name with
    /// every candidate, so a hostile file's thousands of unknown names among
    /// thousands of parameters get plain messages after the first ones.
    var hintsLeft = 100

    init(source: SourceText) { self.source = source }

    /// Messages are built only while the file is under `Diagnostic.limit`.
    mutating func error(_ mark: Mark?, _ message: @autoclosure () -> String) {
        add(mark, .error, message)
    }

    mutating func warning(_ mark: Mark?, _ message: @autoclosure () -> String) {
        add(mark, .warning, message)
    }

    /// Past the limit, one note stands for the rest: an error if any of
    /// them is, so a file never looks valid for problems left out.
    private mutating func add(_ mark: Mark?, _ severity: Diagnostic.Severity, _ message: () -> String) {
        if diagnostics.count < Diagnostic.limit {
            diagnostics.append(Diagnostic(path: source.path, mark: mark, severity: severity, message: Diagnostic.clipped(message())))
        } else if diagnostics.count == Diagnostic.limit {
            diagnostics.append(Diagnostic(path: source.path, mark: nil, severity: severity, message: Diagnostic.tooMany))
        } else if severity == .error {
            diagnostics[Diagnostic.limit].severity = .error
        }
    }

    /// A " (did you mean 'x'?)" hint, or "" when nothing is close or the
    /// file has used up its hints.
    mutating func hint(for word: String, among candidates: @autoclosure () -> [String]) -> String {
        guard hintsLeft > 0 else { return "" }
        hintsLeft -= 1
        return suggestion(for: word, among: candidates()).map { " (did you mean '\($0)'?)" } ?? ""
    }

    /// A mapping's entries by key, after reporting keys outside `allowed`
    /// (with a suggestion, or `elsewhere`'s explanation when it knows the key).
    mutating func fields(
        _ node: Node, _ what: String, allowed: [String],
        elsewhere: (String) -> String? = { _ in nil }
    ) -> Fields? {
        guard let pairs = node.pairs else {
            error(node.mark, "\(what) must be a mapping, not \(node.kindName)")
            return nil
        }
        var known: [Node.Pair] = []
        known.reserveCapacity(pairs.count)
        for pair in pairs {
            guard let key = pair.key.scalar else { continue }
            if allowed.contains(key) {
                known.append(pair)
            } else if let why = elsewhere(key) {
                error(pair.key.mark, why)
            } else if let s = suggestion(for: key, among: allowed) {
                error(pair.key.mark, "unknown key '\(key)' in \(what) (did you mean '\(s)'?)")
            } else {
                error(pair.key.mark, "unknown key '\(key)' in \(what); expected \(quotedList(allowed))")
            }
        }
        return Fields(node: node, what: what, pairs: known)
    }

    mutating func require(_ f: Fields, _ key: String) -> Node? {
        if let v = f[key] { return v }
        error(f.node.mark, "\(f.what) is missing required key '\(key)'")
        return nil
    }

    /// Any non-null scalar as text (`title: 2024` is the string "2024").
    mutating func string(_ node: Node, _ key: String) -> String? {
        guard let s = node.scalar, !node.isNull else {
            error(node.mark, "'\(key)' must be text, not \(node.kindName)\(Self.quoteHint(node))")
            return nil
        }
        return s
    }

    /// Text with `: ` in it (`- Check: the database`) reads as a mapping of
    /// one key; the hint shows it quoted, as it was meant.
    static func quoteHint(_ node: Node) -> String {
        guard let pairs = node.pairs, pairs.count == 1, let k = pairs[0].key.scalar, let v = pairs[0].value.scalar,
              !pairs[0].value.isNull, k.count + v.count < 200 else { return "" }
        let text = "\(k): \(v)".replacing("\n", with: " ").replacing("'", with: "''")
        return "; a ': ' inside unquoted text makes a mapping: quote the text, e.g. `'\(text)'`"
    }

    mutating func nonEmptyString(_ node: Node, _ key: String) -> String? {
        guard let s = string(node, key) else { return nil }
        if s.trimmingSpaces().isEmpty {
            error(node.mark, "'\(key)' must not be empty")
            return nil
        }
        return s
    }

    mutating func int(_ node: Node, _ key: String, min: Int = 0, max: Int = Int(Int32.max)) -> Int? {
        guard node.isPlainScalar, let s = node.scalar, let v = Int(s) else {
            error(node.mark, "'\(key)' must be a whole number, not \(node.kindName)")
            return nil
        }
        guard v >= min, v <= max else {
            error(node.mark, "'\(key)' must be between \(min) and \(max), not \(v)")
            return nil
        }
        return v
    }

    mutating func bool(_ node: Node, _ key: String) -> Bool? {
        if node.isPlainScalar, let s = node.scalar {
            switch s {
            case "true", "True", "TRUE": return true
            case "false", "False", "FALSE": return false
            default: break
            }
        }
        error(node.mark, "'\(key)' must be true or false, not \(node.kindName)\(node.scalar.map { " '\($0)'" } ?? "")")
        return nil
    }

    mutating func duration(_ node: Node, _ key: String) -> Int? {
        guard let s = node.scalar, !node.isNull else {
            error(node.mark, "'\(key)' must be a duration such as 90s, 15m, 1h30m, not \(node.kindName)")
            return nil
        }
        if let v = DurationFormat.parse(s) { return v }
        let hint = Int(s) != nil ? " (add a unit: \(s)s or \(s)m)" : ""
        error(node.mark, "'\(key)' has an invalid duration '\(s)'; write it like 90s, 15m, 1h or 1h30m\(hint)")
        return nil
    }

    mutating func stringList(_ node: Node, _ key: String) -> [(String, Node)]? {
        guard let items = node.items else {
            error(node.mark, "'\(key)' must be a list, not \(node.kindName)")
            return nil
        }
        var out: [(String, Node)] = []
        for item in items {
            if let s = string(item, "an item of '\(key)'") { out.append((s, item)) }
        }
        return out
    }

    /// A mapping of names to scalars, in file order.
    mutating func stringMap(_ node: Node, _ key: String) -> [(name: String, nameMark: Mark, value: String, node: Node)]? {
        guard let pairs = node.pairs else {
            error(node.mark, "'\(key)' must be a mapping, not \(node.kindName)")
            return nil
        }
        var out: [(String, Mark, String, Node)] = []
        for p in pairs {
            guard let k = p.key.scalar else { continue }
            if let v = string(p.value, "\(key).\(k)") { out.append((k, p.key.mark, v, p.value)) }
        }
        return out
    }
}

/// A checked mapping's entries, with the mapping kept for "missing key" marks.
/// Looked up by linear search: mappings in a runbook hold a handful of keys,
/// and hashing each key costs more than comparing it.
struct Fields {
    let node: Node
    let what: String
    let pairs: [Node.Pair]

    private func pair(_ key: String) -> Node.Pair? { pairs.first { $0.key.scalar == key } }
    subscript(_ key: String) -> Node? { pair(key)?.value }
    func keyMark(_ key: String) -> Mark? { pair(key)?.key.mark }
    func has(_ key: String) -> Bool { pair(key) != nil }
}
