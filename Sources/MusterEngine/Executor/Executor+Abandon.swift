import MusterBasics
import MusterFormat

extension Executor {
    /// `muster abandon`: a pipeline still running for an unfinished `ci`
    /// step with `cancel_on_stop` is offered for cancelling (`ask` says
    /// yes or no), as a stop of the step would have; each cancel is shown
    /// and journaled. A pipeline that cannot be looked at is offered too.
    package func offerPipelineCancels(ask: (String) -> Bool) throws(Stop) {
        guard let http, let ciService else { return }
        try restore(promptMasked: false)
        let performer = CIPerformer(host: self, http: HTTPPerformer(host: self, http: http))
        for entry in plan.entries where state.finished[entry.key] == nil {
            guard case .ci(let spec) = entry.step.body, spec.cancelOnStop else { continue }
            guard case .success(let service) = performer.service(spec, key: entry.key, values: templateValues(entry), runID: setup.runID,
                                                                 operatorName: setup.operatorName, services: ciService),
                  let ref = journaled(entry.key, spec.provider, service) else { continue }
            let client = performer.client(deadline: .infinity)
            if case .success(let look) = service.look(ref, client), look.state.isOver { continue }
            let what = masker.mask("Step '\(entry.key)' started \(service.describe(ref)), which may still be running. Cancel it (cancel_on_stop)?")
            guard ask(what) else { continue }
            _ = try performer.cancel(ref, service, client: client, key: entry.key, book: self)
        }
    }
}
