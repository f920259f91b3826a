import MusterBasics
import MusterFormat
import MusterEngine
import MusterYAML

/// Fuzz target 2: the template scanner and expander and shell quoting.
///
/// Input: template text, then values, separated by NUL bytes. The text is
/// scanned as a one-scalar file; its references get the values in order of
/// first appearance (a name without a value stays unknown). Checked:
/// references lie where their `{{ name }}` is written, expansion replaces
/// exactly them, and a shell-quoted value reads back, through a POSIX shell
/// word splitter, as exactly that value, alone and inside a command.
public enum TemplateTarget {
    public static func check(_ data: [UInt8]) -> [String] {
        var problems: [String] = []
        func fail(_ message: String) { problems.append(message) }

        let chunks = data.split(separator: 0, omittingEmptySubsequences: false)
        let text = String(decoding: chunks[0], as: UTF8.self)
        let values = chunks.dropFirst().map { String(decoding: $0, as: UTF8.self) }
        let raw = Array(text.utf8)

        let source = SourceText(path: "template", bytes: raw)
        let node = scalarNode(text)
        let (template, scanProblems) = TemplateScanner(source: source).scan(node, text)

        // References: in order, inside the text, each exactly `{{ name }}`.
        var previous = 0
        for r in template.references {
            guard r.range.lowerBound >= previous, r.range.upperBound <= raw.count, r.range.count >= 4 else {
                fail("reference '\(r.name)' has range \(r.range), out of order or outside \(raw.count) bytes")
                continue
            }
            previous = r.range.upperBound
            let written = Array(raw[r.range])
            guard written.starts(with: Array("{{".utf8)), written.reversed().starts(with: Array("}}".utf8)) else {
                fail("reference '\(r.name)' covers '\(String(decoding: written, as: UTF8.self))', not a {{ ... }}")
                continue
            }
            let inner = String(decoding: written.dropFirst(2).dropLast(2), as: UTF8.self)
            if trimmedSpaces(inner) != r.name { fail("reference '\(r.name)' is written '\(inner)'") }
            if !isIdentifier(r.name) { fail("reference name '\(r.name)' is not an identifier") }
            checkMark(r.mark, in: source, node: node, fail: fail)
        }
        for p in scanProblems {
            switch p {
            case .unterminated(let m), .badName(_, let m): checkMark(m, in: source, node: node, fail: fail)
            }
        }
        _ = TemplateScanner(source: source).secretReferences(node, text)

        // Expansion: unknown names stay as written.
        if template.expand([:]) != text { fail("expanding with no values changed the text") }
        if template.shellDisplay([:]) != text { fail("the shell display with no values changed the text") }
        var names: [String] = []
        for r in template.references where !names.contains(r.name) { names.append(r.name) }
        var given: [String: String] = [:]
        for (name, value) in zip(names, values) { given[name] = value }
        let contexts = template.shellContexts
        if contexts.count != template.references.count { fail("\(contexts.count) shell contexts for \(template.references.count) references") }
        for quote in [false, true] {
            var expected: [UInt8] = []
            var at = 0
            for (r, c) in zip(template.references, contexts) where r.range.lowerBound >= at && r.range.upperBound <= raw.count {
                expected += raw[at..<r.range.lowerBound]
                if let v = given[r.name] {
                    expected += Array((quote && c == .word ? shellQuote(v) : v).utf8)
                } else {
                    expected += raw[r.range]
                }
                at = r.range.upperBound
            }
            expected += raw[min(at, raw.count)...]
            if Array((quote ? template.shellDisplay(given) : template.expand(given)).utf8) != expected {
                fail("expansion\(quote ? " with quoting" : "") differs from the text with each known reference replaced")
            }
        }

        // The code bash runs holds no value and no reference: each became its
        // variable, or the script is refused.
        if let code = template.shellCode() {
            let unsafe = contexts.contains { if case .unsafe = $0 { true } else { false } }
            if unsafe { fail("a script with a reference in an unsafe place still gave code to run") }
            var rest = Array(code.utf8)[...]
            for r in template.references {
                let variable = Array(("${" + shellValueVariable(r.name) + "}").utf8)
                guard let at = rest.indices.first(where: { rest[$0...].starts(with: variable) }) else {
                    fail("the code has no ${\(shellValueVariable(r.name))} for '\(r.name)'")
                    break
                }
                rest = rest[(at + variable.count)...]
            }
        }

        // Quoting: one value is one word, exactly the value, and never code.
        for v in values {
            let quoted = shellQuote(v)
            if let words = ShellWords.split(quoted) {
                if !sameBytes(words, [v]) { fail("shellQuote(\(debug(v))) = \(debug(quoted)) reads back as \(words.map(debug))") }
            } else {
                fail("shellQuote(\(debug(v))) = \(debug(quoted)) is not inert shell text")
            }
        }
        if !values.isEmpty {
            let command = "run {{ a }} {{b}}{{c}} x{{d}}y --flag={{a}}"
            let cmdSource = SourceText(path: "command", bytes: Array(command.utf8))
            let (t, _) = TemplateScanner(source: cmdSource).scan(scalarNode(command), command)
            let v = (0..<4).map { values[$0 % values.count] }
            let script = t.shellDisplay(["a": v[0], "b": v[1], "c": v[2], "d": v[3]])
            let want = ["run", v[0], v[1] + v[2], "x" + v[3] + "y", "--flag=" + v[0]]
            let got = ShellWords.split(script)
            if got.map({ !sameBytes($0, want) }) ?? true { fail("command \(debug(script)) reads back as \(got.map { $0.map(debug).joined(separator: " ") } ?? "not inert shell text"), not \(want.map(debug).joined(separator: " "))") }
        }
        return problems
    }

    /// A scalar node spanning the whole text, as if it were a file's only
    /// value: marks from 1:1 to just after the last character.
    static func scalarNode(_ text: String) -> Node {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let end = Mark(line: lines.count, column: (lines.last?.unicodeScalars.count ?? 0) + 1)
        return Node(.scalar(text, plain: false), mark: Mark(line: 1, column: 1), endMark: end)
    }

    /// A reference's mark is the node's own (when it cannot be placed) or
    /// the position of a `{{` inside the node.
    static func checkMark(_ m: Mark, in source: SourceText, node: Node, fail: (String) -> Void) {
        if m == node.mark { return }
        guard m >= node.mark, m <= node.endMark, let line = source.line(m.line) else {
            fail("mark \(m) is outside the template (\(node.mark) to \(node.endMark))")
            return
        }
        let rest = line.unicodeScalars.dropFirst(m.column - 1)
        if !rest.starts(with: "{{".unicodeScalars) {
            fail("mark \(m) points at \(debug(String(String.UnicodeScalarView(rest.prefix(8))))), not at a '{{'")
        }
    }

    /// Equal byte for byte: `String`'s `==` would take "e\u{301}" for "é".
    static func sameBytes(_ a: [String], _ b: [String]) -> Bool {
        a.map { Array($0.utf8) } == b.map { Array($0.utf8) }
    }

    static func trimmedSpaces(_ s: String) -> String {
        let u = Array(s.utf8)
        guard let a = u.firstIndex(where: { $0 != 32 && $0 != 9 }), let b = u.lastIndex(where: { $0 != 32 && $0 != 9 }) else { return "" }
        return String(decoding: u[a...b], as: UTF8.self)
    }

    static func debug(_ s: String) -> String {
        "\"" + s.unicodeScalars.map { $0.isASCII && $0.value >= 0x20 && $0.value < 0x7F ? String($0) : "\\u{\(String($0.value, radix: 16))}" }.joined() + "\""
    }
}
