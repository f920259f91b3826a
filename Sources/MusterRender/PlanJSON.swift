import MusterBasics
import MusterTerminal
import MusterFormat
import MusterEngine
import MusterJournal
import MusterDrills
import MusterPreflight


/// The plan as JSON for tools: every key with its effective default, times
/// in seconds, secrets by name only.
package enum PlanJSON {
    package static func render(_ plan: Plan) -> JSON {
        let rb = plan.runbook
        return .object([
            ("muster", 1),
            ("name", .string(rb.name)),
            ("title", .string(rb.title.expand(plan.values))),
            ("path", .string(rb.path)),
            ("description", .from(rb.description)),
            ("owners", .array(rb.owners.map(JSON.string))),
            ("rto_seconds", .from(rb.rto)),
            ("rpo_seconds", .from(rb.rpo)),
            ("escalation", .array(rb.escalation.map { .object([("after_seconds", .int($0.after)), ("contact", .string($0.contact))]) })),
            ("notify_webhook", .from(rb.notifyWebhook)),
            ("params", .array(rb.params.map { p in
                .object([
                    ("name", .string(p.name)),
                    ("description", .from(p.description)),
                    ("default", .from(p.defaultValue)),
                    ("required", .bool(p.required)),
                    ("choices", p.choices.map { .array($0.map(JSON.string)) } ?? .null),
                    ("pattern", .from(p.pattern)),
                    ("value", .from(plan.values[p.name])),
                ])
            })),
            ("secrets", .array(rb.secrets.map { .object([("name", .string($0.name)), ("env", .from($0.env)), ("file", .from($0.file)), ("description", .from($0.description))]) })),
            ("env", .object(rb.env.map { ($0.name, .string($0.value.expand(plan.values))) })),
            ("steps", .array(plan.steps.map(step))),
            ("finally", .array(plan.finally.map(step))),
            ("deadline_seconds", .from(rb.deadline)),
            ("guards", .array(rb.guards.map { guardJSON($0, text: { $0.expand(plan.values) }, shell: { $0.shellDisplay(plan.values) }) })),
        ])
    }

    package static func step(_ s: PlanStep) -> JSON {
        var o: [(String, JSON)] = [
            ("number", .string(s.number)),
            ("id", .string(s.step.id)),
            ("kind", .string(s.step.kind.rawValue)),
            ("title", .string(s.text(s.step.title))),
            ("notes", .from(s.step.notes.map(s.text))),
            ("when", .from(s.step.when?.text)),
        ]
        if s.step.confirmWhole { o.append(("confirm", .bool(true))) }
        if let each = s.step.forEach {
            let items: JSON = switch each.source {
            case .list(let l): .array(l.map(JSON.string))
            case .value(let name): .string(name)
            }
            o.append(("for_each", .object([("in", items), ("as", .string(each.name)), ("max_parallel", .int(each.maxParallel)), ("max_failures", .int(each.maxFailures))])))
        }
        switch s.step.body {
        case .manual(let items, let ask):
            o.append(("manual", .array(items.map { .string(s.text($0)) })))
            o.append(("ask", .object(ask.map { ($0.name, .string($0.prompt)) })))
        case .decide(let d):
            o.append(("decide", .object([("options", .array(d.options.map(JSON.string)))])))
        case .run(let t):
            o.append(("run", .string(s.shell(t))))
            if let h = s.step.host { o.append(("host", .string(s.text(h)))) }
        case .wait(let w):
            var wo: [(String, JSON)] = []
            switch w.probe {
            case .run(let t): wo.append(("run", .string(s.shell(t))))
            case .http(let h): wo.append(("http", http(s, h)))
            }
            wo += [("until", .from(w.until.map(s.text))), ("every_seconds", .int(w.every)), ("timeout_seconds", .int(w.timeout))]
            o.append(("wait", .object(wo)))
        case .http(let h):
            o.append(("http", http(s, h)))
        case .ci(let c):
            var co: [(String, JSON)] = [("provider", .string(c.provider.rawValue)), ("url", .string(s.text(c.url)))]
            for k in c.settings.keys.sorted() { co.append((k, .string(s.text(c.settings[k]!)))) }
            co.append(("inputs", .object(c.inputs.map { ($0.name, .string(s.text($0.value))) })))
            co.append(("token", .from(c.token)))
            o.append(("ci", .object(co)))
        case .runbook(let spec):
            o.append(("runbook", .string(spec.runbook)))
            o.append(("with", .object(spec.with.map { ($0.name, .string(s.text($0.value))) })))
            o.append(("steps", .array(s.children.map(step))))
        case .group:
            o.append(("steps", .array(s.children.map(step))))
        case .parallel(let p):
            o.append(("parallel", .object([("max", .from(p.max)), ("on_failure", .string(p.onFailure.rawValue)),
                                           ("branches", .array(s.children.map(step)))])))
        }
        if s.step.kind.isContainer { o.append(("guards", .array(s.step.guards.map { guardJSON($0, text: s.text, shell: s.shell) }))) }
        if let a = s.step.automation {
            o += [
                ("timeout_seconds", .int(a.timeout)),
                ("retries", .int(a.retries)),
                ("retry_delay_seconds", .int(a.retryDelay)),
                ("expect_seconds", .from(a.expect)),
                ("confirm", .bool(a.confirm)),
                ("on_failure", .from(a.onFailure?.rawValue)),
                ("idempotent", .bool(a.idempotent)),
                ("rollback", .from(a.rollback.map(s.shell))),
                ("outputs", .object(a.outputs.map { out in
                    let source: (String, JSON) = switch out.source {
                    case .regex(let r): ("regex", .string(r))
                    case .json(let j): ("json", .string(j))
                    }
                    return (out.name, .object([source, ("recovery_point", .bool(out.recoveryPoint))]))
                })),
                ("approval", a.approval.map { ap in .object([("count", .int(ap.count)), ("from", .array(ap.from.map(JSON.string)))]) } ?? .null),
            ]
        }
        return .object(o)
    }

    package static func guardJSON(_ g: Guard, text: (Template) -> String, shell: (Template) -> String) -> JSON {
        var o: [(String, JSON)] = [("id", .string(g.id)), ("title", .string(text(g.title)))]
        switch g.check {
        case .run(let t): o.append(("run", .string(shell(t))))
        case .http(let h):
            o.append(("http", .object([("method", .string(h.method)), ("url", .string(text(h.url))),
                                       ("headers", .object(h.headers.map { ($0.name, .string(text($0.value))) })),
                                       ("status", .from(h.status)), ("body_contains", .from(h.bodyContains.map(text)))])))
        }
        o += [("every_seconds", .int(g.every)), ("timeout_seconds", .int(g.effectiveTimeout)), ("on_breach", .string(g.onBreach.rawValue))]
        return .object(o)
    }

    package static func http(_ s: PlanStep, _ h: HTTPCheck) -> JSON {
        .object([
            ("method", .string(h.method)),
            ("url", .string(s.text(h.url))),
            ("headers", .object(h.headers.map { ($0.name, .string(s.text($0.value))) })),
            ("body", .from(h.body.map(s.text))),
            ("status", .from(h.status)),
            ("body_contains", .from(h.bodyContains.map(s.text))),
        ])
    }
}
