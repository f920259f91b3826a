import MusterFormat

/// A `host:` step's machine, known only once its values are: the host may
/// be a template (`{{ node }}`), so what the validator checks in a literal
/// host is checked here in the value it became.
package struct HostProblem: Error { var message: String }

extension Executor {
    package func remote(of key: String, values: [String: String]) -> Result<ShellPerformer.Remote?, HostProblem> {
        guard let h = plan[key]?.step.host else { return .success(nil) }
        return remoteTarget(h, key: key, values: values).map { $0 }
    }

    func remoteTarget(_ host: Template, key: String, values: [String: String]) -> Result<ShellPerformer.Remote, HostProblem> {
        let missing = host.references.map(\.name).filter { values[$0] == nil }
        if !missing.isEmpty {
            return .failure(HostProblem(message: "cannot run: its host needs \(missing.map { "{{ \($0) }}" }.joined(separator: ", ")), which has no value (the step that sets it was skipped or marked done by hand); do this step by hand and answer d NOTE, or s REASON"))
        }
        let name = host.expand(values)
        if masker.mask(name) != name {
            return .failure(HostProblem(message: "cannot run: its host comes from a secret, and a host name is shown and sent to ssh"))
        }
        if let why = HostAddress.problem(name) {
            return .failure(HostProblem(message: "cannot run: its host is '\(name)': \(why)"))
        }
        // The step environment without the operator's own variables and the secrets.
        let rb = plan[key]?.runbook
        let variables = rb.map { StepEnvironment.make($0, values: values, base: [:], secrets: [:], runID: setup.runID) } ?? [:]
        let withheld = Set((rb?.secrets ?? []).flatMap { [$0.name] + ($0.env.map { [$0] } ?? []) })
        return .success(ShellPerformer.Remote(host: name, variables: variables, withheld: withheld))
    }
}
