#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif
import MusterBasics
import MusterFormat
import MusterEngine
import MusterJournal
import MusterDrills
import MusterTerminal

/// OTLP/HTTP JSON export over the executor's HTTP transport (libcurl), by
/// the variables of the OpenTelemetry exporter specification
/// (`OTLPSettings`).
package enum OTLPExport {
    /// The export at the end of a run waits at most this long unless the
    /// environment sets a timeout: a collector that is down or slow must
    /// never hold up a recovery.
    package static let endOfRunTimeout = 3.0
    /// `muster trace`'s, the spec's default.
    package static let commandTimeout = 10.0
    /// The answers the OTLP/HTTP spec says to retry.
    package static let retryable: Set<Int> = [429, 502, 503, 504]

    /// `--otlp URL`: a base URL gets `/v1/traces`; a URL with a path is used as is.
    package static func tracesURL(base: String) -> String {
        let trimmed = base.hasSuffix("/") ? String(base.dropLast()) : base
        guard let scheme = trimmed.firstRange(of: "://") else { return trimmed }
        return trimmed[scheme.upperBound...].contains("/") ? trimmed : trimmed + "/v1/traces"
    }

    /// Posts the request, retrying what the spec calls retryable after the
    /// collector's `Retry-After` (seconds) or an exponential backoff, all
    /// within `timeout`; a failure in words, or nil when the collector
    /// took it. The words never hold a header or the URL's user info.
    package static func post(_ body: JSON, to url: String, headers: [(name: String, value: String)], timeout: Double) -> String? {
        let transport = CurlTransport()
        let start = ContinuousClock.now
        func elapsed() -> Double {
            let d = start.duration(to: .now).components
            return Double(d.seconds) + Double(d.attoseconds) / 1e18
        }
        let shown = OTLPSettings.shown(url)
        var backoff = 1.0
        var answers: [Int] = []
        while true {
            let left = timeout - elapsed()
            guard left > 0.05 else {
                return "the collector at \(shown) answered \(answers.map(String.init).joined(separator: ", ")) and the export's timeout of \(seconds(timeout)) ran out"
            }
            let reply: HTTPReply
            do {
                // The headers carry the collector's API key: never shown.
                reply = try transport.send(method: "POST", url: url, headers: [("Content-Type", "application/json")] + headers,
                                           body: body.serialized(), timeout: left,
                                           confidential: Confidential(headers: Set(headers.map { $0.name.lowercased() })), onSignal: { _ in true })
            } catch {
                let before = answers.isEmpty ? "" : " after it answered \(answers.map(String.init).joined(separator: ", "))"
                return "\(error.message)\(before) (export timeout \(seconds(timeout)))"
            }
            if (200..<300).contains(reply.status) { return nil }
            answers.append(reply.status)
            guard retryable.contains(reply.status) else { return "the collector at \(shown) answered \(reply.status)" }
            let asked = reply.header("retry-after").flatMap { Double($0.trimmingCharacters()) }.map { max(0, $0) }
            let wait = asked ?? backoff
            backoff = min(backoff * 2, 30)
            guard elapsed() + wait < timeout else {
                return "the collector at \(shown) answered \(answers.map(String.init).joined(separator: ", ")); "
                    + "waiting \(seconds(wait))\(asked == nil ? "" : " as its Retry-After asks") would outlast the export's timeout of \(seconds(timeout))"
            }
            usleep(UInt32(min(wait, 3600) * 1_000_000))
        }
    }

    package static func seconds(_ s: Double) -> String {
        let t = (s * 10).rounded() / 10
        return t == t.rounded() ? "\(Int(t))s" : "\(t)s"
    }

    /// The export at the end of a run or drill, when the environment names a
    /// collector: bounded, and a failure is a warning, never the run's.
    package static func afterRun(journalPath: String, masked: [String]) {
        let settings = OTLPSettings(ProcessInfo.processInfo.environment, version: MusterVersion.string)
        guard let url = settings.endpoint else { return }
        for w in settings.warnings { printError("muster: warning: \(sanitize(w))") }
        guard settings.disabled == nil else { return }
        if let why = settings.refused {
            printError("muster: warning: the run's trace was not exported: \(sanitize(why))")
            return
        }
        guard let events = try? FileJournal.read(path: journalPath).events else { return }
        let masker = Masker(secrets: masked)
        guard let body = Trace.request(events, serviceName: settings.serviceName, version: MusterVersion.string,
                                       resource: settings.resource, mask: masker.mask) else { return }
        if let failure = post(body, to: url, headers: settings.headers, timeout: settings.timeout ?? endOfRunTimeout) {
            printError("muster: warning: the run's trace was not exported: \(sanitize(failure)); `muster trace RUN_ID` sends it later")
        }
    }
}
