import Foundation
@testable import MusterCLI
import MusterApp
import MusterEngine
import MusterFormat
import MusterTestSupport
import Testing

/// An `http` guard checked once through libcurl against a real server on
/// 127.0.0.1: it holds when the answer matches, and a guard that cannot be
/// checked (refused, too slow) is breached.
@Suite("Guards: one http check against a real server")
struct GuardHTTPCheckTests {
    func guards(_ list: String) throws -> [Guard] {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("muster-guard-http-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir + "/runbooks", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let yaml = "muster: 1\nname: t\ntitle: T\nparams: {base: {}}\nsecrets: {TOKEN: {}}\nguards:\n\(list)\nsteps:\n  - {id: s, title: S, run: 'true'}\n"
        try yaml.write(toFile: dir + "/runbooks/t.yaml", atomically: true, encoding: .utf8)
        let entry = Catalog(currentDirectory: dir, rootFinder: { _ in dir }).load(dir + "/runbooks/t.yaml")
        #expect(entry.diagnostics.isEmpty, "\(entry.diagnostics.map(\.message))")
        return entry.runbook?.guards ?? []
    }

    @Test func anHTTPGuardHoldsWhenTheAnswerMatchesAndIsBreachedWhenItCannotBeChecked() throws {
        let server = try HTTPTestServer()
        let list = try guards("""
          - {id: ok, title: OK, http: {url: "{{ base }}/ok", body_contains: ok}}
          - {id: head, title: Head, http: {url: "{{ base }}/ok", method: HEAD}}
          - {id: failing, title: Failing, http: {url: "{{ base }}/status/500"}}
          - {id: wrong-body, title: Wrong body, http: {url: "{{ base }}/ok", body_contains: healthy}}
          - {id: slow, title: Slow, http: {url: "{{ base }}/slow"}, timeout: 1s}
          - {id: refused, title: Refused, http: {url: "http://127.0.0.1:9/ok"}}
        """)
        #expect(list.count == 6)
        let checker = GuardChecker(makeRunner: { SpawnRunner() }, makeHTTP: { CurlTransport() }, environment: [:],
                                   values: ["base": server.base], secrets: ["TOKEN": "tok-s3cr3t"], now: { ProcessInfo.processInfo.systemUptime })
        var verdicts: [String: GuardVerdict] = [:]
        for g in list { verdicts[g.id] = checker.check(g) }
        #expect(verdicts["ok"] == .holds)
        // The test server has no HEAD: the request went as HEAD, and a
        // server that cannot answer it breaches the guard.
        #expect(verdicts["head"] == .breached("answered 501, expected 2xx"))
        #expect(verdicts["failing"] == .breached("answered 500, expected 2xx"))
        #expect(verdicts["wrong-body"] == .breached("answered 200, but the body does not contain 'healthy'"))
        for id in ["slow", "refused"] {
            guard case .breached(let why)? = verdicts[id] else { Issue.record("\(id): \(String(describing: verdicts[id]))"); continue }
            #expect(!why.isEmpty, "\(id)")
        }
    }
}
