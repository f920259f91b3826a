import MusterYAML
import MusterBasics

/// `guards:` (runbook-format.md, "Flow"). A guard is polled while the steps
/// of its level run, beside them, so it may only look: a command or a GET or
/// HEAD request, never a body. Its templates see what is known before its
/// level starts: parameters and built-ins for the runbook's, and what the
/// steps before the group set for a group's; secrets as a preflight check
/// has them (`$NAME` in a command, `${NAME}` in request fields).
extension RunbookParser {
    static let guardKeys = ["id", "title", "http", "run", "every", "on_breach", "timeout"]
    /// Each guard is a thread polling all run long: a file cannot ask for
    /// thousands of them.
    static let maxGuards = 64

    mutating func parseGuards(_ node: Node, _ scope: Scope, level: String) -> [Guard] {
        guard let items = node.items else {
            r.error(node.mark, "'guards' must be a list of guards ({id, title, http or run, every, on_breach}), not \(node.kindName)")
            return []
        }
        var guards: [Guard] = []
        var ids: [String: Mark] = [:]
        for item in items {
            guardsSeen += 1
            if guardsSeen == Self.maxGuards + 1 {
                r.error(item.mark, "a runbook may have at most \(Self.maxGuards) guards (each is checked on its own all run long); merge some into one check")
            }
            guard guardsSeen <= Self.maxGuards, let g = parseGuard(item, scope) else { continue }
            let idMark = item.pairs?.first { $0.key.scalar == "id" }?.value.mark ?? g.mark
            if !g.id.isEmpty {
                if let first = ids[g.id] {
                    r.error(idMark, "duplicate guard id '\(g.id)' (first at line \(first.line), column \(first.column)); ids must be unique among the guards of \(level)")
                } else {
                    ids[g.id] = idMark
                }
            }
            guards.append(g)
        }
        return guards
    }

    private mutating func parseGuard(_ item: Node, _ scope: Scope) -> Guard? {
        guard let f = r.fields(item, "a guard", allowed: Self.guardKeys, elsewhere: { key in
            if key == "wait" || key == "until" { return "'\(key)' is not used by a guard; it is polled 'every' on its own: give 'run' (exit 0 = holds) or 'http'" }
            if Self.automationKeys.contains(key) || key == "fix" || key == "when" { return "'\(key)' is not used by a guard; it takes \(quotedList(Self.guardKeys, conjunction: "and"))" }
            return nil
        }) else { return nil }
        var id = ""
        if let v = r.require(f, "id"), let s = r.nonEmptyString(v, "id") {
            id = s
            if !isStepID(s) { r.error(v.mark, "guard id '\(s)' must be lower-case letters, digits and dashes, starting with a letter or digit") }
        }
        var title = Template(raw: "", mark: item.mark)
        if let v = r.require(f, "title"), let s = r.nonEmptyString(v, "title") {
            title = template(v, s, scope)
            warnAboutComment(after: v, "title")
        }
        var check: GuardCheck?
        switch (f["run"], f["http"]) {
        case (let run?, nil):
            if let s = r.nonEmptyString(run, "run") { check = .run(shellTemplate(run, s, scope)) }
        case (nil, let http?):
            check = parseGuardHTTP(http, scope).map(GuardCheck.http)
        case (_?, _?):
            r.error(item.mark, "guard '\(id)' has both 'run' and 'http'; split it into two guards")
        case (nil, nil):
            r.error(item.mark, "guard '\(id)' needs 'run' (a read-only command: exit 0 = holds) or 'http' (a GET or HEAD request)")
        }
        var g = Guard(id: id, mark: item.mark, title: title, check: check ?? .run(Template(raw: "", mark: item.mark)))
        if let v = f["every"], let d = r.duration(v, "every") {
            if d == 0 { r.error(v.mark, "'every' must be at least 1s") }
            g.every = max(1, d)
        }
        if let v = f["timeout"], let d = r.duration(v, "timeout") {
            if d == 0 { r.error(v.mark, "'timeout' must be at least 1s") }
            g.timeout = max(1, d)
        }
        if let v = f["on_breach"], let s = r.string(v, "on_breach") {
            if let choice = OnBreach(rawValue: s) {
                g.onBreach = choice
            } else {
                let names = OnBreach.allCases.map(\.rawValue)
                let hint = suggestion(for: s, among: names).map { " (did you mean '\($0)'?)" } ?? ""
                r.error(v.mark, "guard 'on_breach' must be \(quotedList(names)), not '\(s)'\(hint): ask asks the operator at once, rollback and abort stop the running steps first")
            }
        }
        return check == nil ? nil : g
    }

    /// A guard's request only looks: GET or HEAD, no body.
    private mutating func parseGuardHTTP(_ node: Node, _ scope: Scope) -> HTTPCheck? {
        guard let h = parseHTTP(node, "guard http", scope, allowBody: false) else { return nil }
        if !["GET", "HEAD"].contains(h.method), let m = node.pairs?.first(where: { $0.key.scalar == "method" })?.value.mark {
            r.error(m, "a guard only looks: its request is GET or HEAD, not \(h.method); a request that changes something belongs in an http step")
        }
        return h
    }
}
