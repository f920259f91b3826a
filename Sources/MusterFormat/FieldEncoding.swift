import MusterBasics

/// Expansion of `http` and `ci` fields, where a value must stay data in the
/// language of the place it lands: a URL, a header, a JSON body. `run`
/// scripts have their own expansion (shell quoting) in Template.swift.
///
/// Templates and `${SECRET}`s are expanded in one pass over the runbook's
/// text: a value that holds `${API_KEY}` stays that text and never becomes
/// the secret, and a secret is only ever placed where the runbook wrote it.

/// A field that cannot be sent safely. The message names the field and the
/// template, never the value.
public struct FieldError: Error, Sendable {
    public var message: String
}

extension Template {
    /// One piece of an expanded field.
    enum Piece {
        case literal(String)
        /// `{{ name }}` (`secret` false) or `${NAME}` (true), with its value.
        case value(name: String, text: String, secret: Bool)

        var text: String {
            switch self {
            case .literal(let s): s
            case .value(_, let s, _): s
            }
        }

        var label: String {
            switch self {
            case .literal: ""
            case .value(let n, _, let secret): secret ? "${\(n)}" : "{{ \(n) }}"
            }
        }
    }

    /// The field cut into the runbook's literal text, `{{ name }}` values,
    /// and `${NAME}` secrets found in the literal text only. A reference
    /// without a value stays as written, as `expand` leaves it.
    func pieces(_ values: [String: String], secrets: [String: String]) -> [Piece] {
        let bytes = Array(raw.utf8)
        var out: [Piece] = []
        func literal(_ b: ArraySlice<UInt8>) {
            var text = String(decoding: b, as: UTF8.self)[...]
            while let r = text.range(of: "${") {
                let after = text[r.upperBound...]
                guard let end = after.firstIndex(of: "}"), let value = secrets[String(after[..<end])] else {
                    out.append(.literal(String(text[..<r.upperBound])))
                    text = after
                    continue
                }
                out.append(.literal(String(text[..<r.lowerBound])))
                out.append(.value(name: String(after[..<end]), text: value, secret: true))
                text = after[after.index(after: end)...]
            }
            if !text.isEmpty { out.append(.literal(String(text))) }
        }
        var at = 0
        for r in references {
            literal(bytes[at..<r.range.lowerBound])
            if let v = values[r.name] {
                out.append(.value(name: r.name, text: v, secret: false))
            } else {
                out.append(.literal(String(decoding: bytes[r.range], as: UTF8.self)))
            }
            at = r.range.upperBound
        }
        literal(bytes[at...])
        return out
    }

    /// Plain text, for fields the caller encodes itself (a CI `ref` that goes
    /// into a JSON body through `JSON`, a job name percent-encoded per path
    /// segment).
    public func expandText(_ values: [String: String], secrets: [String: String]) -> String {
        pieces(values, secrets: secrets).map(\.text).joined()
    }

    /// A URL. A value in the path, query or fragment is percent-encoded, so
    /// it is one piece of data there; so is one in user info, before the
    /// runbook's own `@`. A value in the host part (after `://`) may hold
    /// only what a host name or port holds (letters, digits, `-`, `.`, `_`):
    /// it can never add user info (`@`), a port or a path that moves the
    /// request to another host. A value at the very start (`{{ base
    /// }}/healthz`) supplies the scheme and host by the runbook's design: it
    /// must be `scheme://host[:port]` followed by a path or nothing, without
    /// user info, and only when the runbook's text after it starts the path.
    public func expandURL(_ values: [String: String], secrets: [String: String], field: String = "url") throws(FieldError) -> String {
        let parts = pieces(values, secrets: secrets)
        var out: [UInt8] = []
        for (k, p) in parts.enumerated() {
            guard case .value = p else {
                out.append(contentsOf: p.text.utf8)
                continue
            }
            let v = Array(p.text.utf8)
            switch urlZone(out) {
            case .path:
                out.append(contentsOf: p.text.percentEncoded().utf8)
                continue
            case .authority:
                // Before the runbook's own `@`: user info (`https://bot:${PASSWORD}@ci`),
                // where percent-encoding keeps it user info.
                let authorityText = parts[(k + 1)...].lazy.filter { if case .literal = $0 { true } else { false } }.map(\.text).joined()
                if authorityText.prefix(while: { !"/?#".contains($0) }).contains("@") {
                    out.append(contentsOf: p.text.percentEncoded().utf8)
                    continue
                }
                guard !v.isEmpty, v.allSatisfy(isHostByte) else {
                    throw FieldError(message: "\(field): \(p.label) stands in the URL's host, and its value holds characters a host name cannot (only letters, digits, '-', '.' and '_' may stand there)")
                }
            case .start:
                let next = parts[(k + 1)...].lazy.map(\.text).first { !$0.isEmpty }?.utf8.first
                let startsPath = next == nil || "/?#".utf8.contains(next!)
                guard isOrigin(v, pathAllowed: startsPath) else {
                    throw FieldError(message: "\(field): \(p.label) stands at the start of the URL, and its value is not a plain scheme://host[:port] (no user info, no spaces\(startsPath ? "" : ", and nothing but the host since the runbook's text goes on with it"))")
                }
            }
            out.append(contentsOf: v)
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// A header value: refused when it holds a line break (or NUL), which
    /// would end the header and start another one.
    public func expandHeader(_ name: String, _ values: [String: String], secrets: [String: String]) throws(FieldError) -> String {
        let parts = pieces(values, secrets: secrets)
        for p in parts where p.text.utf8.contains(where: { $0 == 10 || $0 == 13 || $0 == 0 }) {
            let what = p.label.isEmpty ? "its text" : "the value of \(p.label)"
            throw FieldError(message: "header \(name): \(what) holds a line break, which would start another header; it was not sent")
        }
        return parts.map(\.text).joined()
    }

    /// A JSON body: a value inside a JSON string becomes that string's
    /// escaped content; a value outside any string becomes a whole JSON
    /// string. Either way it can add no key, element or structure.
    public func expandJSON(_ values: [String: String], secrets: [String: String]) -> String {
        var out = ""
        var inString = false
        var escaped = false
        for p in pieces(values, secrets: secrets) {
            guard case .value = p else {
                for b in p.text.utf8 {
                    if escaped { escaped = false } else if inString, b == UInt8(ascii: "\\") { escaped = true } else if b == UInt8(ascii: "\"") { inString.toggle() }
                }
                out += p.text
                continue
            }
            let quoted = JSON.string(p.text).serialized()
            out += inString ? String(quoted.dropFirst().dropLast()) : quoted
        }
        return out
    }

    /// Whether a body is JSON, so its values are JSON-encoded: its
    /// `Content-Type` says so, or it has none and its text starts with `{`
    /// or `[`.
    public func isJSONBody(contentType: String?) -> Bool {
        if let t = contentType { return t.lowercased().containsBytes("json") }
        guard let first = raw.utf8.first(where: { ![32, 9, 10, 13].contains($0) }) else { return false }
        return first == UInt8(ascii: "{") || first == UInt8(ascii: "[")
    }
}

enum URLZone { case start, authority, path }

/// Where text appended to `prefix` lands in the URL.
func urlZone(_ prefix: [UInt8]) -> URLZone {
    let ends: Set<UInt8> = [UInt8(ascii: "/"), UInt8(ascii: "?"), UInt8(ascii: "#")]
    var from = 0
    var sawScheme = false
    if prefix.count >= 3 {
        for i in 0...(prefix.count - 3) where prefix[i] == UInt8(ascii: ":") && prefix[i + 1] == UInt8(ascii: "/") && prefix[i + 2] == UInt8(ascii: "/") {
            from = i + 3
            sawScheme = true
            break
        }
    }
    if prefix[from...].contains(where: ends.contains) { return .path }
    return sawScheme ? .authority : (prefix.isEmpty ? .start : .authority)
}

private func isHostByte(_ b: UInt8) -> Bool {
    (b >= 48 && b <= 57) || (b >= 65 && b <= 90) || (b >= 97 && b <= 122) || b == UInt8(ascii: "-") || b == UInt8(ascii: ".") || b == UInt8(ascii: "_")
}

/// `scheme://host[:port]` (the scheme optional) and a path, query or
/// fragment, without spaces or control characters; only host characters
/// when the runbook's text after it goes on with the host (not `pathAllowed`).
private func isOrigin(_ v: [UInt8], pathAllowed: Bool) -> Bool {
    guard !v.isEmpty, !v.contains(where: { $0 <= 32 || $0 == 127 }) else { return false }
    // The runbook's text goes on with the host: the value is a piece of it.
    guard pathAllowed else { return v.allSatisfy(isHostByte) }
    var rest = v[...]
    if let i = v.indices.first(where: { v[$0] == UInt8(ascii: ":") && $0 + 2 < v.count && v[$0 + 1] == UInt8(ascii: "/") && v[$0 + 2] == UInt8(ascii: "/") }) {
        let scheme = v[..<i]
        guard let f = scheme.first, (f >= 65 && f <= 90) || (f >= 97 && f <= 122),
              scheme.allSatisfy({ isHostByte($0) || $0 == UInt8(ascii: "+") }) else { return false }
        rest = v[(i + 3)...]
    }
    let end = rest.firstIndex { "/?#".utf8.contains($0) } ?? rest.endIndex
    let authority = rest[..<end]
    return !authority.isEmpty && authority.allSatisfy { isHostByte($0) || "[]:".utf8.contains($0) }
}

/// Text for a Slack-compatible chat message: `&`, `<` and `>` escaped as
/// Slack asks, so that text from a server or a step is shown as written and
/// never becomes a mention (`<!channel>`, `<@U123>`) or a link whose label
/// hides where it goes (`<http://evil|https://good>`).
public func chatEscaped(_ text: String) -> String {
    var out = ""
    out.reserveCapacity(text.utf8.count)
    for u in text.unicodeScalars {
        switch u {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        default: out.unicodeScalars.append(u)
        }
    }
    return out
}

extension String {
    public func trimmingTrailingSlash() -> String {
        var s = self
        while s.hasSuffix("/") { s.removeLast() }
        return s
    }

    public func trimmingEdges(where drop: (Character) -> Bool) -> String {
        var s = Substring(self)
        while let f = s.first, drop(f) { s.removeFirst() }
        while let l = s.last, drop(l) { s.removeLast() }
        return String(s)
    }

    /// Percent-encodes everything but unreserved URL characters; `.` and
    /// `..` whole, too, which would otherwise be dot segments that climb the
    /// path (`/repos/../../admin`).
    public func percentEncoded() -> String {
        if self == "." || self == ".." { return String(repeating: "%2E", count: count) }
        var out = ""
        for b in utf8 {
            switch b {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(b))
            default:
                let h = String(b, radix: 16, uppercase: true)
                out += "%" + (h.count == 1 ? "0" + h : h)
            }
        }
        return out
    }
}
