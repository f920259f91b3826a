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

    /// The machine's `lookUp`: attempt `n` (begun here when it is a retry)
    /// looks for the pipeline of the step's unanswered trigger. Found, it
    /// is journaled as the step's pipeline (the machine follows it next);
    /// shown absent, that is journaled (the machine triggers next); else
    /// the attempt fails and nothing is triggered.
    func lookUp(_ entry: FlatPlan.Entry, _ n: Int) throws(Stop) {
        let key = entry.key
        guard case .ci(let spec) = entry.step.body, let a = entry.step.automation, let (mark, t) = state.triggerMarks[key] else { return }
        if n > state.attempts[key] ?? 0 { try journalStart(entry, n) }
        let values = templateValues(entry)
        guard let http, let ciService else {
            return try conclude(entry, n, Attempt(ok: false, status: 1, seconds: 0, problem: "cannot run: no CI providers are available"), values: values, env: [:])
        }
        let start = clock.now
        var lookup = PipelineLookup.absent
        let ended = try stoppable(key, timeout: a.timeout) { () throws(Stop) in
            switch try CIPerformer(host: self, http: HTTPPerformer(host: self, http: http))
                .lookUp(spec, key: key, timeout: Double(a.timeout), values: values, runID: setup.runID, operatorName: setup.operatorName,
                        services: ciService, mark: mark, age: max(0, elapsed - t)) {
            case .unknown(let attempt): return attempt
            case let other: lookup = other
            }
            return Attempt(ok: true, status: 0, seconds: 0)
        }
        if !ended.ok { return try conclude(entry, n, ended, values: values, env: environment(entry.runbook, values)) }
        switch lookup {
        case .found(let ref, let service):
            console.show(.info(masker.mask("found \(service.describe(ref)), which that trigger started: following it instead of triggering again")))
            try journal(ref, key: key, service)
            triggered = (key, start)
        case .unknown:
            break
        case .absent:
            console.show(.info("the CI shows no pipeline from that trigger: triggering now"))
            try record(.pipelineAbsent, step: key) { $0.pipeline = mark; $0.attempt = n }
        }
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

    package func journalCancel(_ ref: PipelineRef, key: String, text: String) throws(Stop) {
        try record(.pipelineCancelled, step: key) { $0.pipeline = ref; $0.text = text }
    }

    package func journalTrigger(_ mark: PipelineRef, key: String) throws(Stop) {
        try record(.pipelineTriggering, step: key) { $0.pipeline = mark; $0.attempt = state.attempts[key] }
    }
}
