import MusterBasics
import MusterFormat
import MusterEngine
import MusterJournal

/// What a drill record's signature covers: the record file's bytes with
/// the value of `signature` (its last key) replaced by `null`, which is
/// exactly the file as written before it was signed. Defined over the
/// bytes, not over a re-encoding, so anyone can recompute it without
/// muster (cut the file's last value, put `null`, `ssh-keygen -Y verify`).
public enum RecordSignature {
    /// The SSH signature namespace: a record's signature can stand neither
    /// for an approval (`muster-approval`) nor for a git commit or a login.
    public static let namespace = "muster-record"

    static let key = Array("\n  \"signature\": ".utf8)
    static let end = Array("\n}\n".utf8)

    /// The bytes the signature covers, or nil when the file does not end
    /// with a `signature` string as muster writes it (a record edited by
    /// hand, or one written unsigned).
    public static func signedBytes(_ text: [UInt8]) -> [UInt8]? {
        guard text.count > key.count + end.count, text.suffix(end.count).elementsEqual(end) else { return nil }
        var i = text.count - end.count - key.count
        while i >= 0, !text[i..<(i + key.count)].elementsEqual(key) { i -= 1 }
        guard i >= 0 else { return nil }
        let value = text[(i + key.count)..<(text.count - end.count)]
        // One JSON string on one line: a quote, no raw line break, a quote.
        guard value.count >= 2, value.first == UInt8(ascii: "\""), value.last == UInt8(ascii: "\""),
              !value.contains(UInt8(ascii: "\n")) else { return nil }
        return Array(text[..<(i + key.count)]) + Array("null".utf8) + end
    }
}
