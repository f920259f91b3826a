import Foundation
import MusterTestSupport
import Testing

/// `validate --json` and `verify --json` through the built binary: one JSON
/// document on stdout, nothing on stderr, the exit status the text form has.
@Suite("validate --json and verify --json")
struct MachineOutputTests {
    func document(_ r: Result) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], "\(r.stdout)\(r.stderr)")
    }

    @Test func validateJSONListsEveryProblemWithItsPosition() throws {
        let r = try muster(["validate", "--json", "runbooks/broken.yaml"], cwd: try fixtureRepo())
        #expect(r.status == 1)
        #expect(r.stderr == "")
        let doc = try document(r)
        #expect(doc["valid"] as? Bool == false)
        let summary = try #require(doc["summary"] as? [String: Int])
        #expect(summary == ["files": 1, "invalid": 1, "runbooks": 1, "drills": 0, "tests": 0, "errors": 9, "warnings": 0])
        let files = try #require(doc["files"] as? [[String: Any]])
        #expect(files.count == 1)
        #expect(files[0]["path"] as? String == "runbooks/broken.yaml")
        #expect(files[0]["kind"] as? String == "runbook")
        #expect(files[0]["valid"] as? Bool == false)
        let problems = try #require(files[0]["problems"] as? [[String: Any]])
        #expect(problems.count == 9)
        // The same findings as the text form, line for line.
        let text = try muster(["validate", "runbooks/broken.yaml"], cwd: try fixtureRepo()).stderr.split(separator: "\n").dropLast().map(String.init)
        let rebuilt = problems.map { p in
            "\(p["path"] as? String ?? ""):\(p["line"] as? Int ?? 0):\(p["column"] as? Int ?? 0): \(p["severity"] as? String ?? ""): \(p["message"] as? String ?? "")"
        }
        #expect(rebuilt == text)
    }

    @Test func validateJSONOfValidFilesExitsZero() throws {
        let r = try muster(["validate", "--json", "--quiet"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr == "")
        let doc = try document(r)
        #expect(doc["valid"] as? Bool == true)
        let summary = try #require(doc["summary"] as? [String: Int])
        let files = try #require(doc["files"] as? [[String: Any]])
        #expect(summary["files"] == files.count && files.count > 3)
        #expect(summary["drills"] == files.filter { $0["kind"] as? String == "drill" }.count && summary["drills"]! > 0)
        #expect(files.allSatisfy { $0["valid"] as? Bool == true && ($0["problems"] as? [Any])?.isEmpty == true })
    }

    /// A file that cannot be parsed has a problem at libyaml's position; a
    /// usage error stays a usage error, on stderr, with nothing on stdout.
    @Test func validateJSONSyntaxErrorsAndUsageErrors() throws {
        let r = try muster(["validate", "--json", "runbooks/bad-syntax.yaml"], cwd: try fixtureRepo())
        #expect(r.status == 1)
        let problem = try #require(((try document(r)["files"] as? [[String: Any]])?.first?["problems"] as? [[String: Any]])?.first)
        #expect(problem["line"] as? Int == 4 && problem["column"] as? Int == 6)
        let missing = try muster(["validate", "--json", "no/such/file.yaml"])
        #expect(missing.status == 2 && missing.stdout == "")
        #expect(missing.stderr == "muster: no/such/file.yaml: no such file or folder\n")
    }

    /// Control characters in a message are escaped by JSON, not passed to
    /// whatever reads the document.
    @Test func validateJSONEscapesHostileValues() throws {
        let dir = try temporaryDirectory()
        try FileManager.default.createDirectory(atPath: dir + "/runbooks", withIntermediateDirectories: true)
        try "muster: 1\nname: x\ntitle: \"t\"\nrto: \"\\e]0;owned\\a\"\nsteps: []\n".write(toFile: dir + "/runbooks/x.yaml", atomically: true, encoding: .utf8)
        let r = try muster(["validate", "--json"], cwd: dir)
        #expect(r.status == 1)
        #expect(!r.stdout.contains("\u{1B}") && !r.stdout.contains("\u{07}"))
        let message = try #require(((try document(r)["files"] as? [[String: Any]])?.first?["problems"] as? [[String: Any]])?.first?["message"] as? String)
        #expect(message.contains("rto"), "\(message)")
    }

    /// The signed-record tests' runbook: a checklist and a command.
    static let runbook = SignedRecordTests.runbook

    func drilled() throws -> (Sandbox, runID: String, record: String) {
        let s = try Sandbox(["failover": Self.runbook])
        try FileManager.default.createDirectory(atPath: s.dir + "/drills", withIntermediateDirectories: true)
        try "muster: 1\ndrill: failover-drill\nrunbook: failover\n".write(toFile: s.dir + "/drills/failover-drill.yaml", atomically: true, encoding: .utf8)
        let run = try s.run(["drill", "failover-drill"], stdin: "y\ny\n")
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        let id = try #require(try FileManager.default.contentsOfDirectory(atPath: s.dir + "/.muster/runs").sorted().last)
        let records = s.dir + "/drills/records/failover-drill"
        let record = try #require(try FileManager.default.contentsOfDirectory(atPath: records).first { $0.hasSuffix(".json") })
        return (s, id, records + "/" + record)
    }

    @Test func verifyJSONOfAnIntactJournalAndRecord() throws {
        let (s, id, record) = try drilled()
        let journalText = try String(contentsOfFile: s.dir + "/.muster/runs/\(id)/journal.jsonl", encoding: .utf8)
        let lines = journalText.split(separator: "\n")
        let lastHash = String(try #require(lines.last?.firstMatch(of: /"hash":"([0-9a-f]{64})"/)).1)

        let r = try s.run(["verify", "--json", id])
        #expect(r.status == 0 && r.stderr == "", "\(r.stderr)")
        let doc = try document(r)
        #expect(doc["target"] as? String == id && doc["kind"] as? String == "journal")
        #expect(doc["intact"] as? Bool == true)
        #expect(doc["problem"] is NSNull)
        #expect(doc["events"] as? Int == lines.count)
        #expect(doc["chain_starts_at"] as? Int == 1)
        #expect(doc["final_hash"] as? String == lastHash)
        #expect(doc["signed"] is NSNull)
        #expect((doc["messages"] as? [String])?.first?.contains("is intact") == true)

        let rec = try s.run(["verify", "--json", record])
        #expect(rec.status == 0 && rec.stderr == "", "\(rec.stderr)")
        let rdoc = try document(rec)
        #expect(rdoc["kind"] as? String == "record" && rdoc["intact"] as? Bool == true)
        #expect(rdoc["signed"] as? Bool == false && rdoc["signer"] is NSNull)
        #expect(rdoc["final_hash"] as? String == lastHash)
        #expect((rdoc["journal"] as? String)?.hasSuffix("journal.jsonl") == true)
    }

    @Test func verifyJSONOfATamperedJournalExitsOneWithTheProblem() throws {
        let (s, id, record) = try drilled()
        let path = s.dir + "/.muster/runs/\(id)/journal.jsonl"
        var lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
        lines[2] = lines[2].replacingOccurrences(of: "\"at\":\"", with: "\"at\":\"1")
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        for target in [id, record] {
            let r = try s.run(["verify", "--json", target])
            #expect(r.status == 1 && r.stderr == "", "\(r.stderr)")
            let doc = try document(r)
            #expect(doc["intact"] as? Bool == false)
            let problem = try #require(doc["problem"] as? String)
            #expect(problem.contains("event 3 ") && problem.localizedCaseInsensitiveContains("not intact"), "\(problem)")
            // The text form says the same on stderr.
            let text = try s.run(["verify", target])
            #expect(text.status == 1 && text.stderr == "muster: \(problem)\n")
        }
        let signed = try s.run(["verify", "--json", "--signed", record])
        #expect(signed.status == 1)
        #expect((try document(signed)["problem"] as? String)?.contains("is NOT signed") == true)
        let none = try s.run(["verify", "--json", "no-such-run"])
        #expect(none.status == 2 && none.stdout == "" && none.stderr.contains("no run no-such-run"))
    }
}
