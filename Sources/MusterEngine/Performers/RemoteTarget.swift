import MusterFormat

/// Why a `host:` step's machine cannot be reached as written.
package struct HostProblem: Error { var message: String }

/// Where a `host:` step runs, once its values are known: the host may be a
/// template (`{{ node }}`), so what the validator checks in a literal host
/// is checked here in the value it became, and the step's environment is
/// built without the operator's own variables and the secrets.
enum RemoteTarget {
    static func resolve(_ host: Template, runbook rb: Runbook?, values: [String: String], masker: Masker, runID: String) -> Result<ShellPerformer.Remote, HostProblem> {
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
        let variables = rb.map { StepEnvironment.make($0, values: values, base: [:], secrets: [:], runID: runID) } ?? [:]
        let withheld = Set((rb?.secrets ?? []).flatMap { [$0.name] + ($0.env.map { [$0] } ?? []) })
        return .success(ShellPerformer.Remote(host: name, variables: variables, withheld: withheld))
    }
}
