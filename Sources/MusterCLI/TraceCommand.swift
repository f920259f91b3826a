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
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) is set, to that collector, by the OpenTelemetry exporter variables \
        (headers, timeout, resource attributes, service name; OTLP/HTTP JSON only, gRPC is refused). The trace id \
        is derived from the run id: exporting twice sends the same trace. With OTEL_EXPORTER_OTLP_ENDPOINT set, \
        every run and drill also exports itself when it ends, unless OTEL_SDK_DISABLED=true or \
        OTEL_TRACES_EXPORTER=none. See docs/evidence.md.
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
        try store.requireRun(runID)
        let events: [JournalEvent]
        do {
            let (believed, refused) = TrustedFold.check(try FileJournal.read(path: store.journalPath(runID)).events, runID: runID, root: ws.root)
            for line in TrustedFold.describe(refused) { printError("muster: warning: \(sanitize(line)); it is left out of the trace") }
            events = believed
        } catch {
            throw CommandFailure(message: error.message)
        }
        let settings = OTLPSettings(ProcessInfo.processInfo.environment, version: MusterVersion.string)
        for w in settings.warnings { printError("muster: warning: \(sanitize(w))") }
        guard let body = Trace.request(events, serviceName: settings.serviceName, version: MusterVersion.string, resource: settings.resource) else {
            throw CommandFailure(message: "run \(runID) has no run_started event: there is nothing to export")
        }
        // `--otlp` is an explicit OTLP/HTTP JSON export; the environment's
        // collector is used only as far as the environment allows.
        var target = otlp.map(OTLPExport.tracesURL(base:))
        if target == nil, let url = settings.endpoint {
            if let why = settings.refused {
                throw CommandFailure(message: "could not export the trace of \(runID): \(why)", code: .failure)
            }
            if let why = settings.disabled {
                printError("muster: \(why): the trace is printed, not sent to \(sanitize(OTLPSettings.shown(url)))")
            } else {
                target = url
            }
        }
        guard let target else {
            print(body.serialized())
            return
        }
        if let failure = OTLPExport.post(body, to: target, headers: settings.headers, timeout: settings.timeout ?? OTLPExport.commandTimeout) {
            throw CommandFailure(message: "could not export the trace of \(runID): \(failure)", code: .failure)
        }
        print("Trace \(Trace.traceID(runID: runID)) of \(sanitize(runID)) sent to \(sanitize(OTLPSettings.shown(target))).")
    }
}
