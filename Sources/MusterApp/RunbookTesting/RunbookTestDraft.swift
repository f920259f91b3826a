import MusterBasics
import MusterFormat
import MusterEngine

/// `muster test --new RUNBOOK`: a first test that takes the happy path, a
/// fake for every automated step timed by its `expect:`, for the team to
/// edit. What cannot be guessed (an answer, an output's value) is written
/// as CHANGE-ME, so the draft fails plainly until someone fills it in.
public enum RunbookTestDraft {
    public static func yaml(_ rb: Runbook, includes: [String: Runbook]) -> String {
        var lines = ["muster: 1", "test: \(quoted("\(rb.name) takes the happy path"))", "runbook: \(rb.name)"]
        let required = rb.params.filter { $0.defaultValue == nil }
        if !required.isEmpty {
            lines.append("params:")
            for p in required { lines.append("  \(p.name): \(quoted(p.choices?.first ?? "CHANGE-ME"))") }
        }
        let plan = FlatPlan(rb, includes: includes)
        var answers: [String] = []
        for e in plan.entries {
            switch e.step.body {
            case .manual(_, let asks):
                answers += asks.map { "  \($0.name): \(quoted($0.rule.choices?.first ?? "CHANGE-ME"))   # \(oneLine($0.prompt))" }
            // The first option is a guess at the happy path: the comment lists the others.
            case .decide(let d):
                answers.append("  \(e.step.id): \(quoted(d.options.first ?? "CHANGE-ME"))   # decision: \(d.options.joined(separator: " | "))")
            default: break
            }
        }
        if !answers.isEmpty { lines += ["answers:"] + answers }
        lines.append("fakes:")
        for e in plan.entries {
            guard let a = e.step.automation else { continue }
            let after = a.expect.map { ", after: \(DurationFormat.format($0))" } ?? ""
            var fake: String
            switch e.step.body {
            case .http(let h): fake = "{http: {status: \(h.status ?? 200), body: \(quoted(h.bodyContains.map { _ in "CHANGE-ME: what body_contains expects" } ?? ""))}\(after)}"
            case .ci: fake = "{ci: success\(after)}"
            default:
                let shown = a.outputs.compactMap(sample)
                fake = "{exit: 0" + (shown.isEmpty ? "" : ", stdout: \(quoted(shown.joined(separator: "\n") + "\n"))") + after + "}"
            }
            let unguessed = a.outputs.filter { sample($0) == nil }.map(\.name)
            lines.append("  \(e.key): \(fake)" + (unguessed.isEmpty ? "" : "   # stdout must give \(unguessed.joined(separator: ", "))"))
        }
        lines += ["expect:", "  outcome: completed", ""]
        return lines.joined(separator: "\n")
    }

    /// A line the output's pattern reads a value from, when the pattern is
    /// a plain prefix and one group (`zone_id=(\S+)`).
    static func sample(_ o: Output) -> String? {
        guard case .regex(let re) = o.source, let open = re.firstIndex(of: "("), re.hasSuffix(")") else { return nil }
        let prefix = re[..<open]
        guard !prefix.contains(where: { "\\^$.|?*+[]{}()".contains($0) }) else { return nil }
        let group = re[open...]
        let value = group.contains("[0-9]") || group.contains("\\d") ? "0" : "CHANGE-ME"
        return prefix + value
    }

    /// A double-quoted YAML scalar (JSON's quoting, which YAML reads).
    static func quoted(_ s: String) -> String { JSON.string(s).serialized() }

    static func oneLine(_ s: String) -> String { s.split(whereSeparator: \.isNewline).joined(separator: " ") }
}
