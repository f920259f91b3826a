import Foundation
@testable import MusterBasics
@testable import MusterFormat
@testable import MusterApp
import Testing

/// What `muster test` finds, in-process: the repository's example runbooks
/// and their tests (a copy, to break), each test loaded, checked against
/// its runbook and run on the simulated clock as the command does. The
/// CLI's part (the examples passing with nothing on PATH, the summary and
/// its exit status, `validate --tests`, `--new` writing its file, unknown
/// tests) stays in RunbookTestCommandTests.
@Suite("muster test, in-process")
struct RunbookTestEngineTests {
    private static let examples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path + "/runbooks"

    /// A copy of the repository's runbooks and their tests.
    func copyOfTheExamples() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("muster-runbook-tests-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Self.examples, toPath: dir + "/runbooks")
        return dir
    }

    func edit(_ file: String, _ change: (String) -> String) throws {
        try change(try String(contentsOfFile: file, encoding: .utf8)).write(toFile: file, atomically: true, encoding: .utf8)
    }

    /// Test `name` of `dir` as the command reads it: its problems (the
    /// file's, then against its runbook), else its result.
    func test(_ name: String, in dir: String) throws -> (problems: [String], result: RunbookTestResult?, runbook: Runbook?, includes: [String: Runbook]) {
        let catalog = Catalog(currentDirectory: dir) { _ in dir }
        let loaded = RunbookTest.load(path: "\(dir)/runbooks/tests/\(name).yaml", display: "runbooks/tests/\(name).yaml", read: { try Paths.read($0) })
        guard let test = loaded.test, loaded.diagnostics.isEmpty else { return (loaded.diagnostics.map(\.formatted), nil, nil, [:]) }
        guard case .found(let rb, let path) = catalog.resolveRunbook(test.runbook, root: dir) else {
            Issue.record("runbook '\(test.runbook)' does not load")
            return ([], nil, nil, [:])
        }
        let includes = try RunSession.includes(of: rb, path: path, catalog: catalog)
        let problems = test.check(rb, includes: includes)
        guard problems.isEmpty else { return (problems.map(\.formatted), nil, rb, includes) }
        return ([], RunbookTestRunner.run(test, runbook: rb, includes: includes), rb, includes)
    }

    @Test func aChangedConditionFailsItsTestNamingTheStepAndThePath() throws {
        let dir = try copyOfTheExamples()
        try edit(dir + "/runbooks/region-failover.yaml") {
            #expect($0.contains("when: replica == \"available\""))
            return $0.replacingOccurrences(of: "when: replica == \"available\"", with: "when: replica == \"ready\"")
        }
        let r = try #require(try test("region-failover-promotes-replica", in: dir).result)
        #expect(!r.passed)
        #expect(r.differences.contains { $0.hasPrefix("ran: expected 'rebuild/database/promote-replica' to run, but it was skipped: replica == \"ready\" is false (replica = available); the path taken: declare → go-no-go → ") }, "\(r.differences)")
    }

    @Test func aStepWithoutAFakeFailsPlainlyAndRunsNothing() throws {
        let dir = try copyOfTheExamples()
        try edit(dir + "/runbooks/tests/region-failover-redeploy-fails.yaml") { $0.replacingOccurrences(of: "  redeploy: {ci: failed, after: 4m}\n", with: "") }
        let r = try #require(try test("region-failover-redeploy-fails", in: dir).result)
        #expect(!r.passed)
        #expect(r.differences.first == "no fake for step redeploy: add one under 'fakes:'", "\(r.differences)")
        #expect(TestRunbooks.json(r).serialized().contains("\"passed\":false"))
        let xml = RunbookTestJUnit.render([r], broken: [])
        #expect(xml.contains("<failure message=\"no fake for step redeploy: add one under &#39;fakes:&#39;\">"), "\(xml)")
    }

    @Test func aFakeOfAStepTheRunbookNoLongerHasIsAnErrorAtItsLine() throws {
        let dir = try copyOfTheExamples()
        try edit(dir + "/runbooks/tests/region-failover-redeploy-fails.yaml") { $0.replacingOccurrences(of: "  rebuild/cluster/nodegroup:", with: "  rebuild/cluster/node-group:") }
        let problems = try test("region-failover-redeploy-fails", in: dir).problems
        #expect(problems.contains("runbooks/tests/region-failover-redeploy-fails.yaml:10:3: error: the faked step 'rebuild/cluster/node-group' is not in runbook 'region-failover'; did you mean 'rebuild/cluster/nodegroup'?"), "\(problems)")
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
        let problems = try test("broken", in: dir).problems
        #expect(problems.contains { $0.contains("broken.yaml:4:7: error: 'mode' must be one of incident, drill, training, rehearsal, not 'practice'") }, "\(problems)")
        #expect(problems.contains { $0.contains("broken.yaml:6:31: error: unknown key 'aftre' in the fake of 'discover-standby' (did you mean 'after'?)") }, "\(problems)")
        #expect(problems.contains { $0.contains("broken.yaml:8:12: error: 'outcome' must be one of completed, failed, aborted, rolled_back, paused, not 'done'") }, "\(problems)")
    }

    @Test func coverageNamesEveryBranchPointAndTheTestsThatTookIt() throws {
        let dir = try copyOfTheExamples()
        func coverage(_ runbook: String) throws -> RunbookCoverage {
            let names = try FileManager.default.contentsOfDirectory(atPath: dir + "/runbooks/tests").filter { $0.hasPrefix(runbook + "-") }.map { String($0.dropLast(".yaml".count)) }.sorted()
            let runs = try names.map { try test($0, in: dir) }
            let first = try #require(runs.first)
            return RunbookCoverage(runbook: try #require(first.runbook), includes: first.includes, results: runs.compactMap(\.result))
        }
        let failover = try coverage("region-failover")
        #expect(failover.taken == 13 && failover.points.count == 13)
        #expect(failover.points.first { $0.point == "when rebuild/database/promote-replica: true" }?.tests.contains("region-failover-promotes-replica") == true, "\(failover.points)")
        let model = try coverage("model-rollback")
        #expect(model.taken == 15 && model.points.count == 15)
        #expect(model.points.first { $0.point == "decide choose-path: fall-back-to-heuristics" }?.tests == ["model-rollback-falls-back-to-heuristics", "model-rollback-heuristics-do-not-help"], "\(model.points)")
        let restore = try coverage("database-restore")
        #expect(restore.taken == 1 && restore.points.count == 1)
        // Without the test of a lost zone, nothing proves the guard's breach.
        try FileManager.default.removeItem(atPath: dir + "/runbooks/tests/region-failover-zone-lost.yaml")
        let less = try coverage("region-failover")
        #expect(less.points.filter { $0.tests.isEmpty }.map(\.point) == ["breach standby-zones"])
        #expect(less.taken == 12 && less.points.count == 13)
    }

    @Test func aDraftHasAFakePerAutomatedStepAndFailsUntilItsBlanksAreFilled() throws {
        let dir = try copyOfTheExamples()
        let rb = try #require(try test("region-failover-promotes-replica", in: dir).runbook)
        let includes = try test("region-failover-promotes-replica", in: dir).includes
        let draft = RunbookTestDraft.yaml(rb, includes: includes)
        #expect(draft.contains("  rebuild/cluster/create: {exit: 0, stdout: "), "\(draft)")
        #expect(draft.contains("  redeploy: {ci: success, after: 12m}"), "\(draft)")
        #expect(draft.contains("  incident_commander: \"CHANGE-ME\""), "\(draft)")
        try draft.write(toFile: dir + "/runbooks/tests/region-failover-happy-path.yaml", atomically: true, encoding: .utf8)
        let run = try test("region-failover-happy-path", in: dir)
        #expect(run.problems.isEmpty, "the draft matches its runbook: \(run.problems)")
        // Its blanks fail plainly until filled: an output the pattern cannot read.
        let r = try #require(run.result)
        #expect(!r.passed && r.differences.contains { $0.contains("'rebuild/cluster/create' failed: succeeded, but its output has no value for 'cluster_arn'") }, "\(r.differences)")
    }

    /// A decision is answered by its id with one of its options; one the
    /// test does not answer stops the run and says so, and an answer that
    /// is no option is an error at its line.
    @Test func aDecisionIsAnsweredByItsOptionOrNamedAsUnanswered() throws {
        let dir = try copyOfTheExamples()
        let file = dir + "/runbooks/tests/model-rollback-falls-back-to-heuristics.yaml"
        let text = try String(contentsOfFile: file, encoding: .utf8)
        try text.replacingOccurrences(of: "answers: {choose-path: fall-back-to-heuristics}\n", with: "").write(toFile: file, atomically: true, encoding: .utf8)
        let r = try #require(try test("model-rollback-falls-back-to-heuristics", in: dir).result)
        #expect(!r.passed && r.differences.contains { $0.contains("no answer for the decision at step choose-path: add one of its options under 'answers:'") }, "\(r.differences)")
        try text.replacingOccurrences(of: "choose-path: fall-back-to-heuristics", with: "choose-path: heuristics").write(toFile: file, atomically: true, encoding: .utf8)
        let problems = try test("model-rollback-falls-back-to-heuristics", in: dir).problems
        #expect(problems.contains("runbooks/tests/model-rollback-falls-back-to-heuristics.yaml:4:11: error: 'heuristics' is not an option of the decision 'choose-path': roll-back-model, fall-back-to-heuristics"), "\(problems)")
    }
}
