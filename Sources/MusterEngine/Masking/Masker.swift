import MusterBasics
import MusterFormat

/// Replaces every secret value with `***`, in output, journal and messages,
/// in every form Muster or a program it runs gives it (see SecretForms):
/// raw, percent- and form-encoded, JSON-escaped, base64 at each alignment.
///
/// Length rule: a secret is masked whole at any length; anything derived
/// from it (an encoded form, a line of a multi-line secret, a secret split
/// over two lines) only when it is at least 4 bytes long, since shorter
/// pieces are everywhere in ordinary text.
///
/// It runs on every output line, so matching is one pass over the line's
/// bytes with the forms bucketed by their first byte: most bytes start no
/// form, and most candidates fail on their second byte.
public struct Masker: Sendable {
    /// Every form of every secret, longest first.
    let forms: [[UInt8]]
    /// `forms` indices by first byte: those of byte `b` are
    /// `bucketItems[bucketStart[b]..<bucketStart[b + 1]]`, longest first.
    let bucketStart: [Int]
    let bucketItems: [Int]
    let maxLength: Int
    /// Pieces shorter than this are never masked on their own (see above).
    static let minimumPiece = SecretForms.minimumLength

    public init(secrets: some Sequence<String>) {
        var all = Set<[UInt8]>()
        for s in secrets {
            let t = s.trimmingCharacters()
            guard !t.isEmpty else { continue }
            let bytes = Array(t.utf8)
            all.formUnion(SecretForms.of(bytes))
            // Output is masked line by line, so a secret of several lines (a
            // key file) is masked by its lines too. On bytes: in Swift
            // "\r\n" is one Character, which a split on "\n" does not see.
            if bytes.contains(10) || bytes.contains(13) {
                for line in bytes.split(whereSeparator: { $0 == 10 || $0 == 13 }) {
                    let l = Array(String(decoding: line, as: UTF8.self).trimmingCharacters().utf8)
                    if l.count >= Self.minimumPiece { all.formUnion(SecretForms.of(l)) }
                }
            }
        }
        forms = all.sorted { $0.count != $1.count ? $0.count > $1.count : $0.lexicographicallyPrecedes($1) }
        var buckets = [[Int]](repeating: [], count: 256)
        for (i, f) in forms.enumerated() { buckets[Int(f[0])].append(i) }
        var start = [0], items: [Int] = []
        for b in buckets {
            items += b
            start.append(items.count)
        }
        bucketStart = start
        bucketItems = items
        maxLength = forms.first?.count ?? 0
    }

    public var isEmpty: Bool { forms.isEmpty }

    /// Replaces on UTF-8 bytes, not characters: a secret followed by a
    /// combining mark is one grapheme with it, and must be masked all the same.
    /// Text of several lines is also masked where a secret runs over a line
    /// break (an HTTP body wrapped by the server).
    public func mask(_ s: String) -> String {
        guard !forms.isEmpty else { return s }
        let bytes = Array(s.utf8)
        var out = bytes.withUnsafeBufferPointer { replaced($0, matches(in: $0)) } ?? bytes
        if out.contains(10) {
            var lines = LineMasker(self)
            var masked: [String] = []
            for line in out.split(separator: 10, omittingEmptySubsequences: false) { masked += lines.feed(String(decoding: line, as: UTF8.self)) }
            masked += lines.finish()
            out = Array(masked.joined(separator: "\n").utf8)
        } else if out == bytes {
            return s
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Whether any form of any secret stands in `s`.
    public func holdsSecret(_ s: String) -> Bool {
        guard !forms.isEmpty else { return false }
        return mask(s) != s
    }

    /// Every place a form stands, as byte ranges, overlapping ones merged;
    /// nil when there is none.
    func matches(in h: UnsafeBufferPointer<UInt8>) -> [Range<Int>]? {
        var found: [Range<Int>]?
        var i = 0
        let n = h.count
        while i < n {
            let b = Int(h[i])
            var k = bucketStart[b]
            let end = bucketStart[b + 1]
            while k < end {
                let f = forms[bucketItems[k]]
                if f.count <= n - i, Self.equal(h, i, f, 0, f.count) {
                    let r = i..<(i + f.count)
                    if let last = found?.last, last.upperBound > r.lowerBound {
                        found![found!.count - 1] = last.lowerBound..<max(last.upperBound, r.upperBound)
                    } else {
                        found = (found ?? []) + [r]
                    }
                    break
                }
                k += 1
            }
            i += 1
        }
        return found
    }

    func replaced(_ h: UnsafeBufferPointer<UInt8>, _ ranges: [Range<Int>]?) -> [UInt8]? {
        guard let ranges else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(h.count)
        var at = 0
        for r in ranges {
            out += h[at..<r.lowerBound]
            out += [42, 42, 42]
            at = r.upperBound
        }
        out += h[at...]
        return out
    }

    @inline(__always)
    static func equal(_ h: UnsafeBufferPointer<UInt8>, _ at: Int, _ f: [UInt8], _ from: Int, _ count: Int) -> Bool {
        var j = 0
        while j < count {
            if h[at + j] != f[from + j] { return false }
            j += 1
        }
        return true
    }

    // MARK: - Split over two lines

    /// Where a form of at least `minimumPiece` bytes starts at the end of
    /// `head` (without its line ending) and goes on at the start of `next`:
    /// the offset in `head` and the length in `next` to mask, widest over
    /// every form; nil when none does.
    func split(_ head: [UInt8], _ next: [UInt8]) -> (cut: Int, rest: Int)? {
        guard !forms.isEmpty, !head.isEmpty else { return nil }
        var best: (cut: Int, rest: Int)?
        head.withUnsafeBufferPointer { h in
            for p in max(0, h.count - maxLength + 1)..<h.count {
                let k = h.count - p
                for idx in bucketItems[bucketStart[Int(h[p])]..<bucketStart[Int(h[p]) + 1]] {
                    let f = forms[idx]
                    guard f.count >= Self.minimumPiece, f.count > k, f.count - k <= next.count,
                          Self.equal(h, p, f, 0, k), next[0..<(f.count - k)].elementsEqual(f[k...]) else { continue }
                    best = (min(best?.cut ?? p, p), max(best?.rest ?? 0, f.count - k))
                }
            }
        }
        return best
    }

    /// The length of the longest start of a form (of at least
    /// `minimumPiece` bytes) that `line` ends with; 0 when none.
    func startAtEnd(_ line: [UInt8]) -> Int {
        guard !forms.isEmpty, !line.isEmpty else { return 0 }
        return line.withUnsafeBufferPointer { h in
            for p in max(0, h.count - maxLength + 1)..<h.count {
                let k = h.count - p
                for idx in bucketItems[bucketStart[Int(h[p])]..<bucketStart[Int(h[p]) + 1]] {
                    let f = forms[idx]
                    if f.count >= Self.minimumPiece, f.count > k, Self.equal(h, p, f, 0, k) { return k }
                }
            }
            return 0
        }
    }
}

/// Masks a stream of lines, including a secret that the stream splits over
/// two lines (a program that wraps its output, a token printed in two
/// halves, `base64` wrapping at 76 columns), with LF or CRLF endings and at
/// any point: a line that ends with the start of a secret is held back
/// until the next line shows whether the rest follows, and the rest is
/// masked whenever it comes. A start of 4 bytes or more is rare in ordinary
/// text and is held until the next line; a start of 1 to 3 bytes is common,
/// so such a line is held only briefly (`release`): a program writes both
/// halves of a token together. A secret spread over three lines is beyond
/// this masker.
public struct LineMasker {
    package let masker: Masker
    /// The last line fed, raw: shown already, or held (`pending`).
    var previous: [UInt8]?
    var pending: (line: String, since: Double, short: Bool)?

    /// Shorter starts are too common in ordinary text to hold a line for long.
    static let minimumPrefix = Masker.minimumPiece

    public init(_ masker: Masker) { self.masker = masker }

    /// The lines ready to show, masked. `now` (seconds, any clock) dates a
    /// line held for `release`.
    public mutating func feed(_ raw: String, now: Double = 0) -> [String] {
        var line = raw
        var out: [String] = []
        let bytes = Array(raw.utf8)
        if let before = previous {
            let head = before.last == 13 ? Array(before.dropLast()) : before
            if let (cut, rest) = masker.split(head, bytes) {
                line = "***" + String(decoding: bytes[rest...], as: UTF8.self)
                if pending != nil {
                    pending!.line = String(decoding: head[..<cut], as: UTF8.self) + "***" + (before.last == 13 ? "\r" : "")
                }
            }
        }
        if let held = pending {
            pending = nil
            out.append(masker.mask(held.line))
        }
        previous = masker.isEmpty ? nil : bytes
        let tail = bytes.last == 13 ? Array(bytes.dropLast()) : bytes
        let start = masker.startAtEnd(tail)
        if start > 0 {
            pending = (line, now, start < Self.minimumPrefix)
        } else {
            out.append(masker.mask(line))
        }
        return out
    }

    /// A line held for a short start (1 to 3 bytes) since `seconds` before
    /// `now`, shown now so that output is never held up for long; the rest
    /// of the secret is still masked if it comes.
    public mutating func release(now: Double, after seconds: Double = 1) -> [String] {
        guard let held = pending, held.short, now - held.since >= seconds else { return [] }
        pending = nil
        return [masker.mask(held.line)]
    }

    /// The held line, at the end of the stream.
    public mutating func finish() -> [String] {
        defer {
            pending = nil
            previous = nil
        }
        return pending.map { [masker.mask($0.line)] } ?? []
    }
}

extension String {
    func containsBytesDynamic(_ needle: String) -> Bool {
        var hay = self
        var n = needle
        return hay.withUTF8 { h in
            n.withUTF8 { nb in
                guard nb.count <= h.count, let first = nb.first else { return false }
                for i in 0...(h.count - nb.count) where h[i] == first {
                    if (1..<nb.count).allSatisfy({ h[i + $0] == nb[$0] }) { return true }
                }
                return false
            }
        }
    }
}
