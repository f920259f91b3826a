#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import MusterBasics
import MusterFormat
import MusterEngine
import MusterJournal
import MusterDrills
import MusterPreflight
import MusterTerminal

/// `muster trace`: exports a run's journal as an OTLP trace.
package struct ExportTrace {
    package var runID: String
    package var otlp: String?

    package init(runID: String, otlp: String?) {
        self.runID = runID
        self.otlp = otlp
    }

    package func run() throws {
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
