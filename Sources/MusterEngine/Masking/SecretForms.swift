import MusterBasics
import MusterFormat

/// The forms a secret takes once Muster (or a program it runs) has encoded
/// it: a masker that only knows the raw bytes misses `AKIA%2Fx%2By%3D` in a
/// URL it built itself, or `pa\"ss` in a JSON body it wrote (or its server
/// echoed back inside another JSON string). Each form is masked like the
/// secret.
enum SecretForms {
    /// Derived forms shorter than this are left out: a form of two or three
    /// characters (base64 of a short secret at an odd alignment) would
    /// mask ordinary text. The raw secret is masked at any length, as it
    /// always was.
    static let minimumLength = 4

    /// Every form of `secret` (raw bytes, already trimmed), the raw one first.
    static func of(_ secret: [UInt8]) -> Set<[UInt8]> {
        var out: Set<[UInt8]> = [secret]
        func add(_ form: [UInt8]) {
            if form.count >= minimumLength { out.insert(form) }
        }
        for safe in percentSafeSets {
            for upper in [true, false] {
                for plusForSpace in [false, true] { add(percent(secret, safe: safe, upper: upper, plusForSpace: plusForSpace)) }
            }
        }
        // Foundation's `urlPathAllowed` keeps `:` after the first `/` only.
        add(percent(secret, safe: percentSafeSets[3], upper: true, plusForSpace: false, colonAfterSlash: true))
        if let text = String(validating: secret, as: UTF8.self) {
            for slash in [false, true] {
                let once = json(text, escapeSlash: slash, asciiOnly: false, upper: false, short: false)
                add(once)
                // JSON in JSON: a server that echoes the request body as a
                // string of its JSON answer.
                add(json(String(decoding: once, as: UTF8.self), escapeSlash: slash, asciiOnly: false, upper: false, short: false))
                add(json(text, escapeSlash: slash, asciiOnly: false, upper: false, short: true))
                for upper in [false, true] { add(json(text, escapeSlash: slash, asciiOnly: true, upper: upper, short: true)) }
            }
        }
        for urlSafe in [false, true] {
            for offset in 0..<3 { add(base64Inner(secret, offset: offset, urlSafe: urlSafe)) }
        }
        return out
    }

    // MARK: - Percent-encoding

    /// Bytes left as they are besides letters and digits: RFC 3986's
    /// unreserved set (Muster's own `percentEncoded`, curl's
    /// `--data-urlencode`), that set and `/` (Python's `quote`),
    /// JavaScript's `encodeURIComponent`, and Foundation's
    /// `urlPathAllowed` and `urlQueryAllowed`.
    static let percentSafeSets: [Set<UInt8>] = [
        Set("-_.~".utf8),
        Set("-_.~/".utf8),
        Set("-_.!~*'()".utf8),
        Set("-._~!$&'()*+,=@/".utf8),
        Set("-._~!$&'()*+,;=:@/?".utf8),
    ]

    static func percent(_ bytes: [UInt8], safe: Set<UInt8>, upper: Bool, plusForSpace: Bool, colonAfterSlash: Bool = false) -> [UInt8] {
        let digits = Array((upper ? "0123456789ABCDEF" : "0123456789abcdef").utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 3)
        var slash = false
        for b in bytes {
            slash = slash || b == UInt8(ascii: "/")
            if isAlphanumeric(b) || safe.contains(b) || (colonAfterSlash && slash && b == UInt8(ascii: ":")) {
                out.append(b)
            } else if b == 32, plusForSpace {
                out.append(UInt8(ascii: "+"))
            } else {
                out += [UInt8(ascii: "%"), digits[Int(b >> 4)], digits[Int(b & 15)]]
            }
        }
        return out
    }

    // MARK: - JSON

    /// A JSON string's content as the common writers make it: Muster's own
    /// (`\uXXXX` for controls only), Foundation's `JSONEncoder` (`\/`),
    /// Python's `json.dumps` (`\b`, `\f`, everything past ASCII as
    /// `\uXXXX`, surrogate pairs beyond the BMP), in either case of hex.
    static func json(_ text: String, escapeSlash: Bool, asciiOnly: Bool, upper: Bool, short: Bool) -> [UInt8] {
        var out = ""
        func hex(_ v: UInt32) {
            let h = String(v, radix: 16, uppercase: upper)
            out += "\\u" + String(repeating: "0", count: max(0, 4 - h.count)) + h
        }
        for u in text.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "/" where escapeSlash: out += "\\/"
            case "\u{8}" where short: out += "\\b"
            case "\u{c}" where short: out += "\\f"
            default:
                if u.value < 0x20 || (!short && (0x7F..<0xA0).contains(u.value)) {
                    hex(u.value)
                } else if asciiOnly, u.value > 0x7E {
                    if u.value > 0xFFFF {
                        let v = u.value - 0x10000
                        hex(0xD800 + (v >> 10))
                        hex(0xDC00 + (v & 0x3FF))
                    } else {
                        hex(u.value)
                    }
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return Array(out.utf8)
    }

    // MARK: - Base64

    /// The base64 characters that depend on the secret's bytes alone when
    /// it starts `offset` bytes into a 3-byte group of the encoded data:
    /// the characters shared with the bytes before or after it are left
    /// out, so the form is found wherever in the data the secret stood.
    static func base64Inner(_ bytes: [UInt8], offset: Int, urlSafe: Bool) -> [UInt8] {
        guard !bytes.isEmpty else { return [] }
        let padded = [UInt8](repeating: 0, count: offset) + bytes
        var chars = base64(padded, urlSafe: urlSafe)
        // The characters whose bits are all the secret's, counted in 6-bit
        // units: the first starts at or after bit 8*offset, the last ends
        // at or before the secret's last bit.
        let firstBit = 8 * offset, endBit = 8 * padded.count
        let first = (firstBit + 5) / 6, end = endBit / 6
        guard end > first else { return [] }
        chars = Array(chars[first..<end])
        return chars
    }

    static func base64(_ bytes: [UInt8], urlSafe: Bool) -> [UInt8] {
        let alphabet = Array(("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789" + (urlSafe ? "-_" : "+/")).utf8)
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var i = 0
        while i < bytes.count {
            let b0 = UInt32(bytes[i]), b1 = i + 1 < bytes.count ? UInt32(bytes[i + 1]) : 0, b2 = i + 2 < bytes.count ? UInt32(bytes[i + 2]) : 0
            let n = b0 << 16 | b1 << 8 | b2
            let count = min(3, bytes.count - i) + 1
            for k in 0..<count { out.append(alphabet[Int((n >> (18 - 6 * UInt32(k))) & 63)]) }
            i += 3
        }
        return out
    }

    static func isAlphanumeric(_ b: UInt8) -> Bool {
        (b >= 48 && b <= 57) || (b >= 65 && b <= 90) || (b >= 97 && b <= 122)
    }
}
