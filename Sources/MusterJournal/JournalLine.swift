import MusterEngine

/// The bytes `JSONEncoder` writes for an event (keys sorted, slashes not
/// escaped: FileJournal's settings), written directly for the events every
/// step journals. The encoder was the largest part of the executor's own
/// work per step after the `fsync`; the journal's lines are what they were,
/// byte for byte (JournalLineTests compares the two over every field).
///
/// Nil for an event this does not write (a run's facts, leftovers, a
/// pipeline, an approval rule, a map with a key outside ASCII, a number
/// that is not finite): the encoder writes those, as before.
enum JournalLine {
    static func body(_ e: JournalEvent) -> [UInt8]? {
        guard e.run == nil, e.leftovers == nil, e.pipeline == nil, e.approval == nil, e.hash == nil,
              e.t.isFinite, e.seconds?.isFinite ?? true,
              e.outputs.map(asciiKeys) ?? true, e.seen.map(asciiKeys) ?? true else { return nil }
        var w = Writer()
        // In the encoder's order: keys sorted by their bytes.
        w.field("answer", e.answer)
        w.field("at", e.at)
        w.field("attempt", e.attempt)
        w.field("auto", e.auto)
        w.field("by", e.by)
        w.field("contact", e.contact)
        w.field("event", e.event.rawValue)
        w.field("exit", e.exit)
        w.field("identity", e.identity)
        w.field("interrupted", e.interrupted)
        w.field("item", e.item)
        w.field("items", e.items)
        w.field("key", e.key)
        w.field("masked", e.masked)
        w.field("name", e.name)
        w.field("os_user", e.osUser)
        w.field("outcome", e.outcome)
        w.field("outputs", e.outputs)
        w.field("seconds", e.seconds)
        w.field("seen", e.seen)
        w.field("seq", e.seq)
        w.field("sha256", e.sha256)
        w.field("signature", e.signature)
        w.field("statement", e.statement)
        w.field("status", e.status)
        w.field("step", e.step)
        w.field("t", e.t)
        w.field("tail", e.tail)
        w.field("text", e.text)
        w.field("timed_out", e.timedOut)
        w.field("value", e.value)
        w.bytes.append(UInt8(ascii: "}"))
        return w.bytes
    }

    /// Keys whose byte order is surely the encoder's.
    private static func asciiKeys(_ map: [String: String]) -> Bool {
        map.keys.allSatisfy { $0.utf8.allSatisfy { $0 < 0x80 } }
    }

    private struct Writer {
        var bytes: [UInt8] = [UInt8(ascii: "{")]

        init() { bytes.reserveCapacity(256) }

        mutating func key(_ k: String) {
            if bytes.count > 1 { bytes.append(UInt8(ascii: ",")) }
            string(k)
            bytes.append(UInt8(ascii: ":"))
        }

        mutating func field(_ k: String, _ v: String?) {
            guard let v else { return }
            key(k)
            string(v)
        }

        mutating func field(_ k: String, _ v: Int?) {
            guard let v else { return }
            key(k)
            bytes += String(v).utf8
        }

        mutating func field(_ k: String, _ v: Bool?) {
            guard let v else { return }
            key(k)
            bytes += (v ? "true" : "false").utf8
        }

        /// As the encoder writes a finite Double: its description, without
        /// a `.0` at the end (`1`, `0.061`, `1e-05`).
        mutating func field(_ k: String, _ v: Double?) {
            guard let v else { return }
            key(k)
            var text = v.description
            if text.hasSuffix(".0") { text.removeLast(2) }
            bytes += text.utf8
        }

        mutating func field(_ k: String, _ v: [String]?) {
            guard let v else { return }
            key(k)
            bytes.append(UInt8(ascii: "["))
            for (i, s) in v.enumerated() {
                if i > 0 { bytes.append(UInt8(ascii: ",")) }
                string(s)
            }
            bytes.append(UInt8(ascii: "]"))
        }

        mutating func field(_ k: String, _ v: [String: String]?) {
            guard let v else { return }
            key(k)
            bytes.append(UInt8(ascii: "{"))
            for (i, k) in v.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }).enumerated() {
                if i > 0 { bytes.append(UInt8(ascii: ",")) }
                string(k)
                bytes.append(UInt8(ascii: ":"))
                string(v[k]!)
            }
            bytes.append(UInt8(ascii: "}"))
        }

        /// The encoder's escapes: `"` and `\`, the C0 controls (named
        /// where JSON names them, else `\u00xx`); everything else as is.
        mutating func string(_ s: String) {
            bytes.append(UInt8(ascii: "\""))
            for b in s.utf8 {
                switch b {
                case UInt8(ascii: "\""): bytes += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
                case UInt8(ascii: "\\"): bytes += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
                case 0x08: bytes += [UInt8(ascii: "\\"), UInt8(ascii: "b")]
                case 0x09: bytes += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
                case 0x0A: bytes += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
                case 0x0C: bytes += [UInt8(ascii: "\\"), UInt8(ascii: "f")]
                case 0x0D: bytes += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
                case 0..<0x20:
                    let hex = Array("0123456789abcdef".utf8)
                    bytes += [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), hex[Int(b >> 4)], hex[Int(b & 0xF)]]
                default: bytes.append(b)
                }
            }
            bytes.append(UInt8(ascii: "\""))
        }
    }
}
