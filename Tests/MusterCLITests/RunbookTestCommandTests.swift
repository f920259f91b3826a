import Foundation
import MusterTestSupport
import Testing

/// `muster test`: the example runbooks' own tests pass on the simulated
/// clock, and a runbook that drifts from its tests is caught, named where
/// it drifted.
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
        let r = try muster(["test", "--junit", "tests.xml"], cwd: dir, env: ["PATH": "/nonexistent", "NO_COLOR": "1"])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("PASS  restores the newest snapshot when there is no replica"), "\(r.stdout)")
        #expect(r.stdout.contains("completed after 45m26s simulated"), "the restore branch sets the time: \(r.stdout)")
        #expect(r.stdout.contains("13 tests: 13 passed, 0 failed"), "\(r.stdout)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/.muster/runs"), "a test journals in memory only")
        let xml = try String(contentsOfFile: dir + "/tests.xml", encoding: .utf8)
        #expect(xml.contains("<testsuite name=\"muster test\" tests=\"13\" failures=\"0\" errors=\"0\""), "\(xml)")
        #expect(xml.contains("name=\"a standby zone lost while the cluster is rebuilt"), "\(xml)")
    }

    @Test func aChangedConditionFailsItsTestNamingTheStepAndThePath() throws {
        let dir = try copyOfTheExamples()
        let file = dir + "/runbooks/region-failover.yaml"
        let text = try String(contentsOfFile: file, encoding: .utf8)
        #expect(text.contains("when: replica == \"available\""))
        try text.replacingOccurrences(of: "when: replica == \"available\"", with: "when: replica == \"ready\"")
            .write(toFile: file, atomically: true, encoding: .utf8)
        let r = try muster(["test", "region-failover-promotes-replica"], cwd: dir, env: ["NO_COLOR": "1"])
        #expect(r.status == 1, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("FAIL  promotes the cross-region replica"), "\(r.stdout)")
        #expect(r.stdout.contains("ran: expected 'rebuild/database/promote-replica' to run, but it was skipped: replica == \"ready\" is false (replica = available); the path taken: declare → go-no-go"), "\(r.stdout)")
        #expect(r.stdout.contains("1 test: 0 passed, 1 failed"))
    }

    @Test func aStepWithoutAFakeFailsPlainlyAndRunsNothing() throws {
        let dir = try copyOfTheExamples()
        let file = dir + "/runbooks/tests/region-failover-redeploy-fails.yaml"
        let text = try String(contentsOfFile: file, encoding: .utf8)
        try text.replacingOccurrences(of: "  redeploy: {ci: failed, after: 4m}\n", with: "").write(toFile: file, atomically: true, encoding: .utf8)
        let r = try muster(["test", "region-failover-redeploy-fails", "--json"], cwd: dir)
        #expect(r.status == 1, "\(r.stdout)\(r.stderr)")
        let json = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        let test = (json["tests"] as! [[String: Any]])[0]
        #expect(test["passed"] as? Bool == false)
        let differences = test["differences"] as! [String]
        #expect(differences.first == "no fake for step redeploy: add one under 'fakes:'", "\(differences)")
        #expect(json["failed"] as? Int == 1)
        _ = try muster(["test", "region-failover-redeploy-fails", "--junit", "out.xml"], cwd: dir)
        let xml = try String(contentsOfFile: dir + "/out.xml", encoding: .utf8)
        #expect(xml.contains("<failure message=\"no fake for step redeploy: add one under &#39;fakes:&#39;\">"), "\(xml)")
    }

    @Test func aFakeOfAStepTheRunbookNoLongerHasIsAnErrorAtItsLine() throws {
        let dir = try copyOfTheExamples()
        let file = dir + "/runbooks/tests/region-failover-redeploy-fails.yaml"
        let text = try String(contentsOfFile: file, encoding: .utf8)
        try text.replacingOccurrences(of: "  rebuild/cluster/nodegroup:", with: "  rebuild/cluster/node-group:").write(toFile: file, atomically: true, encoding: .utf8)
        let r = try muster(["test", "region-failover-redeploy-fails"], cwd: dir)
        #expect(r.status == 1)
        #expect(r.stderr.contains("runbooks/tests/region-failover-redeploy-fails.yaml:10:3: error: the faked step 'rebuild/cluster/node-group' is not in runbook 'region-failover'; did you mean 'rebuild/cluster/nodegroup'?"), "\(r.stderr)")
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

    @Test func mistakesInATestFileAreReportedWhereTheyAre() throws {
        let dir = try copyOfTheExamples()
        try """
        muster: 1
        test: broken
        runbook: region-failover
        mode: practice
        fakes:
          discover-standby: {exit: 0, aftre: 5m}
        expect:
          outcome: done
        """.write(toFile: dir + "/runbooks/tests/broken.yaml", atomically: true, encoding: .utf8)
        let r = try muster(["test", "broken"], cwd: dir)
        #expect(r.status == 1)
        #expect(r.stderr.contains("broken.yaml:4:7: error: 'mode' must be one of incident, drill, training, rehearsal, not 'practice'"), "\(r.stderr)")
        #expect(r.stderr.contains("broken.yaml:6:31: error: unknown key 'aftre' in the fake of 'discover-standby' (did you mean 'after'?)"), "\(r.stderr)")
        #expect(r.stderr.contains("broken.yaml:8:12: error: 'outcome' must be one of completed, failed, aborted, rolled_back, paused, not 'done'"), "\(r.stderr)")
        let unknown = try muster(["test", "no-such-test"], cwd: dir)
        #expect(unknown.status == 2 && unknown.stderr.contains("no test 'no-such-test' in runbooks/tests/"), "\(unknown.stderr)")
    }

    @Test func coverageNamesEveryBranchPointAndTheTestsThatTookIt() throws {
        let dir = try copyOfTheExamples()
        let r = try muster(["test", "--coverage"], cwd: dir, env: ["NO_COLOR": "1"])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("Coverage of region-failover: 13 of 13 branch points taken"), "\(r.stdout)")
        let line = r.stdout.split(separator: "\n").first { $0.contains("when rebuild/database/promote-replica: true") }.map(String.init) ?? ""
        #expect(line.hasPrefix("  ✓ ") && line.contains("region-failover-promotes-replica"), "\(line)")
        // Every example runbook has tests, and they take every branch point.
        #expect(!r.stdout.contains("Runbooks with no test"), "\(r.stdout)")
        #expect(r.stdout.contains("Coverage of model-rollback: 15 of 15 branch points taken"), "\(r.stdout)")
        #expect(r.stdout.contains("Coverage of database-restore: 1 of 1 branch points taken"), "\(r.stdout)")
        #expect(r.stdout.contains("✓ decide choose-path: fall-back-to-heuristics  model-rollback-falls-back-to-heuristics, model-rollback-heuristics-do-not-help"), "\(r.stdout)")
        // Without the test of a lost zone, nothing proves the guard's breach.
        try FileManager.default.removeItem(atPath: dir + "/runbooks/tests/region-failover-zone-lost.yaml")
        let less = try muster(["test", "--coverage", "--json"], cwd: dir)
        let json = try JSONSerialization.jsonObject(with: Data(less.stdout.utf8)) as! [String: Any]
        let coverage = try #require((json["coverage"] as! [[String: Any]]).first { $0["runbook"] as? String == "region-failover" })
        let untaken = (coverage["points"] as! [[String: Any]]).filter { ($0["tests"] as! [String]).isEmpty }.map { $0["point"] as! String }
        #expect(untaken == ["breach standby-zones"], "\(untaken)")
        #expect(coverage["taken"] as? Int == 12 && coverage["total"] as? Int == 13)
    }

    @Test func newDraftsAHappyPathTestThatFailsUntilItsBlanksAreFilled() throws {
        let dir = try copyOfTheExamples()
        let r = try muster(["test", "--new", "region-failover"], cwd: dir)
        #expect(r.status == 0 && r.stdout.contains("wrote runbooks/tests/region-failover-happy-path.yaml"), "\(r.stdout)\(r.stderr)")
        let draft = try String(contentsOfFile: dir + "/runbooks/tests/region-failover-happy-path.yaml", encoding: .utf8)
        #expect(draft.contains("  rebuild/cluster/create: {exit: 0, stdout: "), "\(draft)")
        #expect(draft.contains("  redeploy: {ci: success, after: 12m}"), "\(draft)")
        #expect(draft.contains("  incident_commander: \"CHANGE-ME\""), "\(draft)")
        let valid = try muster(["validate", "--tests", "runbooks/tests/region-failover-happy-path.yaml"], cwd: dir)
        #expect(valid.status == 0, "the draft matches its runbook: \(valid.stderr)")
        let again = try muster(["test", "--new", "region-failover"], cwd: dir)
        #expect(again.status == 2 && again.stderr.contains("region-failover-happy-path.yaml exists"), "\(again.stderr)")
        let run = try muster(["test", "region-failover-happy-path"], cwd: dir, env: ["NO_COLOR": "1"])
        // Its blanks fail plainly until filled: an output the pattern cannot read.
        #expect(run.status == 1 && run.stdout.contains("'rebuild/cluster/create' failed: succeeded, but its output has no value for 'cluster_arn'"), "\(run.stdout)\(run.stderr)")
    }

    /// A decision is answered by its id with one of its options; one the
    /// test does not answer stops the run and says so, and an answer that
    /// is no option is an error at its line.
    @Test func aDecisionIsAnsweredByItsOptionOrNamedAsUnanswered() throws {
        let dir = try copyOfTheExamples()
        let file = dir + "/runbooks/tests/model-rollback-falls-back-to-heuristics.yaml"
        let text = try String(contentsOfFile: file, encoding: .utf8)
        try text.replacingOccurrences(of: "answers: {choose-path: fall-back-to-heuristics}\n", with: "").write(toFile: file, atomically: true, encoding: .utf8)
        let r = try muster(["test", "model-rollback-falls-back-to-heuristics"], cwd: dir, env: ["NO_COLOR": "1"])
        #expect(r.status == 1, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("no answer for the decision at step choose-path: add one of its options under 'answers:'"), "\(r.stdout)")
        try text.replacingOccurrences(of: "choose-path: fall-back-to-heuristics", with: "choose-path: heuristics").write(toFile: file, atomically: true, encoding: .utf8)
        let v = try muster(["validate", "--tests", "runbooks/tests/model-rollback-falls-back-to-heuristics.yaml"], cwd: dir)
        #expect(v.status == 1)
        #expect(v.stderr.contains("model-rollback-falls-back-to-heuristics.yaml:4:11: error: 'heuristics' is not an option of the decision 'choose-path': roll-back-model, fall-back-to-heuristics"), "\(v.stderr)")
    }
}
