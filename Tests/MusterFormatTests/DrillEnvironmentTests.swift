import Foundation
@testable import MusterBasics
@testable import MusterFormat
import Testing

/// Issue 29: a drill says where it runs, and by default a drill against
/// this machine or with faults to practise on is never production.
@Suite("Drill environments")
struct DrillEnvironmentTests {
    static let runbook = """
        muster: 1
        name: target
        title: Target
        params:
          url: {default: "https://api.example.com/healthz"}
        escalation:
          - {after: 5m, contact: Secondary on-call}
        steps:
          - {id: check, title: Check, run: "true"}
        """

    func load(_ drill: String) throws -> (Drill?, [String]) {
        let dir = try TemporaryRepo()
        defer { dir.remove() }
        try dir.write("runbooks/target.yaml", Self.runbook)
        try dir.write("drills/d.yaml", "muster: 1\ndrill: d\nrunbook: target\n" + drill)
        let c = dir.catalog()
        let path = dir.path("drills/d.yaml")
        let entry = c.load(path)
        let problems = entry.diagnostics + (entry.document == nil ? [] : c.crossCheck(entry, at: path))
        return (entry.drill, problems.map(\.formatted))
    }

    @Test func declaredEnvironmentIsReadAndAnUnknownOneRefused() throws {
        let (staging, ok) = try load("environment: staging\n")
        #expect(ok == [])
        #expect(staging?.environment == .staging)
        #expect(staging?.environment(params: ["url": "http://127.0.0.1:1"]) == .staging, "what a drill declares wins")
        let (_, bad) = try load("environment: prod\n")
        #expect(bad == ["drills/d.yaml:4:14: error: 'environment' must be one of 'production', 'staging', 'sandbox', 'training', not 'prod'"])
    }

    @Test func defaultsFollowTheDocumentedRule() throws {
        let (plain, _) = try load("")
        #expect(plain?.environment == nil)
        #expect(plain?.environment(params: ["url": "https://api.example.com/healthz"]) == .production)
        #expect(plain?.environment(params: ["url": "http://127.0.0.1:8011/api.staging.example.com/healthz"]) == .sandbox)
        let (training, problems) = try load("""
            params: {url: "https://api.example.com/healthz"}
            faults:
              - {step: check, fail: boom}
            expect_escalation: {within: 5m, contact: Secondary on-call}
            """)
        #expect(problems == [])
        #expect(training?.environment(params: ["url": "https://api.example.com/healthz"]) == .training)
        #expect(training?.environment(params: ["url": "http://localhost:5000"]) == .training, "a training drill in the sandbox is training")
    }

    @Test(arguments: [
        ("http://127.0.0.1:5000", true), ("127.0.0.1", true), ("localhost:8010", true), ("https://LOCALHOST/x", true),
        ("http://[::1]:9000/", true), ("http://user@127.0.0.2:80", true), ("https://api.localhost", true),
        ("https://api.example.com/?next=http://127.0.0.1", false), ("https://localhost.example.com", false),
        ("127.0.0.1.example.com", false), ("eu-central-1", false), ("1270.0.0.1", false), ("", false),
        ("http://10.0.0.1:5000", false), ("staging-db", false),
    ])
    func localEndpoints(value: String, local: Bool) {
        #expect(SandboxEndpoint.isLocal(value) == local, "\(value)")
    }
}
