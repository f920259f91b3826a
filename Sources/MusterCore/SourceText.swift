import MusterYAML

/// A file's bytes with line starts indexed on demand, for carets under errors
/// and for placing references inside multi-line scalars. Works on bytes: a
/// validator pass over a thousand files must not build a String per line.
public final class SourceText: @unchecked Sendable {
    public let path: String
    public let bytes: [UInt8]
    private var cachedStarts: [Int]?

    public init(path: String, bytes: [UInt8]) {
        self.path = path
        self.bytes = bytes
    }

    /// Byte offsets where each line starts. Built once; a file is read on
    /// one thread.
    private var lineStarts: [Int] {
        if let s = cachedStarts { return s }
        var s = [0]
        for (i, b) in bytes.enumerated() where b == UInt8(ascii: "\n") { s.append(i + 1) }
        cachedStarts = s
        return s
    }

    /// Byte range of 1-based line `n` without its terminator.
    private func lineRange(_ n: Int) -> Range<Int>? {
        let starts = lineStarts
        guard n >= 1, n <= starts.count else { return nil }
        let start = starts[n - 1]
        var end = n < starts.count ? starts[n] - 1 : bytes.count
        if end > start, bytes[end - 1] == UInt8(ascii: "\r") { end -= 1 }
        return start..<max(start, end)
    }

    /// 1-based line `n`, if it exists.
    public func line(_ n: Int) -> Substring? {
        guard var r = lineRange(n) else { return nil }
        // A byte order mark is not part of what libyaml counts columns in.
        if n == 1, bytes.starts(with: [0xEF, 0xBB, 0xBF]) { r = min(3, r.upperBound)..<r.upperBound }
        return Substring(String(decoding: bytes[r], as: UTF8.self))
    }

    /// Positions of `needle` in the source between a node's start and end.
    /// Columns count Unicode scalars, as libyaml's marks do.
    func marks(of needle: StaticString, in node: Node) -> [Mark] {
        let n = UnsafeBufferPointer(start: needle.utf8Start, count: needle.utf8CodeUnitCount)
        var found: [Mark] = []
        guard node.mark.line >= 1, let first = n.first else { return found }
        for lineNo in node.mark.line...max(node.mark.line, node.endMark.line) {
            guard let r = lineRange(lineNo) else { break }
            var column = 1
            var i = r.lowerBound
            // libyaml's columns do not count a byte order mark.
            if lineNo == 1, bytes.starts(with: [0xEF, 0xBB, 0xBF]) { i += 3 }
            let minColumn = lineNo == node.mark.line ? node.mark.column : 1
            let maxColumn = lineNo == node.endMark.line ? node.endMark.column : Int.max
            while i < r.upperBound, column < maxColumn {
                let b = bytes[i]
                if b == first, column >= minColumn, i + n.count <= r.upperBound,
                   (0..<n.count).allSatisfy({ bytes[i + $0] == n[$0] }) {
                    found.append(Mark(line: lineNo, column: column))
                    i += n.count
                    column += n.count
                    continue
                }
                if b & 0xC0 != 0x80 { column += 1 }
                i += 1
                // A continuation byte belongs to the scalar already counted.
                while i < r.upperBound, bytes[i] & 0xC0 == 0x80 { i += 1 }
            }
        }
        return found
    }
}

extension SourceText {
    /// The text of a comment that follows a plain scalar on its own line
    /// (`- post the link in #inc-platform`): YAML drops it silently, which in
    /// a checklist item is almost always a mistake.
    func trailingComment(after node: Node) -> String? {
        guard node.isPlainScalar, node.mark.line == node.endMark.line, let r = lineRange(node.endMark.line),
              bytes[r].contains(UInt8(ascii: "#")), let line = line(node.endMark.line) else { return nil }
        let rest = line.unicodeScalars.dropFirst(node.endMark.column - 1)
        guard let hash = rest.firstIndex(of: "#") else { return nil }
        let comment = String(String.UnicodeScalarView(rest[hash...]))
        return comment.trimmingSpaces()
    }
}
