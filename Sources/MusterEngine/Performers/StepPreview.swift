import MusterBasics
import MusterFormat

/// What a step would do, resolved as far as values exist (outputs of
/// earlier rehearsed steps stay visible as `{{ name }}`): shown at a
/// `confirm` gate, in a rehearsal, to approvers (who sign its hash) and
/// as the first line of a drill's injected fault. Unmasked: whoever shows
/// it masks it.
package enum StepPreview {
    package static func lines(_ step: Step, values: [String: String], secrets: [String: String]) -> [String] {
        func http(_ h: HTTPCheck) -> [String] {
            ["\(h.method) \(h.url.expandText(values, secrets: secrets))"] + (h.status.map { ["expecting status \($0)"] } ?? [])
                + (h.bodyContains.map { ["expecting the body to contain \($0.expand(values))"] } ?? [])
        }
        switch step.body {
        case .run(let t):
            // Where it runs is part of what it does (approvers sign this).
            return (step.host.map { ["on \($0.expand(values)) through ssh"] } ?? []) + [t.shellDisplay(values)]
        case .wait(let w):
            let probe: [String]
            switch w.probe {
            case .run(let t): probe = [t.shellDisplay(values)]
            case .http(let h): probe = http(h)
            }
            return probe + ["repeated every \(DurationFormat.format(w.every)) until " + (w.until.map { "it prints \($0.expand(values))" } ?? "it succeeds") + ", for up to \(DurationFormat.format(w.timeout))"]
        case .http(let h):
            return http(h)
        case .ci(let c):
            return ["trigger the \(c.provider.rawValue) pipeline at \(c.url.expandText(values, secrets: secrets))"
                    + c.settings.sorted { $0.key < $1.key }.map { " \($0.key)=\($0.value.expand(values))" }.joined()
                    + (c.inputs.isEmpty ? "" : " with " + c.inputs.map { "\($0.name)=\($0.value.expand(values))" }.joined(separator: ", "))
                    + ", and follow it to the end"]
        default:
            return []
        }
    }

    /// The values the step's templates name that have none: their step
    /// was skipped or marked done by hand.
    package static func missingValues(_ step: Step, _ values: [String: String]) -> [String] {
        func fields(_ h: HTTPCheck) -> [Template] { [h.url] + h.headers.map(\.value) + (h.body.map { [$0] } ?? []) }
        let templates: [Template]
        switch step.body {
        case .run(let t): templates = [t] + (step.host.map { [$0] } ?? [])
        case .wait(let w):
            switch w.probe {
            case .run(let t): templates = [t]
            case .http(let h): templates = fields(h)
            }
        case .http(let h): templates = fields(h)
        case .ci(let c): templates = [c.url] + Array(c.settings.values) + c.inputs.map(\.value)
        default: templates = []
        }
        return Set(templates.flatMap(\.references).map(\.name).filter { values[$0] == nil }).sorted()
    }
}

/// The environment a step's commands run with: the operator's, then the
/// runbook's parameters (upper-cased), its `env`, its secrets, the run id.
package enum StepEnvironment {
    package static func make(_ rb: Runbook, values: [String: String], base: [String: String], secrets: [String: String], runID: String) -> [String: String] {
        var env = base
        for p in rb.params { if let v = values[p.name] { env[p.name.uppercased()] = v } }
        for (name, value) in rb.env { env[name] = value.expand(values) }
        for s in rb.secrets { if let v = secrets[s.name] { env[s.name] = v } }
        env["MUSTER_RUN_ID"] = runID
        return env
    }
}
