import MusterBasics
import MusterFormat

/// Where a run keeps the pipelines its `ci` steps started: journaled before
/// they are followed, so a resumed run follows the same pipeline instead of
/// starting a second one.
package protocol PipelineBook {
    /// The pipeline step `key` started in this session or an earlier one.
    func journaled(_ key: String, _ provider: CIProvider, _ service: any CIService) -> PipelineRef?
    func journal(_ ref: PipelineRef, key: String, _ service: any CIService) throws(Stop)
    /// The trigger's token, journaled before the trigger is sent.
    func journalTrigger(_ mark: PipelineRef, key: String) throws(Stop)
    /// A pipeline cancelled (`cancel_on_stop`), or the reason it was not.
    func journalCancel(_ ref: PipelineRef, key: String, text: String) throws(Stop)
}

/// What looking for an unanswered trigger's pipeline came to.
package enum PipelineLookup {
    case found(PipelineRef, any CIService)
    case absent
    /// Neither shown: the attempt ends so, and nothing is triggered.
    case unknown(Attempt)
}

extension CIPerformer {
    /// The step's provider, with its settings expanded.
    package func service(_ spec: CISpec, key: String, values: [String: String], runID: String, operatorName: String,
                         services: CIServiceFactory) -> Result<any CIService, CIFailure> {
        settings(spec, key: key, values, runID: runID, operatorName: operatorName).flatMap(services)
    }

    /// One attempt of a `ci` step: starts its pipeline and journals it (the
    /// attempt ends there, `triggered`), or follows the pipeline journaled
    /// as started to its end. `startedAt`: when the attempt of this session
    /// that started it began, from which its timeout counts. The trigger's
    /// token is journaled before the trigger is sent.
    package func run(_ spec: CISpec, key: String, timeout: Double, values: [String: String], runID: String, operatorName: String,
                     services: CIServiceFactory, book: PipelineBook, startedAt: Double?) throws(Stop) -> Attempt {
        let start = startedAt ?? host.clock.now
        let service: any CIService
        switch self.service(spec, key: key, values: values, runID: runID, operatorName: operatorName, services: services) {
        case .success(let s): service = s
        case .failure(let f): return try failed(f, since: start)
        }
        let client = client(deadline: start + timeout)
        if var ref = book.journaled(key, spec.provider, service) {
            if startedAt == nil { host.console.show(.info(host.masker.mask("following \(service.describe(ref)) started before the last session ended"))) }
            let cancel: ((PipelineRef) throws(Stop) -> String)? = spec.cancelOnStop ? { ref throws(Stop) in
                try self.cancel(ref, service, client: self.client(deadline: .infinity), key: key, book: book)
            } : nil
            return try follow(&ref, service, client, start: start, timeout: timeout, cancel: cancel) { next throws(Stop) in try book.journal(next, key: key, service) }
        }
        let mark: PipelineRef
        switch service.mark(client) {
        case .success(let m): mark = m
        case .failure(let f): return try failed(f, since: start)
        }
        try book.journalTrigger(mark, key: key)
        switch try trigger(service, client, mark: mark, start: start, timeout: timeout) {
        case .failure(var f):
            if f.status == nil, f.signal == nil, !f.stopped {
                f.message += " (the trigger got no answer, so its pipeline may have started: a retry looks for it before triggering again)"
            }
            return try failed(f, since: start)
        case .success(let ref):
            try book.journal(ref, key: key, service)
            return Attempt(ok: false, status: 0, seconds: host.clock.now - start, triggered: true)
        }
    }

    /// Looks for the pipeline of the trigger journaled with token `mark`
    /// `age` seconds ago and never answered, until the provider finds it or
    /// shows there is none, asking again (as `follow` does) while it does
    /// not answer or cannot tell yet, up to the step's timeout.
    package func lookUp(_ spec: CISpec, key: String, timeout: Double, values: [String: String], runID: String, operatorName: String,
                        services: CIServiceFactory, mark: PipelineRef, age: Double) throws(Stop) -> PipelineLookup {
        let start = host.clock.now
        let service: any CIService
        switch self.service(spec, key: key, values: values, runID: runID, operatorName: operatorName, services: services) {
        case .success(let s): service = s
        case .failure(let f): return .unknown(try failed(f, since: start))
        }
        let client = client(deadline: start + timeout)
        host.console.show(.info("looking for the pipeline an earlier trigger of '\(key)' may have started, before triggering again"))
        var lastLine = ""
        while true {
            let why: String
            switch service.find(mark, age: age + host.clock.now - start, client) {
            case .success(.found(let ref)): return .found(ref, service)
            case .success(.absent): return .absent
            case .success(.notYet(let w)): why = w
            case .failure(let f):
                try stop(f)
                why = f.message
                // A refusal will not change by asking again.
                if let status = f.status, (400..<500).contains(status), f.limited == nil { return .unknown(cannotTell(why, since: start)) }
            }
            let line = host.masker.mask(why)
            if line != lastLine { host.console.show(.info(line)) }
            lastLine = line
            let left = timeout - (host.clock.now - start)
            if left <= 0 {
                var a = cannotTell(why, since: start)
                a.timedOut = true
                return .unknown(a)
            }
            try host.pauseFor(min(Self.pollInterval(age: host.clock.now - start), left + 0.05))
        }
    }

    /// Cancels the pipeline through the provider's API, shows and journals
    /// what came of it, and says it for the attempt's problem.
    func cancel(_ ref: PipelineRef, _ service: any CIService, client: PerformerCIClient, key: String, book: PipelineBook) throws(Stop) -> String {
        let text: String
        switch service.cancel(ref, client) {
        case .success(let done):
            text = host.masker.mask(done)
            host.console.show(.info("cancel_on_stop: " + text))
        case .failure(let f):
            text = host.masker.mask("could not cancel \(service.describe(ref)): \(f.message)")
            host.console.show(.warning("cancel_on_stop: " + text))
        }
        try book.journalCancel(ref, key: key, text: text)
        return text
    }

    func cannotTell(_ why: String, since start: Double) -> Attempt {
        Attempt(ok: false, status: 1, seconds: host.clock.now - start,
                problem: host.masker.mask("could not tell whether an earlier trigger started a pipeline (\(why)), so nothing was triggered: look in the CI, then d NOTE if it ran, s REASON, or r to look again"))
    }
}
