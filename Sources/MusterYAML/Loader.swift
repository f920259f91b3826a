internal import CYAML
#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A problem found while reading YAML: what is wrong and where (nil when the
/// whole file is at fault, such as an empty or binary file).
public struct YAMLError: Error, Sendable, Equatable {
    public var mark: Mark?
    public var message: String

    public init(mark: Mark?, message: String) {
        self.mark = mark
        self.message = message
    }
}

/// Limits that keep a hostile or mistaken file from hanging or exhausting the
/// executor. A real runbook is a few kilobytes; these are generous.
public enum YAMLLimits {
    /// Larger files are refused before parsing.
    public static let maxFileBytes = 1 << 20
    /// Collections nested deeper than this are refused (a runbook needs about 8).
    public static let maxDepth = 64
    /// Nodes that aliases may copy in, in total, per file ("billion laughs").
    public static let maxAliasExpansion = 100_000
    /// Characters of the file that aliases may copy in, in total: a few
    /// aliases of one huge value would otherwise multiply the work of every
    /// check that reads a value or scans its source.
    public static let maxAliasExpansionCharacters = 2 << 20
}

/// Reads one YAML document into a `Node` tree on libyaml's event parser.
///
/// Duplicate keys, several documents, binary or non-UTF-8 input, deep nesting
/// and explosive aliases are errors rather than surprises: a runbook that
/// means something other than what its author sees must not run.
public enum YAMLLoader {
    public static func load(_ file: [UInt8]) throws(YAMLError) -> Node {
        // A UTF-8 byte order mark may open the file (some editors write one).
        // libyaml skips it only when it detects the encoding itself, which
        // would also let UTF-16 in; drop it here. Marks do not count it.
        let bytes = file.starts(with: [0xEF, 0xBB, 0xBF]) ? Array(file.dropFirst(3)) : file
        if bytes.count > YAMLLimits.maxFileBytes {
            throw YAMLError(mark: nil, message: "file is \(bytes.count) bytes, over the \(YAMLLimits.maxFileBytes)-byte limit for runbooks; split it with `runbook:` steps")
        }
        if let nul = bytes.firstIndex(of: 0) {
            throw YAMLError(mark: markForOffset(nul, in: bytes), message: "file contains a NUL byte: it looks binary, not a YAML text file")
        }
        let lines = LineTable(bytes)
        var builder = TreeBuilder(lines: lines)
        let result: Result<Node, YAMLError> = bytes.withUnsafeBufferPointer { buffer in
            var parser = yaml_parser_t()
            guard yaml_parser_initialize(&parser) != 0 else {
                return .failure(YAMLError(mark: nil, message: "libyaml could not allocate a parser"))
            }
            defer { yaml_parser_delete(&parser) }
            yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING)
            if let base = buffer.baseAddress {
                yaml_parser_set_input_string(&parser, base, buffer.count)
            } else {
                var empty: UInt8 = 0
                yaml_parser_set_input_string(&parser, &empty, 0)
            }
            var event = yaml_event_t()
            while true {
                guard yaml_parser_parse(&parser, &event) != 0 else {
                    return .failure(parserError(parser, bytes: bytes, lines: lines))
                }
                defer { yaml_event_delete(&event) }
                do throws(YAMLError) {
                    if try builder.handle(&event) { break }
                } catch {
                    return .failure(error)
                }
            }
            guard let root = builder.root else {
                return .failure(YAMLError(mark: nil, message: "file is empty: a runbook needs at least `muster`, `name`, `title` and `steps`"))
            }
            if root.isNull {
                return .failure(YAMLError(mark: root.mark, message: "document is empty: a runbook needs at least `muster`, `name`, `title` and `steps`"))
            }
            return .success(root)
        }
        return try result.get()
    }

    private static func parserError(_ parser: yaml_parser_t, bytes: [UInt8], lines: LineTable) -> YAMLError {
        let problem = parser.problem.map { String(cString: $0) } ?? "unknown YAML error"
        if parser.error == YAML_READER_ERROR {
            // The reader reports a byte offset, not a mark. For a bad trailing
            // octet that is the octet's own offset: point at the character it
            // breaks, where its leading octet is.
            var offset = Int(parser.problem_offset)
            if problem.hasSuffix("trailing UTF-8 octet"), offset > 0, offset <= bytes.count {
                offset -= 1
                while offset > 0, bytes[offset] & 0xC0 == 0x80 { offset -= 1 }
            }
            let mark = markForOffset(offset, in: bytes)
            return YAMLError(mark: mark, message: "file is not valid UTF-8 text: \(problem)")
        }
        var message = problem
        if let context = parser.context {
            let cm = lines.mark(parser.context_mark)
            message += " (\(String(cString: context)) at line \(cm.line), column \(cm.column))"
        }
        let mark = lines.mark(parser.problem_mark)
        if problem == "mapping values are not allowed in this context" {
            message += quoteHint(at: mark, in: bytes)
        }
        return YAMLError(mark: mark, message: message)
    }

    /// The commonest YAML mistake in a runbook is a second `: ` in plain
    /// text (`- Check: the database: is up`), and libyaml's words for it
    /// do not say what to do. The hint shows the line with its text quoted.
    /// The same words come for a key indented deeper than the text above
    /// it, which reads as the rest of that text: then the colon libyaml
    /// stopped at is the line's first.
    static func quoteHint(at mark: Mark, in bytes: [UInt8]) -> String {
        let general = "; a ': ' inside unquoted text starts a mapping: put the text in quotes"
        guard let raw = bytes.split(separator: 0x0A, omittingEmptySubsequences: false).dropFirst(mark.line - 1).first, raw.count <= 300 else {
            return general
        }
        let line = String(decoding: raw, as: UTF8.self)
        let before = line.prefix(max(0, mark.column - 1)).drop { $0 == " " || $0 == "\t" || $0 == "-" }
        if !before.contains(": ") {
            return "; this line is indented deeper than the line above, so it reads as the rest of that line's text: indent it like the keys beside it, or quote the text"
        }
        let trimmed = raw.drop { $0 == 0x20 || $0 == 0x09 }.reversed().drop { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }.reversed()
        var text = Substring(String(decoding: trimmed, as: UTF8.self))
        guard !text.hasPrefix("#"), !text.contains(" #") else { return general }
        // A list item is quoted whole; `key: value` keeps its key.
        var lead = ""
        while text.hasPrefix("- ") {
            lead += "- "
            text = text.dropFirst(2).drop { $0 == " " }
        }
        if lead.isEmpty, let colon = text.firstRange(of: ": ") {
            lead = String(text[..<colon.upperBound])
            text = text[colon.upperBound...].drop { $0 == " " }
        }
        guard let first = text.first, !"'\"|>&*!%@`{[".contains(first) else { return general }
        let quoted = text.split(separator: "'", omittingEmptySubsequences: false).joined(separator: "''")
        return general + ", e.g. `\(lead)'\(quoted)'`"
    }

    /// Line and column of a byte offset, columns counted in characters.
    static func markForOffset(_ offset: Int, in bytes: [UInt8]) -> Mark {
        var line = 1
        var column = 1
        for b in bytes.prefix(offset) {
            if b == UInt8(ascii: "\n") {
                line += 1
                column = 1
            } else if b & 0xC0 != 0x80 {
                column += 1
            }
        }
        return Mark(line: line, column: column)
    }
}

/// Turns libyaml's marks into lines and columns as editors, `SourceText`
/// and the caret printer count them: lines end at line feeds only. libyaml
/// also ends lines at a lone CR, NEL, U+2028 and U+2029 (YAML 1.1), and
/// puts the end of a file without a final newline on a line after it; its
/// mark's `index` (in characters) is exact, so positions come from that
/// when libyaml's own lines would be wrong.
struct LineTable {
    /// Character index at which each line starts, for a file with a line
    /// break other than LF or CRLF; nil when libyaml's lines are right.
    private var starts: [Int]?
    /// Lines as SourceText counts them, and where the last one starts;
    /// only needed for a file that does not end in a newline.
    private var lineCount = 1
    private var lastStart = 0

    init(_ bytes: [UInt8]) {
        // The usual file (LF or CRLF, ending in a newline) needs no table;
        // finding that out takes a few memchr passes, not a loop per byte.
        let unusual = bytes.withUnsafeBufferPointer { b -> Bool in
            func any(_ first: UInt8, _ rest: (Int) -> Bool) -> Bool {
                guard let base = b.baseAddress else { return false }
                var from = 0
                while from < b.count, let hit = memchr(base + from, Int32(first), b.count - from) {
                    let i = base.distance(to: UnsafePointer(hit.assumingMemoryBound(to: UInt8.self)))
                    if rest(i) { return true }
                    from = i + 1
                }
                return false
            }
            return any(0x0D) { $0 + 1 == b.count || b[$0 + 1] != 0x0A }
                || any(0xC2) { $0 + 1 < b.count && b[$0 + 1] == 0x85 }
                || any(0xE2) { $0 + 2 < b.count && b[$0 + 1] == 0x80 && (b[$0 + 2] == 0xA8 || b[$0 + 2] == 0xA9) }
        }
        guard unusual || (bytes.last.map { $0 != 0x0A } ?? false) else {
            lineCount = Int.max
            return
        }
        var table = [0]
        var characters = 0
        for c in bytes {
            if c & 0xC0 != 0x80 { characters += 1 }
            if c == 0x0A { table.append(characters) }
        }
        lineCount = table.count
        lastStart = table[table.count - 1]
        if unusual { starts = table }
    }

    @inline(__always)
    func mark(_ m: yaml_mark_t) -> Mark {
        let index = Int(m.index)
        guard let starts else {
            if Int(m.line) < lineCount { return Mark(line: Int(m.line) + 1, column: Int(m.column) + 1) }
            return Mark(line: lineCount, column: index - lastStart + 1)
        }
        var lo = 0, hi = starts.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if starts[mid] <= index { lo = mid } else { hi = mid - 1 }
        }
        return Mark(line: lo + 1, column: index - starts[lo] + 1)
    }
}

private func string(_ p: UnsafeMutablePointer<yaml_char_t>?) -> String? {
    guard let p else { return nil }
    return String(cString: UnsafeRawPointer(p).assumingMemoryBound(to: CChar.self))
}

/// Folds libyaml events into nodes with an explicit stack, so nesting depth is
/// bounded by `maxDepth` rather than by the call stack.
private struct TreeBuilder {
    /// A collection being built. A class so appends mutate in place.
    final class Frame {
        let isMapping: Bool
        let start: Mark
        let anchor: String?
        var items: [Node] = []
        var pairs: [Node.Pair] = []
        var pendingKey: Node?
        /// Filled only once the mapping has 16 keys; see `hasKey`.
        var keys: Set<String> = []
        var merges: [Node.Pair] = []
        var size = 1
        /// Characters of source text in its scalars, counting what aliases copy in.
        var weight = 1

        /// Duplicate-key check: a linear scan while the mapping is small
        /// (hashing costs more than a few compares), a set beyond that.
        func hasKey(_ k: String) -> Bool {
            if pairs.count < 16 { return pairs.contains { $0.key.scalar == k } }
            return keys.contains(k)
        }

        func addKey(_ k: String) {
            if pairs.count == 15 { keys = Set(pairs.compactMap(\.key.scalar)) }
            if pairs.count >= 15 { keys.insert(k) }
        }

        init(isMapping: Bool, start: Mark, anchor: String?) {
            self.isMapping = isMapping
            self.start = start
            self.anchor = anchor
        }
    }

    let lines: LineTable
    var stack: [Frame] = []
    var anchors: [String: (node: Node, size: Int, weight: Int)] = [:]
    var expanded = 0
    var expandedWeight = 0
    var root: Node?
    var documents = 0

    /// Returns true at the end of the stream.
    mutating func handle(_ event: inout yaml_event_t) throws(YAMLError) -> Bool {
        let start = lines.mark(event.start_mark)
        let end = lines.mark(event.end_mark)
        switch event.type {
        case YAML_STREAM_END_EVENT:
            return true
        case YAML_DOCUMENT_START_EVENT:
            documents += 1
            if documents > 1 {
                throw YAMLError(mark: start, message: "file holds several YAML documents (a second `---`); a runbook or drill file holds exactly one")
            }
        case YAML_SCALAR_EVENT:
            let s = event.data.scalar
            let value = String(decoding: UnsafeBufferPointer(start: s.value, count: Int(s.length)), as: UTF8.self)
            let plain = s.style == YAML_PLAIN_SCALAR_STYLE && s.tag == nil
            let weight = max(1, Int(event.end_mark.index) - Int(event.start_mark.index))
            try add(Node(.scalar(value, plain: plain), mark: start, endMark: end), size: 1, weight: weight, anchor: string(s.anchor))
        case YAML_ALIAS_EVENT:
            let name = string(event.data.alias.anchor) ?? ""
            guard let target = anchors[name] else {
                throw YAMLError(mark: start, message: "alias '*\(name)' names no anchor defined before it")
            }
            expanded += target.size
            if expanded > YAMLLimits.maxAliasExpansion {
                throw YAMLError(mark: start, message: "aliases expand to more than \(YAMLLimits.maxAliasExpansion) nodes; refusing an explosive (\"billion laughs\") document")
            }
            expandedWeight += target.weight
            if expandedWeight > YAMLLimits.maxAliasExpansionCharacters {
                throw YAMLError(mark: start, message: "aliases copy in more than \(YAMLLimits.maxAliasExpansionCharacters) characters of text; refusing an explosive document")
            }
            var copy = target.node
            copy.mark = start
            copy.endMark = end
            try add(copy, size: target.size, weight: target.weight, anchor: nil)
        case YAML_SEQUENCE_START_EVENT:
            try push(Frame(isMapping: false, start: start, anchor: string(event.data.sequence_start.anchor)))
        case YAML_MAPPING_START_EVENT:
            try push(Frame(isMapping: true, start: start, anchor: string(event.data.mapping_start.anchor)))
        case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
            guard let f = stack.popLast() else { return false }
            if f.isMapping {
                var seen = f.merges.isEmpty ? [] : Set(f.pairs.compactMap(\.key.scalar))
                for pair in f.merges {
                    if let k = pair.key.scalar, !seen.contains(k) {
                        seen.insert(k)
                        f.pairs.append(pair)
                    }
                }
                try add(Node(.mapping(f.pairs), mark: f.start, endMark: end), size: f.size, weight: f.weight, anchor: f.anchor)
            } else {
                try add(Node(.sequence(f.items), mark: f.start, endMark: end), size: f.size, weight: f.weight, anchor: f.anchor)
            }
        default:
            break
        }
        return false
    }

    mutating func push(_ frame: Frame) throws(YAMLError) {
        if stack.count >= YAMLLimits.maxDepth {
            throw YAMLError(mark: frame.start, message: "nesting deeper than \(YAMLLimits.maxDepth) levels; a runbook never needs this")
        }
        stack.append(frame)
    }

    mutating func add(_ node: Node, size: Int, weight: Int, anchor: String?) throws(YAMLError) {
        if let anchor { anchors[anchor] = (node, size, weight) }
        guard let f = stack.last else {
            root = node
            return
        }
        f.size += size
        f.weight += weight
        guard f.isMapping else {
            f.items.append(node)
            return
        }
        if let key = f.pendingKey {
            f.pendingKey = nil
            if key.isPlainScalar, key.scalar == "<<" {
                try merge(node, into: &f.merges)
            } else {
                f.pairs.append(Node.Pair(key: key, value: node))
            }
            return
        }
        guard let k = node.scalar else {
            throw YAMLError(mark: node.mark, message: "mapping keys must be plain text, not \(node.kindName)")
        }
        if !(node.isPlainScalar && k == "<<") {
            if f.hasKey(k) {
                let first = f.pairs.first { $0.key.scalar == k }?.key.mark
                let whereFirst = first.map { " (first at line \($0.line), column \($0.column))" } ?? ""
                throw YAMLError(mark: node.mark, message: "duplicate key '\(k)'\(whereFirst); YAML would silently keep only one")
            }
            f.addKey(k)
        }
        f.pendingKey = node
    }

    /// `<<: *defaults` merges a mapping (or a list of them); explicit keys win.
    func merge(_ value: Node, into merges: inout [Node.Pair]) throws(YAMLError) {
        switch value.content {
        case .mapping(let pairs):
            merges.append(contentsOf: pairs)
        case .sequence(let items):
            for item in items {
                guard let pairs = item.pairs else {
                    throw YAMLError(mark: item.mark, message: "merge key '<<' takes a mapping or a list of mappings, not \(item.kindName)")
                }
                merges.append(contentsOf: pairs)
            }
        case .scalar:
            throw YAMLError(mark: value.mark, message: "merge key '<<' takes a mapping or a list of mappings, not \(value.kindName)")
        }
    }
}
