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
}
