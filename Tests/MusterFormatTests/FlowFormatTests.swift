import Foundation
@testable import MusterBasics
@testable import MusterFormat
@testable import MusterTesting
import Testing

/// Groups, `finally` and `deadline` as the parser reads them, and the
/// mistakes it reports at their place.
@Suite("Flow: groups, finally and deadline in the format")
struct FlowFormatTests {
    func parse(_ text: String) -> (Runbook?, [String]) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("muster-flow-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: dir.appendingPathComponent("runbooks"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("runbooks/flow.yaml").path
        try? text.write(toFile: path, atomically: true, encoding: .utf8)
        let entry = Catalog(currentDirectory: dir.path, rootFinder: { _ in dir.path }).load(path)
        return (entry.runbook, entry.diagnostics.map { "\($0.mark?.line ?? 0):\($0.mark?.column ?? 0) \($0.message)" })
    }

    @Test func aGroupHoldsItsStepsAndTheirNamesReachLaterSteps() throws {
        let (rb, problems) = parse("""
        muster: 1
        name: flow
        title: Flow
        deadline: 45m
        steps:
          - id: rebuild
            title: Rebuild
            when: mode == "drill"
            steps:
              - id: create
                title: Create
                run: echo arn=1
                outputs: {arn: {regex: 'arn=(\\d+)'}}
              - {id: check, title: Check, run: 'echo {{ arn }}'}
          - {id: after, title: After, run: 'echo {{ arn }}'}
        finally:
          - {id: cleanup, title: Clean up, run: 'echo {{ arn }}'}
        """)
        #expect(problems.isEmpty, "\(problems)")
        let runbook = try #require(rb)
        #expect(runbook.deadline == 45 * 60)
        let group = try #require(runbook.steps.first)
        #expect(group.kind == .steps)
        #expect(group.children.map(\.id) == ["create", "check"])
        #expect(group.when?.text == "mode == \"drill\"")
        #expect(group.definedNames == ["arn"])
        #expect(runbook.finally.map(\.id) == ["cleanup"])
    }

    @Test func idsAreUniqueAmongSiblingsAndFinallySharesTheTopLevel() {
        let (_, problems) = parse("""
        muster: 1
        name: flow
        title: Flow
        steps:
          - id: a
            title: A
            steps:
              - {id: x, title: X, run: 'true'}
              - {id: x, title: X again, run: 'true'}
          - id: b
            title: B
            steps:
              - {id: x, title: X in another group, run: 'true'}
        finally:
          - {id: a, title: Clean up, run: 'true'}
        """)
        #expect(problems.contains("9:14 duplicate step id 'x' (first at line 8, column 14); ids must be unique among the steps of group 'a'"), "\(problems)")
        #expect(problems.contains("15:10 duplicate step id 'a' (first at line 5, column 5); ids must be unique in a runbook"), "\(problems)")
        #expect(problems.count == 2, "the same id in two groups is two keys, a/x and b/x: \(problems)")
    }

    @Test func mistakesInGroupsAndFinallyAreReportedWhereTheyAre() {
        let (_, problems) = parse("""
        muster: 1
        name: flow
        title: Flow
        deadline: soon
        steps:
          - id: g
            title: G
            steps: []
          - id: h
            title: H
            steps:
              - {id: y, title: Y, run: 'true', retires: 1}
            timeout: 5m
        finally: {id: c}
        """)
        #expect(problems.contains { $0.hasPrefix("4:11 ") && $0.contains("deadline") }, "\(problems)")
        #expect(problems.contains("8:12 group 'g' has no steps; list at least one under 'steps'"), "\(problems)")
        #expect(problems.contains { $0.hasPrefix("12:40 ") && $0.contains("did you mean 'retries'") }, "\(problems)")
        #expect(problems.contains { $0.hasPrefix("13:5 ") && $0.contains("'timeout' applies to automated steps") }, "\(problems)")
        #expect(problems.contains("14:10 'finally' must be a list of steps, not a mapping"), "\(problems)")
    }

    @Test func parallelBranchesAreKeyedUnderTheStepAndSeeOnlyWhatCameBefore() throws {
        let (rb, problems) = parse("""
        muster: 1
        name: flow
        title: Flow
        steps:
          - {id: lag, title: Lag, run: echo lag=3, outputs: {lag: {regex: 'lag=(\\d+)'}}}
          - id: rebuild
            title: Rebuild
            parallel:
              max: 2
              on_failure: cancel
              branches:
                - id: cluster
                  title: Cluster
                  steps:
                    - {id: create, title: Create, run: 'echo arn=1 {{ lag }}', outputs: {arn: {regex: 'arn=(\\d+)'}}}
                - {id: database, title: Database, run: 'echo db={{ lag }}', outputs: {db: {regex: 'db=(\\d+)'}}}
          - {id: after, title: After, run: 'echo {{ arn }} {{ db }}'}
        """)
        #expect(problems.isEmpty, "\(problems)")
        let step = try #require(rb?.steps[1])
        guard case .parallel(let p) = step.body else { Issue.record("not parallel"); return }
        #expect(p.max == 2 && p.onFailure == .cancel)
        #expect(p.branches.map(\.id) == ["cluster", "database"])
        #expect(rb?.keyedSteps.map(\.key) == ["lag", "rebuild", "rebuild/cluster", "rebuild/cluster/create", "rebuild/database", "after"])
    }

    @Test func mistakesInParallelStepsAreReportedWhereTheyAre() {
        let (_, problems) = parse("""
        muster: 1
        name: flow
        title: Flow
        steps:
          - id: rebuild
            title: Rebuild
            parallel:
              on_failure: cancle
              max: 0
              branches:
                - {id: a, title: A, run: echo x=1, outputs: {x: {regex: 'x=(\\d+)'}}}
                - {id: b, title: B, run: 'echo {{ x }}'}
                - {id: a, title: Again, run: echo y=1, outputs: {x: {regex: 'x=(\\d+)'}}}
          - id: one
            title: One
            parallel:
              branches:
                - {id: only, title: Only, run: "true"}
          - id: loop
            title: Loop
            for_each: {in: [a, b], as: item}
            parallel:
              branches:
                - {id: p, title: P, run: "true"}
                - {id: q, title: Q, run: "true"}
          - {id: confirmed, title: Confirmed, retries: 2, parallel: {branches: [{id: p, title: P, run: "true"}, {id: q, title: Q, run: "true"}]}}
        """)
        #expect(problems.contains("8:19 parallel 'on_failure' must be 'finish' or 'cancel', not 'cancle' (did you mean 'cancel'?): finish lets running branches end their step, cancel stops them"), "\(problems)")
        #expect(problems.contains { $0.hasPrefix("9:12 ") && $0.contains("'max' must be between 1 and 100") }, "\(problems)")
        #expect(problems.contains("12:40 'x' is set by step 'rebuild/a', which does not run before this point"), "\(problems)")
        #expect(problems.contains { $0.hasPrefix("13:16 duplicate step id 'a'") && $0.hasSuffix("ids must be unique among the branches of 'rebuild'") }, "\(problems)")
        #expect(problems.contains("13:15 branch 'a' sets 'x', which branch 'a' of 'rebuild' also sets; the branches run at the same time, so give each its own name") == false)
        #expect(problems.contains("18:9 parallel step 'one' has 1 branch; list at least two, or make it a plain step or group"), "\(problems)")
        #expect(problems.contains { $0.hasPrefix("21:15 for_each on a parallel step is not supported yet") }, "\(problems)")
        #expect(problems.contains { $0.contains("'retries' applies to automated steps (run, wait, http, ci), not to a parallel step") }, "\(problems)")
    }
}
