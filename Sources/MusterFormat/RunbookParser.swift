import MusterYAML
import MusterBasics

/// Turns a loaded node tree into a `Runbook`, checking everything that can be
/// checked inside one file. Cross-file checks live in `Catalog`.
struct RunbookParser {
    var r: Reader
    let scanner: TemplateScanner
    /// Expected `name`, from the file name.
    let fileStem: String?

    static let topKeys = ["muster", "name", "title", "description", "owners", "rto", "rpo", "escalation", "notify", "params", "secrets", "env", "requires", "preflight", "steps", "finally", "deadline", "guards"]
    static let baseStepKeys = ["id", "title", "notes", "when", "for_each"]
    static let automationKeys = ["timeout", "retries", "retry_delay", "expect", "confirm", "on_failure", "idempotent", "rollback", "outputs", "approval"]
    static let kindKeys = StepKind.allCases.map(\.rawValue)
    static let httpKeys = ["method", "url", "headers", "body", "status", "body_contains"]
    static let methods = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]

    init(source: SourceText, fileStem: String?) {
        r = Reader(source: source)
        scanner = TemplateScanner(source: source)
        self.fileStem = fileStem
    }

    /// Declared secrets, for `${NAME}` checks.
    var secretNames: Set<String> = []
    /// Lines already checked for a comment after a value: the last, and
    /// earlier ones met again out of order.
    var lastCommentLine = 0
    var commentLinesChecked: Set<Int> = []
    /// Guards met so far, at every level (see `maxGuards`).
    var guardsSeen = 0

    mutating func parse(_ root: Node) -> Runbook? {
        guard let f = r.fields(root, "the runbook", allowed: Self.topKeys, elsewhere: { key in
            key == "drill" ? "this file has a 'drill' key but also runbook keys; a drill file holds muster, drill, runbook, params, ..." : nil
        }) else { return nil }

        if let v = r.require(f, "muster") {
            if let n = r.int(v, "muster", min: 0), n != 1 {
                r.error(v.mark, "unsupported format version \(n); this muster reads version 1")
            }
        }
        var name = ""
        if let v = r.require(f, "name"), let s = r.nonEmptyString(v, "name") {
            name = s
            if !isStepID(s) {
                r.error(v.mark, "name '\(s)' must be lower-case letters, digits and dashes, starting with a letter or digit")
            } else if let stem = fileStem, stem != s {
                r.error(v.mark, "name '\(s)' does not match the file name '\(stem).yaml'; rename one so they agree")
            }
        }
        var runbook = Runbook(path: r.source.path, name: name, title: Template(raw: "", mark: f.node.mark), description: nil, owners: [], rto: nil, rpo: nil, escalation: [], notifyWebhook: nil, params: [], secrets: [], env: [], steps: [])

        if let v = f["description"] { runbook.description = r.string(v, "description") }
        if let v = f["owners"] { runbook.owners = r.stringList(v, "owners")?.map(\.0) ?? [] }
        if let v = f["rto"] { runbook.rto = r.duration(v, "rto") }
        if let v = f["rpo"] { runbook.rpo = r.duration(v, "rpo") }
        if let v = f["escalation"] { runbook.escalation = parseEscalation(v) }
        if let v = f["params"] { runbook.params = parseParams(v) }
        if let v = f["secrets"] { runbook.secrets = parseSecrets(v) }
        secretNames = Set(runbook.secrets.map(\.name))
        if let v = f["notify"], let nf = r.fields(v, "notify", allowed: ["webhook"]) {
            if let w = r.require(nf, "webhook"), let s = r.nonEmptyString(w, "webhook") {
                runbook.notifyWebhook = s
                checkSecret(s, at: w.mark, use: "notify.webhook")
            }
        }

        // Names visible to templates: parameters and built-ins, then what each
        // step defines, in order.
        var scope = Scope(params: runbook.params.map(\.name))
        for p in runbook.params { scope.rules[p.name] = p.rule }
        scope.arithmeticNames = Set(runbook.params.filter { $0.type.isArithmeticSafe }.map(\.name))
        if let v = r.require(f, "title"), let s = r.nonEmptyString(v, "title") {
            runbook.title = template(v, s, scope)
        }
        if let v = f["env"], let entries = r.stringMap(v, "env") {
            for e in entries {
                if !isIdentifier(e.name) {
                    r.error(e.nameMark, "env name '\(e.name)' is not a valid environment variable name")
                } else if let variable = controllingVariable(e.name) {
                    r.error(e.nameMark, "env name '\(e.name)' sets \(variable), which decides what bash and the programs it starts run, so a value would become code; set it inside the step that needs it, from a literal")
                }
                runbook.env.append((e.name, template(e.node, e.value, scope)))
            }
        }
        if let v = f["requires"] { runbook.requires = parseRequires(v) }
        if let v = f["preflight"] { runbook.preflight = parsePreflight(v, scope) }
        let stepsNode = r.require(f, "steps")
        scope.laterDefinitions = laterDefinitions(stepsNode?.items ?? [])
        // Polled from the first step on: no answer or output exists yet.
        if let v = f["guards"] { runbook.guards = parseGuards(v, scope, level: "the runbook") }
        if let v = stepsNode {
            if v.items?.isEmpty == true { r.error(v.mark, "'steps' is empty; a runbook needs at least one step") }
            runbook.steps = parseStepList(v, "steps", &scope)
        }
        if let v = f["deadline"] { runbook.deadline = r.duration(v, "deadline") }
        if let v = f["finally"] {
            if v.items?.isEmpty == true { r.error(v.mark, "'finally' is empty; list the steps that always run, or remove it") }
            runbook.finally = parseStepList(v, "finally", &scope, ids: Dictionary(uniqueKeysWithValues: runbook.steps.map { ($0.id, $0.mark) }))
        }
        return runbook
    }

    /// A list of steps (the runbook's, a group's, `finally`): ids unique
    /// among siblings, reported at the id itself. `ids`: siblings already
    /// taken (`finally` shares the top level's keys).
    mutating func parseStepList(_ v: Node, _ what: String, _ scope: inout Scope, ids taken: [String: Mark] = [:], uniqueIn: String = "in a runbook") -> [Step] {
        guard let items = v.items else {
            r.error(v.mark, "'\(what)' must be a list of steps, not \(v.kindName)")
            return []
        }
        var ids = taken
        var steps: [Step] = []
        for item in items {
            guard let step = parseStep(item, &scope) else { continue }
            // A missing or empty id is reported by parseStep.
            let idMark = item.pairs?.first { $0.key.scalar == "id" }?.value.mark ?? step.mark
            if !step.id.isEmpty {
                if let first = ids[step.id] {
                    r.error(idMark, "duplicate step id '\(step.id)' (first at line \(first.line), column \(first.column)); ids must be unique \(uniqueIn)")
                } else {
                    ids[step.id] = idMark
                }
            }
            steps.append(step)
            scope.stepKeys.append(scope.prefix + step.id)
        }
        return steps
    }

    // MARK: - Header sections

    mutating func parseEscalation(_ node: Node) -> [Rung] {
        guard let items = node.items else {
            r.error(node.mark, "'escalation' must be a list of {after, contact}, not \(node.kindName)")
            return []
        }
        var rungs: [Rung] = []
        var last = -1
        for item in items {
            guard let f = r.fields(item, "an escalation rung", allowed: ["after", "contact"]) else { continue }
            let after = r.require(f, "after").flatMap { r.duration($0, "after") }
            let contact = r.require(f, "contact").flatMap { r.nonEmptyString($0, "contact") }
            if let after, let contact {
                if after <= last, let m = f["after"]?.mark {
                    r.error(m, "escalation rungs must be in increasing order of 'after'; \(DurationFormat.format(after)) comes after \(DurationFormat.format(last))")
                }
                last = after
                rungs.append(Rung(after: after, contact: contact))
            }
        }
        return rungs
    }

    mutating func parseParams(_ node: Node) -> [Param] {
        guard let pairs = node.pairs else {
            r.error(node.mark, "'params' must be a mapping of parameter names, not \(node.kindName)")
            return []
        }
        var params: [Param] = []
        for p in pairs {
            guard let name = p.key.scalar else { continue }
            if !isIdentifier(name) {
                r.error(p.key.mark, "parameter name '\(name)' must be letters, digits and underscores, not starting with a digit")
            } else if builtinNames.contains(name) {
                r.error(p.key.mark, "parameter name '\(name)' is a built-in; choose another name")
            } else if let variable = controllingVariable(name) {
                r.error(p.key.mark, "parameter name '\(name)' would be exported to the steps as \(variable), which decides what bash and the programs it starts run, so a value would become code; choose another name")
            }
            var param = Param(name: name, mark: p.key.mark, description: nil, defaultValue: nil, choices: nil, pattern: nil, required: true)
            if p.value.isNull { params.append(param); continue }
            guard let f = r.fields(p.value, "parameter '\(name)'", allowed: ["description", "default", "required"] + Self.valueRuleKeys) else { continue }
            if let v = f["description"] { param.description = r.string(v, "description"); warnAboutComment(after: v, "description") }
            if let v = f["default"] { param.defaultValue = r.string(v, "default") }
            let rule = parseValueRule(f)
            (param.type, param.choices, param.pattern) = (rule.type, rule.choices, rule.pattern)
            var declaredRequired = false
            if let v = f["required"], let b = r.bool(v, "required") { declaredRequired = b }
            if declaredRequired, param.defaultValue != nil, let m = f.keyMark("required") {
                r.error(m, "parameter '\(name)' is required but has a default, which would never be used; drop one of them")
            }
            param.required = declaredRequired || param.defaultValue == nil
            if let d = param.defaultValue, let problem = param.problem(with: d) {
                if problem.patternGaveUp, let m = f["pattern"]?.mark {
                    r.error(m, "\(problem) (checking the default)")
                } else if let m = f["default"]?.mark {
                    r.error(m, "default \(problem)")
                }
            }
            params.append(param)
        }
        return params
    }

    mutating func parseSecrets(_ node: Node) -> [Secret] {
        guard let pairs = node.pairs else {
            r.error(node.mark, "'secrets' must be a mapping of secret names, not \(node.kindName)")
            return []
        }
        var secrets: [Secret] = []
        for p in pairs {
            guard let name = p.key.scalar else { continue }
            if !isIdentifier(name) {
                r.error(p.key.mark, "secret name '\(name)' must be a valid environment variable name")
            }
            var secret = Secret(name: name, env: nil, file: nil, description: nil)
            if !p.value.isNull, let f = r.fields(p.value, "secret '\(name)'", allowed: ["env", "file", "description"]) {
                if let v = f["env"] { secret.env = r.nonEmptyString(v, "env") }
                if let v = f["file"] { secret.file = r.nonEmptyString(v, "file") }
                if let v = f["description"] { secret.description = r.string(v, "description"); warnAboutComment(after: v, "description") }
            }
            if secret.env == nil, secret.file == nil { secret.env = name }
            secrets.append(secret)
        }
        return secrets
    }

    mutating func checkSecret(_ name: String, at mark: Mark, use: String) {
        guard !secretNames.contains(name) else { return }
        let hint = r.hint(for: name, among: secretNames.sorted())
        r.error(mark, "\(use) names secret '\(name)', which is not declared\(hint.isEmpty ? "; declare it under 'secrets'" : hint)")
    }

    // MARK: - Templates

    struct Scope {
        let params: [String]
        /// `params` as a set when there are many: a hostile file may declare
        /// thousands; a real one a handful, faster to compare than to hash.
        private let paramSet: Set<String>?
        var defined: [String: String] = [:]   // name -> step id
        /// Names typed int, number or bool, which may stand in arithmetic.
        var arithmeticNames: Set<String> = []
        var laterDefinitions: [String: String] = [:]
        /// Declared rules of parameters, answers and outputs, which a
        /// condition's type checks read.
        var rules: [String: ValueRule] = [:]
        /// `secret: true` answers: never readable by a condition, never
        /// sent to another machine (HostParser).
        var secretAnswers: Set<String> = []
        /// Keys of the steps parsed so far: those with an outcome by the
        /// time a later step's condition is evaluated.
        var stepKeys: [String] = []
        /// `group/` while a group's steps are parsed.
        var prefix = ""

        init(params: [String]) {
            self.params = params
            paramSet = params.count > 16 ? Set(params) : nil
        }

        func isParam(_ name: String) -> Bool { paramSet?.contains(name) ?? params.contains(name) }

        var all: [String] { params + builtinNames + defined.keys.sorted() }
    }

    /// Every name any step defines, so a forward reference gets a precise message.
    func laterDefinitions(_ items: [Node]) -> [String: String] {
        var out: [String: String] = [:]
        for item in items {
            guard let pairs = item.pairs else { continue }
            let id = pairs.first { $0.key.scalar == "id" }?.value.scalar ?? "?"
            for p in pairs where p.key.scalar == "ask" || p.key.scalar == "outputs" {
                // The first step to set a name is the one a reference must wait for.
                for q in p.value.pairs ?? [] { if let n = q.key.scalar, out[n] == nil { out[n] = id } }
            }
            for p in pairs where p.key.scalar == StepKind.steps.rawValue {
                for (n, child) in laterDefinitions(p.value.items ?? []) where out[n] == nil { out[n] = StepKey(id).child(child).raw }
            }
            for p in pairs where p.key.scalar == StepKind.parallel.rawValue {
                let branches = p.value.pairs?.first { $0.key.scalar == "branches" }?.value.items ?? []
                for (n, child) in laterDefinitions(branches) where out[n] == nil { out[n] = StepKey(id).child(child).raw }
            }
        }
        return out
    }

    /// A `run`, `rollback` or `wait.run` script: a template standing where
    /// bash would turn its value back into code is an error at its position.
    mutating func shellTemplate(_ node: Node, _ value: String, _ scope: Scope) -> Template {
        let t = template(node, value, scope).withArithmeticNames(scope.arithmeticNames)
        for (ref, context) in zip(t.references, t.shellContexts) {
            if case .unsafe(let why) = context {
                r.error(ref.mark, "'{{ \(ref.name) }}' cannot be used here: " + why.replacingOccurrences(of: "MUSTER_VALUE_{{ name }}", with: "MUSTER_VALUE_\(ref.name)").replacingOccurrences(of: "{{ name }}", with: "{{ \(ref.name) }}"))
            }
        }
        return t
    }

    mutating func template(_ node: Node, _ value: String, _ scope: Scope, secrets allowSecrets: Bool = false) -> Template {
        guard value.containsBytes("{{") || value.containsBytes("}}") || value.containsBytes("${") else {
            return Template(raw: value, mark: node.mark)
        }
        let (t, problems) = scanner.scan(node, value)
        for p in problems {
            switch p {
            case .unterminated(let m): r.error(m, "template '{{' is not closed with '}}'")
            case .badName(let n, let m):
                r.error(m, n.isEmpty ? "empty template '{{ }}'; put a parameter, answer or output name inside" : "'{{ \(n) }}' is not a name; templates hold one parameter, answer or output name (letters, digits, underscores)")
            }
        }
        for ref in t.references where !scope.isParam(ref.name) && !builtinNames.contains(ref.name) && scope.defined[ref.name] == nil {
            if let later = scope.laterDefinitions[ref.name] {
                r.error(ref.mark, "'\(ref.name)' is set by step '\(later)', which does not run before this point")
            } else if ref.name == ref.name.uppercased(), secretNames.contains(ref.name) {
                r.error(ref.mark, "'\(ref.name)' is a secret; secrets are not templated: use $\(ref.name) in commands or ${\(ref.name)} in http and ci fields")
            } else {
                let hint = r.hint(for: ref.name, among: scope.all)
                r.error(ref.mark, "unknown name '\(ref.name)' in template\(hint); templates may use parameters, built-ins (\(builtinNames.joined(separator: ", "))), and answers or outputs of earlier steps")
            }
        }
        if allowSecrets {
            for (name, mark) in scanner.secretReferences(node, value) { checkSecret(name, at: mark, use: "'${\(name)}'") }
        }
        return t
    }
}

/// Parameters are exported upper-cased to every automated step, and the
/// runbook's `env:` entries as written. These variables make bash (or the
/// loader, libc, git, kubectl, the AWS CLI, a common interpreter) read a
/// file as code or configuration that runs commands, search a path, or
/// change how it parses: a value, which may come from an answer or, through
/// `with:`, from a step's output, must never land in one. `MUSTER_VALUE_`
/// is where template values travel.
func controllingVariable(_ name: String) -> String? {
    let upper = name.uppercased()
    let exact: Set<String> = ["PATH", "BASH_ENV", "ENV", "IFS", "SHELLOPTS", "BASHOPTS", "CDPATH", "GLOBIGNORE", "PS4", "PROMPT_COMMAND",
                              "BASH_XTRACEFD", "EXECIGNORE", "FIGNORE", "HOME", "SHELL", "TMPDIR", "PYTHONPATH", "PYTHONSTARTUP", "PYTHONHOME",
                              "PERL5LIB", "PERLLIB", "PERL5OPT", "PERL5DB", "RUBYOPT", "RUBYLIB", "NODE_OPTIONS", "NODE_PATH",
                              "JAVA_TOOL_OPTIONS", "_JAVA_OPTIONS", "GIT_SSH_COMMAND", "GIT_SSH", "GIT_EXEC_PATH", "GIT_PROXY_COMMAND",
                              "GIT_ASKPASS", "SSH_ASKPASS", "GIT_EXTERNAL_DIFF", "GIT_PAGER", "GIT_EDITOR", "PAGER", "EDITOR", "VISUAL",
                              "MANPAGER", "LESSOPEN", "LESSCLOSE", "GCONV_PATH", "LOCPATH", "NLSPATH", "KUBECONFIG", "AWS_CONFIG_FILE",
                              "AWS_SHARED_CREDENTIALS_FILE"]
    // GIT_CONFIG_GLOBAL, _SYSTEM, _COUNT, _KEY_n, _VALUE_n, _PARAMETERS:
    // git configuration runs commands (core.sshCommand, core.pager, aliases).
    let prefixes = ["LD_", "BASH_FUNC_", "MUSTER_", "GIT_CONFIG"]
    if exact.contains(upper) || prefixes.contains(where: upper.hasPrefix) { return upper }
    return nil
}
