import MusterYAML

/// `host:` on a `run` step. The script leaves this machine, so what it may
/// carry is narrower than here: a secret that reaches another host is a leak
/// unless the runbook can say so, and this format has no way to say so yet.
/// A host step therefore names no secret and no secret answer, in its
/// script or in its host; its secrets stay on the operator's machine.
extension RunbookParser {
    mutating func parseHost(_ node: Node, _ scope: Scope) -> Template? {
        guard let s = r.nonEmptyString(node, "host") else { return nil }
        let t = template(node, s, scope)
        if t.references.isEmpty, let why = HostAddress.problem(s) {
            r.error(node.mark, "'host' cannot be '\(s)': \(why)")
        }
        for ref in t.references where scope.secretAnswers.contains(ref.name) {
            r.error(ref.mark, "'{{ \(ref.name) }}' is a secret answer; a host name is sent to ssh and shown, so it cannot come from a secret")
        }
        return t
    }

    /// What a `run` step with `host` may not do; `script` is its `run`, and
    /// its `rollback` runs on the same host.
    mutating func checkHostStep(_ f: Fields, script: Template, scriptNode: Node, rollback: Template?, _ scope: Scope) {
        for (t, node) in [(script, scriptNode)] + (rollback.map { r in f["rollback"].map { [(r, $0)] } ?? [] } ?? []) {
            for ref in t.references where scope.secretAnswers.contains(ref.name) {
                r.error(ref.mark, "'{{ \(ref.name) }}' is a secret answer, and this step runs on another host ('host'); a secret is never sent to another machine: run the part that needs it here, in a step without 'host'")
            }
            for name in secretVariables(in: t.raw) {
                r.error(node.mark, "this step runs on another host ('host') but names secret $\(name); secrets are never sent to another machine (the remote script would not have it): run the part that needs it here, in a step without 'host'")
            }
        }
        if let m = f.keyMark("keep_running") {
            r.error(m, "'keep_running' cannot be used with 'host': what a host step leaves running on the host is stopped when its script ends")
        }
    }

    /// Declared secrets the script reads as `$NAME` or `${NAME…}`.
    func secretVariables(in script: String) -> [String] {
        guard !secretNames.isEmpty else { return [] }
        let bytes = Array(script.utf8)
        var found: [String] = []
        var i = 0
        while i < bytes.count {
            defer { i += 1 }
            guard bytes[i] == UInt8(ascii: "$") else { continue }
            var j = i + 1
            if j < bytes.count, bytes[j] == UInt8(ascii: "{") { j += 1 }
            let start = j
            while j < bytes.count, bytes[j] == UInt8(ascii: "_") || (bytes[j] | 0x20 >= 97 && bytes[j] | 0x20 <= 122) || (bytes[j] >= 48 && bytes[j] <= 57) { j += 1 }
            let name = String(decoding: bytes[start..<j], as: UTF8.self)
            if secretNames.contains(name), !found.contains(name) { found.append(name) }
        }
        return found
    }
}
