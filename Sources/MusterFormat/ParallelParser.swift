import MusterYAML
import MusterBasics

extension RunbookParser {
    /// `parallel: {max, on_failure, branches}`. Each branch sees only what
    /// was known before the parallel step began: a sibling branch runs at
    /// the same time, so its answers and outputs may not exist yet. After
    /// the step, every branch's names are known.
    mutating func parseParallel(_ v: Node, id: String, _ scope: inout Scope) -> Parallel {
        var p = Parallel(branches: [])
        guard let f = r.fields(v, "parallel", allowed: ["max", "on_failure", "branches"]) else { return p }
        if let m = f["max"], let n = r.int(m, "max", min: 1, max: 100) { p.max = n }
        if let o = f["on_failure"], let s = r.string(o, "on_failure") {
            if let choice = Parallel.OnFailure(rawValue: s) {
                p.onFailure = choice
            } else {
                let names = Parallel.OnFailure.allCases.map(\.rawValue)
                let hint = suggestion(for: s, among: names).map { " (did you mean '\($0)'?)" } ?? ""
                r.error(o.mark, "parallel 'on_failure' must be \(quotedList(names)), not '\(s)'\(hint): finish lets running branches end their step, cancel stops them")
            }
        }
        guard let b = r.require(f, "branches") else { return p }
        guard let items = b.items else {
            r.error(b.mark, "parallel 'branches' must be a list of steps (often groups or included runbooks), not \(b.kindName)")
            return p
        }
        if items.count < 2 { r.error(b.mark, "parallel step '\(id)' has \(items.count) branch\(items.count == 1 ? "" : "es"); list at least two, or make it a plain step or group") }
        let before = scope
        let outer = scope.prefix
        var ids: [String: Mark] = [:]
        var definedBy: [String: String] = [:]
        for item in items {
            var branch = before
            branch.prefix = outer + id + "/"
            guard let step = parseStep(item, &branch) else { continue }
            let idMark = item.pairs?.first { $0.key.scalar == "id" }?.value.mark ?? step.mark
            if !step.id.isEmpty {
                if let first = ids[step.id] {
                    r.error(idMark, "duplicate step id '\(step.id)' (first at line \(first.line), column \(first.column)); ids must be unique among the branches of '\(id)'")
                } else {
                    ids[step.id] = idMark
                }
            }
            // Two branches running at once must not set the same name:
            // which value a later step saw would depend on timing.
            for (name, by) in branch.defined where before.defined[name] == nil {
                if let other = definedBy[name], other != step.id {
                    r.error(idMark, "branch '\(step.id)' sets '\(name)', which branch '\(other)' of '\(id)' also sets; the branches run at the same time, so give each its own name")
                }
                definedBy[name] = step.id
                scope.defined[name] = by
            }
            scope.rules.merge(branch.rules) { old, _ in old }
            scope.secretAnswers.formUnion(branch.secretAnswers)
            scope.arithmeticNames.formUnion(branch.arithmeticNames)
            scope.stepKeys += branch.stepKeys.filter { !before.stepKeys.contains($0) }
            scope.stepKeys.append(outer + StepKey(id).child(step.id).raw)
            p.branches.append(step)
        }
        return p
    }
}
