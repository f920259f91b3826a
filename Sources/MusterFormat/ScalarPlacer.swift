import MusterYAML

/// Where characters of a scalar's value are written in the file. A value
/// differs from its source by quotes, escapes (`''`, `\"`), folded line
/// breaks and block indentation; walking the source from the node's start
/// and matching each value character to the next equal source character
/// (a space to any space or line break) recovers the position of each, in
/// one pass. Where an escape has no equal character (`\n` in a double-quoted
/// scalar) the match may land a little late, never outside the node.
struct ScalarPlacer {
    let source: SourceText
    let node: Node
    let text: String

    /// Marks of the value's characters at the given increasing scalar offsets.
    func marks(at offsets: [Int]) -> [Mark] {
        var out: [Mark] = []
        out.reserveCapacity(offsets.count)
        guard !offsets.isEmpty else { return out }
        let end = node.endMark
        var lineNo = node.mark.line
        var line = lineScalars(lineNo)
        var column = node.mark.column
        var last = node.mark
        var wanted = 0
        func isSpace(_ c: Unicode.Scalar) -> Bool { c == " " || c == "\t" || c == "\n" || c == "\r" }
        func inside() -> Bool { lineNo < end.line || (lineNo == end.line && column <= end.column) }

        for (k, c) in text.unicodeScalars.enumerated() {
            guard wanted < offsets.count else { break }
            // Find this character in the source, if the source still holds it.
            var found: Mark?
            while inside(), line != nil {
                if column - 1 >= line!.count {
                    // A line break in the source: a space or newline of the value.
                    let here = Mark(line: lineNo, column: column)
                    lineNo += 1
                    column = 1
                    line = lineScalars(lineNo)
                    if isSpace(c) { found = here; break }
                    continue
                }
                let s = line![column - 1]
                column += 1
                if s == c || (isSpace(c) && isSpace(s)) {
                    found = Mark(line: lineNo, column: column - 1)
                    break
                }
            }
            if let found { last = found }
            while wanted < offsets.count, offsets[wanted] == k {
                out.append(last)
                wanted += 1
            }
        }
        // Offsets at or past the end (the end of the condition) sit after its last character.
        let after = Mark(line: last.line, column: last.column + (text.isEmpty ? 0 : 1))
        while out.count < offsets.count { out.append(offsets[out.count] == 0 && text.isEmpty ? node.mark : after) }
        return out
    }

    private func lineScalars(_ n: Int) -> [Unicode.Scalar]? {
        source.line(n).map { Array($0.unicodeScalars) }
    }
}
