/// A position in a source file, 1-based, counted in characters as libyaml counts them.
public struct Mark: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var line: Int
    public var column: Int

    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    public static func < (a: Mark, b: Mark) -> Bool {
        (a.line, a.column) < (b.line, b.column)
    }

    public var description: String { "\(line):\(column)" }
}

/// A loaded YAML node. Every node keeps where it started and ended so that any
/// later error (a bad template, a duplicate id, a wrong type) can point at it.
public struct Node: Sendable {
    public enum Content: Sendable {
        /// `plain` is true for an unquoted, untagged scalar: only those may be read
        /// as numbers or booleans, so `"2"` stays a string.
        case scalar(String, plain: Bool)
        case sequence([Node])
        case mapping([Pair])
    }

    public struct Pair: Sendable {
        public var key: Node
        public var value: Node
        public init(key: Node, value: Node) {
            self.key = key
            self.value = value
        }
    }

    public var content: Content
    public var mark: Mark
    public var endMark: Mark

    public init(_ content: Content, mark: Mark, endMark: Mark) {
        self.content = content
        self.mark = mark
        self.endMark = endMark
    }

    /// The scalar's text, or nil for a collection.
    public var scalar: String? {
        if case .scalar(let s, _) = content { return s }
        return nil
    }

    public var isPlainScalar: Bool {
        if case .scalar(_, let plain) = content { return plain }
        return false
    }

    public var pairs: [Pair]? {
        if case .mapping(let p) = content { return p }
        return nil
    }

    public var items: [Node]? {
        if case .sequence(let s) = content { return s }
        return nil
    }

    /// A plain scalar that YAML would read as null (`~`, `null`, or nothing).
    public var isNull: Bool {
        guard case .scalar(let s, let plain) = content, plain else { return false }
        return s.isEmpty || s == "~" || s == "null" || s == "Null" || s == "NULL"
    }

    /// What an error message calls this node's type.
    public var kindName: String {
        switch content {
        case .scalar(let s, let plain):
            if isNull { return "null" }
            if plain, Int(s) != nil { return "an integer" }
            if plain, ["true", "false", "True", "False", "TRUE", "FALSE"].contains(s) { return "a boolean" }
            return "a string"
        case .sequence: return "a list"
        case .mapping: return "a mapping"
        }
    }
}
