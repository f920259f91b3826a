import MusterYAML
import MusterBasics

/// `type`, `pattern` and `choices`, read alike for parameters, `ask`
/// questions and step outputs.
extension RunbookParser {
    static let valueRuleKeys = ["type", "pattern", "choices"]

    mutating func parseValueRule(_ f: Fields) -> ValueRule {
        var rule = ValueRule()
        if let v = f["type"], let s = r.string(v, "type") {
            if let t = ValueType(rawValue: s) {
                rule.type = t
            } else {
                let names = ValueType.allCases.map(\.rawValue)
                let hint = suggestion(for: s, among: names).map { " (did you mean '\($0)'?)" } ?? ""
                r.error(v.mark, "'type' must be \(quotedList(names)), not '\(s)'\(hint)")
            }
        }
        if let v = f["choices"], let list = r.stringList(v, "choices") {
            if list.isEmpty { r.error(v.mark, "'choices' is empty; list the allowed values or drop it") }
            rule.choices = list.map(\.0)
            for (c, node) in list {
                if let why = rule.type.problem(with: c) { r.error(node.mark, "choice '\(c)' \(why), as type '\(rule.type.rawValue)' requires") }
            }
        }
        if let v = f["pattern"], let s = r.string(v, "pattern") {
            switch Patterns.compile(s) {
            case .success: rule.pattern = s
            case .failure(let e): r.error(v.mark, "'pattern' is not a valid regular expression: \(e)")
            }
        }
        return rule
    }

    /// `name: Prompt` or `name: {prompt: …, secret: true, type: …}`.
    mutating func parseAsk(_ node: Node) -> [Ask] {
        guard let pairs = node.pairs else {
            r.error(node.mark, "'ask' must be a mapping of NAME: question, not \(node.kindName)")
            return []
        }
        var asks: [Ask] = []
        for p in pairs {
            guard let name = p.key.scalar else { continue }
            if !isIdentifier(name) { r.error(p.key.mark, "answer name '\(name)' must be letters, digits and underscores") }
            if p.value.pairs != nil {
                guard let f = r.fields(p.value, "question '\(name)'", allowed: ["prompt", "secret"] + Self.valueRuleKeys) else { continue }
                guard let promptNode = f["prompt"] else {
                    r.error(p.value.mark, "question '\(name)' needs a 'prompt': the question the operator reads")
                    continue
                }
                guard let prompt = r.nonEmptyString(promptNode, "prompt") else { continue }
                var ask = Ask(name: name, mark: p.key.mark, prompt: prompt, rule: parseValueRule(f))
                if let v = f["secret"] { ask.secret = r.bool(v, "secret") ?? false }
                asks.append(ask)
            } else if let prompt = r.string(p.value, "ask.\(name)") {
                asks.append(Ask(name: name, mark: p.key.mark, prompt: prompt))
                warnAboutComment(after: p.value, "question")
            }
        }
        return asks
    }
}
