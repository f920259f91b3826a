import MusterFormat

extension Executor {
    package func remote(of key: String, values: [String: String]) -> Result<ShellPerformer.Remote?, HostProblem> {
        guard let h = plan[key]?.step.host else { return .success(nil) }
        return RemoteTarget.resolve(h, runbook: plan[key]?.runbook, values: values, masker: masker, runID: setup.runID).map { $0 }
    }
}
