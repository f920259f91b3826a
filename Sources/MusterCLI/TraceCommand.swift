#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import ArgumentParser
import MusterBasics
import MusterFormat
import MusterEngine
import MusterJournal
import MusterDrills
import MusterPreflight
import MusterApp
import MusterTerminal

struct TraceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trace",
        abstract: "Export a run as an OpenTelemetry trace (OTLP/HTTP JSON).",
        discussion: """
        Prints the trace to stdout, or posts it to --otlp URL, or, when OTEL_EXPORTER_OTLP_ENDPOINT (or \
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) is set, to that collector, with OTEL_EXPORTER_OTLP_HEADERS and \
        OTEL_SERVICE_NAME. The trace id is derived from the run id: exporting twice sends the same trace. \
        With OTEL_EXPORTER_OTLP_ENDPOINT set, every run and drill also exports itself when it ends. See docs/evidence.md.
        """
    )

    @Argument(help: "The run (see `muster runs`).")
    var runID: String

    @Option(help: ArgumentHelp("Post the trace to this OTLP/HTTP endpoint (a collector's base URL, or its full /v1/traces URL).", valueName: "URL"))
    var otlp: String?

    func run() throws {
        let ws = Workspace()
        let store = RunStore(root: ws.root)
        try store.checkAccess(write: false)
        guard store.runIDs().contains(runID) else {
            let hint = suggestion(for: runID, among: store.runIDs()).map { " Did you mean \($0)?" } ?? ""
            throw CommandFailure(message: "no run \(runID) in \(store.runsDir).\(hint) `muster runs` lists them")
        }
        let events: [JournalEvent]
        do {
            let (believed, refused) = TrustedFold.check(try FileJournal.read(path: store.journalPath(runID)).events, runID: runID, root: ws.root)
            for line in TrustedFold.describe(refused) { printError("muster: warning: \(sanitize(line)); it is left out of the trace") }
            events = believed
        } catch {
            throw CommandFailure(message: error.message)
        }
        let env = ProcessInfo.processInfo.environment
        guard let body = Trace.request(events, serviceName: OTLPExport.serviceName(env), version: MusterVersion.string) else {
            throw CommandFailure(message: "run \(runID) has no run_started event: there is nothing to export")
        }
        guard let target = otlp.map(OTLPExport.tracesURL(base:)) ?? OTLPExport.endpoint(env) else {
            print(body.serialized())
            return
        }
        if let failure = OTLPExport.post(body, to: target, headers: OTLPExport.headers(env), timeout: 10) {
            throw CommandFailure(message: "could not export the trace of \(runID): \(failure)", code: ExitCodes.failure)
        }
        print("Trace \(Trace.traceID(runID: runID)) of \(sanitize(runID)) sent to \(sanitize(target)).")
    }
}

/// OTLP/HTTP JSON export over the executor's HTTP transport (libcurl), by
/// the variables of the OpenTelemetry exporter specification.
enum OTLPExport {
    /// The export at the end of a run waits at most this long: a collector
    /// that is down or slow must never hold up a recovery.
    static let endOfRunTimeout = 3.0

    static func serviceName(_ env: [String: String]) -> String {
        if let s = env["OTEL_SERVICE_NAME"], !s.isEmpty { return s }
        return "muster"
    }

    /// `--otlp URL`: a base URL gets `/v1/traces`; a URL with a path is used as is.
    static func tracesURL(base: String) -> String {
        let trimmed = base.hasSuffix("/") ? String(base.dropLast()) : base
        guard let scheme = trimmed.firstRange(of: "://") else { return trimmed }
        return trimmed[scheme.upperBound...].contains("/") ? trimmed : trimmed + "/v1/traces"
    }

    /// Where to send traces by the environment, or nil when it says nowhere.
    static func endpoint(_ env: [String: String]) -> String? {
        if let t = env["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"], !t.isEmpty { return t }
        guard let base = env["OTEL_EXPORTER_OTLP_ENDPOINT"], !base.isEmpty else { return nil }
        return (base.hasSuffix("/") ? String(base.dropLast()) : base) + "/v1/traces"
    }

    /// `OTEL_EXPORTER_OTLP_HEADERS` (`key1=value1,key2=value2`, values
    /// percent-encoded), and the traces-only variant.
    static func headers(_ env: [String: String]) -> [(name: String, value: String)] {
        let text = [env["OTEL_EXPORTER_OTLP_HEADERS"], env["OTEL_EXPORTER_OTLP_TRACES_HEADERS"]].compactMap { $0 }.joined(separator: ",")
        return text.split(separator: ",").compactMap { pair -> (name: String, value: String)? in
            guard let eq = pair.firstIndex(of: "=") else { return nil }
            let name = pair[..<eq].trimmingSpaces, value = String(pair[pair.index(after: eq)...]).trimmingSpaces
            guard !name.isEmpty, !name.contains(where: { $0 == "\r" || $0 == "\n" }) else { return nil }
            let decoded = percentDecoded(value)
            guard !decoded.contains(where: { $0 == "\r" || $0 == "\n" }) else { return nil }
            return (name, decoded)
        }
    }

    static func percentDecoded(_ s: String) -> String {
        var out: [UInt8] = []
        let b = Array(s.utf8)
        var i = 0
        while i < b.count {
            if b[i] == UInt8(ascii: "%"), i + 2 < b.count, let v = UInt8(String(decoding: b[(i + 1)...(i + 2)], as: UTF8.self), radix: 16) {
                out.append(v)
                i += 3
            } else {
                out.append(b[i])
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Posts the request; a failure in words, or nil when the collector took it.
    static func post(_ body: JSON, to url: String, headers: [(name: String, value: String)], timeout: Double) -> String? {
        let transport = CurlTransport()
        do {
            // The headers carry the collector's API key: never shown.
            let reply = try transport.send(method: "POST", url: url, headers: [("Content-Type", "application/json")] + headers,
                                           body: body.serialized(), timeout: timeout,
                                           confidential: Confidential(headers: Set(headers.map { $0.name.lowercased() })), onSignal: { _ in true })
            guard (200..<300).contains(reply.status) else {
                return "the collector at \(url) answered \(reply.status)"
            }
            return nil
        } catch {
            return error.message
        }
    }

    /// The export at the end of a run or drill, when the environment names a
    /// collector: bounded, and a failure is a warning, never the run's.
    static func afterRun(journalPath: String, masked: [String]) {
        let env = ProcessInfo.processInfo.environment
        guard let url = endpoint(env), let events = try? FileJournal.read(path: journalPath).events else { return }
        let masker = Masker(secrets: masked)
        guard let body = Trace.request(events, serviceName: serviceName(env), version: MusterVersion.string, mask: masker.mask) else { return }
        if let failure = post(body, to: url, headers: headers(env), timeout: endOfRunTimeout) {
            printError("muster: warning: the run's trace was not exported: \(failure); `muster trace RUN_ID` sends it later")
        }
    }
}

extension StringProtocol {
    fileprivate var trimmingSpaces: String { String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed()) }
}
