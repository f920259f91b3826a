import MusterBasics
import MusterFormat

/// Where a run keeps the pipelines its `ci` steps started: journaled before
/// they are followed, so a resumed run follows the same pipeline instead of
/// starting a second one.
package protocol PipelineBook {
    /// The pipeline step `key` started in this session or an earlier one.
    func journaled(_ key: String, _ provider: CIProvider, _ service: any CIService) -> PipelineRef?
    func journal(_ ref: PipelineRef, key: String, _ service: any CIService) throws(Stop)
}

extension CIPerformer {
    /// One attempt of a `ci` step: starts its pipeline and journals it (the
    /// attempt ends there, `triggered`), or follows the pipeline journaled
    /// as started to its end. `startedAt`: when the attempt of this session
    /// that started it began, from which its timeout counts.
    package func run(_ spec: CISpec, key: String, timeout: Double, values: [String: String], runID: String, operatorName: String,
                     services: CIServiceFactory, book: PipelineBook, startedAt: Double?) throws(Stop) -> Attempt {
        let start = startedAt ?? host.clock.now
        let service: any CIService
        switch settings(spec, key: key, values, runID: runID, operatorName: operatorName).flatMap(services) {
        case .success(let s): service = s
        case .failure(let f): return try failed(f, since: start)
        }
        let client = client()
        if var ref = book.journaled(key, spec.provider, service) {
            if startedAt == nil { host.console.show(.info(host.masker.mask("following \(service.describe(ref)) started before the last session ended"))) }
            return try follow(&ref, service, client, start: start, timeout: timeout) { next throws(Stop) in try book.journal(next, key: key, service) }
        }
        switch try trigger(service, client, start: start, timeout: timeout) {
        case .failure(let f):
            return try failed(f, since: start)
        case .success(let ref):
            try book.journal(ref, key: key, service)
            return Attempt(ok: false, status: 0, seconds: host.clock.now - start, triggered: true)
        }
    }
}
