#if canImport(Glibc)
@preconcurrency import Glibc
#endif
import MusterBasics
import MusterFormat
import MusterEngine
import MusterJournal
import MusterDrills
import MusterPreflight
import MusterProcess
import MusterTeam
import MusterTerminal

/// `muster takeover`: asks the session that holds the run (on this machine or,
/// through the store, another) to hand it over, waits until it has, and
/// resumes the run as its new operator.
package struct TakeOverRun {
    package var runID: String
    package var reason: String?
    package var now: Bool
    package var yes: Bool
    package var force: Bool
    /// Opened where the command opened it: `--store`, else MUSTER_STORE.
    package var openStore: () throws -> SharedStore?

    package init(runID: String, reason: String?, now: Bool, yes: Bool, force: Bool, openStore: @escaping () throws -> SharedStore?) {
        self.runID = runID
        self.reason = reason
        self.now = now
        self.yes = yes
        self.force = force
        self.openStore = openStore
    }

    package func run() throws {
        let why = reason.map { $0.split(whereSeparator: \.isWhitespace).joined(separator: " ") }.flatMap { $0.isEmpty ? nil : $0 }
        let ws = Workspace()
        let store = RunStore(root: ws.root)
        let shared = try openStore()
        var request: String?
        var removeStoreRequest: () -> Void = {}
        if let shared, !store.isLocked(runID) {
            // A session on another machine is asked to stop first (or found
            // silent), so that no step runs on two machines at once.
            if let remote = try? RemoteRun(runID, shared: shared), remote.state.outcome == nil {
                request = try RemoteTakeover.ask(remote, reason: why, now: now)
            }
            // Once the hand-off is journaled, the request (with its proof) goes.
            if let name = request { removeStoreRequest = { try? shared.client.delete(StoreInbox.prefix(shared.client, runID: runID) + name) } }
            try shared.catchUp(runID, into: store)
        }
        let run = try TeamRun(runID, store: store, write: true, root: ws.root)
        if let end = run.state.outcome { throw CommandFailure(message: "run \(runID) has ended (\(end.rawValue)); there is nothing to take over") }
        // A taker who could not sign would stop the session and then fail to
        // resume: they are refused before anyone is asked to stop.
        if run.events.contains(where: { $0.key != nil || $0.event == .approvalRequested }) {
            try Signing.precheck(what: "run \(runID) has steps that need approval", root: ws.root)
        }
        // A step left running when its terminal was lost: --now stops it as
        // SIGTERM would, through the process that keeps it and journals its end.
        if now, !run.live, let kept = StepKeeper.holder(runDir: store.runDir(runID)), let pid = kept.pid {
            if kill(pid, SIGTERM) == 0 {
                print("'\(sanitize(kept.step))' was left running when its terminal was lost: stopping it (--now).")
            } else {
                printError("muster: warning: cannot stop '\(sanitize(kept.step))' (pid \(pid)): \(String(cString: strerror(errno))); waiting for it to end")
            }
        }
        if run.live {
            SignalWatch.install()
            let folder = RequestFolder(runDir: store.runDir(runID), runID: runID)
            var body = RequestFolder.Body(runID: runID, kind: .takeover, reason: why, now: now, pid: getpid(), host: hostName(), name: operatorName())
            body.pidStart = RequestFolder.startTime(of: getpid())
            let name = try folder.submit(body, store: store)
            request = name
            print("Asked \(sanitize(run.operatorShown)) to hand run \(runID) over to you.")
            if let step = run.state.interruptedStep, !now {
                print("'\(sanitize(step))' is running: that session stops when it ends. Ctrl-C gives up; `muster takeover \(runID) --now` stops it at once.")
            }
            try HandOverWait.wait(runID, every: 200, withdraw: { folder.withdraw(name) }) { !store.isLocked(runID) }
            print("The previous session has stopped; you operate run \(runID) now.")
        }
        defer {
            if let request { RequestFolder(runDir: store.runDir(runID), runID: runID).withdraw(request) }
            removeStoreRequest()
        }
        try ResumeRun(yes: yes, force: force).resume(runID, ws: ws, store: store, handoff: (why, request), shared: shared)
    }
}
