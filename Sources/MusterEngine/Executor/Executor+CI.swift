import MusterBasics
import MusterFormat

/// `ci` steps: the pipeline's reference is journaled before it is followed,
/// so a resumed run follows the same pipeline instead of starting a second
/// one. The work itself is `CIPerformer`'s.
extension Executor {
    /// Starts the step's pipeline and journals it (the attempt ends there,
    /// `triggered`), or follows the pipeline journaled as started, by this
    /// session or an earlier one, to its end.
    func ci(_ spec: CISpec, key: String, automation a: Automation, values: [String: String]) throws(Stop) -> Attempt {
        var start = clock.now
        let timeout = Double(a.timeout)
        guard let http else { return Attempt(ok: false, status: 1, seconds: 0, problem: "cannot run: no HTTP client is available") }
        guard let ciService else { return Attempt(ok: false, status: 1, seconds: 0, problem: "cannot run: no CI providers are available") }
        let performer = CIPerformer(host: self, http: HTTPPerformer(host: self, http: http))
        let service: any CIService
        switch performer.settings(spec, key: key, values, runID: setup.runID, operatorName: setup.operatorName).flatMap(ciService) {
        case .success(let s): service = s
        case .failure(let f): return try performer.failed(f, since: start)
        }
        let client = performer.client()
        if var ref = journaledPipeline(key, spec.provider, service) {
            if let t = triggered, t.key == key {
                start = t.at
            } else {
                console.show(.info(masker.mask("following \(service.describe(ref)) started before the last session ended")))
            }
            triggered = nil
            return try performer.follow(&ref, service, client, start: start, timeout: timeout) { next throws(Stop) in
                try journalPipeline(next, key: key, service)
            }
        }
        switch try performer.trigger(service, client, start: start, timeout: timeout) {
        case .failure(let f):
            return try performer.failed(f, since: start)
        case .success(let ref):
            try journalPipeline(ref, key: key, service)
            triggered = (key, start)
            return Attempt(ok: false, status: 0, seconds: clock.now - start, triggered: true)
        }
    }

    /// The pipeline this step started in an earlier session: the typed
    /// `pipeline` field, or what releases before it journaled in `value`.
    func journaledPipeline(_ key: String, _ provider: CIProvider, _ service: any CIService) -> PipelineRef? {
        if let ref = state.pipelines[key], ref.provider == provider { return ref }
        guard let legacy = state.legacyPipelines[key] else { return nil }
        return service.pipeline(legacy: legacy.value, item: legacy.item)
    }

    func journalPipeline(_ ref: PipelineRef, key: String, _ service: any CIService) throws(Stop) {
        try record(.pipelineStarted, step: key) { $0.pipeline = ref; $0.text = service.describe(ref) }
    }
}
