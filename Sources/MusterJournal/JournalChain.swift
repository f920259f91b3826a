import MusterBasics
import MusterEngine

/// The journal's hash chain. Each line ends with `"hash":"HEX"`, the SHA-256
/// of the previous line's link and this line's bytes without the hash: an
/// event altered, removed, inserted or moved breaks the chain at that line.
///
/// The hash is over the bytes as written, not over a re-encoding, so a
/// verifier needs no JSON canonicalisation and a newer muster's fields are
/// covered like any other. A line written before journals were chained has
/// no hash; its link is the SHA-256 of its bytes, so a resumed old journal
/// chains on from its last line and verify says where the chain starts.
public enum JournalChain {
    static let marker = Array(#","hash":""#.utf8)
    /// `,"hash":"` + 64 hex + `"}`.
    static let suffixLength = marker.count + 64 + 2

    /// The line's body and hash when it ends with one.
    public static func split<C: RandomAccessCollection>(_ line: C) -> (body: [UInt8], hash: String)? where C.Element == UInt8, C.Index == Int {
        guard line.count > suffixLength else { return nil }
        let start = line.endIndex - suffixLength
        guard line[line.endIndex - 1] == UInt8(ascii: "}"), line[line.endIndex - 2] == UInt8(ascii: "\""),
              line[start..<(start + marker.count)].elementsEqual(marker) else { return nil }
        let hex = line[(start + marker.count)..<(line.endIndex - 2)]
        guard hex.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) }) else { return nil }
        return (Array(line[line.startIndex..<start]) + [UInt8(ascii: "}")], String(decoding: hex, as: UTF8.self))
    }

    /// What the next line chains to: this line's hash, or for a line
    /// written before chaining, the SHA-256 of its bytes.
    public static func link<C: RandomAccessCollection>(of line: C) -> String where C.Element == UInt8, C.Index == Int {
        split(line)?.hash ?? SHA256Hash.hex(line)
    }

    /// The hash of `body` (an encoded event, `{...}`) after `previous`
    /// (the previous line's link, "" for the first line).
    public static func hash(previous: String, body: [UInt8]) -> String {
        var s = SHA256Hash()
        s.update(previous.utf8)
        s.update(body)
        return SHA256Hash.hexString(s.finalize())
    }

    /// `body` with its hash appended as the last key.
    public static func seal(body: [UInt8], previous: String) -> (line: [UInt8], hash: String) {
        let h = hash(previous: previous, body: body)
        var line = Array(body.dropLast())
        line += marker
        line += Array(h.utf8)
        line += [UInt8(ascii: "\""), UInt8(ascii: "}")]
        return (line, h)
    }

    /// The hash of a journal's last line; nil when it has none.
    public static func lastHash(_ bytes: [UInt8]) -> String? {
        var end = bytes.count
        while end > 0, bytes[end - 1] == UInt8(ascii: "\n") { end -= 1 }
        var start = end
        while start > 0, bytes[start - 1] != UInt8(ascii: "\n") { start -= 1 }
        return split(bytes[start..<end])?.hash
    }

    /// The link of the last whole line of a journal's bytes ("" when empty):
    /// where a session appending to it chains on.
    public static func lastLink(_ bytes: [UInt8]) -> String {
        var end = bytes.count
        while end > 0, bytes[end - 1] == UInt8(ascii: "\n") { end -= 1 }
        guard end > 0 else { return "" }
        var start = end
        while start > 0, bytes[start - 1] != UInt8(ascii: "\n") { start -= 1 }
        return link(of: bytes[start..<end])
    }
}
