#if canImport(Glibc)
@preconcurrency import Glibc
#endif
import ArgumentParser
import MusterBasics
import MusterFormat
import MusterEngine
import MusterJournal
import MusterDrills
import MusterPreflight
import MusterApp
import MusterProcess
import MusterTeam
import MusterTerminal

/// The hand-off: the caller becomes the run's operator and continues it
/// where it is. A session still executing it is asked to stop (through a
/// request it watches for) and stops at its next prompt, or when the step
/// at work ends, or at once with `--now`; its step's processes are stopped
/// as SIGTERM would, never left behind. Then this process resumes the run.
struct TakeoverCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "takeover",
        abstract: "Take a run over: become its operator and continue it where it is.",
        discussion: """
        The previous session, if alive, says who took over and why, stops asking and exits 3. A step that \
        is running is left to end first (both screens say so) unless --now. The journal (handoff), the \
        drill record (handoffs) and the chat webhook record the hand-off. Exit status as for `muster resume`.
        """
    )

    @Argument(help: "The run to take over (see `muster runs`).")
    var runID: String

    @Option(help: "Why you take it over (journaled, shown to the previous operator).")
    var reason: String?

    @Flag(help: "Do not wait for a running step to end: stop it as SIGTERM would.")
    var now = false

    @Flag(help: "Answer checklist items and confirm gates with yes, as for `muster resume --yes`.")
    var yes = false

    @Flag(help: "Take over even though the runbook changed since the run began.")
    var force = false

    @OptionGroup var storeOption: StoreOption

    func run() throws {
        let why = reason.map { $0.split(whereSeparator: \.isWhitespace).joined(separator: " ") }.flatMap { $0.isEmpty ? nil : $0 }
        let ws = Workspace()
        let store = RunStore(root: ws.root)
        let shared = try storeOption.open()
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
        var resume = ResumeCommand()
        resume.yes = yes
        resume.force = force
        try resume.resume(runID, ws: ws, store: store, handoff: (why, request), shared: shared)
    }
}
