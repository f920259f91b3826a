import MusterBasics
import MusterFormat

/// `ci` steps: the work is `CIPerformer`'s; the journal of the pipelines
/// started is the run's.
extension Executor: PipelineBook {
    func ci(_ spec: CISpec, key: String, automation a: Automation, values: [String: String]) throws(Stop) -> Attempt {
        guard let http else { return Attempt(ok: false, status: 1, seconds: 0, problem: "cannot run: no HTTP client is available") }
        guard let ciService else { return Attempt(ok: false, status: 1, seconds: 0, problem: "cannot run: no CI providers are available") }
        let startedAt = triggered?.key == key ? triggered?.at : nil
        let start = clock.now
        triggered = nil
        let result = try CIPerformer(host: self, http: HTTPPerformer(host: self, http: http))
            .run(spec, key: key, timeout: Double(a.timeout), values: values, runID: setup.runID, operatorName: setup.operatorName, services: ciService,
                 book: self, startedAt: startedAt)
        if result.triggered { triggered = (key, start) }
        return result
    }

    /// The typed `pipeline` field, or what releases before it journaled in `value`.
    package func journaled(_ key: String, _ provider: CIProvider, _ service: any CIService) -> PipelineRef? {
        if let ref = state.pipelines[key], ref.provider == provider { return ref }
        guard let legacy = state.legacyPipelines[key] else { return nil }
        return service.pipeline(legacy: legacy.value, item: legacy.item)
    }

    package func journal(_ ref: PipelineRef, key: String, _ service: any CIService) throws(Stop) {
        try record(.pipelineStarted, step: key) { $0.pipeline = ref; $0.text = service.describe(ref) }
    }
}
