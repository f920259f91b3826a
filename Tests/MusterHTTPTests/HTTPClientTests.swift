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
