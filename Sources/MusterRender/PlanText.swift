import MusterBasics
import MusterTerminal
import MusterFormat
import MusterEngine
import MusterJournal
import MusterDrills
import MusterPreflight



/// The plan for reading on a terminal: one block per step, numbered as the
/// executor will number them.
package struct PlanText {
    package let style: Style
    package init(style: Style) { self.style = style }

    package func render(_ plan: Plan) -> String {
        let rb = plan.runbook
        var out: [String] = []
        out.append(style.bold(sanitize(rb.title.expand(plan.values))))
        var facts = ["runbook \(rb.name)", "\(plan.stepCount) step\(plan.stepCount == 1 ? "" : "s")"]
        if let rto = rb.rto { facts.append("RTO \(DurationFormat.format(rto))") }
        if let rpo = rb.rpo { facts.append("RPO \(DurationFormat.format(rpo))") }
        if !rb.owners.isEmpty { facts.append("owners: \(rb.owners.joined(separator: ", "))") }
        out.append(style.dim(sanitize(facts.joined(separator: " · "))))
        if let d = rb.description { out.append(""); out.append(sanitize(d.trimmingTrailingNewlines(), lines: true)) }
        if !rb.params.isEmpty {
            out.append("")
            out.append(style.bold("Parameters"))
            let width = rb.params.map(\.name.count).max() ?? 0
            for p in rb.params {
                let value = plan.values[p.name] ?? "(required)"
                out.append("  \(sanitize(p.name).padded(width))  \(sanitize(value))  \(sanitize(PlanSummary.param(p)))")
            }
        }
        if !rb.secrets.isEmpty {
            out.append("")
            out.append(style.bold("Secrets") + " (values never shown)")
            for s in rb.secrets { out.append("  " + sanitize(PlanSummary.secret(s))) }
        }
        if !rb.escalation.isEmpty {
            out.append("")
            out.append(style.bold("Escalation"))
            for r in rb.escalation { out.append("  after \(DurationFormat.format(r.after)): \(sanitize(r.contact))") }
        }
        if !rb.guards.isEmpty {
            out.append("")
            out.append(style.bold("Guards") + " (checked while the steps run; a breach stops anything new from starting)")
            guards(rb.guards, indent: "  ", text: { $0.expand(plan.values) }, shell: { $0.shellDisplay(plan.values) }, &out)
        }
        out.append("")
        out.append(style.bold("Steps"))
        for s in plan.steps { render(s, depth: 0, into: &out) }
        if let d = rb.deadline { out.append(style.dim("deadline: \(DurationFormat.format(d)) after the start; past it, every prompt says so")) }
        if !plan.finally.isEmpty {
            out.append("")
            out.append(style.bold("Finally") + " (always run when the run ends, however it ends)")
            for s in plan.finally { render(s, depth: 0, into: &out) }
        }
        return out.joined(separator: "\n") + "\n"
    }

    private func render(_ s: PlanStep, depth: Int, into out: inout [String]) {
        let pad = String(repeating: "   ", count: depth)
        let body = pad + "     "
        out.append("\(pad)\(style.bold("\(s.number.padded(depth == 0 ? 3 : 0, right: true)). \(sanitize(s.text(s.step.title)))"))  \(style.dim("[\(s.step.kind.rawValue)] \(sanitize(s.step.id))"))")
        if let w = s.step.when { out.append(body + style.dim("only when: \(sanitize(w.text))")) }
        if s.step.confirmWhole { out.append(body + style.dim("confirm first: one gate before any of its steps")) }
        if let each = s.step.forEach { out.append(body + style.dim("for each \(each.name) in \(sanitize(each.source.describe))\(each.maxFailures > 0 ? ", up to \(each.maxFailures) may fail" : "")")) }
        if !s.step.guards.isEmpty {
            out.append(body + style.dim("guards, checked while its steps run:"))
            guards(s.step.guards, indent: body + "  ", text: s.text, shell: s.shell, &out)
        }
        let summary = PlanSummary.kindLine(s)
        if !summary.isEmpty { out.append(body + style.dim(summary)) }
        if let n = s.step.notes {
            for line in s.text(n).trimmingTrailingNewlines().split(separator: "\n", omittingEmptySubsequences: false) {
                out.append(body + "│ " + sanitize(String(line), lines: true))
            }
        }
        switch s.step.body {
        case .manual(let items, let ask):
            // Numbered from 1, as `log`, `trace` and `report` name them.
            for (n, i) in items.enumerated() { out.append(body + "[ ] \(n + 1). " + sanitize(s.text(i))) }
            for q in ask { out.append(body + "? \(q.name): \(sanitize(q.prompt))") }
        case .decide(let d):
            for (i, o) in d.options.enumerated() { out.append(body + "(\(i + 1)) " + sanitize(o)) }
            out.append(body + style.dim("decide one, and say why; the option becomes {{ \(s.step.id) }}"))
        case .run(let t):
            command(s.shell(t), body, &out)
        case .wait(let w):
            switch w.probe {
            case .run(let t): command(s.shell(t), body, &out)
            case .http(let h): for l in PlanSummary.http(s, h) { out.append(body + sanitize(l)) }
            }
            let until = w.until.map { "until output is '\(sanitize(s.text($0)))'" } ?? "until it succeeds"
            out.append(body + style.dim("poll every \(DurationFormat.format(w.every)) \(until), for up to \(DurationFormat.format(w.timeout))"))
        case .http(let h):
            for l in PlanSummary.http(s, h) { out.append(body + sanitize(l)) }
        case .ci(let c):
            for l in PlanSummary.ci(s, c) { out.append(body + sanitize(l)) }
        case .runbook(let spec):
            let with = spec.with.map { "\($0.name)=\(s.text($0.value))" }.joined(separator: ", ")
            out.append(body + "runs runbook \(sanitize(spec.runbook))" + (with.isEmpty ? "" : " with \(sanitize(with))"))
            for c in s.children { render(c, depth: depth + 1, into: &out) }
        case .group:
            for c in s.children { render(c, depth: depth + 1, into: &out) }
        case .parallel(let p):
            let at = p.max.map { " (at most \($0) at once)" } ?? ""
            out.append(body + style.dim("these \(p.branches.count) branches run at the same time\(at); if one fails, \(p.onFailure == .finish ? "the others finish the step they are on" : "the others are stopped")"))
            for c in s.children { render(c, depth: depth + 1, into: &out) }
        }
        if let a = s.step.automation {
            if let o = PlanSummary.outputs(a) { out.append(body + style.dim("outputs: \(sanitize(o))")) }
            if let r = a.rollback { out.append(body + style.dim("rollback:")); command(s.shell(r), body, &out) }
        }
    }

    private func guards(_ guards: [Guard], indent: String, text: (Template) -> String, shell: (Template) -> String, _ out: inout [String]) {
        for g in guards {
            out.append(indent + "\(style.bold(sanitize(text(g.title))))  \(style.dim("[guard] \(sanitize(g.id))"))")
            switch g.check {
            case .run(let t): command(shell(t), indent + "   ", &out)
            case .http(let h): out.append(indent + "   " + sanitize(PlanSummary.guardRequest(h, text)))
            }
            out.append(indent + "   " + style.dim(PlanSummary.guardTerms(g)))
        }
    }

    private func command(_ text: String, _ indent: String, _ out: inout [String]) {
        for line in text.trimmingTrailingNewlines().split(separator: "\n", omittingEmptySubsequences: false) {
            out.append(indent + style.cyan("$ ") + sanitize(String(line), lines: true))
        }
    }
}

extension String {
    package func padded(_ width: Int, right: Bool = false) -> String {
        count >= width ? self : (right ? String(repeating: " ", count: width - count) + self : self + String(repeating: " ", count: width - count))
    }

    package func trimmingTrailingNewlines() -> String {
        var s = self
        while s.hasSuffix("\n") { s.removeLast() }
        return s
    }
}
