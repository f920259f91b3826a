import Foundation
@testable import MusterBasics
@testable import MusterFormat
@testable import MusterEngine
@testable import MusterTesting
import MusterTestSupport
import Testing

/// A web service that answers by path as Tests/MusterTestSupport/server.py
/// does (`/json`, `/headers`, `/ok`, `/status/N`, `/garbage`, a POST with
/// 201), and keeps each request it was sent.
final class FakeSite: HTTPTransport {
    struct Request {
        var method: String, url: String, headers: [(name: String, value: String)], body: String?, timeout: Double, confidential: Confidential
    }
    var requests: [Request] = []

    func send(method: String, url: String, headers: [(name: String, value: String)], body: String?, timeout: Double,
              confidential: Confidential, onSignal: @escaping (Signal) -> Bool) throws(HTTPFailure) -> HTTPReply {
        requests.append(Request(method: method, url: url, headers: headers, body: body, timeout: timeout, confidential: confidential))
        let address = url.components(separatedBy: "://").last ?? url
        let path = address.firstIndex(of: "/").map { String(address[$0...]) } ?? "/"
        if method == "POST" { return HTTPReply(status: 201, body: #"{"method": "POST"}"#, seconds: 0.01) }
        switch path {
        case "/json": return HTTPReply(status: 200, body: #"{"cluster": {"arn": "arn:aws:eks:1", "tags": [1, {"team": "platform"}]}}"#, seconds: 0.01)
        case "/headers":
            let fields = headers.map { #""\#($0.name.lowercased())": "\#($0.value)""# }.joined(separator: ", ")
            return HTTPReply(status: 200, body: "{\(fields)}", seconds: 0.01)
        case "/ok": return HTTPReply(status: 200, body: "ok", seconds: 0.01)
        case "/garbage": return HTTPReply(status: 200, body: "\u{FF}{not json", seconds: 0.01)
        case "/slow": throw HTTPFailure(message: "Operation timed out after \(Int(timeout * 1000)) milliseconds with 0 bytes received")
        default:
            if path.hasPrefix("/status/"), let status = Int(path.dropFirst(8)) { return HTTPReply(status: status, body: "status \(status)", seconds: 0.01) }
            return HTTPReply(status: 404, body: "not found", seconds: 0.01)
        }
    }
}

/// `http` steps and HTTP waits, in-process against a site that answers by
/// path: the status and body checked, JSON outputs captured and used in
/// later headers and bodies, a secret in a header sent and never shown,
/// and the words of each failure. Curl's own words (a refused connection,
/// a request too slow) and a secret through the real binary are
/// HTTPStepTests'.
@Suite("http steps and HTTP waits, in-process")
struct HTTPStepEngineTests {
    static let base = "http://127.0.0.1:8080"

    func run(_ yaml: String, params: [String: String] = [:], secrets: [String: String] = [:], clock: FakeClock = FakeClock()) throws -> (RunOutcome, FakeSite, FakeConsole, MemoryJournal) {
        let rb = try loadRunbook(yaml, name: "h")
        let site = FakeSite(), console = FakeConsole([]), journal = MemoryJournal()
        let e = executor(rb, journal: journal, console: console, runner: FakeRunner(), yes: true, secrets: secrets, clock: clock, params: params)
        e.http = site
        return (e.execute(resumed: false), site, console, journal)
    }

    @Test func anHTTPStepChecksStatusAndBodyAndCapturesJSONOutputs() throws {
        let secret = "bearer-secret-42"
        let (outcome, site, console, journal) = try run(FeatureRunbooks.httpSteps(base: Self.base), params: ["base": Self.base], secrets: ["API_TOKEN": secret])
        #expect(outcome == .completed, "\(console.text)")
        #expect(console.shown.contains { if case .command("GET \(Self.base)/json") = $0 { true } else { false } }, "\(console.text)")
        #expect(console.plain.contains("poll 1: ok (200)"), "\(console.text)")
        let finished = journal.events.first { $0.event == .stepFinished && $0.step == "cluster" }
        #expect(finished?.outputs == ["arn": "arn:aws:eks:1", "team": "platform"])
        // The outputs went on into the next requests, the secret into its header only.
        let headers = try #require(site.requests.first { $0.url.hasSuffix("/headers") })
        #expect(headers.headers.first { $0.name == "Authorization" }?.value == "Bearer \(secret)")
        #expect(headers.headers.first { $0.name == "X-Team" }?.value == "platform")
        #expect(headers.confidential.headers == ["authorization"])
        let post = try #require(site.requests.first { $0.method == "POST" })
        #expect(post.body == #"{"text": "arn:aws:eks:1"}"#)
        #expect(!console.text.contains(secret))
        #expect(!"\(journal.events)".contains(secret))
    }

    @Test func wrongStatusTimeoutsGarbageAndAWaitThatNeverPassesFailWithClearMessages() throws {
        let clock = FakeClock()
        let (outcome, site, console, journal) = try run("""
        muster: 1
        name: h
        title: HTTP failures
        steps:
          - id: status
            title: Expect 200
            http: {url: "\(Self.base)/status/503", status: 200}
            on_failure: continue
          - id: slow
            title: Too slow
            http: {url: "\(Self.base)/slow"}
            timeout: 1s
            on_failure: continue
          - id: garbage
            title: Garbage instead of JSON
            http: {url: "\(Self.base)/garbage"}
            outputs:
              x: {json: a.b}
            on_failure: continue
          - id: never
            title: Never healthy
            wait:
              http: {url: "\(Self.base)/status/500"}
              every: 1s
              timeout: 2s
            on_failure: continue
        """, clock: clock)
        guard case .failed = outcome else { Issue.record("four failed steps fail the run: \(outcome)\n\(console.text)"); return }
        #expect(console.plain.contains("answered 503, expected 200"), "\(console.text)")
        #expect(console.plain.contains("Operation timed out"), "\(console.text)")
        #expect(site.requests.first { $0.url.hasSuffix("/slow") }?.timeout == 1, "the step's timeout is the request's")
        #expect(console.plain.contains("its response has no value for 'x'"), "\(console.text)")
        #expect(console.plain.contains("waited 2s and the check never passed (last: answered 500, expected 2xx)"), "\(console.text)")
        // The wait polled at 0, 1 and 2 s of the test's clock, then gave up.
        #expect(site.requests.filter { $0.url.hasSuffix("/status/500") }.count == 3)
        let failed = journal.events.filter { $0.event == .stepFinished && $0.outcome == "failed" }
        #expect(failed.map(\.step) == ["status", "slow", "garbage", "never"])
    }
}
