import Foundation
import MusterTestSupport
import Testing

/// Values are data in http and ci fields, and secrets go only to the host
/// the runbook names: checked with real servers that record what reached them.
@Suite("http and ci fields: values are data, secrets stay with their host")
struct HTTPFieldTests {
    static let key = "k3y-SECRET-value-0042"

    static func runbook(_ steps: String, params: String = "") -> String {
        """
        muster: 1
        name: h
        title: HTTP fields
        params:
          base: {default: "http://127.0.0.1"}
        \(params)
        secrets:
          API_KEY: {env: API_KEY}
        steps:
        \(steps)
        """
    }

    @Test func aSecretHeaderOrBodyNeverFollowsARedirectToAnotherHost() throws {
        let other = try Recorder()
        let first = try Recorder(redirect: (302, other.base))
        let reposting = try Recorder(redirect: (307, other.base))
        let s = try Sandbox(["h": Self.runbook("""
          - id: get
            title: Get with a key
            http:
              url: "\(first.base)/get"
              headers: {X-Api-Key: "${API_KEY}", Authorization: "Bearer ${API_KEY}", X-Plain: plain}
          - id: post
            title: Post a key
            http:
              method: POST
              url: "\(reposting.base)/post"
              body: '{"key": "${API_KEY}"}'
            on_failure: continue
        """)])
        let r = try s.run(["run", "h", "--yes"], env: ["API_KEY": Self.key])
        #expect(r.status == 1, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("the request body holds a secret, so it was not sent there"))
        // The hosts the runbook names got the key (so this test can fail)...
        #expect(try first.requests().first?.headers["x-api-key"] == Self.key)
        #expect(try reposting.requests().first?.body.contains(Self.key) == true)
        // ...the other host got the GET, without it, and never the POST.
        let there = try other.requests()
        #expect(there.map(\.path) == ["/get"])
        #expect(there.first?.headers["x-plain"] == "plain")
        #expect(there.allSatisfy { !$0.all.contains(Self.key) }, "\(there.map(\.all))")
        #expect(!r.stdout.contains(Self.key))
    }

    @Test func aGitLabTokenNeverFollowsARedirectToAnotherHost() throws {
        let other = try Recorder()
        let first = try Recorder(redirect: (307, other.base))
        let s = try Sandbox(["deploy": """
        muster: 1
        name: deploy
        title: Redeploy
        secrets:
          GITLAB_TOKEN: {env: GITLAB_TOKEN}
        steps:
          - id: redeploy
            title: Redeploy through CI
            ci:
              provider: gitlab
              url: \(first.base)
              project: acme/platform
              ref: main
              token: GITLAB_TOKEN
            timeout: 3s
            on_failure: abort
        """])
        let r = try s.run(["run", "deploy", "--yes"], env: ["GITLAB_TOKEN": Self.key])
        #expect(r.status == 1)
        #expect(try first.requests().first?.headers["private-token"] == Self.key)
        let there = try other.requests()
        // The first request, the trigger's token (the newest pipeline on the ref), was redirected.
        #expect(there.first?.path == "/api/v4/projects/acme%2Fplatform/pipelines?ref=main&order_by=id&sort=desc&per_page=100")
        #expect(there.allSatisfy { !$0.all.contains(Self.key) }, "\(there.map(\.all))")
    }

    @Test func aValueWithALineBreakIsRefusedInAHeader() throws {
        let server = try Recorder()
        let s = try Sandbox(["h": Self.runbook("""
          - id: get
            title: Get
            http:
              url: "\(server.base)/get"
              headers: {X-Team: "{{ team }}"}
        """, params: "  team: {default: x}")])
        let r = try s.run(["run", "h", "--yes", "-p", "team=abc\r\nX-Injected: yes"], env: ["API_KEY": Self.key])
        #expect(r.status == 1)
        #expect(r.stdout.contains("header X-Team: the value of {{ team }} holds a line break"), "\(r.stdout)")
        #expect(!r.stdout.contains("X-Injected"))
        #expect(try server.requests().allSatisfy { $0.headers["x-injected"] == nil })
        #expect(try server.requests().isEmpty)
    }

    @Test func aValueInAJSONBodyCannotAddKeysNorBecomeASecret() throws {
        let server = try Recorder()
        let hostile = #"x", "admin": true, "y": "${API_KEY}"#
        let s = try Sandbox(["h": Self.runbook("""
          - id: post
            title: Post
            http:
              method: POST
              url: "\(server.base)/post"
              body: '{"name": "{{ name }}", "bare": {{ name }}, "list": [{{ name }}]}'
        """, params: "  name: {default: x}")])
        let r = try s.run(["run", "h", "--yes", "-p", "name=\(hostile)"], env: ["API_KEY": Self.key])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        let body = try server.requests().first?.body ?? ""
        let json = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]
        #expect(json?.keys.sorted() == ["bare", "list", "name"], "\(body)")
        #expect(json?["name"] as? String == hostile)
        #expect(json?["bare"] as? String == hostile)
        #expect(json?["list"] as? [String] == [hostile])
        #expect(!body.contains(Self.key))
    }

    @Test func aValueCannotMoveAURLToAnotherHost() throws {
        let real = try Recorder()
        let evil = try Recorder()
        let s = try Sandbox(["h": Self.runbook("""
          - id: host
            title: A value in the host
            http:
              url: "http://{{ host }}/x"
              headers: {X-Api-Key: "${API_KEY}"}
            on_failure: continue
          - id: origin
            title: A value for the whole origin
            http:
              url: "{{ base }}/x"
              headers: {X-Api-Key: "${API_KEY}"}
            on_failure: continue
          - id: path
            title: A value in the path and query
            http:
              url: "http://127.0.0.1:\(real.port)/items/{{ item }}?q={{ item }}"
          - id: dots
            title: A dot segment
            http:
              url: "http://127.0.0.1:\(real.port)/a/b/{{ dots }}/c"
        """, params: "  host: {default: x}\n  item: {default: x}\n  dots: {default: ..}")])
        let r = try s.run(["run", "h", "--yes",
                           "-p", "host=127.0.0.1:\(real.port)@127.0.0.1:\(evil.port)/steal?",
                           "-p", "base=http://127.0.0.1:\(real.port)@127.0.0.1:\(evil.port)",
                           "-p", "item=../../admin?x=1&y=2#f"], env: ["API_KEY": Self.key])
        #expect(r.status == 1)
        #expect(r.stdout.contains("url: {{ host }} stands in the URL's host"), "\(r.stdout)")
        #expect(r.stdout.contains("url: {{ base }} stands at the start of the URL"))
        #expect(try evil.requests().isEmpty)
        #expect(try real.requests().map(\.path) == ["/items/..%2F..%2Fadmin%3Fx%3D1%26y%3D2%23f?q=..%2F..%2Fadmin%3Fx%3D1%26y%3D2%23f", "/a/b/%2E%2E/c"])
    }
}

/// Server text is masked whole and only then shortened: a limit that cuts
/// a token in half must not show its first half.
@Suite("masking before truncation")
struct MaskBeforeCutTests {
    static let token = "glpat-SECRETSECRETSECRET0042"

    /// A GitLab step against a server answering `status` and `body`.
    func run(_ status: Int, _ body: String) throws -> (Result, Sandbox) {
        let server = try Recorder(reply: (status, body))
        let s = try Sandbox(["deploy": """
        muster: 1
        name: deploy
        title: Redeploy
        secrets:
          GITLAB_TOKEN: {env: GITLAB_TOKEN}
        steps:
          - id: redeploy
            title: Redeploy through CI
            ci: {provider: gitlab, url: "\(server.base)", project: acme/platform, ref: main, token: GITLAB_TOKEN}
            on_failure: abort
        """])
        return (try s.run(["run", "deploy", "--yes"], env: ["GITLAB_TOKEN": Self.token]), s)
    }

    @Test(arguments: [
        // ciSend keeps 200 characters of an error message.
        (400, #"{"message": "\#(String(repeating: "x", count: 190))\#(MaskBeforeCutTests.token)"}"#, "the CI server answered 400"),
        // ciParse keeps 80 characters of a body that is not JSON.
        (201, String(repeating: "y", count: 70) + MaskBeforeCutTests.token, "something that is not JSON"),
        // GitLab's answer without a pipeline id: 80 characters of it.
        (201, #"{"note": "\#(String(repeating: "z", count: 60))\#(MaskBeforeCutTests.token)"}"#, "not the JSON expected"),
    ])
    func aTokenCutInHalfByALimitIsStillMasked(status: Int, body: String, says: String) throws {
        let (r, s) = try run(status, body)
        #expect(r.status == 1)
        #expect(r.stdout.contains(says), "\(r.stdout)")
        let half = String(Self.token.prefix(8))
        #expect(!r.stdout.contains(half), "\(r.stdout)")
        for (name, text) in try s.stateFiles() { #expect(!text.contains(half), "in \(name)") }
    }
}

@Suite("chat messages")
struct ChatEscapeTests {
    @Test func serverTextReachesTheChatWebhookAsInertText() throws {
        let hook = try Recorder()
        let ci = try Recorder(reply: (400, #"{"message": "<!channel> see <http://evil.example|https://gitlab.com/ok> & <@U123>"}"#))
        let s = try Sandbox(["deploy": """
        muster: 1
        name: deploy
        title: Redeploy
        notify: {webhook: CHAT_HOOK}
        secrets:
          CHAT_HOOK: {env: CHAT_HOOK}
          GITLAB_TOKEN: {env: GITLAB_TOKEN}
        steps:
          - id: redeploy
            title: Redeploy through CI
            ci: {provider: gitlab, url: "\(ci.base)", project: acme/platform, ref: main, token: GITLAB_TOKEN}
            on_failure: abort
        """])
        let r = try s.run(["run", "deploy", "--yes"], env: ["GITLAB_TOKEN": "glpat-token-0042", "CHAT_HOOK": hook.base + "/hook"])
        #expect(r.status == 1)
        let texts = try hook.requests().map { req in
            (try? JSONSerialization.jsonObject(with: Data(req.body.utf8)) as? [String: String])?["text"] ?? ""
        }
        let failed = texts.first { $0.contains("run failed") } ?? ""
        #expect(failed.contains("&lt;!channel&gt; see &lt;http://evil.example|https://gitlab.com/ok&gt; &amp; &lt;@U123&gt;"), "\(texts)")
        #expect(!texts.contains { $0.contains("<") || $0.contains(">") })
    }
}
