import MusterBasics
import MusterTerminal
import MusterFormat
import MusterEngine
import MusterJournal
import MusterDrills
import MusterPreflight


/// Phrases shared by the text and Markdown renderings of a plan.
package enum PlanSummary {
    package static func kindLine(_ s: PlanStep) -> String {
        guard let a = s.step.automation else { return "" }
        var parts: [String] = []
        if let h = s.step.host { parts.append("on \(sanitize(s.text(h))) through ssh") }
        if a.confirm { parts.append("confirm first") }
        // Who must say yes is part of the procedure: on paper too.
        if let ap = a.approval { parts.append("approval: \(sanitize(ap.who)) (muster approve)") }
        parts.append("timeout \(DurationFormat.format(a.timeout))")
        if let e = a.expect { parts.append("expect \(DurationFormat.format(e))") }
        if a.retries > 0 { parts.append("\(a.retries) retr\(a.retries == 1 ? "y" : "ies") every \(DurationFormat.format(a.retryDelay))") }
        if let o = a.onFailure { parts.append("on failure: \(o.rawValue)") }
        if a.idempotent { parts.append("idempotent") }
        if a.keepRunning { parts.append("keeps what it starts running") }
        return parts.joined(separator: " · ")
    }

    package static func param(_ p: Param) -> String {
        var extra: [String] = []
        if let c = p.choices { extra.append("one of: \(c.joined(separator: ", "))") }
        if let pat = p.pattern { extra.append("pattern \(pat)") }
        let desc = p.description ?? ""
        return extra.isEmpty ? desc : desc + (desc.isEmpty ? "" : " ") + "(\(extra.joined(separator: "; ")))"
    }

    package static func http(_ s: PlanStep, _ h: HTTPCheck) -> [String] {
        var lines = ["\(h.method) \(s.text(h.url))"]
        for (k, v) in h.headers { lines.append("\(k): \(s.text(v))") }
        if let b = h.body { lines.append("body: \(s.text(b))") }
        lines.append("expect status \(h.status.map(String.init) ?? "2xx")" + (h.bodyContains.map { ", body contains '\(s.text($0))'" } ?? ""))
        return lines
    }

    package static func ci(_ s: PlanStep, _ c: CISpec) -> [String] {
        var what = "\(c.provider.rawValue) at \(s.text(c.url))"
        for key in ["builder", "scheduler", "repo", "workflow", "project", "job", "ref"] {
            if let t = c.settings[key] { what += ", \(key) \(s.text(t))" }
        }
        var lines = [what]
        if !c.inputs.isEmpty { lines.append("inputs: " + c.inputs.map { "\($0.name)=\(s.text($0.value))" }.joined(separator: ", ")) }
        if let t = c.token { lines.append("token: secret \(t)") }
        return lines
    }

    package static func outputs(_ a: Automation) -> String? {
        guard !a.outputs.isEmpty else { return nil }
        return a.outputs.map { o in
            let source = switch o.source {
            case .regex(let r): "\(o.name) ← regex \(r)"
            case .json(let j): "\(o.name) ← json \(j)"
            }
            return source + (o.recoveryPoint ? " (recovery point)" : "")
        }.joined(separator: ", ")
    }

    /// What a guard looks at, in one line for a request (a command is
    /// shown as a command by each form).
    package static func guardRequest(_ h: HTTPCheck, _ text: (Template) -> String) -> String {
        "\(h.method) \(text(h.url)), expect status \(h.status.map(String.init) ?? "2xx")" + (h.bodyContains.map { ", body contains '\(text($0))'" } ?? "")
    }

    /// How often, and what a breach does.
    package static func guardTerms(_ g: Guard) -> String {
        let breach = switch g.onBreach {
        case .ask: "ask (continue, roll back or abort)"
        case .rollback: "stop the running steps and roll back"
        case .abort: "stop the running steps and abort"
        }
        return "every \(DurationFormat.format(g.every)), timeout \(DurationFormat.format(g.effectiveTimeout)) · on breach: \(breach)"
    }

    package static func secret(_ s: Secret) -> String {
        var from: [String] = []
        if let e = s.env { from.append("env \(e)") }
        if let f = s.file { from.append("file \(f)") }
        return "\(s.name) (\(from.joined(separator: ", then ")))" + (s.description.map { ": \($0)" } ?? "")
    }
}
