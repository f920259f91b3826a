import MusterYAML
import MusterBasics

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

    /// Byte range of 1-based line `n` without its terminator (LF or CRLF; a
    /// lone CR, even at the end of the file, is part of the line, as the
    /// loader's marks count it).
    private func lineRange(_ n: Int) -> Range<Int>? {
        let starts = lineStarts
        guard n >= 1, n <= starts.count else { return nil }
        let start = starts[n - 1]
        guard n < starts.count else { return start..<bytes.count }
        var end = starts[n] - 1
        if end > start, bytes[end - 1] == UInt8(ascii: "\r") { end -= 1 }
        return start..<end
    }

    /// 1-based line `n`, if it exists.
    public func line(_ n: Int) -> Substring? {
        guard var r = lineRange(n) else { return nil }
        // A byte order mark is not part of what libyaml counts columns in.
        if n == 1, bytes.starts(with: [0xEF, 0xBB, 0xBF]) { r = min(3, r.upperBound)..<r.upperBound }
        return Substring(String(decoding: bytes[r], as: UTF8.self))
    }

    /// At most `width` characters of line `n` around 1-based `column`, for
    /// showing a problem on a long line (minified or hostile) without
    /// building the whole line: the text, the caret's 0-based offset in it,
    /// and whether the line goes on before and after it.
    public func excerpt(line n: Int, column: Int, width: Int) -> (text: String, caret: Int, before: Bool, after: Bool)? {
        guard var r = lineRange(n) else { return nil }
        if n == 1, bytes.starts(with: [0xEF, 0xBB, 0xBF]) { r = min(3, r.upperBound)..<r.upperBound }
        let index = characterIndex(line: n, range: r)
        let total = index.count
        let caret = max(0, min(column - 1, total))
        let first = total > width ? max(0, min(caret - width / 2, total - width)) : 0
        let start = skip(first % Self.checkpointEvery, from: index.checkpoints[first / Self.checkpointEvery], before: r.upperBound)
        let end = skip(width, from: start, before: r.upperBound)
        return (String(decoding: bytes[start..<end], as: UTF8.self), caret - first, start > r.lowerBound, end < r.upperBound)
    }

    /// The byte after `count` characters (Unicode scalars, as columns count
    /// them) from byte `i`, or `limit`.
    private func skip(_ count: Int, from i: Int, before limit: Int) -> Int {
        var i = i, k = 0
        while i < limit, k < count {
            i += 1
            while i < limit, bytes[i] & 0xC0 == 0x80 { i += 1 }
            k += 1
        }
        return i
    }

    private static let checkpointEvery = 256
    /// Per line shown so far: its character count and the byte offset of
    /// every 256th character, so a thousand problems on one long line cost
    /// one pass over it.
    private var characterIndexes: [Int: (count: Int, checkpoints: [Int])] = [:]

    private func characterIndex(line n: Int, range r: Range<Int>) -> (count: Int, checkpoints: [Int]) {
        if let c = characterIndexes[n] { return c }
        var checkpoints = [r.lowerBound]
        var i = r.lowerBound, k = 0
        while i < r.upperBound {
            i += 1
            while i < r.upperBound, bytes[i] & 0xC0 == 0x80 { i += 1 }
            k += 1
            if k % Self.checkpointEvery == 0 { checkpoints.append(i) }
        }
        characterIndexes[n] = (k, checkpoints)
        return (k, checkpoints)
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
