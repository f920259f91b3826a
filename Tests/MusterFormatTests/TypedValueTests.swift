import Foundation
@testable import MusterBasics
@testable import MusterFormat
@testable import MusterEngine
@testable import MusterTesting
import MusterYAML
import Testing

/// Typed values: what each type accepts, and that the runbook's parser reads
/// `type` on parameters, `ask` questions and outputs.
@Suite("Typed values")
struct TypedValueTests {
    @Test func typedValuesAreCheckedWhenSet() {
        let cases: [(ValueType, String, Bool)] = [
            (.int, "42", true), (.int, "-7", true), (.int, "0", true), (.int, "010", false), (.int, "4.2", false),
            (.int, "BASH_VERSINFO[$(id)]", false), (.int, "", false), (.int, "1e3", false), (.int, String(repeating: "9", count: 19), false),
            (.number, "0.25", true), (.number, "-3", true), (.number, "1.", false), (.number, ".5", false), (.number, "1.2.3", false),
            (.duration, "1h30m", true), (.duration, "90", false),
            (.bool, "true", true), (.bool, "false", true), (.bool, "yes", false),
            (.string, "a[$(id)]", true),
        ]
        for (type, value, ok) in cases {
            let problem = ValueRule(type: type).problem(with: value, name: "v")
            #expect((problem == nil) == ok, "\(type) \(value.debugDescription): \(problem?.description ?? "accepted")")
        }
        // The refusal names the value (cut short: it may be a hostile reply), the name and the type.
        let long = ValueRule(type: .int).problem(with: String(repeating: "x", count: 500), name: "lag")?.description ?? ""
        #expect(long.contains("as 'lag' must be (type: int)"))
        #expect(long.count < 200)
        // A secret answer that does not fit is refused without being quoted.
        let secret = ValueRule(type: .int).problem(with: "hunter2-unseal", name: "key", reveal: false)?.description ?? ""
        #expect(!secret.contains("hunter2") && secret.hasPrefix("the value is not an int"), "\(secret)")
        #expect(ValueRule(type: .int, choices: ["1", "2"]).problem(with: "3", name: "n")?.description.contains("not one of the choices") == true)
    }

    func parse(_ text: String) -> (Runbook?, [Diagnostic]) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("muster-typed-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: dir.appendingPathComponent("runbooks"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("runbooks/typed.yaml").path
        try? text.write(toFile: path, atomically: true, encoding: .utf8)
        let entry = Catalog(currentDirectory: dir.path, rootFinder: { _ in dir.path }).load(path)
        return (entry.runbook, entry.diagnostics)
    }

    @Test func theParserReadsTypesOnParametersQuestionsAndOutputs() throws {
        let (rb, diagnostics) = parse("""
        muster: 1
        name: typed
        title: Typed
        params:
          replicas: {type: int, default: "3"}
        steps:
          - id: ask
            title: Ask
            manual: [Open the incident]
            ask:
              ticket: Ticket
              key: {prompt: Unseal key, secret: true}
              batch: {prompt: How many at once, type: int, choices: ["1", "2"]}
          - id: lag
            title: Lag
            run: "echo '{\\"lag\\": 3}'"
            outputs:
              lag: {json: lag, type: int}
          - id: use
            title: Use
            run: declare -i total={{ lag }}+{{ batch }}+{{ replicas }}; echo $(( total ))
        """)
        #expect(diagnostics.filter { $0.severity == .error }.isEmpty, "\(diagnostics)")
        let runbook = try #require(rb)
        #expect(runbook.param("replicas")?.type == .int)
        guard case .manual(_, let ask) = runbook.steps[0].body else { Issue.record("not manual"); return }
        #expect(ask.map(\.name) == ["ticket", "key", "batch"])
        #expect(ask[0].prompt == "Ticket" && !ask[0].secret && ask[0].rule.isEmpty)
        #expect(ask[1].secret && ask[1].prompt == "Unseal key")
        #expect(ask[2].rule == ValueRule(type: .int, choices: ["1", "2"]))
        #expect(runbook.steps[1].automation?.outputs.first?.rule.type == .int)
    }

    @Test func mistakesInTypesAreReportedAtTheirPosition() {
        let (_, diagnostics) = parse("""
        muster: 1
        name: typed
        title: Typed
        params:
          replicas: {type: integer, default: "3"}
          zone: {type: int, choices: ["a"]}
        steps:
          - id: ask
            title: Ask
            manual: [x]
            ask:
              key: {secret: true}
          - id: use
            title: Use
            run: echo $(( {{ zone }} + 1 ))
        """)
        let messages = diagnostics.map { "\($0.mark?.line ?? 0):\($0.mark?.column ?? 0): \($0.message)" }
        #expect(messages.contains { $0.hasPrefix("5:20: 'type' must be 'string', 'int', 'number', 'duration' or 'bool', not 'integer'") }, "\(messages)")
        #expect(messages.contains { $0.hasPrefix("6:31: choice 'a' is not an int") }, "\(messages)")
        #expect(messages.contains { $0.hasPrefix("12:12: question 'key' needs a 'prompt'") }, "\(messages)")
        // A typed int may stand in arithmetic: no error on line 15.
        #expect(!messages.contains { $0.hasPrefix("15:") }, "\(messages)")
    }
}
