import MusterYAML
import MusterBasics

/// `requires` and `preflight` (runbook-format.md, "Preflight"). A check's
/// templates see the parameters and built-ins only: it runs before any step,
/// so no answer or output exists yet.
extension RunbookParser {
    mutating func parseRequires(_ node: Node) -> [String] {
        guard let list = r.stringList(node, "requires") else { return [] }
        var out: [String] = []
        for (name, item) in list {
            if name.isEmpty || name.contains(where: { $0 == " " || $0 == "\t" || $0 == "\n" }) {
                r.error(item.mark, "'requires' lists program names as found on PATH (aws, kubectl), not '\(name)'")
            } else if !out.contains(name) {
                out.append(name)
            }
        }
        return out
    }

    mutating func parsePreflight(_ node: Node, _ scope: Scope) -> [PreflightCheck] {
        guard let items = node.items else {
            r.error(node.mark, "'preflight' must be a list of checks ({title, run or http, fix}), not \(node.kindName)")
            return []
        }
        var checks: [PreflightCheck] = []
        for item in items {
            guard let f = r.fields(item, "a preflight check", allowed: ["title", "run", "http", "fix"], elsewhere: { key in
                Self.automationKeys.contains(key) || key == "id" ? "'\(key)' is not used by a preflight check; it takes title, run or http, and fix" : nil
            }) else { continue }
            var title = Template(raw: "", mark: item.mark)
            if let v = r.require(f, "title"), let s = r.nonEmptyString(v, "title") {
                title = template(v, s, scope)
                warnAboutComment(after: v, "title")
            }
            var probe: PreflightCheck.Probe?
            switch (f["run"], f["http"]) {
            case (let run?, nil):
                if let s = r.nonEmptyString(run, "run") { probe = .run(shellTemplate(run, s, scope)) }
            case (nil, let http?):
                if let h = parseHTTP(http, "preflight http", scope, allowBody: true) { probe = .http(h) }
            case (_?, _?):
                r.error(item.mark, "a preflight check has both 'run' and 'http'; split it in two")
            case (nil, nil):
                r.error(item.mark, "a preflight check needs 'run' (a read-only command) or 'http' (a read-only request)")
            }
            let fix = f["fix"].flatMap { r.nonEmptyString($0, "fix") }
            if let probe { checks.append(PreflightCheck(title: title, mark: item.mark, probe: probe, fix: fix)) }
        }
        return checks
    }
}
