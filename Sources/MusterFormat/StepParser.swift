import MusterYAML
import MusterBasics

extension RunbookParser {
    mutating func parseStep(_ node: Node, _ scope: inout Scope) -> Step? {
        guard let pairs = node.pairs else {
            r.error(node.mark, "a step must be a mapping with id, title and one of \(quotedList(Self.kindKeys)), not \(node.kindName)")
            return nil
        }
        let kinds = pairs.compactMap { p in p.key.scalar.flatMap(StepKind.init(rawValue:)).map { ($0, p.key.mark) } }
        let idText = pairs.first { $0.key.scalar == "id" }?.value.scalar
        let label = idText.map { "step '\($0)'" } ?? "a step"
        guard let (kind, _) = kinds.first else {
            r.error(node.mark, "\(label) has no kind; give it exactly one of \(quotedList(Self.kindKeys))")
            _ = r.fields(node, label, allowed: Self.baseStepKeys + Self.kindKeys + ["ask", "with", "keep_running"] + Self.automationKeys)
            return nil
        }
        for (extra, mark) in kinds.dropFirst() {
            r.error(mark, "\(label) has both '\(kind.rawValue)' and '\(extra.rawValue)'; a step does exactly one thing, so split it in two")
        }
        var allowed = Self.baseStepKeys + [kind.rawValue]
        switch kind {
        case .manual: allowed.append("ask")
        case .decide: break
        case .runbook: allowed += ["with", "confirm"]
        case .ci, .wait: allowed += Self.automationKeys
        case .run: allowed += Self.automationKeys + ["keep_running", "host"]
        case .http: allowed += Self.automationKeys
        case .steps, .parallel: allowed += ["guards", "confirm"]
        }
        let otherKinds = Set(kinds.dropFirst().map(\.0.rawValue))
        guard let f = r.fields(node, label, allowed: allowed + otherKinds, elsewhere: { key in
            if Self.automationKeys.contains(key) { return "'\(key)' applies to automated steps (run, wait, http, ci), not to a \(kind.rawValue) step" }
            if key == "host" { return "'host' belongs to run steps (it runs the script on another machine through ssh), not to a \(kind.rawValue) step" }
            if key == "keep_running" { return "'keep_running' belongs to run steps (it keeps the processes a step's command leaves running), not to a \(kind.rawValue) step" }
            if key == "ask" { return "'ask' belongs to manual steps, not to a \(kind.rawValue) step" }
            if key == "with" { return "'with' belongs to runbook steps, not to a \(kind.rawValue) step" }
            if key == "guards" { return "'guards' belong to the runbook, a group ('steps') or a 'parallel' step, not to a \(kind.rawValue) step; put the step in a group to guard it alone" }
            return nil
        }) else { return nil }

        var id = ""
        if let v = r.require(f, "id"), let s = r.nonEmptyString(v, "id") {
            id = s
            if !isStepID(s) { r.error(v.mark, "step id '\(s)' must be lower-case letters, digits and dashes, starting with a letter or digit") }
        }
        // Evaluated before the step (and its loop) begins: it sees what
        // earlier steps set, not the step's own names or its item.
        let when = f["when"].flatMap { parseWhen($0, scope) }
        // Before any template of the step: its `as` name is one of them.
        let forEach = f["for_each"].flatMap { parseForEach($0, kind: kind, id: id, &scope) }
        var title = Template(raw: "", mark: node.mark)
        if let v = r.require(f, "title"), let s = r.nonEmptyString(v, "title") {
            title = template(v, s, scope)
            warnAboutComment(after: v, "title")
        }
        let notes = f["notes"].flatMap { v in r.string(v, "notes").map { template(v, $0, scope) } }

        // Polled from the moment the group starts: they see what was known then.
        let guards = f["guards"].map { parseGuards($0, scope, level: "'\(id)'") } ?? []
        let value = f[kind.rawValue]!
        var automation: Automation?
        var body: Step.Body
        switch kind {
        case .manual:
            body = parseManual(value, f, scope)
        case .decide:
            body = .decide(parseDecision(value, id: id))
        case .run:
            body = .run(r.string(value, "run").map { shellTemplate(value, $0, scope) } ?? Template(raw: "", mark: value.mark))
        case .wait:
            guard let w = parseWait(value, scope) else { return nil }
            body = .wait(w)
        case .http:
            guard let h = parseHTTP(value, "http", scope, allowBody: true) else { return nil }
            body = .http(h)
        case .ci:
            guard let c = parseCI(value, scope) else { return nil }
            body = .ci(c)
        case .runbook:
            body = .runbook(parseInclude(value, f, scope))
        case .steps:
            if value.items?.isEmpty == true { r.error(value.mark, "group '\(id)' has no steps; list at least one under 'steps'") }
            let outer = scope.prefix
            scope.prefix = outer + id + "/"
            body = .group(parseStepList(value, "steps", &scope, uniqueIn: "among the steps of group '\(id)'"))
            scope.prefix = outer
        case .parallel:
            body = .parallel(parseParallel(value, id: id, &scope))
        }
        if kind.isAutomated { automation = parseAutomation(f, kind: kind, value: value, scope) }
        if let v = f["keep_running"] { automation?.keepRunning = r.bool(v, "keep_running") ?? false }
        // A step-level `timeout` on a wait is the wait's own timeout.
        if case .wait(var w) = body, f.has("timeout"), let a = automation {
            w.timeout = a.timeout
            body = .wait(w)
        }

        var step = Step(id: id, mark: node.mark, title: title, notes: notes, body: body, automation: automation)
        if let v = f["host"], case .run(let script) = body {
            step.host = parseHost(v, scope)
            checkHostStep(f, script: script, scriptNode: value, rollback: automation?.rollback, scope)
        }
        step.when = when
        step.forEach = forEach
        step.guards = guards
        if !kind.isAutomated, kind != .manual, let v = f["confirm"] { step.confirmWhole = r.bool(v, "confirm") ?? false }
        // The item's name is the step's own: later steps do not see it.
        if let forEach, scope.defined[forEach.name] == id { scope.defined[forEach.name] = nil }
        // Where each name is written under `ask` or `outputs`, to point at it.
        // A group's steps registered their names as they were parsed.
        let defined = kind.isContainer ? [] : step.definedNames
        var nameMarks: [String: Mark] = [:]
        if !defined.isEmpty {
            for (name, mark) in (f["ask"]?.pairs ?? []).map({ ($0.key.scalar ?? "", $0.key.mark) }) + (automation?.outputs ?? []).map({ ($0.name, $0.mark) })
            where nameMarks[name] == nil {
                nameMarks[name] = mark
            }
        }
        for name in defined {
            let at = nameMarks[name] ?? node.mark
            if scope.isParam(name) || builtinNames.contains(name) {
                r.error(at, "step '\(id)' defines '\(name)', which is already a parameter or built-in; choose another name")
            } else if let other = scope.defined[name] {
                r.error(at, "step '\(id)' defines '\(name)', already defined by step '\(other)'")
            }
            scope.defined[name] = id
        }
        if case .manual(_, let ask) = body {
            for q in ask {
                scope.rules[q.name] = q.rule
                if q.secret { scope.secretAnswers.insert(q.name) }
            }
        }
        for o in automation?.outputs ?? [] { scope.rules[o.name] = o.rule }
        // A condition comparing the decision with a word no option has is
        // a typo that would never hold.
        if case .decide(let d) = body { scope.rules[id] = ValueRule(choices: d.options) }
        scope.arithmeticNames.formUnion(step.arithmeticNames)
        return step
    }

    /// A line is checked once (twice at most, when an alias's copy brings
    /// it back out of order): the first plain scalar checked on a line finds
    /// the comment if any later one would, and checking each of a one-line
    /// flow list's thousand items would rescan the line each time.
    mutating func warnAboutComment(after node: Node, _ what: String) {
        guard node.isPlainScalar, node.mark.line == node.endMark.line, firstCheck(ofLine: node.endMark.line),
              let comment = r.source.trailingComment(after: node) else { return }
        r.warning(node.endMark, "this \(what) ends here; '\(comment)' is a YAML comment and is dropped; quote the text if it belongs to the \(what)")
    }

    /// Nodes come mostly in file order, so a line after the last one checked
    /// is new without hashing; an earlier one (an alias's copy) is looked up.
    private mutating func firstCheck(ofLine line: Int) -> Bool {
        if line > lastCommentLine {
            lastCommentLine = line
            return true
        }
        return line < lastCommentLine && commentLinesChecked.insert(line).inserted
    }

    mutating func parseManual(_ value: Node, _ f: Fields, _ scope: Scope) -> Step.Body {
        var items: [Template] = []
        if let list = r.stringList(value, "manual") {
            items = list.map { template($0.1, $0.0, scope) }
            for (_, node) in list { warnAboutComment(after: node, "checklist item") }
        }
        let ask = f["ask"].map { parseAsk($0) } ?? []
        if items.isEmpty, ask.isEmpty, value.items?.isEmpty == true {
            r.error(value.mark, "manual step has no checklist items and no 'ask' questions; add at least one")
        }
        return .manual(items: items, ask: ask)
    }

    /// `decide: {options: [failover, wait-15m, abort]}`: two or more
    /// options, each a word an operator can type.
    mutating func parseDecision(_ value: Node, id: String) -> Decision {
        var d = Decision(options: [], mark: value.mark)
        guard let f = r.fields(value, "the decision of '\(id)'", allowed: ["options", "default", "default_after"]) else { return d }
        guard let v = r.require(f, "options"), let list = r.stringList(v, "options") else { return d }
        for (option, node) in list {
            if !isDecisionOption(option) {
                r.error(node.mark, "option '\(clippedForMessage(option))' must be lower-case letters, digits, '-' and '_', starting with a letter, so it can be typed as the answer")
            } else if d.options.contains(option) {
                r.error(node.mark, "option '\(option)' is listed twice")
            } else {
                d.options.append(option)
            }
        }
        if list.count < 2 { r.error(v.mark, "a decision needs at least two options; with one, use a checklist item") }
        if let dv = f["default"], let s = r.nonEmptyString(dv, "default") {
            if d.options.contains(s) {
                d.defaultOption = s
            } else {
                let hint = suggestion(for: s, among: d.options).map { " (did you mean '\($0)'?)" } ?? ""
                r.error(dv.mark, "default '\(clippedForMessage(s))' is not one of the options\(hint): \(d.options.joined(separator: ", "))")
            }
        }
        if let av = f["default_after"] { d.defaultAfter = r.duration(av, "default_after") }
        if f.has("default") != f.has("default_after") {
            r.error(value.mark, "'default' and 'default_after' go together: the option a drill takes when nobody decides within that time")
        }
        return d
    }

    mutating func parseAutomation(_ f: Fields, kind: StepKind, value: Node, _ scope: Scope) -> Automation {
        var a = Automation(timeout: Automation.defaultTimeout, retries: 0, retryDelay: Automation.defaultRetryDelay, expect: nil, confirm: false, onFailure: nil, idempotent: false, rollback: nil, outputs: [])
        // wait and ci keep their own `timeout` inside their mapping.
        let inner = (kind == .wait || kind == .ci) ? value.pairs?.first { $0.key.scalar == "timeout" } : nil
        if let v = f["timeout"] {
            if let inner {
                r.error(v.mark, "'timeout' is given twice, here and inside '\(kind.rawValue)' (line \(inner.key.mark.line)); keep the one inside '\(kind.rawValue)'")
            }
            a.timeout = r.duration(v, "timeout") ?? a.timeout
        } else if let inner, let t = DurationFormat.parse(inner.value.scalar ?? "") {
            a.timeout = t
        }
        if let v = f["retries"] { a.retries = r.int(v, "retries", max: 100) ?? 0 }
        if let v = f["retry_delay"] { a.retryDelay = r.duration(v, "retry_delay") ?? a.retryDelay }
        if let v = f["expect"] { a.expect = r.duration(v, "expect") }
        if let v = f["confirm"] { a.confirm = r.bool(v, "confirm") ?? false }
        if let v = f["idempotent"] { a.idempotent = r.bool(v, "idempotent") ?? false }
        if let v = f["on_failure"], let s = r.string(v, "on_failure") {
            if let o = OnFailure(rawValue: s) {
                a.onFailure = o
            } else {
                let hint = suggestion(for: s, among: OnFailure.allCases.map(\.rawValue)).map { " (did you mean '\($0)'?)" } ?? ""
                r.error(v.mark, "'on_failure' must be \(quotedList(OnFailure.allCases.map(\.rawValue))), not '\(s)'\(hint)")
            }
        }
        if let v = f["outputs"] { a.outputs = parseOutputs(v) }
        if let v = f["approval"] { a.approval = parseApproval(v) }
        // A rollback runs after its step succeeded, so it may use the step's own outputs.
        var rollbackScope = scope
        for o in a.outputs {
            rollbackScope.defined[o.name] = "this step"
            if o.rule.type.isArithmeticSafe { rollbackScope.arithmeticNames.insert(o.name) }
        }
        if let v = f["rollback"], let s = r.nonEmptyString(v, "rollback") { a.rollback = shellTemplate(v, s, rollbackScope) }
        if a.onFailure == .rollback, a.rollback == nil, let m = f.keyMark("on_failure") {
            r.warning(m, "'on_failure: rollback' rolls back earlier steps; this step has no 'rollback' command of its own")
        }
        return a
    }

    /// `true`, `false`, or `{count: N, from: [names in allowed_signers]}`.
    mutating func parseApproval(_ node: Node) -> Approval? {
        if let s = node.scalar {
            guard node.isPlainScalar, ["true", "false"].contains(s.lowercased()) else {
                r.error(node.mark, "'approval' must be true, false or {count: N, from: [names in allowed_signers]}, not '\(s)'")
                return nil
            }
            return r.bool(node, "approval") == true ? Approval() : nil
        }
        guard let f = r.fields(node, "approval", allowed: ["count", "from"]) else { return nil }
        var a = Approval()
        if let v = f["from"] {
            if let items = v.items {
                for item in items {
                    guard let name = item.scalar, !name.isEmpty else {
                        r.error(item.mark, "'approval.from' lists names of allowed_signers; this entry is not a name")
                        continue
                    }
                    if !isUserName(name) {
                        r.error(item.mark, "'\(name)' is not an OS user name (letters, digits, '.', '_' and '-', as `id -un` prints)")
                    } else if a.from.contains(name) {
                        r.error(item.mark, "'\(name)' is listed twice in 'approval.from'")
                    } else {
                        a.from.append(name)
                    }
                }
            } else {
                r.error(v.mark, "'approval.from' must be a list of names in allowed_signers, like [alice, bob]")
            }
        }
        if let v = f["count"] {
            a.count = r.int(v, "approval.count", min: 1, max: 10) ?? 1
            if !a.from.isEmpty, a.count > a.from.count {
                r.error(v.mark, "'approval.count' is \(a.count) but 'from' names only \(a.from.count) people: the step could never be approved")
            }
        }
        return a
    }

    func isUserName(_ s: String) -> Bool {
        s.count <= 64 && s.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || "._-".unicodeScalars.contains($0) }
            && !s.hasPrefix("-")
    }

    mutating func parseOutputs(_ node: Node) -> [Output] {
        guard let pairs = node.pairs else {
            r.error(node.mark, "'outputs' must be a mapping of NAME: {regex: ...} or NAME: {json: ...}, not \(node.kindName)")
            return []
        }
        var outputs: [Output] = []
        for p in pairs {
            guard let name = p.key.scalar else { continue }
            if !isIdentifier(name) { r.error(p.key.mark, "output name '\(name)' must be letters, digits and underscores") }
            guard let f = r.fields(p.value, "output '\(name)'", allowed: ["regex", "json", "recovery_point"] + Self.valueRuleKeys) else { continue }
            let before = outputs.count
            let rule = parseValueRule(f)
            defer {
                if outputs.count > before {
                    if let v = f["recovery_point"] { outputs[before].recoveryPoint = r.bool(v, "recovery_point") ?? false }
                    outputs[before].rule = rule
                }
            }
            switch (f["regex"], f["json"]) {
            case (let re?, nil):
                guard let s = r.nonEmptyString(re, "regex") else { continue }
                switch Patterns.compile(s) {
                case .success: outputs.append(Output(name: name, mark: p.key.mark, source: .regex(s)))
                case .failure(let e): r.error(re.mark, "output '\(name)' has an invalid regular expression: \(e)")
                }
            case (nil, let js?):
                guard let s = r.nonEmptyString(js, "json") else { continue }
                if s.split(separator: ".", omittingEmptySubsequences: false).contains(where: \.isEmpty) {
                    r.error(js.mark, "output '\(name)' has an invalid JSON path '\(s)'; write keys and list indexes separated by dots, like cluster.endpoint or items.0.id")
                } else {
                    outputs.append(Output(name: name, mark: p.key.mark, source: .json(s)))
                }
            case (_?, _?):
                r.error(p.value.mark, "output '\(name)' has both 'regex' and 'json'; give one")
            case (nil, nil):
                r.error(p.value.mark, "output '\(name)' needs 'regex' or 'json'")
            }
        }
        return outputs
    }

    mutating func parseHTTP(_ node: Node, _ what: String, _ scope: Scope, allowBody: Bool) -> HTTPCheck? {
        let keys = allowBody ? Self.httpKeys : Self.httpKeys.filter { $0 != "body" }
        guard let f = r.fields(node, what, allowed: keys, elsewhere: { key in
            key == "body" && !allowBody ? "\(what) only looks (GET or HEAD) and sends no body; a request that changes something belongs in an http step" : nil
        }) else { return nil }
        var check = HTTPCheck(method: "GET", url: Template(raw: "", mark: node.mark), headers: [], body: nil, status: nil, bodyContains: nil)
        if let v = f["method"], let s = r.string(v, "method") {
            if Self.methods.contains(s.uppercased()) {
                check.method = s.uppercased()
            } else {
                r.error(v.mark, "'method' must be one of \(Self.methods.joined(separator: ", ")), not '\(s)'")
            }
        }
        if let v = r.require(f, "url"), let s = r.nonEmptyString(v, "url") {
            check.url = template(v, s, scope, secrets: true)
            if !s.hasPrefix("{{"), !s.lowercased().hasPrefix("http://"), !s.lowercased().hasPrefix("https://") {
                r.error(v.mark, "'url' must start with http:// or https://, not '\(s)'")
            }
        }
        if let v = f["headers"], let entries = r.stringMap(v, "headers") {
            check.headers = entries.map { ($0.name, template($0.node, $0.value, scope, secrets: true)) }
        }
        if let v = f["body"], let s = r.string(v, "body") { check.body = template(v, s, scope, secrets: true) }
        if let v = f["status"] { check.status = r.int(v, "status", min: 100, max: 599) }
        if let v = f["body_contains"], let s = r.string(v, "body_contains") { check.bodyContains = template(v, s, scope) }
        return check
    }

    mutating func parseWait(_ node: Node, _ scope: Scope) -> WaitSpec? {
        guard let f = r.fields(node, "wait", allowed: ["run", "http", "until", "every", "timeout"]) else { return nil }
        var probe: WaitSpec.Probe?
        switch (f["run"], f["http"]) {
        case (let run?, nil):
            if let s = r.nonEmptyString(run, "wait.run") { probe = .run(shellTemplate(run, s, scope)) }
        case (nil, let http?):
            if let h = parseHTTP(http, "wait.http", scope, allowBody: true) { probe = .http(h) }
        case (_?, _?):
            r.error(node.mark, "wait has both 'run' and 'http'; poll one of them")
        case (nil, nil):
            r.error(node.mark, "wait needs 'run' (a command to poll) or 'http' (a check to poll)")
        }
        var spec = WaitSpec(probe: probe ?? .run(Template(raw: "", mark: node.mark)), until: nil, every: WaitSpec.defaultEvery, timeout: Automation.defaultTimeout)
        if let v = f["until"] {
            spec.until = r.string(v, "until").map { template(v, $0, scope) }
            if case .http? = probe, let m = f.keyMark("until") {
                r.error(m, "'until' compares a command's output; for 'http' use 'status' and 'body_contains'")
            }
        }
        if let v = f["every"], let d = r.duration(v, "every") {
            if d == 0 { r.error(v.mark, "'every' must be at least 1s") }
            spec.every = max(1, d)
        }
        if let v = f["timeout"], let d = r.duration(v, "timeout") { spec.timeout = d }
        if spec.every > spec.timeout, let m = f["every"]?.mark {
            r.error(m, "'every' (\(DurationFormat.format(spec.every))) is longer than the wait's timeout (\(DurationFormat.format(spec.timeout))); it would poll once at most")
        }
        return probe == nil ? nil : spec
    }

    static let ciKeys: [CIProvider: (required: [String], optional: [String])] = [
        .buildbot: (["url", "builder"], ["scheduler"]),
        .github: (["repo", "workflow"], ["url", "ref"]),
        .gitlab: (["url", "project"], ["ref", "inputs_as"]),
        .jenkins: (["url", "job"], []),
    ]
    static let ciNeedsToken: Set<CIProvider> = [.github, .gitlab]

    mutating func parseCI(_ node: Node, _ scope: Scope) -> CISpec? {
        let providerKeys = ["url", "builder", "scheduler", "repo", "workflow", "ref", "project", "job", "inputs_as"]
        guard let f = r.fields(node, "ci", allowed: ["provider", "inputs", "token", "timeout", "cancel_on_stop"] + providerKeys) else { return nil }
        guard let pv = r.require(f, "provider"), let ps = r.string(pv, "provider") else { return nil }
        guard let provider = CIProvider(rawValue: ps) else {
            let hint = suggestion(for: ps, among: CIProvider.allCases.map(\.rawValue)).map { " (did you mean '\($0)'?)" } ?? ""
            r.error(pv.mark, "unknown ci provider '\(ps)'\(hint); use \(quotedList(CIProvider.allCases.map(\.rawValue)))")
            return nil
        }
        let (required, optional) = Self.ciKeys[provider]!
        for key in providerKeys where f.has(key) && !required.contains(key) && !optional.contains(key) {
            r.error(f.keyMark(key), "'\(key)' is not used by the \(provider.rawValue) provider; it takes \(quotedList(required + optional, conjunction: "and"))")
        }
        var spec = CISpec(provider: provider, url: Template(raw: provider == .github ? "https://api.github.com" : "", mark: node.mark), settings: [:], inputs: [], token: nil)
        for key in required where !f.has(key) {
            r.error(node.mark, "ci provider \(provider.rawValue) needs '\(key)'")
        }
        for key in required + optional {
            guard let v = f[key], let s = r.nonEmptyString(v, key) else { continue }
            let t = template(v, s, scope, secrets: true)
            if key == "url" { spec.url = t } else { spec.settings[key] = t }
            let literal = !s.containsBytes("{{") && !s.containsBytes("${")
            if key == "url", literal, !s.lowercased().hasPrefix("http://"), !s.lowercased().hasPrefix("https://") {
                r.error(v.mark, "'url' must start with http:// or https://, not '\(s)'")
            }
            // How GitLab gets `inputs` is the runbook's decision, not a parameter's.
            if key == "inputs_as", !literal || !["variables", "inputs"].contains(s) {
                r.error(v.mark, "'inputs_as' is 'variables' (pipeline variables, the default) or 'inputs' (pipeline inputs the project declares under spec:inputs), not '\(s)'")
            }
            if key == "repo", literal, s.split(separator: "/", omittingEmptySubsequences: false).count != 2 || s.hasPrefix("/") || s.hasSuffix("/") {
                r.error(v.mark, "'repo' must be OWNER/NAME, like acme/platform, not '\(s)'")
            }
        }
        if provider == .buildbot, spec.settings["scheduler"] == nil {
            spec.settings["scheduler"] = Template(raw: "force", mark: node.mark)
        }
        if (provider == .github || provider == .gitlab), spec.settings["ref"] == nil {
            spec.settings["ref"] = Template(raw: "main", mark: node.mark)
        }
        if let v = f["inputs"], let entries = r.stringMap(v, "inputs") {
            spec.inputs = entries.map { ($0.name, template($0.node, $0.value, scope, secrets: true)) }
        }
        if let v = f["token"], let s = r.nonEmptyString(v, "token") {
            spec.token = s
            checkSecret(s, at: v.mark, use: "ci.token")
        } else if Self.ciNeedsToken.contains(provider) {
            r.error(node.mark, "ci provider \(provider.rawValue) needs 'token', the name of a declared secret holding an API token")
        }
        if let v = f["timeout"] { _ = r.duration(v, "timeout") }
        if let v = f["cancel_on_stop"] { spec.cancelOnStop = r.bool(v, "cancel_on_stop") ?? false }
        return spec
    }

    mutating func parseInclude(_ value: Node, _ f: Fields, _ scope: Scope) -> IncludeSpec {
        var spec = IncludeSpec(runbook: "", mark: value.mark, with: [])
        if let s = r.nonEmptyString(value, "runbook") { spec.runbook = s }
        if let v = f["with"], let entries = r.stringMap(v, "with") {
            spec.with = entries.map { ($0.name, template($0.node, $0.value, scope), $0.nameMark) }
        }
        return spec
    }
}

extension RunbookParser {
    /// `for_each: {in, as, max_parallel, max_failures}`; its `as` name
    /// joins the scope for this step's own templates.
    mutating func parseForEach(_ v: Node, kind: StepKind, id: String, _ scope: inout Scope) -> ForEach? {
        guard let f = r.fields(v, "for_each", allowed: ["in", "as", "max_parallel", "max_failures"]) else { return nil }
        if kind.isContainer || kind == .runbook {
            r.error(v.mark, "for_each on a \(kind == .steps ? "group" : kind.rawValue) step is not supported yet; put for_each on the steps inside it")
        }
        var each = ForEach(source: .list([]), name: "item", mark: v.mark)
        if let n = r.require(f, "as"), let name = r.nonEmptyString(n, "as") {
            if !isIdentifier(name) {
                r.error(n.mark, "for_each 'as' name '\(name)' must be letters, digits and underscores, starting with a letter")
            } else if scope.isParam(name) || builtinNames.contains(name) || scope.defined[name] != nil {
                r.error(n.mark, "for_each 'as' name '\(name)' is already a parameter, built-in or value of an earlier step; choose another name")
            }
            each.name = name
        }
        if let i = r.require(f, "in") {
            if let list = i.items {
                var items: [String] = []
                // A hostile file may list a quarter of a million items.
                var seen = Set<String>()
                for item in list {
                    guard let s = item.scalar else {
                        r.error(item.mark, "each for_each item must be a name, not \(item.kindName)")
                        continue
                    }
                    if !ForEach.isItem(s) {
                        r.error(item.mark, "for_each item '\(s)' must be \(ForEach.itemRule): it becomes part of the step's key, like \(id.isEmpty ? "step" : id)[api]")
                    } else if !seen.insert(s).inserted {
                        r.error(item.mark, "for_each item '\(s)' is listed twice")
                    }
                    items.append(s)
                }
                if list.isEmpty { r.error(i.mark, "for_each 'in' is empty; list at least one item") }
                each.source = .list(items)
            } else if let name = i.scalar, !name.isEmpty {
                if !(scope.isParam(name) || scope.defined[name] != nil) {
                    let hint = r.hint(for: name, among: scope.all)
                    r.error(i.mark, "for_each 'in' names '\(name)', which is no parameter, answer or output of an earlier step\(hint)")
                }
                each.source = .value(name)
            } else {
                r.error(i.mark, "for_each 'in' must be a list of items or the name of a value holding them, not \(i.kindName)")
            }
        }
        if let m = f["max_parallel"], let n = r.int(m, "max_parallel", min: 1, max: 100) {
            each.maxParallel = n
        }
        if let m = f["max_failures"], let n = r.int(m, "max_failures", min: 0, max: 1000) { each.maxFailures = n }
        scope.defined[each.name] = id
        return each
    }
}

extension RunbookParser {
    /// `when:` parsed and checked against what is known when the step's
    /// turn comes: every mistake at its line and column.
    mutating func parseWhen(_ v: Node, _ scope: Scope) -> WhenClause? {
        guard let text = r.nonEmptyString(v, "when") else { return nil }
        var clause = WhenClause(text: text, mark: v.mark)
        do {
            let condition = try Condition.parse(text, node: v, source: r.source)
            var names: [String: ValueRule] = [:]
            for p in scope.params { names[p] = scope.rules[p] ?? ValueRule() }
            for b in builtinNames { names[b] = ValueRule() }
            for n in scope.defined.keys where !scope.secretAnswers.contains(n) { names[n] = scope.rules[n] ?? ValueRule() }
            let later = scope.laterDefinitions.filter { scope.defined[$0.key] == nil && !scope.isParam($0.key) }
            let conditionScope = ConditionScope(names: names, later: later, secrets: secretNames.union(scope.secretAnswers),
                                                steps: Set(scope.stepKeys))
            for d in condition.problems(in: conditionScope, path: r.source.path) {
                d.severity == .error ? r.error(d.mark, d.message) : r.warning(d.mark, d.message)
            }
            clause.condition = condition
        } catch {
            r.error(error.mark, error.message)
        }
        return clause
    }
}
