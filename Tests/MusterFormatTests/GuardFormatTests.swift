import Foundation
@testable import MusterBasics
@testable import MusterFormat
import MusterTestSupport
import Testing

/// `guards:` as the parser reads them, at the runbook's level and a
/// group's, and the mistakes it reports at their place.
@Suite("Guards in the format")
struct GuardFormatTests {
    func parse(_ text: String) -> (Runbook?, [String]) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("muster-guards-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: dir.appendingPathComponent("runbooks"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("runbooks/g.yaml").path
        try? text.write(toFile: path, atomically: true, encoding: .utf8)
        let entry = Catalog(currentDirectory: dir.path, rootFinder: { _ in dir.path }).load(path)
        return (entry.runbook, entry.diagnostics.map { "\($0.mark?.line ?? 0):\($0.mark?.column ?? 0) \($0.message)" })
    }

    @Test func guardsAtTheRunbookAndOnAGroupWithTheirDefaults() throws {
        let (rb, problems) = parse("""
        muster: 1
        name: g
        title: G
        params:
          status_url: {default: "https://status.example"}
        secrets:
          STATUS_TOKEN: {}
        guards:
          - id: checkout-errors
            title: Checkout error rate stays under 2%
            http: {url: "{{ status_url }}/checkout/errors", body_contains: ok, headers: {Authorization: "Bearer ${STATUS_TOKEN}"}}
          - id: replica
            title: The replica answers
            run: pg_isready -h {{ status_url }}
            every: 10s
            timeout: 5s
            on_breach: abort
        steps:
          - id: measure
            title: Measure
            run: echo lag=3
            outputs: {lag: {regex: 'lag=(\\d+)', type: int}}
          - id: rebuild
            title: Rebuild
            guards:
              - {id: lag, title: 'Lag under {{ lag }}', run: 'test "$(cat lag)" -lt {{ lag }}', every: 1m, on_breach: rollback}
            steps:
              - {id: create, title: Create, run: 'true'}
          - id: both
            title: Both
            guards:
              - {id: lag, title: Lag, http: {url: "https://x/lag", method: head, status: 204}}
            parallel:
              branches:
                - {id: a, title: A, run: 'true'}
                - {id: b, title: B, run: 'true'}
        """)
        #expect(problems.isEmpty, "\(problems)")
        let runbook = try #require(rb)
        #expect(runbook.guards.map(\.id) == ["checkout-errors", "replica"])
        let first = runbook.guards[0], second = runbook.guards[1]
        #expect(first.every == 30 && first.onBreach == .ask && first.timeout == nil && first.effectiveTimeout == 30)
        guard case .http(let h) = first.check else { Issue.record("not http: \(first.check)"); return }
        #expect(h.method == "GET" && h.url.raw == "{{ status_url }}/checkout/errors" && h.bodyContains?.raw == "ok")
        #expect(second.every == 10 && second.timeout == 5 && second.onBreach == .abort)
        guard case .run(let t) = second.check else { Issue.record("not run: \(second.check)"); return }
        #expect(t.raw == "pg_isready -h {{ status_url }}")
        let group = runbook.steps[1].guards
        #expect(group.map(\.id) == ["lag"] && group[0].every == 60 && group[0].onBreach == .rollback && group[0].effectiveTimeout == 30)
        let parallel = runbook.steps[2].guards
        guard case .http(let ph)? = parallel.first?.check else { Issue.record("not http: \(parallel)"); return }
        #expect(ph.method == "HEAD" && ph.status == 204)
        #expect(runbook.steps[0].guards.isEmpty)
    }

    @Test func mistakesAreReportedWhereTheyAreWithDidYouMean() {
        let (_, problems) = parse("""
        muster: 1
        name: g
        title: G
        guards:
          - id: up
            title: Up
            run: 'true'
            evrey: 10s
            on_breach: rolback
          - id: up
            title: Up again
            http: {url: "https://x", method: POST, body: '{"a": 1}'}
          - id: Bad_Id
            title: Neither
          - id: both
            title: Both
            run: 'true'
            http: {url: "https://x"}
            every: 0s
            retries: 2
          - id: late
            title: 'Late {{ arn }} {{ regoin }}'
            run: 'echo {{ arn }}'
        params:
          region: {default: x}
        steps:
          - id: a
            title: A
            run: echo arn=1
            outputs: {arn: {regex: 'arn=(\\d+)'}}
            guards: []
          - id: g
            title: G
            guards: {id: x}
            steps:
              - {id: s, title: S, run: 'true'}
        """)
        let expected = [
            "8:5 unknown key 'evrey' in a guard (did you mean 'every'?)",
            "9:16 guard 'on_breach' must be 'ask', 'rollback' or 'abort', not 'rolback' (did you mean 'rollback'?): ask asks the operator at once, rollback and abort stop the running steps first",
            "10:9 duplicate guard id 'up' (first at line 5, column 9); ids must be unique among the guards of the runbook",
            "12:38 a guard only looks: its request is GET or HEAD, not POST; a request that changes something belongs in an http step",
            "12:44 guard http only looks (GET or HEAD) and sends no body; a request that changes something belongs in an http step",
            "13:9 guard id 'Bad_Id' must be lower-case letters, digits and dashes, starting with a letter or digit",
            "13:5 guard 'Bad_Id' needs 'run' (a read-only command: exit 0 = holds) or 'http' (a GET or HEAD request)",
            "15:5 guard 'both' has both 'run' and 'http'; split it into two guards",
            "19:12 'every' must be at least 1s",
            "20:5 'retries' is not used by a guard; it takes 'id', 'title', 'http', 'run', 'every', 'on_breach' and 'timeout'",
            "22:18 'arn' is set by step 'a', which does not run before this point",
            "22:28 unknown name 'regoin' in template (did you mean 'region'?); templates may use parameters, built-ins (run_id, operator, runbook), and answers or outputs of earlier steps",
            "23:16 'arn' is set by step 'a', which does not run before this point",
            "31:5 'guards' belong to the runbook, a group ('steps') or a 'parallel' step, not to a run step; put the step in a group to guard it alone",
            "34:13 'guards' must be a list of guards ({id, title, http or run, every, on_breach}), not a mapping",
        ]
        for e in expected { #expect(problems.contains(e), "missing \(e) in \(problems)") }
        #expect(problems.count == expected.count, "\(problems)")
    }

    @Test func aGroupsGuardSeesWhatWasKnownBeforeTheGroupNotWhatItSets() {
        let (_, problems) = parse("""
        muster: 1
        name: g
        title: G
        steps:
          - id: g
            title: G
            guards:
              - {id: x, title: 'X {{ inner }}', run: 'true'}
            steps:
              - {id: s, title: S, run: echo v=1, outputs: {inner: {regex: 'v=(\\d)'}}}
        """)
        #expect(problems == ["8:27 'inner' is set by step 'g/s', which does not run before this point"], "\(problems)")
    }

    @Test func aGuardsCommandRefusesATemplateWhereBashWouldRunIt() {
        let (_, problems) = parse("""
        muster: 1
        name: g
        title: G
        params:
          host: {default: x}
        guards:
          - {id: x, title: X, run: 'bash -c "ping {{ host }}"'}
        steps:
          - {id: s, title: S, run: 'true'}
        """)
        #expect(problems.count == 1, "\(problems)")
        #expect(problems.first?.hasPrefix("7:43 '{{ host }}' cannot be used here") == true, "\(problems.first ?? "")")
    }

    /// The JSON Schema an editor checks with agrees with the validator.
    @Test func theSchemaKnowsGuards() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("muster-guard-schema-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FormatSchema.runbook.write(toFile: dir + "/runbook.json", atomically: true, encoding: .utf8)
        let script = """
        import json, jsonschema
        rb = json.load(open('\(dir)/runbook.json'))
        jsonschema.Draft202012Validator.check_schema(rb)
        def ok(guards, step=None):
            s = step or {'id': 'a', 'title': 'A', 'run': 'true'}
            doc = {'muster': 1, 'name': 'x', 'title': 'X', 'steps': [s]}
            if guards is not None: doc['guards'] = guards
            return not list(jsonschema.Draft202012Validator(rb).iter_errors(doc))
        g = {'id': 'up', 'title': 'Up', 'http': {'url': 'https://x', 'body_contains': 'ok'}, 'every': '30s', 'on_breach': 'ask'}
        grp = {'id': 'a', 'title': 'A', 'guards': [g], 'steps': [{'id': 'b', 'title': 'B', 'run': 'true'}]}
        par = {'id': 'a', 'title': 'A', 'guards': [g], 'parallel': {'branches': [{'id': 'b', 'title': 'B', 'run': 'true'}, {'id': 'c', 'title': 'C', 'run': 'true'}]}}
        print(ok([g]), ok([{'id': 'r', 'title': 'R', 'run': 'true', 'timeout': '5s', 'on_breach': 'abort'}]), ok(None, grp), ok(None, par),
              ok([dict(g, on_breach='later')]), ok([dict(g, http={'url': 'https://x', 'method': 'POST'})]),
              ok([dict(g, http={'url': 'https://x', 'body': 'x'})]), ok([dict(g, run='true')]),
              ok(None, {'id': 'a', 'title': 'A', 'run': 'true', 'guards': [g]}))
        """
        let out = try sh("python3 -c \"$SCRIPT\"", cwd: dir, env: ["SCRIPT": script])
        #expect(out.trimmingCharacters(in: .whitespacesAndNewlines) == "True True True True False False False False False", "\(out)")
    }
}
