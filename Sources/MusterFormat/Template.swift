public import MusterYAML
import MusterBasics

/// A templated string from a runbook: literal text with `{{ name }}` references.
/// Each reference keeps its own source position so an unknown name is reported
/// where it is written, not at the start of a long block.
public struct Template: Sendable, Hashable {
    public struct Reference: Sendable, Hashable {
        public var name: String
        public var mark: Mark
        /// UTF-8 offsets of the whole `{{ ... }}` in `raw`.
        public var range: Range<Int>
    }

    public var raw: String
    public var mark: Mark
    public var references: [Reference]
    /// For shell scripts: the referenced names typed int, number or bool,
    /// which may stand in arithmetic (see ShellContext.arithmetic).
    public var arithmeticNames: Set<String> = []

    public init(raw: String, mark: Mark, references: [Reference] = []) {
        self.raw = raw
        self.mark = mark
        self.references = references
    }

    /// Replaces each reference whose value is known, as plain text (shell
    /// fields go through `shellCode` instead). Unknown names are left as
    /// written (`show` prints such a plan for a paper copy).
    public func expand(_ values: [String: String]) -> String {
        guard !references.isEmpty else { return raw }
        let bytes = Array(raw.utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count)
        var at = 0
        for r in references {
            out.append(contentsOf: bytes[at..<r.range.lowerBound])
            if let v = values[r.name] {
                out.append(contentsOf: v.utf8)
            } else {
                out.append(contentsOf: bytes[r.range])
            }
            at = r.range.upperBound
        }
        out.append(contentsOf: bytes[at...])
        return String(decoding: out, as: UTF8.self)
    }
}

/// POSIX shell quoting: bare when the value is only safe characters, else in
/// single quotes with embedded quotes closed, escaped and reopened. Works on
/// bytes: a quote followed by a combining mark is one `Character` with it,
/// and a character-wise replacement would leave that quote unescaped.
public func shellQuote(_ value: String) -> String {
    if !value.isEmpty, value.utf8.allSatisfy(isShellSafe) { return value }
    var out: [UInt8] = [UInt8(ascii: "'")]
    out.reserveCapacity(value.utf8.count + 2)
    for b in value.utf8 {
        if b == UInt8(ascii: "'") {
            out.append(contentsOf: "'\\''".utf8)
        } else {
            out.append(b)
        }
    }
    out.append(UInt8(ascii: "'"))
    return String(decoding: out, as: UTF8.self)
}

private func isShellSafe(_ c: UInt8) -> Bool {
    switch c {
    case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
        return true
    default:
        return "@%+=:,./-_".utf8.contains(c)
    }
}

extension String {
    /// Foundation-free replacement, to keep the core's start-up light. On
    /// UTF-8 bytes, like `shellQuote`: `${TOKEN}` followed by a combining
    /// mark is still `${TOKEN}`.
    func replacingOccurrences(of target: String, with replacement: String) -> String {
        let hay = Array(utf8), needle = Array(target.utf8)
        guard !needle.isEmpty, hay.count >= needle.count else { return self }
        var out: [UInt8] = []
        var i = 0
        var replaced = false
        while i < hay.count {
            if hay[i] == needle[0], i + needle.count <= hay.count, hay[i..<(i + needle.count)].elementsEqual(needle) {
                out.append(contentsOf: replacement.utf8)
                i += needle.count
                replaced = true
            } else {
                out.append(hay[i])
                i += 1
            }
        }
        return replaced ? String(decoding: out, as: UTF8.self) : self
    }
}

/// Names usable in templates, parameters, answers and outputs.
package func isIdentifier(_ s: some StringProtocol) -> Bool {
    guard let first = s.utf8.first, first == UInt8(ascii: "_") || isLetter(first) else { return false }
    return s.utf8.allSatisfy { $0 == UInt8(ascii: "_") || isLetter($0) || ($0 >= 48 && $0 <= 57) }
}

private func isLetter(_ c: UInt8) -> Bool {
    (c >= 65 && c <= 90) || (c >= 97 && c <= 122)
}

/// Names a template or a condition may read: identifiers, and a `decide`
/// step's id (`go-no-go`), whose option is the value of that name.
package func isValueName(_ s: some StringProtocol) -> Bool {
    if isIdentifier(s) { return true }
    let id = String(s)
    guard let first = id.utf8.first, first >= 97, first <= 122, id.utf8.last != UInt8(ascii: "-") else { return false }
    return isStepID(id)
}

/// What a `decide` option may be: typed as an answer, never a number
/// (a number picks an option by its place).
func isDecisionOption(_ s: String) -> Bool {
    guard let first = s.utf8.first, first >= 97, first <= 122 else { return false }
    return s.utf8.allSatisfy { ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") }
}

/// Step and runbook ids: `[a-z0-9][a-z0-9-]*`.
func isStepID(_ s: String) -> Bool {
    guard let first = s.utf8.first, first != UInt8(ascii: "-") else { return false }
    return s.utf8.allSatisfy { ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == UInt8(ascii: "-") }
}

/// Parses `{{ name }}` references (and, when asked, `${SECRET}` ones) out of
/// scalars, finding each reference's line and column in the source.
package struct TemplateScanner {
    package let source: SourceText

    package enum Problem { case unterminated(Mark), badName(String, Mark) }

    package init(source: SourceText) { self.source = source }

    package func scan(_ node: Node, _ value: String) -> (Template, [Problem]) {
        let bytes = Array(value.utf8)
        var refs: [Template.Reference] = []
        var problems: [Problem] = []
        var i = 0
        var opens: [Int] = []
        while i + 1 < bytes.count {
            if bytes[i] == UInt8(ascii: "{"), bytes[i + 1] == UInt8(ascii: "{") {
                opens.append(i)
                var j = i + 2
                var close = -1
                while j + 1 < bytes.count {
                    if bytes[j] == UInt8(ascii: "}"), bytes[j + 1] == UInt8(ascii: "}") { close = j; break }
                    j += 1
                }
                if close < 0 {
                    problems.append(.unterminated(Mark(line: 0, column: opens.count)))
                    break
                }
                let inner = String(decoding: bytes[(i + 2)..<close], as: UTF8.self).trimmingSpaces()
                let placeholder = Mark(line: 0, column: opens.count)
                if isValueName(inner) {
                    refs.append(.init(name: inner, mark: placeholder, range: i..<(close + 2)))
                } else {
                    problems.append(.badName(inner, placeholder))
                }
                i = close + 2
            } else {
                i += 1
            }
        }
        // Placeholder marks hold the ordinal of their `{{`; map them to source positions.
        let marks = source.marks(of: "{{", in: node)
        func place(_ m: Mark) -> Mark {
            marks.count == opens.count && m.column - 1 < marks.count ? marks[m.column - 1] : node.mark
        }
        for k in refs.indices { refs[k].mark = place(refs[k].mark) }
        let placed = problems.map { p -> Problem in
            switch p {
            case .unterminated(let m): return .unterminated(place(m))
            case .badName(let n, let m): return .badName(n, place(m))
            }
        }
        return (Template(raw: value, mark: node.mark, references: refs), placed)
    }

    /// `${NAME}` secret references in an http or ci field, with their positions.
    package func secretReferences(_ node: Node, _ value: String) -> [(String, Mark)] {
        guard value.containsBytes("${") else { return [] }
        var names: [String] = []
        var rest = Substring(value)
        while let r = rest.range(of: "${") {
            let after = rest[r.upperBound...]
            guard let end = after.firstIndex(of: "}") else { break }
            names.append(String(after[..<end]))
            rest = after[after.index(after: end)...]
        }
        let marks = source.marks(of: "${", in: node)
        return names.enumerated().map { k, n in (n, marks.count == names.count ? marks[k] : node.mark) }
    }
}

extension String {
    /// Byte search; `String.contains(String)` goes through the regex engine's
    /// searcher and is many times slower on the validator's hot path.
    func containsBytes(_ needle: StaticString) -> Bool {
        let n = UnsafeBufferPointer(start: needle.utf8Start, count: needle.utf8CodeUnitCount)
        var copy = self
        return copy.withUTF8 { hay in
            guard hay.count >= n.count else { return false }
            for i in 0...(hay.count - n.count) where hay[i] == n[0] {
                if (1..<n.count).allSatisfy({ hay[i + $0] == n[$0] }) { return true }
            }
            return false
        }
    }

    package func trimmingSpaces() -> String {
        let u = utf8
        guard let s = u.firstIndex(where: { $0 != 32 && $0 != 9 }) else { return "" }
        let e = u.lastIndex(where: { $0 != 32 && $0 != 9 })!
        return String(self[s...e])
    }
}

extension Substring {
    func range(of needle: String) -> Range<Substring.Index>? {
        guard let first = needle.first else { return nil }
        var i = startIndex
        while i < endIndex {
            if self[i] == first, self[i...].hasPrefix(needle) {
                return i..<index(i, offsetBy: needle.count)
            }
            i = index(after: i)
        }
        return nil
    }
}

extension String {
    /// Without leading and trailing spaces, tabs and line breaks.
    package func trimmingCharacters() -> String {
        let ws: Set<UInt8> = [32, 9, 10, 13]
        let u = Array(utf8)
        guard let s = u.firstIndex(where: { !ws.contains($0) }), let e = u.lastIndex(where: { !ws.contains($0) }) else { return "" }
        return String(decoding: u[s...e], as: UTF8.self)
    }
}
