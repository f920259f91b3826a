import Foundation
import MusterTestSupport
import Testing

/// Issue 29: a training drill in the sandbox made `muster due` list the
/// production drill's runbook as drilled, and `history` show its time as
/// the runbook's best. Drills now say where they ran; only the environment
/// the schedule names counts, and the others are shown apart.
@Suite("Drill environments through the binary")
struct DrillEnvironmentCLITests {
    static let runbook = """
    muster: 1
    name: web
    title: Web failover
    escalation:
      - {after: 30m, contact: Secondary on-call}
    params:
      endpoint: {default: "https://api.example.com"}
    secrets:
      API_TOKEN: {description: the API's token}
    steps:
      - id: declare
        title: Declare
        manual: [Open the incident]
      - id: call
        title: Call the endpoint
        run: echo "calling {{ endpoint }}"
        retries: 1
        retry_delay: 1s
    """

    static let quarterly = """
    muster: 1
    drill: web-quarterly
    runbook: web
    schedule: "0 9 1 */3 *"
    params: {endpoint: "https://api.example.com"}
    """

    /// In the sandbox (an endpoint on this machine), with a fault to practise on.
    static let training = """
    muster: 1
    drill: web-training
    runbook: web
    params: {endpoint: "http://127.0.0.1:9/api"}
    faults:
      - {step: call, fail: "capacity error", times: 1}
    expect_escalation: {within: 5m, contact: Secondary on-call}
    """

    static let secret = "tok-29-never-written"

    func json(_ r: Result) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], "\(r.stdout)\(r.stderr)")
    }

    /// The drill's record held in `environment` (two drills may start in one
    /// second, so file names do not say which came last).
    func record(_ g: GitRepo, _ drill: String, in environment: String) throws -> (path: String, text: String, json: [String: Any]) {
        let dir = "drills/records/" + drill
        for name in try FileManager.default.contentsOfDirectory(atPath: g.dir + "/" + dir) {
            let text = try String(contentsOfFile: g.dir + "/" + dir + "/" + name, encoding: .utf8)
            let json = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
            if json["environment"] as? String == environment { return (dir + "/" + name, text, json) }
        }
        Issue.record("no \(environment) record of \(drill)")
        throw CancellationError()
    }

    func webRow(_ due: [String: Any]) throws -> [String: Any] {
        let runbooks = try #require(due["runbooks"] as? [[String: Any]])
        return try #require(runbooks.first { $0["runbook"] as? String == "web" })
    }

    @Test func aTrainingDrillInTheSandboxDoesNotDrillProduction() async throws {
        let g = try await GitRepo()
        try g.write("runbooks/web.yaml", Self.runbook)
        try g.write("drills/web-quarterly.yaml", Self.quarterly)
        try g.write("drills/web-training.yaml", Self.training)
        try await g.git("git add -A && commit 2 'Add web'")
        let env = ["API_TOKEN": Self.secret]

        let trained = try await g.run(["drill", "web-training"], stdin: "y\n", env: env)
        #expect(trained.status == 0, "\(trained.stdout)\(trained.stderr)")
        let t = try record(g, "web-training", in: "training")
        #expect(t.json["overrides"] as? Bool == false)
        #expect(trained.stdout.contains("Environment training: shown apart from production drills"), "\(trained.stdout)")
        #expect(t.json["params"] as? [String: String] == ["endpoint": "http://127.0.0.1:9/api"])

        // The acceptance: the production drill is not done, the runbook not drilled.
        let afterTraining = try await g.run(["due", "--json"])
        let quarterly = try #require((try json(afterTraining)["drills"] as? [[String: Any]])?.first { $0["drill"] as? String == "web-quarterly" })
        #expect(quarterly["overdue"] as? Bool == true && quarterly["last_run"] is NSNull, "\(afterTraining.stdout)")
        var web = try webRow(try json(afterTraining))
        #expect(web["stale"] as? Bool == true && web["last_drilled"] is NSNull && web["environment"] as? String == "production")
        #expect((web["elsewhere"] as? [[String: Any]])?.map { $0["environment"] as? String } == ["training"])
        let text = try await g.run(["due"])
        #expect(text.stdout.contains("Drills in other environments"), "\(text.stdout)")
        let apart = try #require(text.stdout.split(separator: "\n").first { $0.contains("web-training") && $0.contains("training") })
        #expect(apart.contains("web "), "\(text.stdout)")

        // The production drill pointed at this machine with -p: a sandbox
        // drill, marked as overridden, with the secret in its value masked.
        let overridden = try await g.run(["drill", "web-quarterly", "-p", "endpoint=http://127.0.0.1:9/?t=\(Self.secret)"], stdin: "y\n", env: env)
        #expect(overridden.status == 0, "\(overridden.stdout)\(overridden.stderr)")
        let o = try record(g, "web-quarterly", in: "sandbox")
        #expect(o.json["overrides"] as? Bool == true)
        #expect(o.json["params"] as? [String: String] == ["endpoint": "http://127.0.0.1:9/?t=***"])
        #expect(!o.text.contains(Self.secret))
        #expect(overridden.stdout.contains("the record says overrides: true"), "\(overridden.stdout)")
        web = try webRow(try json(try await g.run(["due", "--json"])))
        #expect(web["stale"] as? Bool == true, "a sandbox run of the production drill does not count either")

        // The real production drill.
        let prod = try await g.run(["drill", "web-quarterly"], stdin: "y\n", env: env)
        #expect(prod.status == 0, "\(prod.stdout)\(prod.stderr)")
        let p = try record(g, "web-quarterly", in: "production")
        #expect(p.json["overrides"] as? Bool == false)
        let done = try json(try await g.run(["due", "--json"]))
        web = try webRow(done)
        #expect(web["stale"] as? Bool == false && web["last_drill"] as? String == "web-quarterly")
        #expect((web["elsewhere"] as? [[String: Any]])?.map { $0["environment"] as? String } == ["sandbox", "training"])

        // history: the production drill counted, the two others apart.
        let h = try await g.run(["history", "web", "--json"])
        let version = try #require((try json(h)["versions"] as? [[String: Any]])?.first)
        #expect(version["drills"] as? Int == 1 && version["drill_names"] as? [String] == ["web-quarterly"], "\(h.stdout)")
        let elsewhere = try #require(version["elsewhere"] as? [[String: Any]])
        #expect(elsewhere.map { $0["environment"] as? String } == ["sandbox", "training"])
        #expect(elsewhere.map { $0["drills"] as? Int } == [1, 1])
        let ht = try await g.run(["history", "web"])
        #expect(ht.stdout.contains("1 sandbox") && ht.stdout.contains("1 training"), "\(ht.stdout)")
        #expect(ht.stdout.contains("shown apart"), "\(ht.stdout)")

        // report: best counts the production run only; the others apart.
        let report = try json(try await g.run(["report", "web-quarterly", "web-training", "--json"]))
        let drills = try #require(report["drills"] as? [[String: Any]])
        let q = try #require(drills.first { $0["drill"] as? String == "web-quarterly" })
        #expect((q["best"] as? [String: Any])?["environment"] as? String == "production")
        #expect((q["elsewhere"] as? [[String: Any]])?.map { $0["environment"] as? String } == ["sandbox"])
        let tr = try #require(drills.first { $0["drill"] as? String == "web-training" })
        #expect(tr["best"] is NSNull, "a training drill is never the runbook's best")
        #expect((tr["elsewhere"] as? [[String: Any]])?.first?["runs"] as? Int == 1)
        let rt = try await g.run(["report", "web-training"])
        #expect(rt.stdout.contains("no production recovery yet") && rt.stdout.contains("not counted"), "\(rt.stdout)")

        let html = try await g.run(["report", "web-training", "--html", "r.html"])
        #expect(html.status == 0, "\(html.stderr)")
        let page = try String(contentsOfFile: g.dir + "/r.html", encoding: .utf8)
        #expect(page.contains("no production recovery yet") && page.contains("<dt>Apart</dt><dd>1 training run"), "\(page)")
        // The forecast takes its medians from the production drill only.
        let forecast = try json(try await g.run(["show", "web", "--forecast", "--format", "json"]))
        #expect(forecast["records"] as? Int == 1, "\(forecast)")

        // Records with their environment still verify against their journals.
        for path in [t.path, o.path, p.path] {
            let v = try await g.run(["verify", path])
            #expect(v.status == 0, "\(path): \(v.stdout)\(v.stderr)")
        }
    }
}
