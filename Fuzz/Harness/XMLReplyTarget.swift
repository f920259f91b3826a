import MusterStore

/// Fuzz target 4: the reader of S3's and STS's XML replies (MusterStore's
/// `XMLElement`), which reads whatever a store, or something posing as one,
/// answers.
///
/// Input: the reply's bytes. Checked: reading never crashes and ends (no
/// nesting past the reader's bound), reads the same twice, and a reply it
/// accepts, written back out (names, text escaped, children in order),
/// reads back as the same tree: no text or element is lost or invented.
public enum XMLReplyTarget {
    public static func check(_ data: [UInt8]) -> [String] {
        guard let tree = XMLElement.parse(data) else { return [] }
        var problems: [String] = []
        if XMLElement.parse(data) != tree { problems.append("the same bytes read as two different trees") }
        let depth = Self.depth(tree)
        if depth > 32 { problems.append("accepted nesting \(depth) deep, past the bound of 32") }
        let written = Array(write(tree).utf8)
        if let again = XMLElement.parse(written) {
            if again != tree { problems.append("written back out, the reply reads as another tree: \(String(decoding: written.prefix(200), as: UTF8.self))") }
        } else {
            problems.append("written back out, the reply no longer reads: \(String(decoding: written.prefix(200), as: UTF8.self))")
        }
        return problems
    }

    /// The tree a reply reads as, written back out (for the corpus test).
    package static func tree(_ data: [UInt8]) -> XMLElement? { XMLElement.parse(data) }

    static func depth(_ e: XMLElement) -> Int { 1 + (e.children.map(depth).max() ?? 0) }

    package static func write(_ e: XMLElement) -> String {
        var text = ""
        for c in e.text.unicodeScalars {
            switch c {
            case "&": text += "&amp;"
            case "<": text += "&lt;"
            case ">": text += "&gt;"
            default: text.unicodeScalars.append(c)
            }
        }
        return "<\(e.name)>" + text + e.children.map(write).joined() + "</\(e.name)>"
    }
}
