#if canImport(Glibc)
@preconcurrency import Glibc
#endif
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import MusterBasics
import MusterFormat
import MusterEngine
import MusterCI
import MusterJournal
import MusterDrills
import MusterPreflight
import MusterTerminal

/// `muster abandon`: closes a run for good with a reason (journaled), after
/// its `finally:` steps if asked, and rewrites a drill's record as aborted.
package struct AbandonRun {
    package var runID: String
    package var reason: String

    package init(runID: String, reason: String) {
        self.runID = runID
        self.reason = reason
    }

    package func run() throws {
        let why = reason.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        guard !why.isEmpty else { throw CommandFailure(message: "say why the run is closed: --reason TEXT") }
        let ws = Workspace()
        let store = RunStore(root: ws.root)
        try store.checkAccess(write: true)
        try store.requireRun(runID)
        guard let summary = store.summary(runID) else { throw CommandFailure(message: "no run \(runID) in \(store.runsDir)") }
        switch summary.status {
        case .running:
            throw CommandFailure(message: "run \(runID) is being executed right now (\(store.lockHolder(runID) ?? "another muster holds its lock")); it can only be abandoned once it has stopped")
        case .damaged:
            throw CommandFailure(message: "run \(runID) cannot be read (\(summary.reason ?? "its journal is damaged")), so nothing can be added to it; move its folder \(store.runDir(runID)) out of \(store.runsDir) to close it")
        case .unusable:
            throw CommandFailure(message: "run \(runID) never began (its journal has no run_started); remove its folder \(store.runDir(runID))")
        case .ended(let end):
            throw CommandFailure(message: "run \(runID) already finished (\(end.rawValue)); there is nothing to close")
        case .paused, .crashed:
            break
        }
        if let kept = StepKeeper.holder(runDir: store.runDir(runID)) {
            throw CommandFailure(message: "run \(runID)'s step '\(sanitize(kept.step))' is still running (its terminal was lost" + (kept.pid.map { "; pid \($0) journals its end" } ?? "")
                + "); it can only be abandoned once that step has ended (`muster resume \(runID)` waits for it)")
        }
        let who = "\(operatorName()) on \(hostName())"
        // The cleanup a run always does when it ends: asked, never assumed
        // (an answer that is not yes, or none, closes the run without it).
        let pending = pendingFinally(ws: ws, path: store.journalPath(runID))
        var finallyFirst = false
        if !pending.isEmpty {
            print(sanitize("Run \(runID) has finally steps that have not run: \(pending.joined(separator: ", ")). Run them now, before it is closed?"))
            print("(y run them, then close the run · n close it without them) > ", terminator: "")
            let answer = Self.unbufferedLine().trimmingSpaces().lowercased()
            finallyFirst = answer == "y" || answer == "yes"
            if !finallyFirst { print("Closing without the finally steps.") }
        }
        let state: RunState
        let path = store.journalPath(runID)
        do {
            // Held while the event is written: no executor can resume the run meanwhile.
            let lock = try store.lock(runID)
            defer { close(lock) }
            let events: [JournalEvent]
            let journal: FileJournal
            do {
                let read = try FileJournal.read(path: path)
                if read.warning != nil { try FileJournal.dropIncompleteTail(path: path) }
                events = read.events
                journal = try FileJournal(path: path)
            } catch {
                throw CommandFailure(message: error.message)
            }
            state = try Self.offerPipelineCancels(RunState(replaying: events), journal: journal, ws: ws, runID: runID)
            let e = JournalEvent(seq: state.lastSeq + 1, at: utcStamp(), t: state.lastT, finallyFirst ? .runClosing(by: who, why: why) : .runAbandoned(by: who, why: why))
            do {
                try journal.append(e)
            } catch {
                throw CommandFailure(message: error.message)
            }
        }
        if finallyFirst {
            // A session of the run does them, as any step, and closes it.
            // As `muster resume RUN_ID` would: the store from MUSTER_STORE.
            try ResumeRun(yes: false, force: false).run(runID, shared: try SharedStore.configured(given: nil))
            return
        }
        print(sanitize("Run \(runID) (\(summary.runbook)) abandoned by \(who): \(why)"))
        guard let info = state.info, let drill = info.drill else { return }
        // The drill's record, written again from the journal, says aborted.
        let rbPath = Paths.absolute(info.runbookPath, from: ws.root)
        guard let (rb, _) = try? ws.loadRunbook(rbPath) else {
            printError("muster: warning: \(info.runbookPath) does not load now, so the drill record of \(runID) was not rewritten; it says what the last session wrote")
            return
        }
        var setup = RunSetup(runbook: rb, params: info.params, secrets: [:], runID: runID, operatorName: info.operatorName, yes: info.yes,
                             includes: (try? RunSession.includes(of: rb, path: rbPath, catalog: ws.catalog)) ?? [:], baseEnvironment: [:])
        setup.drill = drill
        DrillFinish.write(journalPath: path, setup: setup, root: ws.root)
    }

    /// Pipelines of unfinished `ci` steps with `cancel_on_stop` that may
    /// still run: each is offered for cancelling, by a session of the run
    /// that journals what it did; the state after it.
    package static func offerPipelineCancels(_ state: RunState, journal: FileJournal, ws: Workspace, runID: String) throws -> RunState {
        guard let info = state.info else { return state }
        let rbPath = Paths.absolute(info.runbookPath, from: ws.root)
        guard let (rb, _) = try? ws.loadRunbook(rbPath), let includes = try? RunSession.includes(of: rb, path: rbPath, catalog: ws.catalog) else { return state }
        let runbooks = [rb] + Array(includes.values)
        let ci = FlatPlan(rb, includes: includes).entries.contains { entry in
            if case .ci(let spec) = entry.step.body { return spec.cancelOnStop && state.finished[entry.key] == nil && (state.pipelines[entry.key] != nil || state.legacyPipelines[entry.key] != nil) }
            return false
        }
        guard ci else { return state }
        let secrets: [String: String]
        do {
            secrets = try RunSession.secrets(runbooks)
        } catch {
            printError("muster: warning: a pipeline of run \(runID) may still be running, but it cannot be cancelled from here: \((error as? CommandFailure)?.message ?? "\(error)")")
            return state
        }
        let setup = RunSetup(runbook: rb, params: info.params, secrets: secrets, runID: runID, operatorName: operatorName(), yes: false,
                             includes: includes, baseEnvironment: ProcessInfo.processInfo.environment)
        let executor = Executor(setup: setup, state: state, journal: journal, console: RunSession.console(), runner: SpawnRunner(),
                                baseElapsed: state.lastT, clock: SystemClock())
        executor.http = CurlTransport()
        executor.ciService = CIServices.make
        do {
            try executor.pipelines.offerPipelineCancels { question in
                print(sanitize(question))
                print("(y cancel it · n leave it running) > ", terminator: "")
                let answer = unbufferedLine().trimmingSpaces().lowercased()
                return answer == "y" || answer == "yes"
            }
        } catch {
            printError("muster: warning: cancelling a pipeline of run \(runID) stopped: \(error)")
        }
        return executor.state
    }

    /// The `finally` steps of the run's runbook that have not run.
    package func pendingFinally(ws: Workspace, path: String) -> [String] {
        guard let events = try? FileJournal.read(path: path).events, let info = RunState(replaying: events).info else { return [] }
        let state = RunState(replaying: events)
        let rbPath = Paths.absolute(info.runbookPath, from: ws.root)
        guard let (rb, _) = try? ws.loadRunbook(rbPath), !rb.finally.isEmpty else { return [] }
        let includes = (try? RunSession.includes(of: rb, path: rbPath, catalog: ws.catalog)) ?? [:]
        return FlatPlan(rb, includes: includes).entries.filter { $0.isFinally && $0.parent == nil && state.finished[$0.key] == nil }.map(\.key)
    }

    /// One line of stdin, read a byte at a time: the session that runs the
    /// `finally` steps reads the rest, and a buffered read would swallow it.
    package static func unbufferedLine() -> String {
        var bytes: [UInt8] = []
        var b: UInt8 = 0
        while read(0, &b, 1) == 1, b != UInt8(ascii: "\n") { bytes.append(b) }
        return String(decoding: bytes, as: UTF8.self)
    }
}
