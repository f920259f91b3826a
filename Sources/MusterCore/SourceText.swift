import MusterYAML

/// A file's text, split into lines on demand, for carets under errors and for
/// placing references inside multi-line scalars.
public final class SourceText: @unchecked Sendable {
    public let path: String
    public let bytes: [UInt8]
    private var cachedLines: [Substring]?

    public init(path: String, bytes: [UInt8]) {
        self.path = path
        self.bytes = bytes
    }

    /// Lines without their terminators. Built once; the validator reads a
    /// file on one thread.
    public var lines: [Substring] {
        if let l = cachedLines { return l }
        let text = String(decoding: bytes, as: UTF8.self)
        let l = text.split(separator: "\n", omittingEmptySubsequences: false).map { $0.hasSuffix("\r") ? $0.dropLast() : $0 }
        cachedLines = l
        return l
    }

    /// 1-based line `n`, if it exists.
    public func line(_ n: Int) -> Substring? {
        let l = lines
        return n >= 1 && n <= l.count ? l[n - 1] : nil
    }

    /// Positions of `needle` in the source between a node's start and end.
    /// Columns count Unicode scalars, as libyaml's marks do.
    func marks(of needle: String, in node: Node) -> [Mark] {
        let n = Array(needle.unicodeScalars)
        var found: [Mark] = []
        guard node.mark.line >= 1 else { return found }
        for lineNo in node.mark.line...max(node.mark.line, node.endMark.line) {
            guard let line = line(lineNo) else { break }
            let scalars = Array(line.unicodeScalars)
            let from = lineNo == node.mark.line ? node.mark.column - 1 : 0
            let to = lineNo == node.endMark.line ? min(scalars.count, node.endMark.column - 1) : scalars.count
            var c = max(0, from)
            while c + n.count <= to {
                if scalars[c] == n[0], Array(scalars[c..<(c + n.count)]) == n {
                    found.append(Mark(line: lineNo, column: c + 1))
                    c += n.count
                } else {
                    c += 1
                }
            }
        }
        return found
    }
}
