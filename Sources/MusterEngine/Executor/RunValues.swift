import MusterBasics
import MusterFormat

/// The values each scope's templates see, by include step key ("" for the
/// top): parameters and built-ins, an include's defaults and `with`, then
/// what steps before set (answers, outputs). Held in clear for this
/// session only: the journal holds secrets masked, and a resume asks for
/// them again (`Executor.restore`).
struct RunValues {
    let plan: FlatPlan
    let runbook: Runbook
    let params: [String: String]
    let runID: String
    let operatorName: String
    var scopes: [String: [String: String]] = [:]

    init(_ setup: RunSetup, plan: FlatPlan) {
        self.plan = plan
        runbook = setup.runbook
        params = setup.params
        runID = setup.runID
        operatorName = setup.operatorName
    }

    /// Parameters, built-ins: the values every template of `rb` may use.
    func base(_ rb: Runbook, _ params: [String: String]) -> [String: String] {
        var v = params
        v["run_id"] = runID
        v["operator"] = operatorName
        v["runbook"] = rb.name
        return v
    }

    /// What the templates of steps inside `parent` (nil: the top) see.
    mutating func scope(_ parent: String?) -> [String: String] {
        if let v = scopes[parent ?? ""] { return v }
        var v = base(runbook, params)
        if let parent, let p = plan[parent], case .runbook(let spec) = p.step.body, let child = p.child {
            v = childValues(child, spec, scope(p.scope))
        }
        scopes[parent ?? ""] = v
        return v
    }

    mutating func set(_ parent: String?, _ values: [String: String]) { scopes[parent ?? ""] = values }

    /// Adds what a step set to its scope, leaving what other steps set
    /// meanwhile (a branch that ended while this one ran) as it is.
    mutating func add(_ parent: String?, _ values: [String: String]) {
        var v = scope(parent)
        v.merge(values) { $1 }
        scopes[parent ?? ""] = v
    }

    /// What an included runbook's templates see: its defaults, then `with`.
    func childValues(_ child: Runbook, _ spec: IncludeSpec, _ values: [String: String]) -> [String: String] {
        var childParams: [String: String] = [:]
        for p in child.params { if let d = p.defaultValue { childParams[p.name] = d } }
        for w in spec.with { childParams[w.name] = w.value.expand(values) }
        return base(child, childParams)
    }
}
