/// The XML that S3 and STS answer with, read into a tree of elements.
///
/// A small strict reader rather than Foundation's XMLParser: FoundationXML
/// would bring libxml2 into every muster binary for the handful of elements
/// the store's replies need. It reads elements, text, the five named
/// entities and numeric references, CDATA, comments and the `<?xml?>`
/// declaration; it rejects anything else (a DTD, a mismatched tag) as an
/// unreadable reply rather than guessing, and so is nesting deeper than 32
/// (S3's replies go three deep), so a hostile server cannot exhaust the stack.
package struct XMLElement: Equatable {
    package var name: String
    package var children: [XMLElement] = []
    package var text = ""

    /// The first child named `name`.
    func child(_ name: String) -> XMLElement? { children.first { $0.name == name } }
    /// All children named `name`.
    func all(_ name: String) -> [XMLElement] { children.filter { $0.name == name } }
    /// The text of the first child named `name`.
    func value(_ name: String) -> String? { child(name)?.text }

    /// Parses a whole reply; nil when it is not well-formed.
    package static func parse(_ bytes: [UInt8]) -> XMLElement? {
        var reader = Reader(bytes: bytes)
        return reader.document()
    }
}

private struct Reader {
    let bytes: [UInt8]
    var i = 0
    var depth = 0

    init(bytes: [UInt8]) { self.bytes = bytes }

    mutating func document() -> XMLElement? {
        skipMisc()
        guard let root = element() else { return nil }
        skipMisc()
        return i == bytes.count ? root : nil
    }

    /// Whitespace, the declaration, processing instructions and comments.
    mutating func skipMisc() {
        while true {
            while i < bytes.count, [0x20, 0x09, 0x0a, 0x0d].contains(bytes[i]) { i += 1 }
            if starts("<?") { guard skip(past: "?>") else { return } } else if starts("<!--") { guard skip(past: "-->") else { return } } else { return }
        }
    }

    func starts(_ s: String) -> Bool {
        let u = Array(s.utf8)
        return i + u.count <= bytes.count && Array(bytes[i..<i + u.count]) == u
    }

    mutating func skip(past s: String) -> Bool {
        while i < bytes.count {
            if starts(s) { i += s.utf8.count; return true }
            i += 1
        }
        return false
    }

    mutating func name() -> String? {
        let start = i
        while i < bytes.count, !([0x20, 0x09, 0x0a, 0x0d, UInt8(ascii: ">"), UInt8(ascii: "/"), UInt8(ascii: "=")].contains(bytes[i])) { i += 1 }
        return i > start ? String(decoding: bytes[start..<i], as: UTF8.self) : nil
    }

    mutating func element() -> XMLElement? {
        guard starts("<"), !starts("</"), !starts("<!"), depth < 32 else { return nil }
        depth += 1
        defer { depth -= 1 }
        i += 1
        guard let name = name() else { return nil }
        // Attributes (S3 sends only xmlns) are read past, not kept.
        while i < bytes.count, bytes[i] != UInt8(ascii: ">"), !starts("/>") {
            if bytes[i] == UInt8(ascii: "\"") || bytes[i] == UInt8(ascii: "'") {
                let quote = bytes[i]
                i += 1
                while i < bytes.count, bytes[i] != quote { i += 1 }
            }
            i += 1
        }
        if starts("/>") { i += 2; return XMLElement(name: name) }
        guard i < bytes.count else { return nil }
        i += 1
        var node = XMLElement(name: name)
        var text: [UInt8] = []
        while i < bytes.count {
            if starts("</") {
                i += 2
                guard self.name() == name else { return nil }
                while i < bytes.count, bytes[i] != UInt8(ascii: ">") { i += 1 }
                guard i < bytes.count else { return nil }
                i += 1
                node.text = String(decoding: text, as: UTF8.self)
                return node
            } else if starts("<![CDATA[") {
                i += 9
                let start = i
                guard skip(past: "]]>") else { return nil }
                text += bytes[start..<i - 3]
            } else if starts("<!--") {
                guard skip(past: "-->") else { return nil }
            } else if starts("<") {
                guard let child = element() else { return nil }
                node.children.append(child)
            } else if bytes[i] == UInt8(ascii: "&") {
                guard let decoded = entity() else { return nil }
                text += decoded
            } else {
                text.append(bytes[i])
                i += 1
            }
        }
        return nil
    }

    mutating func entity() -> [UInt8]? {
        guard let end = bytes[i..<min(i + 12, bytes.count)].firstIndex(of: UInt8(ascii: ";")) else { return nil }
        let body = String(decoding: bytes[(i + 1)..<end], as: UTF8.self)
        i = end + 1
        switch body {
        case "amp": return Array("&".utf8)
        case "lt": return Array("<".utf8)
        case "gt": return Array(">".utf8)
        case "quot": return Array("\"".utf8)
        case "apos": return Array("'".utf8)
        default:
            let number: UInt32?
            if body.hasPrefix("#x") { number = UInt32(body.dropFirst(2), radix: 16) } else if body.hasPrefix("#") { number = UInt32(body.dropFirst()) } else { number = nil }
            guard let number, let scalar = Unicode.Scalar(number) else { return nil }
            return Array(String(Character(scalar)).utf8)
        }
    }
}
