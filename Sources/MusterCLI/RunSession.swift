#if canImport(Glibc)
@preconcurrency import Glibc
#endif
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import ArgumentParser
import MusterCI
import MusterBasics
import MusterFormat
import MusterEngine
import MusterJournal
import MusterDrills
import MusterPreflight
import MusterApp
import MusterGit
import MusterHTTP
import MusterProcess
import MusterStore
import MusterTeam
import MusterTerminal

/// Adapts the posix_spawn runner to the core's protocol.
struct SpawnRunner: CommandRunner {
    /// `MUSTER_BASH` names another bash, for systems that keep it elsewhere.
    let shell = ShellRunner(bash: ProcessInfo.processInfo.environment["MUSTER_BASH"] ?? "/bin/bash")

    func run(script: String, environment: [String: String], timeout: Double, keepLeftovers: Bool,
             onLine: (Bool, String) -> Void, onSignal: (Signal) -> Bool, onTick: () -> Void) throws(CommandError) -> CommandResult {
        do {
            let r = try shell.run(script: script, environment: environment, timeout: timeout, keepLeftovers: keepLeftovers,
                                  onStart: { StepKeeper.stepPID = $0 },
                                  onLine: { onLine($0 == .stderr, $1) },
                                  onSignal: { onSignal(Signal($0)) ? .stop : .keepWaiting },
                                  onTick: onTick)
            return CommandResult(status: r.status, timedOut: r.timedOut, interrupted: r.interrupted, seconds: r.seconds,
                                 leftovers: r.leftovers.map { LeftoverProcess(pid: $0.pid, command: $0.command, name: $0.name) },
                                 keptLeftovers: r.keptLeftovers)
        } catch {
            throw CommandError(message: error.message)
        }
    }

    /// A thread of its own per step in flight: it reads the step's output
    /// and enforces its timeout while the executor's thread asks questions.
    func start(script: String, environment: [String: String], timeout: Double, keepLeftovers: Bool) -> BackgroundCommand {
        let command = BackgroundCommand()
        let shell = self.shell
        detachThread {
            do {
                let r = try shell.run(script: script, environment: environment, timeout: timeout, keepLeftovers: keepLeftovers, watchSignals: false,
                                      stopRequested: { command.stopRequested },
                                      onLine: { command.add(stderr: $0 == .stderr, $1) }, onSignal: { _ in .keepWaiting })
                command.finish(.success(CommandResult(status: r.status, timedOut: r.timedOut, interrupted: r.interrupted, seconds: r.seconds,
                                                      leftovers: r.leftovers.map { LeftoverProcess(pid: $0.pid, command: $0.command, name: $0.name) },
                                                      keptLeftovers: r.keptLeftovers)))
            } catch {
                command.finish(.failure(CommandError(message: "\(error)")))
            }
        }
        return command
    }
}

/// Adapts the libcurl client to the core's protocol. A signal during an
/// exchange abandons it, and the run pauses.
final class CurlTransport: HTTPTransport {
    private var client: HTTPClient?
    /// False on a guard's thread: a signal is the session's to take.
    let watchSignals: Bool
    init(watchSignals: Bool = true) { self.watchSignals = watchSignals }

    func send(method: String, url: String, headers: [(name: String, value: String)], body: String?, timeout: Double,
              confidential: Confidential, onSignal: @escaping (Signal) -> Bool) throws(HTTPFailure) -> HTTPReply {
        var stoppedBy: Signal?
        do {
            if client == nil { client = try HTTPClient() }
            let r = try client!.perform(HTTPRequest(method: method, url: url, headers: headers, body: body.map { Array($0.utf8) },
                                                    connectTimeout: min(10, timeout), timeout: timeout,
                                                    confidentialHeaders: confidential.headers, confidentialBody: confidential.body,
                                                    confidentialAddress: confidential.inAddress)) {
                // Asked while the exchange waits: it goes on if the answer is to keep waiting.
                guard self.watchSignals, let sig = SignalWatch.take().map(Signal.init), onSignal(sig) else { return false }
                stoppedBy = sig
                return true
            }
            return HTTPReply(status: r.status, body: r.text, seconds: r.seconds, headers: r.headers)
        } catch {
            throw HTTPFailure(message: error.message, signal: error.aborted ? stoppedBy : nil)
        }
    }
}

/// What `run` and `resume` share: loading includes and secrets, building
/// the executor from real parts, and mapping its outcome to an exit code.
enum RunSession {
    /// Every runbook a runbook includes, at any depth, by reference.
    static func includes(of rb: Runbook, path: String, catalog: Catalog) throws -> [String: Runbook] {
        try includedFiles(of: rb, path: path, catalog: catalog).mapValues(\.runbook)
    }

    /// Included runbooks by reference, with the file each was read from.
    static func includedFiles(of rb: Runbook, path: String, catalog: Catalog) throws -> [String: (runbook: Runbook, path: String)] {
        var out: [String: (runbook: Runbook, path: String)] = [:]
        var queue = [(rb, path)]
        while let (r, p) = queue.popLast() {
            for (_, step) in r.keyedSteps {
                guard case .runbook(let spec) = step.body, out[spec.runbook] == nil else { continue }
                switch catalog.resolveRunbook(spec.runbook, root: catalog.root(forFileAt: p)) {
                case .found(let child, let childPath):
                    out[spec.runbook] = (child, childPath)
                    queue.append((child, childPath))
                default:
                    throw CommandFailure(message: "runbook '\(spec.runbook)' (included by \(r.name)) does not load; run `muster validate`")
                }
            }
        }
        return out
    }

    /// Resolves parameters: given, else default, else asked on the console.
    static func parameters(of rb: Runbook, given: [String: String], console: TerminalConsole) throws -> [String: String] {
        var stoppedBy: Signal?
        do {
            var refused = 0
            let values = try Preparation.parameters(of: rb, given: given) { p, problem in
                if let problem {
                    console.show(.warning(problem))
                    // On a pipe nobody can correct a value: stop, as at EOF.
                    refused += 1
                    if !console.isInteractive, refused >= 3 { return nil }
                }
                let question = "Value for parameter '\(p.name)'" + (p.description.map { " (\($0))" } ?? "")
                let hint = p.choices.map { "one of: \($0.joined(separator: ", "))" } ?? "one line"
                switch console.ask(question, hint: hint, status: "before the first step") {
                case .line(let l): return l
                case .signal(let s): stoppedBy = s
                case .eof: break
                }
                return nil
            }
            return values
        } catch {
            // No run exists yet: nothing to pause or resume, but the signal,
            // not a missing value, is why.
            if let s = stoppedBy { throw CommandFailure(message: "stopped by \(s.shortName) before the first step; nothing was run") }
            throw CommandFailure(message: error.message)
        }
    }

    /// Starts a new run (of a drill, when `drill` is set): the runbook's git
    /// version (warned about, or refused by `dirty`, when it is not a
    /// commit), parameters, secrets, a journal in the state folder, then
    /// the executor.
    static func begin(ws: Workspace, runbook rb: Runbook, path: String, given: [String: String], yes: Bool, drill: DrillSetup?,
                      dirty: RunbookVersion.Policy = .warn, new: Bool = false, shared: SharedStore? = nil) throws -> (code: ExitCode, journalPath: String, setup: RunSetup) {
        // One state folder per working repository, wherever the runbook
        // file is, so `muster resume` from the same place finds the run.
        let store = RunStore(root: ws.root)
        try store.checkAccess(write: true)
        let guardian = RunGuard(store: store, runbook: rb.name, allowNew: new)
        try guardian.check(warn: true)
        let files = try includedFiles(of: rb, path: path, catalog: ws.catalog)
        let includes = files.mapValues(\.runbook)
        let version = ws.version(ofRunbookAt: path, includes: files.mapValues(\.path))
        try version.check(dirty)
        if let rev = version.revision {
            let last = version.commit.map { ", last changed in \(RunbookVersion.describe($0))" } ?? ""
            print("Runbook \(Paths.display(path, from: ws.cwd)) as of \(ws.revision?.revisionName ?? rev.shortID)\(last); the working tree is not read.")
        }
        // Every secret is checked before anything is asked: a missing token
        // found after the operator typed the parameters wastes their minutes.
        let secrets = try secrets([rb] + Array(includes.values))
        try Signing.precheck([rb] + Array(includes.values), root: ws.root)
        let console = console()
        let values = try parameters(of: rb, given: given, console: console)
        // A replay reaches nothing, not even to check access.
        let preflightFailed = drill?.replayOf != nil ? [] : try Preflight.beforeRun(ws: ws, runbook: rb, includes: includes, values: values, yes: yes, console: console)
        // With a shared store, an id another machine has used is skipped (a
        // start at the same moment elsewhere loses event 1 and stops).
        let (id, _, beside) = try guardian.createRun { id in (try? shared?.log.events(runID: id, after: -1).isEmpty == false) ?? false }
        let journal: FileJournal
        do {
            journal = try FileJournal(path: store.journalPath(id))
        } catch {
            throw CommandFailure(message: error.message)
        }
        var setup = RunSetup(runbook: rb, params: values, secrets: secrets, runID: id, operatorName: operatorName(), yes: yes,
                             includes: includes, baseEnvironment: ProcessInfo.processInfo.environment)
        setup.runbookHash = ws.runbookHash(path)
        setup.runbookPath = Paths.display(path, from: ws.root)
        setup.includedHashes = files.mapValues { ws.runbookHash($0.path) }
        setup.runbookCommit = version.commit?.id
        setup.includedCommits = version.includedCommits
        setup.runbookDirty = version.dirty
        setup.runbookRev = version.revision?.commit
        setup.host = hostName()
        setup.drill = drill
        setup.startedBeside = beside
        setup.preflightFailed = preflightFailed
        setup.runbookSHA256 = (try? ws.catalog.source.read(path)).map { SHA256Hash.hex($0) } ?? ""
        try Signing.prepareSession(&setup, root: ws.root)
        let code = execute(setup: setup, state: RunState(), journal: journal, console: console, baseElapsed: 0, resumed: false, shared: shared)
        return (code, store.journalPath(id), setup)
    }

    static func console() -> TerminalConsole {
        closeInheritedDescriptorsOnExec()
        SignalWatch.install()
        return TerminalConsole(signalFD: SignalWatch.readFD, takeSignal: SignalWatch.take)
    }

    static func secrets(_ runbooks: [Runbook]) throws -> [String: String] {
        do {
            return try Preparation.secrets(of: runbooks, environment: ProcessInfo.processInfo.environment) { path in
                (try? Paths.read(path)).map { String(decoding: $0, as: UTF8.self) }
            }
        } catch {
            throw CommandFailure(message: error.message)
        }
    }

    static func execute(setup: RunSetup, state: RunState, journal: FileJournal, console: TerminalConsole, baseElapsed: Double, resumed: Bool,
                        shared: SharedStore? = nil) -> ExitCode {
        let runDir = Paths.dirname(journal.path)
        let transcript = Transcript(runDir: runDir)
        defer { transcript?.close() }
        let written: RunConsole = transcript.map { TranscriptConsole(console, transcript: $0) } ?? console
        // What `muster follow` shows another terminal.
        let screen = ScreenLog(written, runDir: runDir, operatorName: setup.operatorName)
        defer { screen?.close() }
        let shown: RunConsole = screen ?? written
        var setup = setup
        setup.osUser = osUser()
        var sink: JournalSink = journal
        if let shared {
            setup.identity = shared.identity?.arn
            setup.alsoMasked = shared.log.store.credentialValues()
            shown.show(.info(shared.banner))
            sink = SharedJournal(local: journal, store: shared.client, runID: setup.runID, lastSeq: state.lastSeq, unshared: state.unshared,
                                 console: shown, yes: setup.yes, settings: TeamWiring.settings, clock: TeamWiring.clock, wallTime: TeamWiring.wallTime,
                                 rewake: { SignalWatch.repost(InboxWake.code) })
            let notice = WaitNotice(console: shown)
            shared.log.store.onWait = { notice.waited($0) }
        }
        var storeWatch: WatchTask?
        defer { storeWatch?.end() }
        let requests = RequestFolder(runDir: Paths.dirname(journal.path), runID: setup.runID)
        requests.prepare()
        requests.watch()
        let replay = setup.drill?.replayOf.map { ReplaySource.standIn($0, beside: runDir) }
        let executor = Executor(setup: setup, state: state, journal: sink, console: shown, runner: replay == nil ? SpawnRunner() : InertRunner(),
                                baseElapsed: baseElapsed, clock: SystemClock())
        if let replay {
            executor.standIn = replay
            shown.show(.info("REPLAY of run \(replay.runID): each automated step does what it did then; nothing runs for real, no request is sent"))
        }
        executor.inbox = requests
        if let shared {
            // Requests from other machines, and the heartbeat that tells them this session lives.
            let fromStore = StoreInbox(store: shared.client, identity: shared.client, runID: setup.runID, settings: TeamWiring.settings,
                                       wallTime: TeamWiring.wallTime, warn: { printError("muster: warning: \($0)") })
            executor.inbox = Inboxes([requests, fromStore])
            // Its own S3 handle, in a task of its own: a slow store never holds a prompt.
            if let poller = try? S3Store(path: shared.path, settings: shared.log.store.settings) {
                let live = ["host": hostName(), "pid": String(getpid()), "user": setup.osUser, "identity": setup.identity ?? ""]
                storeWatch = WatchTask(poller: poller, watch: { client in
                    SessionWatch(store: client, runID: setup.runID, live: live, settings: TeamWiring.settings, clock: TeamWiring.clock,
                                 wallTime: TeamWiring.wallTime)
                }, onArrival: { SignalWatch.repost(InboxWake.code) })
            }
        }
        // A lost terminal leaves the step at work running, this process its keeper.
        executor.keepStep = { step in
            StepKeeper.take(runDir: runDir, runID: setup.runID, step: step, flush: { screen?.flush(); transcript?.flush() })
        }
        executor.http = CurlTransport()
        // Guards poll on threads of their own: their HTTP client never
        // takes a signal meant for the session, and a breach wakes it.
        executor.guardParts = GuardParts(makeRunner: { SpawnRunner() }, makeHTTP: { CurlTransport(watchSignals: false) },
                                         wake: { SignalWatch.repost(InboxWake.code) }, now: { monotonicSeconds() })
        executor.ciService = CIServices.make
        let outcome = executor.execute(resumed: resumed)
        storeWatch?.end()
        (sink as? SharedJournal)?.finish()
        switch outcome {
        case .completed, .failed: OTLPExport.afterRun(journalPath: journal.path, masked: setup.maskedValues)
        case .paused, .notStarted: break
        }
        switch outcome {
        case .completed: return ExitCodes.success
        case .failed: return ExitCodes.failure
        case .paused: return ExitCodes.paused
        case .notStarted: return ExitCodes.usage
        }
    }

    /// Content hashes of the included runbooks, by reference, read where
    /// the workspace reads runbooks: a resume must notice a change in any
    /// of them, not only in the top file.
    static func includedHashes(of rb: Runbook, path: String, ws: Workspace) throws -> [String: String] {
        try includedFiles(of: rb, path: path, catalog: ws.catalog).mapValues { ws.runbookHash($0.path) }
    }
}
