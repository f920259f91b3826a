#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import ArgumentParser
import MusterBasics
import MusterApp

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
        try ExportTrace(runID: runID, otlp: otlp).run()
    }
}
