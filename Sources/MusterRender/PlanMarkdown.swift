import MusterBasics
import MusterTerminal
import MusterFormat
import MusterEngine
import MusterJournal
import MusterDrills
import MusterPreflight



/// A printable paper copy of the whole procedure: checkboxes for every
/// manual item and step, the exact commands of automated ones, and blanks to
/// write answers and times into, for when laptops, VPN or Muster are down.
/// Every field goes through `sanitize`: one-line fields stay on their line
/// (a title cannot start a checklist item of its own), and no control
/// character reaches the terminal or the printer.
package struct PlanMarkdown {
    package init() {}
    package func render(_ plan: Plan) -> String {
        let rb = plan.runbook
        var out: [String] = []
        out.append("# \(sanitize(rb.title.expand(plan.values)))")
        out.append("")
        var facts = ["Runbook `\(rb.name)`", "\(plan.stepCount) step\(plan.stepCount == 1 ? "" : "s")"]
        if let rto = rb.rto { facts.append("RTO \(DurationFormat.format(rto))") }
        if let rpo = rb.rpo { facts.append("RPO \(DurationFormat.format(rpo))") }
        if !rb.owners.isEmpty { facts.append("Owners: \(rb.owners.joined(separator: ", "))") }
        out.append(sanitize(facts.joined(separator: " · ")))
        out.append("")
        out.append("Operator: ______________  Started (UTC): ______________  Finished (UTC): ______________")
        if let d = rb.description { out.append(""); out.append(sanitize(d.trimmingTrailingNewlines(), lines: true)) }
        if !rb.params.isEmpty {
            out.append("")
            out.append("## Parameters")
            out.append("")
            out.append("| Name | Value | Description |")
            out.append("|---|---|---|")
            for p in rb.params {
                let value = plan.values[p.name].map { "`\(cell($0))`" } ?? "______________"
                out.append("| `\(p.name)` | \(value) | \(cell(PlanSummary.param(p))) |")
            }
        }
        if !rb.secrets.isEmpty {
            out.append("")
            out.append("## Secrets")
            out.append("")
            for s in rb.secrets { out.append("- \(sanitize(PlanSummary.secret(s)))") }
        }
        if !rb.escalation.isEmpty {
            out.append("")
            out.append("## Escalation")
            out.append("")
            for r in rb.escalation { out.append("- [ ] After \(DurationFormat.format(r.after)): \(sanitize(r.contact)) (called at ______)") }
        }
        if !rb.guards.isEmpty {
            out.append("")
            out.append("## Guards")
            out.append("")
            out.append("Check these while the steps run; on a breach, start nothing new:")
            out.append("")
            guards(rb.guards, text: { $0.expand(plan.values) }, shell: { $0.shellDisplay(plan.values) }, &out)
        }
        out.append("")
        out.append("## Steps")
        for s in plan.steps { render(s, into: &out) }
        if let d = rb.deadline {
            out.append("")
            out.append("Deadline: \(DurationFormat.format(d)) after the start (at ______ UTC); past it, escalate.")
        }
        if !plan.finally.isEmpty {
            out.append("")
            out.append("## Finally: always do these when the run ends, however it ends")
            for s in plan.finally { render(s, into: &out) }
        }
        return sanitize(out.joined(separator: "\n"), lines: true) + "\n"
    }

    private func render(_ s: PlanStep, into out: inout [String]) {
        let level = min(6, 3 + s.number.filter { $0 == "." }.count)
        out.append("")
        out.append("\(String(repeating: "#", count: level)) \(s.number). \(sanitize(s.text(s.step.title)))")
        out.append("")
        out.append("`\(s.step.id)` · \(s.step.kind.rawValue)" + (PlanSummary.kindLine(s).isEmpty ? "" : " · " + PlanSummary.kindLine(s)))
        if let n = s.step.notes { out.append(""); out.append(sanitize(s.text(n).trimmingTrailingNewlines(), lines: true)) }
        if let w = s.step.when {
            out.append("")
            out.append("Only when `\(sanitize(w.text))`.")
            out.append("")
            out.append("- [ ] It did not hold: skipped")
        }
        if s.step.confirmWhole {
            out.append("")
            out.append("Confirm before any of its steps begins: - [ ] Go ahead (by ______)")
        }
        if !s.step.guards.isEmpty {
            out.append("")
            out.append("Guards, checked while its steps run:")
            out.append("")
            guards(s.step.guards, text: s.text, shell: s.shell, &out)
        }
        if let each = s.step.forEach { out.append(""); out.append("Repeat for each `\(each.name)` in `\(sanitize(each.source.describe))`, one at a time: ______________") }
        out.append("")
        switch s.step.body {
        case .manual(let items, let ask):
            // Numbered from 1, as `log`, `trace` and `report` name them.
            for (n, i) in items.enumerated() { out.append("- [ ] \(n + 1). \(sanitize(s.text(i)))") }
            for q in ask { out.append("- \(sanitize(q.prompt)) (`\(q.name)`): ______________") }
        case .decide(let d):
            out.append("Decide, and write down why:")
            out.append("")
            for o in d.options { out.append("- [ ] `\(sanitize(o))`") }
            out.append("")
            out.append("Why: ______________")
        case .run(let t):
            code(s.shell(t), &out)
        case .wait(let w):
            switch w.probe {
            case .run(let t):
                out.append("Repeat every \(DurationFormat.format(w.every)), for up to \(DurationFormat.format(w.timeout)), until " + (w.until.map { "it prints `\(sanitize(s.text($0)))`:" } ?? "it succeeds:"))
                out.append("")
                code(s.shell(t), &out)
            case .http(let h):
                out.append("Repeat every \(DurationFormat.format(w.every)), for up to \(DurationFormat.format(w.timeout)), until this check passes:")
                out.append("")
                code(PlanSummary.http(s, h).joined(separator: "\n"), &out, lang: "http")
            }
        case .http(let h):
            code(PlanSummary.http(s, h).joined(separator: "\n"), &out, lang: "http")
        case .ci(let c):
            for l in PlanSummary.ci(s, c) { out.append("- \(sanitize(l))") }
        case .runbook(let spec):
            let with = spec.with.map { "`\($0.name)=\(sanitize(s.text($0.value)))`" }.joined(separator: ", ")
            out.append("Runs runbook `\(sanitize(spec.runbook))`" + (with.isEmpty ? "." : " with \(with)."))
            for c in s.children { render(c, into: &out) }
            return
        case .group:
            out.append("Do these steps in order:")
            for c in s.children { render(c, into: &out) }
            return
        case .parallel(let p):
            let at = p.max.map { ", at most \($0) at once" } ?? ""
            out.append("These \(p.branches.count) branches run at the same time\(at); if one fails, \(p.onFailure == .finish ? "the others finish the step they are on and start nothing new" : "the others are stopped"):")
            for c in s.children { render(c, into: &out) }
            return
        }
        if let a = s.step.automation {
            if let o = PlanSummary.outputs(a) { out.append(""); out.append("Note the outputs: \(sanitize(o)): ______________") }
            if a.outputs.contains(where: \.recoveryPoint) {
                out.append("")
                out.append("Recovery point (the newest data it brings back): ______ (UTC)")
            }
            if let r = a.rollback {
                out.append("")
                out.append("To roll back:")
                out.append("")
                code(s.shell(r), &out)
            }
        }
        if let ap = s.step.automation?.approval {
            // A blank per approver, before the step is done: the two-person rule on paper.
            let blanks = Array(repeating: "______", count: ap.count).joined(separator: " and ")
            out.append("")
            out.append("- [ ] Approved by \(blanks) (\(sanitize(ap.who))) at ______ (UTC)")
        }
        out.append("")
        out.append("- [ ] Done at ______ (UTC) · by ______")
    }

    /// A list item per guard; a command stays code (one line) so that it
    /// reads as what to type.
    private func guards(_ guards: [Guard], text: (Template) -> String, shell: (Template) -> String, _ out: inout [String]) {
        for g in guards {
            let check = switch g.check {
            case .run(let t): "run " + inlineCode(shell(t))
            case .http(let h): inlineCode(PlanSummary.guardRequest(h, text))
            }
            out.append("- [ ] **\(sanitize(text(g.title)))** (`\(g.id)`): \(check); \(PlanSummary.guardTerms(g))")
        }
    }

    /// Backticks longer than any run inside, and one line.
    private func inlineCode(_ text: String) -> String {
        let body = sanitize(text.trimmingTrailingNewlines())
        var longest = 0, run = 0
        for c in body { run = c == "`" ? run + 1 : 0; longest = max(longest, run) }
        let ticks = String(repeating: "`", count: longest + 1)
        return ticks + (longest > 0 ? " \(body) " : body) + ticks
    }

    private func code(_ text: String, _ out: inout [String], lang: String = "bash") {
        // A fence longer than any run of backticks inside, so a command
        // cannot close its block early and go on as Markdown.
        let body = sanitize(text.trimmingTrailingNewlines(), lines: true)
        var longest = 0, run = 0
        for c in body { run = c == "`" ? run + 1 : 0; longest = max(longest, run) }
        let fence = String(repeating: "`", count: max(3, longest + 1))
        out.append(fence + lang)
        out.append(body)
        out.append(fence)
    }

    private func cell(_ s: String) -> String {
        sanitize(s).split(separator: "|", omittingEmptySubsequences: false).joined(separator: "\\|")
    }
}
