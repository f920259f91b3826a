import Foundation
import MusterTestSupport
import Testing

/// `muster test` through the built binary: the example runbooks' own tests
/// pass on the simulated clock with nothing run for real (the smoke test),
/// `validate --tests`, `--new` and the exit statuses. A runbook that
/// drifts from its tests, caught and named where it drifted, coverage and
/// drafts are RunbookTestEngineTests' in-process.
@Suite("muster test: runbook tests on a simulated clock")
struct RunbookTestCommandTests {
    /// A copy of the repository's runbooks and their tests, to break.
    func copyOfTheExamples() throws -> String {
        let dir = try temporaryDirectory()
        try sh("cp -R '\(packageRoot)/runbooks' .", cwd: dir)
        return dir
    }

    @Test func theExampleTestsPassWithNothingRunForReal() throws {
        let dir = try copyOfTheExamples()
        // Anything that runs for real would leave this behind or fail.
        let r = try muster(["test", "--junit", "tests.xml", "--coverage"], cwd: dir, env: ["PATH": "/nonexistent", "NO_COLOR": "1"])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("PASS  restores the newest snapshot when there is no replica"), "\(r.stdout)")
        #expect(r.stdout.contains("completed after 45m26s simulated"), "the restore branch sets the time: \(r.stdout)")
        #expect(r.stdout.contains("13 tests: 13 passed, 0 failed"), "\(r.stdout)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/.muster/runs"), "a test journals in memory only")
        let xml = try String(contentsOfFile: dir + "/tests.xml", encoding: .utf8)
        #expect(xml.contains("<testsuite name=\"muster test\" tests=\"13\" failures=\"0\" errors=\"0\""), "\(xml)")
        #expect(xml.contains("name=\"a standby zone lost while the cluster is rebuilt"), "\(xml)")
        #expect(r.stdout.contains("Coverage of region-failover: 13 of 13 branch points taken"), "\(r.stdout)")
    }

    @Test func validateTestsFailsARunbookWhoseTestsNoLongerMatchIt() throws {
        let dir = try copyOfTheExamples()
        let plain = try muster(["validate"], cwd: dir, env: ["NO_COLOR": "1"])
        #expect(plain.status == 0 && plain.stdout.contains("13 tests)"), "test files are read as tests, not as runbooks: \(plain.stdout)\(plain.stderr)")
        let file = dir + "/runbooks/region-failover.yaml"
        let text = try String(contentsOfFile: file, encoding: .utf8)
        #expect(text.contains("- id: find-dns-record"))
        try text.replacingOccurrences(of: "- id: find-dns-record", with: "- id: find-dns-records")
            .replacingOccurrences(of: "'find-dns-record'", with: "'find-dns-records'")
            .write(toFile: file, atomically: true, encoding: .utf8)
        let r = try muster(["validate", "--tests", "runbooks/region-failover.yaml"], cwd: dir)
        #expect(r.status == 1, "\(r.stdout)\(r.stderr)")
        #expect(r.stderr.contains("runbooks/tests/region-failover-promotes-replica.yaml:16:3: error: the faked step 'find-dns-record' is not in runbook 'region-failover'; did you mean 'find-dns-records'?"), "\(r.stderr)")
        let json = try muster(["validate", "--tests", "--json"], cwd: dir)
        let summary = (try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as! [String: Any])["summary"] as! [String: Any]
        // The rolled-back test never reaches the renamed step.
        #expect(summary["tests"] as? Int == 13 && summary["invalid"] as? Int == 3, "\(summary)")
    }

    @Test func newWritesADraftOnceAFailingTestExitsOneAndAnUnknownOneTwo() throws {
        let dir = try copyOfTheExamples()
        let r = try muster(["test", "--new", "region-failover"], cwd: dir)
        #expect(r.status == 0 && r.stdout.contains("wrote runbooks/tests/region-failover-happy-path.yaml"), "\(r.stdout)\(r.stderr)")
        let again = try muster(["test", "--new", "region-failover"], cwd: dir)
        #expect(again.status == 2 && again.stderr.contains("region-failover-happy-path.yaml exists"), "\(again.stderr)")
        // The draft's blanks fail it until they are filled.
        let run = try muster(["test", "region-failover-happy-path", "--json"], cwd: dir)
        #expect(run.status == 1, "\(run.stdout)\(run.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        #expect(json["failed"] as? Int == 1 && (json["tests"] as? [[String: Any]])?.first?["passed"] as? Bool == false, "\(run.stdout)")
        let unknown = try muster(["test", "no-such-test"], cwd: dir)
        #expect(unknown.status == 2 && unknown.stderr.contains("no test 'no-such-test' in runbooks/tests/"), "\(unknown.stderr)")
    }
}
