import Foundation
import MusterHTTP
import MusterTestSupport
import Testing

@Suite("libcurl client against a real server on 127.0.0.1")
struct HTTPClientTests {
    @Test func getsABodyAndStatus() throws {
        let server = try HTTPTestServer()
        let r = try HTTPClient().perform(HTTPRequest(url: server.base + "/ok"))
        #expect(r.status == 200)
        #expect(r.text == "ok")
        let missing = try HTTPClient().perform(HTTPRequest(url: server.base + "/nope"))
        #expect(missing.status == 404)
    }

    @Test func postsABodyWithHeaders() throws {
        let server = try HTTPTestServer()
        let r = try HTTPClient().perform(HTTPRequest(method: "POST", url: server.base + "/hook", headers: [("Content-Type", "application/json"), ("X-Token", "t")], body: Array(#"{"text":"hi"}"#.utf8)))
        #expect(r.status == 201)
        let echo = try JSONSerialization.jsonObject(with: Data(r.body)) as? [String: Any]
        #expect(echo?["body"] as? String == #"{"text":"hi"}"#)
        #expect((echo?["headers"] as? [String: String])?["x-token"] == "t")
    }

    @Test func returnsTheFinalResponsesHeaders() throws {
        let server = try HTTPTestServer()
        // Not followed: the redirect's own Location is returned.
        let r = try HTTPClient().perform(HTTPRequest(url: server.base + "/redirect", maxRedirects: 0))
        #expect(r.status == 302)
        #expect(r.header("location") == "/ok")
        #expect(r.header("Content-Length") == "0")
        // Followed: only the last response's headers.
        let followed = try HTTPClient().perform(HTTPRequest(url: server.base + "/redirect"))
        #expect(followed.header("Location") == nil)
        #expect(followed.header("Content-Type") == "text/plain")
    }

    @Test func followsRedirectsButNotForever() throws {
        let server = try HTTPTestServer()
        #expect(try HTTPClient().perform(HTTPRequest(url: server.base + "/redirect")).text == "ok")
        #expect {
            try HTTPClient().perform(HTTPRequest(url: server.base + "/loop", maxRedirects: 3))
        } throws: { error in
            (error as? HTTPError)?.message.contains("Maximum (3) redirects followed") == true
        }
    }

    /// The session a login sets goes with its redirect (the last value of
    /// a name wins, beside the request's own cookies), as a browser sends it.
    @Test func cookiesSetOnTheWayGoWithTheRedirectToTheSameOrigin() throws {
        let server = try HTTPTestServer()
        let r = try HTTPClient().perform(HTTPRequest(url: server.base + "/login", headers: [("Cookie", "theme=dark; SESSION=old")]))
        let seen = try JSONSerialization.jsonObject(with: Data(r.body)) as? [String: String]
        #expect(seen?["cookie"] == "theme=dark; SESSION=ops")
    }

    @Test func aRefusedConnectionSaysSoInLibcurlsWords() throws {
        let port = try HTTPTestServer().port  // started and stopped: nothing listens there now
        #expect {
            try HTTPClient().perform(HTTPRequest(url: "http://127.0.0.1:\(port)/ok", connectTimeout: 2, timeout: 2))
        } throws: { error in
            let m = (error as? HTTPError)?.message ?? ""
            return m.hasPrefix("GET http://127.0.0.1:\(port)/ok failed: Failed to connect to 127.0.0.1 port \(port)")
        }
    }

    @Test func aHangingServerIsCutOffAtTheTimeout() throws {
        let server = try HTTPTestServer()
        // The server answers after 5 s; a 1 s limit must end the exchange as a timeout.
        #expect {
            try HTTPClient().perform(HTTPRequest(url: server.base + "/slow", timeout: 1))
        } throws: { error in
            (error as? HTTPError)?.message.contains("Operation timed out") == true
        }
    }

    @Test func anAbortRequestStopsTheExchange() throws {
        let server = try HTTPTestServer()
        #expect {
            try HTTPClient().perform(HTTPRequest(url: server.base + "/slow", timeout: 10)) { true }
        } throws: { error in
            (error as? HTTPError)?.aborted == true
        }
    }

    @Test func onlyHTTPAndHTTPSAreSpoken() throws {
        #expect {
            try HTTPClient().perform(HTTPRequest(url: "file:///etc/passwd"))
        } throws: { error in
            (error as? HTTPError)?.message.contains("file:///etc/passwd failed") == true
        }
    }
}

/// Redirects are followed by Muster, not libcurl, so that what is sent to
/// another host is decided here: headers and bodies holding a secret stay
/// with the host the runbook names.
@Suite("redirects to another host")
struct RedirectTests {
    static let key = "k3y-SECRET-value-0042"

    @Test func aRedirectToAnotherHostDropsSecretHeadersAndCredentials() throws {
        let other = try Recorder()
        let first = try Recorder(redirect: (302, other.base))
        let r = try HTTPClient().perform(HTTPRequest(url: first.base + "/x", headers: [
            ("X-Api-Key", Self.key), ("Authorization", "Bearer \(Self.key)"), ("Cookie", "s=\(Self.key)"), ("X-Plain", "plain"),
        ], confidentialHeaders: ["x-api-key"]))
        #expect(r.status == 200)
        // The first host got everything (the test could fail)...
        #expect(try first.requests().first?.headers["x-api-key"] == Self.key)
        // ...the other one the request, without anything secret.
        let there = try other.requests()
        #expect(there.count == 1)
        #expect(there.first?.path == "/x")
        #expect(there.first?.headers["x-plain"] == "plain")
        #expect(there.allSatisfy { !$0.all.contains(Self.key) }, "\(there.map(\.all))")
    }

    @Test func aRedirectOnTheSameHostKeepsTheHeaders() throws {
        let server = try Recorder()
        let r = try HTTPClient().perform(HTTPRequest(url: server.base + "/same/x", headers: [("X-Api-Key", Self.key)], confidentialHeaders: ["x-api-key"]))
        #expect(r.status == 200)
        let seen = try server.requests()
        #expect(seen.map(\.path) == ["/same/x", "/x"])
        #expect(seen.allSatisfy { $0.headers["x-api-key"] == Self.key })
    }

    @Test func aBodyHoldingASecretIsNeverPostedAgainToAnotherHost() throws {
        let other = try Recorder()
        let first = try Recorder(redirect: (307, other.base))
        #expect {
            try HTTPClient().perform(HTTPRequest(method: "POST", url: first.base + "/x", body: Array("token=\(Self.key)".utf8), confidentialBody: true))
        } throws: { error in
            let m = (error as? HTTPError)?.message ?? ""
            return m.contains("307") && m.contains(other.base) && m.contains("not sent")
        }
        #expect(try first.requests().first?.body == "token=\(Self.key)")
        #expect(try other.requests().isEmpty)
        // A body without a secret follows a 307 as HTTP says: same method, same body.
        let r = try HTTPClient().perform(HTTPRequest(method: "POST", url: first.base + "/y", body: Array("plain".utf8)))
        #expect(r.status == 200)
        #expect(try other.requests().map { "\($0.method) \($0.path) \($0.body)" } == ["POST /y plain"])
    }

    @Test func aPostRedirectedWith302or303BecomesAGetWithoutItsBody() throws {
        let other = try Recorder()
        let first = try Recorder(redirect: (303, other.base))
        _ = try HTTPClient().perform(HTTPRequest(method: "POST", url: first.base + "/x", body: Array("token=\(Self.key)".utf8), confidentialBody: true))
        #expect(try other.requests().map { "\($0.method) \($0.path) \($0.body)" } == ["GET /x "])
    }

    @Test func anOriginIsSchemeHostAndPort() {
        #expect(HTTPClient.origin("https://example.com/a") == HTTPClient.origin("https://EXAMPLE.com:443/b?c"))
        #expect(HTTPClient.origin("https://example.com/") != HTTPClient.origin("http://example.com/"))
        #expect(HTTPClient.origin("http://127.0.0.1:1/") != HTTPClient.origin("http://127.0.0.1:2/"))
        #expect(HTTPClient.origin("http://a@example.com/") == HTTPClient.origin("http://example.com/"))
        #expect(HTTPClient.origin("http://example.com/") != HTTPClient.origin("http://example.com.evil.net/"))
        #expect(HTTPClient.origin("not a url") == nil)
    }
}
