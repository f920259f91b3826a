import MusterBasics
import MusterFormat

/// What the `ci` desk needs beyond StepHost: the HTTP client and CI
/// services wired in, a wait the operator may stop, and the values earlier
/// sessions left (for `muster abandon`).
package protocol PipelineHost: StepHost {
    var http: HTTPTransport? { get }
    var ciService: CIServiceFactory? { get }
    func stoppable(_ key: String, timeout: Int, _ body: () throws(Stop) -> Attempt) throws(Stop) -> Attempt
    func restore(promptMasked: Bool) throws(Stop)
}

/// `ci` steps: the work is `CIPerformer`'s; the journal of the pipelines
/// started, looked up and cancelled is the run's, kept here. A class: the
/// pipeline this session started is remembered between its trigger and the
/// machine's `follow`.
package final class PipelineDesk: PipelineBook {
    unowned let host: PipelineHost
    /// The `ci` step whose pipeline this session started, and when its
    /// attempt began: following it (the machine's next action) counts the
    /// step's timeout from then.
    var triggered: (key: String, at: Double)?

    init(host: PipelineHost) { self.host = host }

    func ci(_ spec: CISpec, key: String, automation a: Automation, values: [String: String]) throws(Stop) -> Attempt {
        guard let http = host.http else { return Attempt(ok: false, status: 1, seconds: 0, problem: "cannot run: no HTTP client is available") }
        guard let ciService = host.ciService else { return Attempt(ok: false, status: 1, seconds: 0, problem: "cannot run: no CI providers are available") }
        let startedAt = triggered?.key == key ? triggered?.at : nil
        let start = host.clock.now
        triggered = nil
        let result = try CIPerformer(host: host, http: HTTPPerformer(host: host, http: http))
            .run(spec, key: key, timeout: Double(a.timeout), values: values, runID: host.setup.runID, operatorName: host.setup.operatorName, services: ciService,
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
        guard case .ci(let spec) = entry.step.body, let a = entry.step.automation, let (mark, t) = host.state.triggerMarks[key] else { return }
        if n > host.state.attempts[key] ?? 0 { try host.journalStart(entry, n) }
        let values = host.templateValues(entry)
        guard let http = host.http, let ciService = host.ciService else {
            return try host.conclude(entry, n, Attempt(ok: false, status: 1, seconds: 0, problem: "cannot run: no CI providers are available"), values: values, env: [:])
        }
        let start = host.clock.now
        var lookup = PipelineLookup.absent
        let ended = try host.stoppable(key, timeout: a.timeout) { () throws(Stop) in
            switch try CIPerformer(host: host, http: HTTPPerformer(host: host, http: http))
                .lookUp(spec, key: key, timeout: Double(a.timeout), values: values, runID: host.setup.runID, operatorName: host.setup.operatorName,
                        services: ciService, mark: mark, age: max(0, host.elapsed - t)) {
            case .unknown(let attempt): return attempt
            case let other: lookup = other
            }
            return Attempt(ok: true, status: 0, seconds: 0)
        }
        if !ended.ok { return try host.conclude(entry, n, ended, values: values, env: host.environment(entry.runbook, values)) }
        switch lookup {
        case .found(let ref, let service):
            host.console.show(.info(host.masker.mask("found \(service.describe(ref)), which that trigger started: following it instead of triggering again")))
            try journal(ref, key: key, service)
            triggered = (key, start)
        case .unknown:
            break
        case .absent:
            host.console.show(.info("the CI shows no pipeline from that trigger: triggering now"))
            try host.record(.pipelineAbsent(mark, attempt: n), step: key)
        }
    }

    /// The typed `pipeline` field, or what releases before it journaled in `value`.
    package func journaled(_ key: String, _ provider: CIProvider, _ service: any CIService) -> PipelineRef? {
        if let ref = host.state.pipelines[key], ref.provider == provider { return ref }
        guard let legacy = host.state.legacyPipelines[key] else { return nil }
        return service.pipeline(legacy: legacy.value, item: legacy.item)
    }

    package func journal(_ ref: PipelineRef, key: String, _ service: any CIService) throws(Stop) {
        try host.record(.pipelineStarted(ref, text: service.describe(ref)), step: key)
    }

    package func journalCancel(_ ref: PipelineRef, key: String, text: String) throws(Stop) {
        try host.record(.pipelineCancelled(ref, text: text), step: key)
    }

    package func journalTrigger(_ mark: PipelineRef, key: String) throws(Stop) {
        try host.record(.pipelineTriggering(mark, attempt: host.state.attempts[key]), step: key)
    }

    /// `muster abandon`: a pipeline still running for an unfinished `ci`
    /// step with `cancel_on_stop` is offered for cancelling (`ask` says
    /// yes or no), as a stop of the step would have; each cancel is shown
    /// and journaled. A pipeline that cannot be looked at is offered too.
    package func offerPipelineCancels(ask: (String) -> Bool) throws(Stop) {
        guard let http = host.http, let ciService = host.ciService else { return }
        try host.restore(promptMasked: false)
        let performer = CIPerformer(host: host, http: HTTPPerformer(host: host, http: http))
        for entry in host.machine.plan.entries where host.state.finished[entry.key] == nil {
            guard case .ci(let spec) = entry.step.body, spec.cancelOnStop else { continue }
            guard case .success(let service) = performer.service(spec, key: entry.key, values: host.templateValues(entry), runID: host.setup.runID,
                                                                 operatorName: host.setup.operatorName, services: ciService),
                  let ref = journaled(entry.key, spec.provider, service) else { continue }
            let client = performer.client(deadline: .infinity)
            if case .success(let look) = service.look(ref, client), look.state.isOver { continue }
            let what = host.masker.mask("Step '\(entry.key)' started \(service.describe(ref)), which may still be running. Cancel it (cancel_on_stop)?")
            guard ask(what) else { continue }
            _ = try performer.cancel(ref, service, client: client, key: entry.key, book: self)
        }
    }
}
