import Foundation
@testable import MusterBasics
@testable import MusterFormat
@testable import MusterEngine
@testable import MusterTesting
import MusterYAML
import Testing

/// `{{ name }}` references found in `raw`, as the scanner would place them.
func field(_ raw: String) -> Template {
    let b = Array(raw.utf8)
    var refs: [Template.Reference] = []
    var i = 0
    while i + 1 < b.count {
        if b[i] == UInt8(ascii: "{"), b[i + 1] == UInt8(ascii: "{"), let close = (i + 2..<b.count - 1).first(where: { b[$0] == UInt8(ascii: "}") && b[$0 + 1] == UInt8(ascii: "}") }) {
            let name = String(decoding: b[(i + 2)..<close], as: UTF8.self).trimmingCharacters(in: .whitespaces)
            refs.append(.init(name: name, mark: Mark(line: 1, column: 1), range: i..<(close + 2)))
            i = close + 2
        } else {
            i += 1
        }
    }
    return Template(raw: raw, mark: Mark(line: 1, column: 1), references: refs)
}

@Suite("values encoded for where they land in http and ci fields")
struct FieldEncodingTests {
    let secrets = ["PW": "p@ss:w/rd", "KEY": "k3y"]

    func url(_ raw: String, _ values: [String: String]) -> String? { try? field(raw).expandURL(values, secrets: secrets) }

    @Test func urls() {
        // Path, query and fragment: percent-encoded.
        #expect(url("https://h/a/{{ v }}?q={{ v }}#{{ v }}", ["v": "x/y?z=1&w#"]) == "https://h/a/x%2Fy%3Fz%3D1%26w%23?q=x%2Fy%3Fz%3D1%26w%23#x%2Fy%3Fz%3D1%26w%23")
        // A dot segment would climb the path: encoded whole.
        #expect(url("https://h/a/{{ v }}/b", ["v": ".."]) == "https://h/a/%2E%2E/b")
        #expect("..".percentEncoded() == "%2E%2E" && "v1.2".percentEncoded() == "v1.2")
        // Host: a host name, or refused.
        #expect(url("https://{{ r }}.api.example.com/x", ["r": "eu-north-1"]) == "https://eu-north-1.api.example.com/x")
        #expect(url("http://{{ h }}:{{ p }}/", ["h": "db.internal", "p": "8080"]) == "http://db.internal:8080/")
        for hostile in ["a@evil", "evil.com/x?", "a:1", "a b", "", "evil.com#"] {
            #expect(url("https://{{ h }}/x", ["h": hostile]) == nil, "\(hostile)")
        }
        // User info before the runbook's own `@`: percent-encoded, the host stays.
        #expect(url("https://bot:${PW}@ci.internal/x", [:]) == "https://bot:p%40ss%3Aw%2Frd@ci.internal/x")
        // The start of the URL: an origin, without user info.
        #expect(url("{{ base }}/healthz", ["base": "https://api.example.com:8443/v1"]) == "https://api.example.com:8443/v1/healthz")
        #expect(url("{{ base }}", ["base": "http://127.0.0.1:1"]) == "http://127.0.0.1:1")
        for hostile in ["http://a:1@evil:2", "http://evil x", "ja va://x", "http://a\r\nb"] {
            #expect(url("{{ base }}/x", ["base": hostile]) == nil, "\(hostile)")
        }
        // ...and only a host piece when the runbook's text goes on with the host.
        #expect(url("{{ sub }}.example.com/x", ["sub": "evil.com/x?"]) == nil)
        #expect(url("{{ sub }}.example.com/x", ["sub": "eu"]) == "eu.example.com/x")
        // A secret's name in a value stays text.
        #expect(url("https://h/{{ v }}", ["v": "${KEY}"]) == "https://h/%24%7BKEY%7D")
    }

    @Test func headers() throws {
        #expect(try field("Bearer ${KEY} {{ t }}").expandHeader("Authorization", ["t": "x"], secrets: secrets) == "Bearer k3y x")
        for hostile in ["a\r\nX-Injected: yes", "a\nb", "a\rb", "a\u{0}b"] {
            #expect(throws: FieldError.self) { try field("{{ t }}").expandHeader("X-Team", ["t": hostile], secrets: secrets) }
        }
        // The message names the header and the template, never the value.
        do {
            _ = try field("{{ t }}").expandHeader("X-Team", ["t": "sec\nret"], secrets: secrets)
        } catch {
            #expect(error.message == "header X-Team: the value of {{ t }} holds a line break, which would start another header; it was not sent")
        }
        #expect(throws: FieldError.self) { try field("${KEY}").expandHeader("X", [:], secrets: ["KEY": "a\r\nb"]) }
    }

    @Test func jsonBodies() throws {
        let hostile = #"x", "admin": true, "y": "\"#
        let out = field(#"{"a": "{{ v }}", "b": {{ v }}, "c": "q\"{{ v }}", "d": ["{{ v }}"], "k": "${KEY}"}"#)
            .expandJSON(["v": hostile], secrets: secrets)
        let j = try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any]
        #expect(j?.keys.sorted() == ["a", "b", "c", "d", "k"], "\(out)")
        #expect(j?["a"] as? String == hostile)
        #expect(j?["b"] as? String == hostile)
        #expect(j?["c"] as? String == "q\"" + hostile)
        #expect(j?["k"] as? String == "k3y")
        #expect(field(#"{"a": 1}"#).isJSONBody(contentType: nil))
        #expect(field(" [1]").isJSONBody(contentType: nil))
        #expect(!field("a=1").isJSONBody(contentType: nil))
        #expect(field("a=1").isJSONBody(contentType: "application/vnd.api+json"))
        #expect(!field(#"{"a": 1}"#).isJSONBody(contentType: "text/plain"))
    }

    @Test func chatText() {
        #expect(chatEscaped("<!channel> <http://evil|ok> & done") == "&lt;!channel&gt; &lt;http://evil|ok&gt; &amp; done")
    }
}
