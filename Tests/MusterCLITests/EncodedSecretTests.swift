import Foundation
import MusterTestSupport
import Testing

/// Secrets in the forms Muster itself gives them (a URL's percent-encoding,
/// a JSON body's escapes) and the forms a step or a server gives them back
/// (base64, JSON again), checked end to end with real servers on 127.0.0.1:
/// none reaches the screen, a file of the run, `muster log`, `muster trace`
/// or an OTLP collector, and none follows a redirect to another port.
@Suite("Secrets are masked in every encoding")
struct EncodedSecretTests {
    /// An AWS-style key: `/`, `+` and `=` are percent-encoded in a URL.
    static let key = "AKIA/q+Zr9=wJalrXUtnFEMI/K7MDENG+bPxRfiCY"
    /// A password with quotes and a backslash: JSON-escaped in a body.
    static let password = #"pa"ss\w0rd-"quoted"-4711"#

    static func runbook(_ steps: String) -> String {
        """
        muster: 1
        name: enc
        title: Encoded secrets
        secrets:
          API_KEY: {env: API_KEY}
          DB_PASSWORD: {env: DB_PASSWORD}
        steps:
        \(steps)
        """
    }

    static var env: [String: String] { ["API_KEY": key, "DB_PASSWORD": password] }

    /// Every form that must never be seen, made by encoders other than the
    /// masker's: Foundation's and Python's.
    static func forms(_ secret: String) throws -> [String] {
        let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
        let percent = secret.addingPercentEncoding(withAllowedCharacters: unreserved)!
        let json = String(decoding: try JSONEncoder().encode(secret), as: UTF8.self).dropFirst().dropLast()
        let plainJSON = json.replacingOccurrences(of: "\\/", with: "/")
        let twice = String(decoding: try JSONEncoder().encode(plainJSON), as: UTF8.self).dropFirst().dropLast()
        let base64 = Data(secret.utf8).base64EncodedString().prefix(secret.utf8.count / 3 * 4)
        var forms = [secret, percent, percent.lowercased(), String(json), plainJSON, String(twice), String(base64),
                     base64.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")]
        if secret == key {
            // `tok=KEY` in base64 wrapped at 40 columns: the characters of
            // the key alone on either side of the line break.
            let wrapped = Array(Data(("tok=" + secret).utf8).base64EncodedString())
            forms += [String(wrapped[6..<40]), String(wrapped[40..<60])]
        }
        return forms
    }

    static func assertNoForm(_ text: String, _ place: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        for secret in [key, password] {
            for form in try forms(secret) where text.contains(form) {
                Issue.record("\(form) found in \(place): \(text.prefix(3000))", sourceLocation: sourceLocation)
            }
        }
    }

    @Test func aSecretInAURLAndOneInAJSONBodyNeverAppearInAnyForm() throws {
        let server = try HTTPTestServer()
        let receiver = try OTLPReceiver()
        let s = try Sandbox(["enc": Self.runbook("""
          - id: get
            title: Look the key up
            http:
              url: "\(server.base)/status/200/?key=${API_KEY}"
          - id: post
            title: Post the password (the server echoes it back)
            http:
              method: POST
              url: "\(server.base)/echo/${API_KEY}"
              body: '{"user": "ops", "password": "${DB_PASSWORD}"}'
          - id: wait
            title: Wait for the key
            wait: {http: {url: "\(server.base)/status/200/?k=${API_KEY}"}, every: 1s, timeout: 10s}
          - id: encode
            title: A step encodes them itself
            run: |
              printf '%s\\n' "$API_KEY" | base64
              printf 'tok=%s' "$API_KEY" | base64 -w 40
              printf '%s' "$DB_PASSWORD" | python3 -c 'import json, sys; print(json.dumps(sys.stdin.read()))'
              python3 -c 'import os, urllib.parse; print(urllib.parse.quote(os.environ["API_KEY"], safe=""))'
              printf '%s\\r\\n' "${API_KEY:0:2}" "${API_KEY:2}"
        """)])
        var env = Self.env
        env["OTEL_EXPORTER_OTLP_ENDPOINT"] = receiver.base
        let r = try s.run(["run", "enc", "--yes"], env: env)
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        // The steps really carried the secrets (so this test can fail):
        // the echo holds the escaped password, the screen its mask.
        #expect(r.stdout.contains("GET \(server.base)/status/200/?key=***"), "\(r.stdout)")
        #expect(r.stdout.contains("POST \(server.base)/echo/***"), "\(r.stdout)")
        #expect(r.stdout.contains(#""password\": \"***\""#) || r.stdout.contains(#"\"password\\\": \\\"***\\\""#), "\(r.stdout)")
        try Self.assertNoForm(r.stdout + r.stderr, "the screen")
        let files = try s.stateFiles()
        #expect(files.contains { $0.0.hasSuffix("journal.jsonl") })
        for (name, text) in files { try Self.assertNoForm(text, name) }
        let id = try #require(try FileManager.default.contentsOfDirectory(atPath: s.dir + "/.muster/runs").sorted().last)
        for args in [["log", id], ["log", id, "--json"], ["trace", id]] {
            let out = try s.run(args)
            #expect(out.status == 0, "\(args): \(out.stderr)")
            if args.contains("--json") { #expect(out.stdout.contains("***"), "the journal holds the masked output") }
            try Self.assertNoForm(out.stdout + out.stderr, "muster \(args.joined(separator: " "))")
        }
        let exported = try receiver.requests()
        #expect(exported.count == 1, "the run exports its trace when it ends")
        for request in exported { try Self.assertNoForm(request["raw"] as? String ?? "", "the OTLP export") }
    }

    @Test func a307ToAnotherPortReceivesNothingOfAnEscapedSecret() throws {
        let other = try Recorder()
        let reposting = try Recorder(redirect: (307, other.base))
        let moving = try Recorder(redirect: (302, other.base))
        let s = try Sandbox(["enc": Self.runbook("""
          - id: post
            title: Post the password
            http:
              method: POST
              url: "\(reposting.base)/post"
              body: '{"password": "${DB_PASSWORD}"}'
            on_failure: continue
          - id: probe
            title: Wait with the password
            wait: {http: {method: POST, url: "\(reposting.base)/probe", body: '{"p": "${DB_PASSWORD}"}'}, every: 1s, timeout: 2s}
            on_failure: continue
          - id: get
            title: A key in the address, sent on in the Location
            http:
              url: "\(moving.base)/get?key=${API_KEY}"
            on_failure: continue
        """)])
        let r = try s.run(["run", "enc", "--yes"], env: Self.env)
        #expect(r.status == 1, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("the request body holds a secret, so it was not sent there"), "\(r.stdout)")
        #expect(r.stdout.contains("at an address that holds a secret, so it was not followed"), "\(r.stdout)")
        // The hosts the runbook names got the secrets, escaped (so this test can fail)...
        let escaped = #"pa\"ss\\w0rd-\"quoted\"-4711"#
        #expect(try reposting.requests().map(\.body).contains { $0.contains(escaped) })
        #expect(try moving.requests().first?.path.contains("AKIA%2Fq%2BZr9%3DwJ") == true)
        // ...the other port nothing at all.
        let there = try other.requests()
        #expect(there.isEmpty, "\(there.map(\.all))")
        try Self.assertNoForm(r.stdout + r.stderr, "the screen")
    }
}
