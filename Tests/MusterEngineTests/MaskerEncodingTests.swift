import Foundation
@testable import MusterBasics
@testable import MusterFormat
@testable import MusterEngine
@testable import MusterJournal
@testable import MusterApp
@testable import MusterTesting
import Testing

/// A small seeded generator, so a failing random secret can be found again.
struct SeededRandom: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Characters of AWS keys, base64 tokens, passwords: `/ + =`, quotes,
/// backslashes, spaces, non-ASCII, an emoji beyond the BMP.
let secretAlphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/+=\"\\ -_.~!*'()%&?#:@é€😀")

func randomSecret(_ rng: inout SeededRandom, length: ClosedRange<Int> = 8...40, alphabet: [Character] = secretAlphabet) -> String {
    var s = String((0..<Int.random(in: length, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! })
    // The masker trims a secret's edges (a trailing newline from a file).
    while s.first == " " || s.last == " " { s = s.trimmingCharacters(in: .whitespaces) + "x" }
    return s
}

/// The base64 characters of `data` whose six bits all come from
/// `data[from..<to]`: what must be gone from the encoded text.
func base64Inner(_ encoded: String, from: Int, to: Int) -> Substring {
    let chars = Array(encoded.utf8)
    let first = (8 * from + 5) / 6, end = (8 * to) / 6
    return Substring(String(decoding: chars[first..<max(first, end)], as: UTF8.self))
}

@Suite("Masker by every encoding")
struct MaskerEncodingTests {
    /// Property: for random secrets, every form made by an encoder other
    /// than the masker's own (Muster's URL and JSON writers, Foundation's
    /// JSONEncoder, percent-encoding and base64) is masked wherever it
    /// stands in a line.
    @Test func everyEncodingOfARandomSecretIsMasked() throws {
        var rng = SeededRandom(state: 22)
        let ascii = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
        for _ in 0..<400 {
            let secret = randomSecret(&rng)
            let m = Masker(secrets: [secret])
            let unreserved = secret.addingPercentEncoding(withAllowedCharacters: ascii.union(CharacterSet(charactersIn: "-._~")))!
            let json = String(decoding: try JSONEncoder().encode(secret), as: UTF8.self)
            var forms: [(String, String)] = [
                ("raw", secret),
                ("Muster's URL encoding", secret.percentEncoded()),
                ("percent-encoded", unreserved),
                ("lowercase hex", lowercasedEscapes(unreserved)),
                ("form-encoded", unreserved.replacingOccurrences(of: "%20", with: "+")),
                ("path-allowed", secret.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed)!),
                ("query-allowed", secret.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed)!),
                ("Muster's JSON", String(JSON.string(secret).serialized().dropFirst().dropLast())),
                ("JSONEncoder", String(json.dropFirst().dropLast())),
            ]
            forms = forms.filter { $0.1.utf8.count >= 4 || $0.1 == secret }
            for (what, form) in forms {
                let line = "x=\(form)&y=1"
                #expect(!m.mask(line).contains(form), "\(what) of \(secret.debugDescription): \(m.mask(line))")
            }
            for before in 0..<3 {
                for urlSafe in [false, true] {
                    let prefix = (0..<before).map { _ in UInt8.random(in: 0...255, using: &rng) }
                    let data = Data(prefix + Array(secret.utf8) + [UInt8.random(in: 0...255, using: &rng)])
                    var encoded = data.base64EncodedString()
                    if urlSafe { encoded = encoded.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_") }
                    let inner = base64Inner(encoded, from: before, to: before + secret.utf8.count)
                    #expect(!m.mask("token " + encoded).contains(inner), "base64 (\(before), \(urlSafe)) of \(secret.debugDescription)")
                }
            }
        }
    }

    /// The same property against another language's encoders: Python's
    /// `quote`, `quote_plus`, `json.dumps` (ASCII-only and not) and base64,
    /// run once over a batch of random secrets.
    @Test func pythonsEncodingsOfRandomSecretsAreMasked() throws {
        var rng = SeededRandom(state: 1337)
        let secrets = (0..<150).map { _ in randomSecret(&rng) }
        let script = """
        import sys, json, base64, urllib.parse
        for s in json.load(sys.stdin):
            b = s.encode()
            forms = [urllib.parse.quote(s, safe=''), urllib.parse.quote(s), urllib.parse.quote_plus(s),
                     json.dumps(s)[1:-1], json.dumps(s, ensure_ascii=False)[1:-1]]
            for k in range(3):
                data = bytes(range(7, 7 + k)) + b + b'!'
                for e in (base64.b64encode(data), base64.urlsafe_b64encode(data)):
                    e = e.decode()
                    forms.append(e[(8 * k + 5) // 6:(8 * (k + len(b))) // 6])
            print(json.dumps(forms))
        """
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", script]
        let input = Pipe(), output = Pipe()
        p.standardInput = input
        p.standardOutput = output
        try p.run()
        input.fileHandleForWriting.write(try JSONEncoder().encode(secrets))
        try input.fileHandleForWriting.close()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        let lines = text.split(separator: "\n")
        try #require(lines.count == secrets.count)
        for (secret, line) in zip(secrets, lines) {
            let m = Masker(secrets: [secret])
            let forms = try JSONDecoder().decode([String].self, from: Data(line.utf8))
            for form in forms where form.utf8.count >= 4 {
                #expect(!m.mask("<\(form)>").contains(form), "\(form) of \(secret.debugDescription)")
            }
        }
    }

    /// Property: a form of a secret cut anywhere (a first part of 1
    /// character on) over two lines ending in LF or CRLF is masked on both.
    @Test func aSecretSplitAnywhereOverTwoLinesIsMaskedOnBoth() {
        var rng = SeededRandom(state: 7)
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/+=\"-_")
        for _ in 0..<300 {
            let secret = randomSecret(&rng, length: 6...40, alphabet: alphabet)
            let m = Masker(secrets: [secret])
            let forms = [secret, secret.percentEncoded(), String(JSON.string(secret).serialized().dropFirst().dropLast())]
            for form in forms {
                let chars = Array(form)
                let k = Int.random(in: 1..<chars.count, using: &rng)
                let end = Bool.random(using: &rng) ? "\r" : ""
                var lines = LineMasker(m)
                var out = lines.feed("<< " + String(chars[..<k]) + end)
                out += lines.feed(String(chars[k...]) + " >>" + end)
                out += lines.finish()
                #expect(out == ["<< ***" + end, "*** >>" + end], "\(form.debugDescription) cut at \(k)")
            }
        }
    }

    @Test func aCRLFLineAndAFirstPartOfTwoCharactersAreMasked() {
        var m = LineMasker(Masker(secrets: ["hunter2-secret-value"]))
        #expect(m.feed("token: hunter2-se\r") == [])
        #expect(m.feed("cret-value and more\r") == ["token: ***\r", "*** and more\r"])
        #expect(m.feed("key: hu") == [], "a first part of two characters waits too")
        #expect(m.feed("nter2-secret-value!") == ["key: ***", "***!"])
        // Held for a short start, the line is shown after a moment; the
        // rest is still masked when it comes.
        #expect(m.feed("key: h", now: 10) == [])
        #expect(m.release(now: 10.1, after: 0.5) == [])
        #expect(m.release(now: 11, after: 0.5) == ["key: h"])
        #expect(m.feed("unter2-secret-value?", now: 12) == ["***?"])
    }

    /// Whole text (an HTTP body) is masked across its line breaks too.
    @Test func textOfSeveralLinesIsMaskedAcrossALineBreak() {
        let m = Masker(secrets: ["AKIA/x+y=zSECRET"])
        #expect(m.mask("a: AKIA/x+\r\ny=zSECRET b\nnext") == "a: ***\r\n*** b\nnext")
        #expect(m.mask("url=/q?k=AKIA%2Fx%2By%3DzSECRET&z") == "url=/q?k=***&z")
        #expect(m.mask("{\"k\":\"AKIA\\/x+y=zSECRET\"}") == "{\"k\":\"***\"}")
    }

    /// The length rule: a secret is masked whole at any length, but
    /// nothing shorter than 4 bytes is derived from it, and no line is
    /// held for a short secret, so ordinary output stays readable.
    @Test func shortSecretsAreMaskedWholeAndNothingShorterIsDerived() {
        let m = Masker(secrets: ["ab", "x/"])
        #expect(m.mask("a b ab") == "a b ***")
        #expect(m.mask("x%2F") == "***", "a 4-byte encoded form is masked")
        #expect(m.mask("YWI") == "YWI", "base64 of a 2-byte secret is too short to mask")
        var lines = LineMasker(m)
        #expect(lines.feed("data") == ["data"], "no line waits for a 2-byte secret")
        #expect(lines.feed("b c") == ["b c"])
    }

    @Test func aSecretsFormsAreOnlyFoundWhereTheyStand() {
        let m = Masker(secrets: ["abc123"])
        #expect(m.mask("abc12 bc123 abc1234") == "abc12 bc123 ***4")
        #expect(!m.holdsSecret("nothing here"))
        #expect(m.holdsSecret("YWJjMTIz"), "base64 of the secret")
        #expect(Masker(secrets: []).mask("abc") == "abc")
    }
}

private func lowercasedEscapes(_ s: String) -> String {
    var out = ""
    var chars = Array(s)[...]
    while let c = chars.popFirst() {
        out.append(c)
        if c == "%" {
            for _ in 0..<2 { if let h = chars.popFirst() { out += h.lowercased() } }
        }
    }
    return out
}
