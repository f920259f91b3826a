import MusterBasics

/// A runbook with its included runbooks expanded and the known parameter
/// values filled in: what `show` prints and what a run will walk through.
public struct Plan: Sendable {
    public var runbook: Runbook
    /// Parameter values known so far (given or defaulted); others stay as
    /// `{{ name }}` in the rendered plan.
    public var values: [String: String]
    public var steps: [PlanStep]
    /// The runbook's `finally` steps, numbered after the last step.
    public var finally: [PlanStep] = []

    public var stepCount: Int { (steps + finally).reduce(0) { $0 + 1 + $1.descendantCount } }
}

public struct PlanStep: Sendable {
    /// `3` or `3.1` for a step of an included runbook.
    public var number: String
    public var step: Step
    public var values: [String: String]
    /// For a `runbook:` step, the included runbook's steps.
    public var included: Runbook?
    /// A `runbook:` step's or a group's steps.
    public var children: [PlanStep]

    var descendantCount: Int { children.reduce(0) { $0 + 1 + $1.descendantCount } }

    public func text(_ t: Template) -> String { t.expand(values) }
    /// Shell fields as the operator reads them (see `Template.shellDisplay`).
    public func shell(_ t: Template) -> String { t.shellDisplay(values) }
}

public enum PlanError: Error, Sendable {
    case badParameter(String)
}

extension Plan {
    /// Builds the plan. `given` are `-p` values; they are checked against
    /// the parameters' choices and patterns.
    public init(runbook: Runbook, given: [String: String], catalog: Catalog, root: String) throws(PlanError) {
        var values: [String: String] = [:]
        for (k, v) in given {
            guard let p = runbook.param(k) else {
                let hint = suggestion(for: k, among: runbook.params.map(\.name)).map { " (did you mean '\($0)'?)" } ?? ""
                throw .badParameter("runbook '\(runbook.name)' has no parameter '\(k)'\(hint)")
            }
            if let problem = p.problem(with: v) { throw .badParameter(problem.description) }
            values[k] = v
        }
        for p in runbook.params where values[p.name] == nil {
            if let d = p.defaultValue { values[p.name] = d }
        }
        values["runbook"] = runbook.name
        self.runbook = runbook
        self.values = values
        self.steps = Self.expand(runbook.steps, values: values, prefix: "", catalog: catalog, root: root, depth: 0)
        self.finally = Self.expand(runbook.finally, values: values, prefix: "", catalog: catalog, root: root, depth: 0, first: runbook.steps.count + 1)
    }

    /// `including` holds the runbooks being expanded around these steps: a
    /// runbook that includes itself, directly or not, is not expanded again.
    static func expand(_ steps: [Step], values: [String: String], prefix: String, catalog: Catalog, root: String, depth: Int, including: Set<String> = [], first: Int = 1) -> [PlanStep] {
        steps.enumerated().map { i, step in
            var ps = PlanStep(number: prefix + String(i + first), step: step, values: values, included: nil, children: [])
            if !step.children.isEmpty {
                ps.children = expand(step.children, values: values, prefix: ps.number + ".", catalog: catalog, root: root, depth: depth, including: including)
            }
            if case .runbook(let spec) = step.body, depth < Catalog.maxIncludeDepth,
               case .found(let child, let path) = catalog.resolveRunbook(spec.runbook, root: root), !including.contains(path) {
                var childValues: [String: String] = ["runbook": child.name]
                for p in child.params { if let d = p.defaultValue { childValues[p.name] = d } }
                for w in spec.with {
                    let v = w.value.expand(values)
                    // Only pass on a value that is fully known.
                    if w.value.references.allSatisfy({ values[$0.name] != nil }) { childValues[w.name] = v }
                }
                ps.included = child
                ps.children = expand(child.steps, values: childValues, prefix: ps.number + ".", catalog: catalog, root: root, depth: depth + 1, including: including.union([path]))
            }
            return ps
        }
    }
}
