#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import MusterBasics
import MusterFormat
import MusterEngine

/// What `muster preflight` checks for one runbook: the checks it declares,
/// and those its steps imply (every secret resolves, every `requires` is on
/// PATH, every host an `http` step or wait calls answers, every CI server
/// accepts its token), for the runbooks it includes too. Each implied check
/// is listed once, with the steps that need it.
public struct PreflightItem: Sendable {
    public enum Kind: String, Sendable {
        /// Declared under `preflight`.
        case check
        case secret, program, host, ci
    }

    /// The runbook that declares or implies the check.
    public var runbook: String
    public var kind: Kind
    /// What is checked, in words; never holds a secret's value.
    public var title: String
    /// The steps that need it (ids, `parent/child` in an included runbook).
    public var steps: [String]
    public var fix: String?
    var action: Action
    /// The runbook whose values and environment the check runs with.
    var owner: Runbook

    enum Action: Sendable {
        case run(Template, values: [String: String])
        case http(HTTPCheck, values: [String: String])
        /// Any answer from the URL's scheme, host and port: it resolves and answers.
        case reach(Template, values: [String: String])
        /// The webhook named by a secret; reached like a host.
        case reachSecret(String)
        case ci(CISpec, values: [String: String])
        case secret(Secret)
        case program(String)
        /// A `host:` step's machine: ssh logs in and runs `true` there the
        /// way the step will run its script.
        case ssh(Template, values: [String: String])
        /// Cannot be checked before the run; says why.
        case skip(String)
    }
}

extension PreflightItem {
    /// The checks of `rb` (and of what it includes, from `includes` by
    /// reference) with parameter values `given`, else defaults. A check whose
    /// templates have no value yet (a required parameter, a step's output) is
    /// planned as skipped, saying which name is missing.
    public static func plan(_ rb: Runbook, given: [String: String], includes: [String: Runbook], operatorName: String) -> [PreflightItem] {
        var p = Planner(includes: includes, operatorName: operatorName)
        var values: [String: String] = [:]
        for param in rb.params { if let d = param.defaultValue { values[param.name] = d } }
        values.merge(given) { $1 }
        p.add(rb, values: p.builtins(rb, values), prefix: "", depth: 0)
        return p.items
    }

    struct Planner {
        let includes: [String: Runbook]
        let operatorName: String
        var items: [PreflightItem] = []
        /// Implied checks already planned, by what they check: a second step
        /// needing the same is added to the first's steps.
        var seen: [String: Int] = [:]

        func builtins(_ rb: Runbook, _ params: [String: String]) -> [String: String] {
            var v = params
            v["run_id"] = "preflight"
            v["operator"] = operatorName
            v["runbook"] = rb.name
            return v
        }

        mutating func implied(_ key: String, step: String?, _ make: () -> PreflightItem) {
            if let i = seen[key] {
                if let step, !items[i].steps.contains(step) { items[i].steps.append(step) }
                return
            }
            var item = make()
            if let step { item.steps = [step] }
            seen[key] = items.count
            items.append(item)
        }

        /// The `{{ names }}` of `templates` without a value, as a reason to skip.
        func missing(_ templates: [Template], _ values: [String: String]) -> String? {
            let names = Set(templates.flatMap(\.references).map(\.name).filter { values[$0] == nil }).sorted()
            guard !names.isEmpty else { return nil }
            return "skipped: \(names.map { "{{ \($0) }}" }.joined(separator: ", ")) has no value before the run (no default, or set by a step); it is checked when the run reaches it"
        }

        mutating func add(_ rb: Runbook, values: [String: String], prefix: String, depth: Int) {
            for c in rb.preflight {
                let title = c.title.expand(values)
                let templates: [Template]
                let action: Action
                switch c.probe {
                case .run(let t):
                    templates = [t]
                    action = .run(t, values: values)
                case .http(let h):
                    templates = [h.url] + h.headers.map(\.value) + (h.body.map { [$0] } ?? [])
                    action = .http(h, values: values)
                }
                items.append(PreflightItem(runbook: rb.name, kind: .check, title: title, steps: [], fix: c.fix,
                                           action: missing(templates, values).map(Action.skip) ?? action, owner: rb))
            }
            for s in rb.secrets {
                let from = [s.env.map { "environment variable \($0)" }, s.file.map { "file \($0)" }].compactMap { $0 }.joined(separator: " or ")
                implied("secret \(s.name)", step: nil) {
                    PreflightItem(runbook: rb.name, kind: .secret, title: "secret \(s.name) is set (\(from))", steps: [],
                                  fix: "set \(from)" + (s.description.map { ": \($0)" } ?? ""), action: .secret(s), owner: rb)
                }
                let users = rb.keyedSteps.filter { Self.uses($0.step, secret: s.name) }.map { prefix + $0.key }
                if let i = seen["secret \(s.name)"] { for u in users where !items[i].steps.contains(u) { items[i].steps.append(u) } }
            }
            for program in rb.requires {
                implied("program \(program)", step: nil) {
                    PreflightItem(runbook: rb.name, kind: .program, title: "\(program) is on PATH", steps: [],
                                  fix: "install \(program), or add the folder that holds it to PATH", action: .program(program), owner: rb)
                }
            }
            if let hook = rb.notifyWebhook {
                implied("webhook \(hook)", step: nil) {
                    PreflightItem(runbook: rb.name, kind: .host, title: "the chat webhook's host (secret \(hook)) answers", steps: ["notify"],
                                  fix: "check secret \(hook): it must hold the incoming-webhook URL of the channel", action: .reachSecret(hook), owner: rb)
                }
            }
            // Groups' steps and `finally` too: a check a step implies does
            // not depend on where the step stands.
            for (stepKey, step) in rb.keyedSteps {
                let key = prefix + stepKey
                switch step.body {
                case .http(let h):
                    addHost(rb, h.url, key: key, values: values)
                case .wait(let w):
                    if case .http(let h) = w.probe { addHost(rb, h.url, key: key, values: values) }
                case .ci(let spec):
                    addCI(rb, spec, key: key, values: values)
                case .run where step.host != nil:
                    addSSH(rb, step.host!, key: key, values: values)
                case .runbook(let inc):
                    guard let child = includes[inc.runbook], depth < 16 else { continue }
                    var childParams: [String: String] = [:]
                    for p in child.params { if let d = p.defaultValue { childParams[p.name] = d } }
                    // A `with` value built from an output is unknown yet: the
                    // child's checks that use it are skipped.
                    for w in inc.with where missing([w.value], values) == nil { childParams[w.name] = w.value.expand(values) }
                    add(child, values: builtins(child, childParams), prefix: key + "/", depth: depth + 1)
                default:
                    break
                }
            }
        }

        mutating func addHost(_ rb: Runbook, _ url: Template, key: String, values: [String: String]) {
            if let why = missing([url], values) {
                items.append(PreflightItem(runbook: rb.name, kind: .host, title: "the host of \(url.raw) answers", steps: [key], fix: nil, action: .skip(why), owner: rb))
                return
            }
            let origin = PreflightItem.origin(of: url.expand(values))
            implied("host \(origin)", step: key) {
                PreflightItem(runbook: rb.name, kind: .host, title: "\(origin) resolves and answers", steps: [],
                              fix: "check the address, the VPN or proxy, and that the service is up", action: .reach(url, values: values), owner: rb)
            }
        }

        mutating func addSSH(_ rb: Runbook, _ host: Template, key: String, values: [String: String]) {
            if let why = missing([host], values) {
                items.append(PreflightItem(runbook: rb.name, kind: .host, title: "ssh to \(host.raw) logs in", steps: [key], fix: nil, action: .skip(why), owner: rb))
                return
            }
            let name = host.expand(values)
            implied("ssh \(name)", step: key) {
                PreflightItem(runbook: rb.name, kind: .host, title: "ssh to \(name) logs in and runs bash", steps: [],
                              fix: "check that 'ssh \(name) true' works without a prompt: the host key in known_hosts, the key in the agent, the name in your ssh config",
                              action: .ssh(host, values: values), owner: rb)
            }
        }

        mutating func addCI(_ rb: Runbook, _ spec: CISpec, key: String, values: [String: String]) {
            let templates = [spec.url] + spec.settings.keys.sorted().compactMap { spec.settings[$0] }
            let what: String = switch spec.provider {
            case .buildbot: "Buildbot builder \(spec.settings["builder"]?.raw ?? "")"
            case .github: "GitHub workflow \(spec.settings["workflow"]?.raw ?? "") of \(spec.settings["repo"]?.raw ?? "")"
            case .gitlab: "GitLab project \(spec.settings["project"]?.raw ?? "")"
            case .jenkins: "Jenkins job \(spec.settings["job"]?.raw ?? "")"
            }
            let fix = spec.token.map { "ask the CI admins for a token that may read and run this, and put it in secret \($0)" }
                ?? "check the CI server's address and that the \(spec.provider.rawValue) names here exist"
            if let why = missing(templates, values) {
                items.append(PreflightItem(runbook: rb.name, kind: .ci, title: "\(what) answers", steps: [key], fix: fix, action: .skip(why), owner: rb))
                return
            }
            let title = "\(what) at \(spec.url.expand(values)) answers" + (spec.token.map { " with the token in \($0)" } ?? "")
            implied("ci \(title)", step: key) {
                PreflightItem(runbook: rb.name, kind: .ci, title: title, steps: [], fix: fix, action: .ci(spec, values: values), owner: rb)
            }
        }

        /// Whether `step` reads secret `name`: as `$NAME` in a script, `${NAME}`
        /// in an http or ci field, or as a ci token.
        static func uses(_ step: Step, secret name: String) -> Bool {
            func inFields(_ ts: [Template]) -> Bool { ts.contains { $0.raw.contains("${\(name)}") } }
            func inScript(_ t: Template) -> Bool { t.raw.contains("$\(name)") || t.raw.contains("${\(name)}") }
            switch step.body {
            case .run(let t): return inScript(t) || step.automation?.rollback.map(inScript) == true
            case .wait(let w):
                switch w.probe {
                case .run(let t): return inScript(t)
                case .http(let h): return inFields([h.url, h.body].compactMap { $0 } + h.headers.map(\.value))
                }
            case .http(let h): return inFields([h.url, h.body].compactMap { $0 } + h.headers.map(\.value))
            case .ci(let c): return c.token == name || inFields([c.url] + Array(c.settings.values) + c.inputs.map(\.value))
            default: return false
            }
        }
    }

    /// `scheme://host:port/` of a URL: what "the host answers" asks.
    static func origin(of url: String) -> String {
        guard let schemeEnd = url.firstRange(of: "://") else { return url }
        let rest = url[schemeEnd.upperBound...]
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        // user:password@ never goes into a check's title.
        let host = authority.split(separator: "@", omittingEmptySubsequences: false).last ?? authority
        return String(url[..<schemeEnd.upperBound]) + host + "/"
    }
}
