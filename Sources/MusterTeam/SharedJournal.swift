import MusterBasics
import MusterFormat
import MusterEngine
import MusterJournal

/// The journal of a shared run: each event is put in the store first, with
/// `If-None-Match: *` on its sequence number, then appended to the local
/// journal, byte for byte the same line. The put is the lease: a machine
/// whose put loses has been overtaken (a takeover, an approval from another
/// machine); it takes in what the store holds and tells the executor
/// (`JournalError.superseded`), which folds it and decides again.
///
/// When the store cannot be reached the operator is told once and chooses:
/// go on alone (journaled `run_unshared`; the store is tried again at most
/// every `retryEvery`, and when it answers the backlog is put in order and
/// `run_shared` journaled) or pause.
///
/// Time comes from the ports: `clock` for the retry interval, `wallTime`
/// for the stamp of its own closing event.
public final class SharedJournal: JournalSink {
    let local: FileJournal
    let events: StoreEvents
    let runID: String
    let console: RunConsole
    let yes: Bool
    let settings: TeamSettings
    let wallTime: WallTime
    private let stopwatch: Stopwatch
    /// Passes on a request that arrived while the operator was asked whether
    /// to go on alone (the question ate its wake-up).
    let rewake: () -> Void
    var url: String { events.store.url }
    /// The seq of the last line in the local journal, and of the last event
    /// known to be in the store.
    private var localSeq: Int
    private var storeSeq: Int
    /// Going on alone since this reason; nil while shared.
    private var unshared: String?
    /// When the store was last tried while alone; nil: never in this
    /// session (a run resumed unshared tries at its first event).
    private var lastTry: Duration?
    /// The code of the error that says another machine wrote while this one was alone.
    public static let diverged = "Diverged"
    /// The last event the executor appended: the time of the sink's own events.
    private var last: JournalEvent?
    /// Set by `pushBacklog` inside `append`: the executor must fold `run_shared`.
    private var sharedAgain: JournalError?

    public init(local: FileJournal, store: any StoreClient, runID: String, lastSeq: Int, unshared: String?, console: RunConsole, yes: Bool,
                settings: TeamSettings, clock: any Clock<Duration>, wallTime: @escaping WallTime, rewake: @escaping () -> Void = {}) {
        self.local = local
        self.events = StoreEvents(store: store)
        self.settings = settings
        self.stopwatch = Stopwatch(clock)
        self.wallTime = wallTime
        self.rewake = rewake
        self.runID = runID
        self.localSeq = lastSeq
        // Whether the store has the last local line is settled at the
        // first event (confirmLast): a crash may have come before its put.
        self.storeSeq = unshared == nil ? lastSeq - 1 : -1
        self.unshared = unshared
        self.console = console
        self.yes = yes
    }

    public func append(_ event: JournalEvent) throws(JournalError) {
        last = event
        if unshared != nil {
            try catchUpIfDue(at: event)
            if let note = sharedAgain {
                sharedAgain = nil
                throw note
            }
            if unshared != nil {
                try appendLocal(event)
                return
            }
        }
        // A session that began on a journal it did not just write (a resume,
        // a takeover) first settles that its last line is in the store.
        if storeSeq < localSeq {
            try confirmLast(at: event)
        }
        let line = try local.sealed(event)
        // The put and the local write + fsync go at once; the event is
        // written when both are done.
        var put: Result<StoreEvents.Append, StoreFailure> = .failure(StoreFailure(.failed, "the put was not made"))
        var localFailure: JournalError?
        do {
            try local.write(line: line) {
                put = Result { () throws(StoreFailure) in try events.append(runID: runID, seq: event.seq, bytes: line) }
            }
        } catch {
            localFailure = error
        }
        switch put {
        case .success(.written):
            // The store has it and this journal not: the run stops, and a
            // resume takes the event in from the store (as a crash between
            // the two would).
            if let localFailure { throw localFailure }
            localSeq = event.seq
            storeSeq = event.seq
        case .success(.lost):
            // Never two different lines at one seq: the own line goes
            // before the winner's are taken in.
            if localFailure == nil { try local.takeBack() }
            throw try overtaken(at: event.seq)
        case .failure(let error):
            if let localFailure { throw localFailure }
            guard error.kind == .unreachable else {
                // Not in the store for sure: not in the journal either. The
                // store may hold it (`outcomeUnknown`): so does the local
                // journal, or the two would number the next events differently.
                if !error.outcomeUnknown { try local.takeBack() } else { localSeq = event.seq }
                throw JournalError(message: "the shared store \(url) refused event \(event.seq): \(error.message); the run stops here so that nothing happens unshared")
            }
            // The line is journaled and is the backlog's first: a later put
            // of the same bytes finds them there (an answer lost) or writes them.
            localSeq = event.seq
            try goAlone(error, at: event, appended: true)
        }
    }

    /// The store holds the local journal's last line, or gets it now: a
    /// crash between its fsync and the put's answer left it unsure. A
    /// different event there means another machine wrote that place: the
    /// session stops, and `muster resume` takes the store's in its stead.
    private func confirmLast(at own: JournalEvent) throws(JournalError) {
        let bytes: [UInt8]
        do { bytes = try Paths.read(local.path) } catch { throw JournalError(message: "cannot read the journal \(local.path): \(error)") }
        guard let line = LocalTail.lastLine(bytes) else {
            storeSeq = localSeq
            return
        }
        let outcome: StoreEvents.Append
        do {
            outcome = try events.append(runID: runID, seq: localSeq, bytes: line)
        } catch {
            guard error.kind == .unreachable else { throw JournalError(message: "the shared store \(url) refused event \(localSeq): \(error.message); the run stops here so that nothing happens unshared") }
            // The backlog begins with that line (`storeSeq` stays before it).
            try goAlone(error, at: own)
            return
        }
        if case .lost = outcome {
            throw JournalError(message: "the shared store \(url) holds another machine's event \(localSeq) of run \(runID) where this journal's last line should be; nothing more is written here. `muster resume \(runID)` takes the store's events in its place")
        }
        storeSeq = localSeq
    }

    /// Another machine wrote event `seq`: take in everything it wrote.
    private func overtaken(at seq: Int) throws(JournalError) -> JournalError {
        let foreign: [(seq: Int, bytes: [UInt8])]
        do {
            foreign = try events.events(runID: runID, after: localSeq)
        } catch {
            return JournalError(message: "another machine wrote event \(seq) of run \(runID) to \(url), and its events cannot be read: \(error.message); the run stops here")
        }
        // The store said the key is taken; a listing without it would make
        // the executor ask for the same number for ever.
        guard !foreign.isEmpty else {
            return JournalError(message: "another machine wrote event \(seq) of run \(runID) to \(url), but the store lists no event after \(localSeq); the run stops here")
        }
        var taken: [JournalEvent] = []
        for f in foreign {
            do {
                taken.append(try events.event(f.bytes, seq: f.seq, runID: runID))
            } catch {
                return JournalError(message: error.message + "; the run stops here")
            }
        }
        for f in foreign {
            try local.write(line: f.bytes)
            localSeq = f.seq
            storeSeq = f.seq
        }
        var error = JournalError(message: "another machine wrote event \(seq) of run \(runID) first")
        error.superseded = taken
        return error
    }

    private func appendLocal(_ event: JournalEvent) throws(JournalError) {
        try local.write(line: local.sealed(event))
        localSeq = event.seq
    }

    /// The store did not answer: asks once whether to go on alone.
    /// `appended`: the own event is in the local journal already (the
    /// store may have it), and `run_unshared` follows it.
    private func goAlone(_ error: StoreFailure, at own: JournalEvent, appended: Bool = false) throws(JournalError) {
        console.show(.warning("the shared store \(url) cannot be reached: \(error.message). Until it answers, other machines see nothing new of this run and their approvals wait; should someone take it over from elsewhere meanwhile, this session stops when it reaches the store again."))
        var pause = false
        if yes {
            console.show(.info("--yes: going on alone; the run catches up with the store when it answers"))
        } else {
            let q = Question.storeUnreachable
            // A request that arrives meanwhile is for the executor: passed on after the answer.
            var woken = false
            defer { if woken { rewake() } }
            askLoop: while true {
                switch console.ask("Go on without the shared store?", hint: q.hint, status: "the store is unreachable") {
                case .line(let l):
                    switch q.parse(l, as: StoreUnreachableReply.self) {
                    case .success(.pause): pause = true
                    case .success(.goOnAlone): break
                    case .failure(let m):
                        console.show(.warning(m.hint))
                        continue askLoop
                    }
                case .eof:
                    console.show(.info("no answer: going on alone; the run catches up with the store when it answers"))
                case .signal(.inboxWake):
                    woken = true
                    continue askLoop
                case .signal:
                    pause = true
                }
                break
            }
        }
        let why = "the shared store \(url) cannot be reached: \(error.message)"
        unshared = why
        lastTry = stopwatch.elapsed()
        // A local event of its own: the executor folds it and numbers its
        // own event after it.
        let e = JournalEvent(seq: localSeq + 1, at: own.at, t: own.t, .runUnshared(why: why + (pause ? "; paused by the operator" : "; going on alone")))
        try appendLocal(e)
        var stop = JournalError(message: why)
        stop.superseded = [e]
        stop.appended = appended
        if pause { stop.pause = "the shared store \(url) cannot be reached; `muster resume` continues (alone or shared)" }
        throw stop
    }

    /// At the session's end, one more try, so that a run that ended (or
    /// paused) alone is not left unshared when the store is back; else says
    /// where its events are.
    public func finish() {
        guard unshared != nil, let last else { return }
        var stamp = last
        stamp.at = utcStamp(wallTime())
        do {
            try pushBacklog(at: stamp)
        } catch {
            console.show(.warning("run \(runID) is not all in the shared store \(url) (\(error.message)); its events are in \(local.path), and `muster resume \(runID)` with the store puts them there if the run is not over"))
        }
    }

    /// Tries the store again, at most every `retryEvery`: puts the backlog in order
    /// and journals `run_shared`. A put lost meanwhile means another machine
    /// wrote to the run while it was unshared: the session stops.
    private func catchUpIfDue(at own: JournalEvent) throws(JournalError) {
        let now = stopwatch.elapsed()
        if let lastTry, now - lastTry < settings.retryEvery { return }
        lastTry = now
        do {
            try pushBacklog(at: own)
        } catch {
            if error.kind == .unreachable { return }
            if error.code == Self.diverged { throw JournalError(message: error.message) }
            throw JournalError(message: "the shared store \(url) refused the events written alone: \(error.message); they are in \(local.path)")
        }
    }

    /// The store's events of this run end at `storeSeq` (found by a list
    /// when unknown); the local ones after it are put in order. Each put
    /// that finds an event there compares bytes: the same line is this
    /// session's own (its answer was lost before), so it is never written
    /// twice nor taken for another machine's.
    func pushBacklog(at own: JournalEvent) throws(StoreFailure) {
        // The store's last event is put again too: the same bytes prove
        // the two journals agree up to it.
        if storeSeq < 0 { storeSeq = max(0, (try events.lastSeq(runID: runID) ?? 0) - 1) }
        let bytes: [UInt8]
        do { bytes = try Paths.read(local.path) } catch { throw StoreFailure(.failed, "cannot read \(local.path): \(error)") }
        for line in bytes.split(separator: UInt8(ascii: "\n")) {
            let full = Array(line) + [UInt8(ascii: "\n")]
            guard let e = try? FileJournal.parse(full, path: "").events.first, e.seq > storeSeq else { continue }
            if case .lost = try events.append(runID: runID, seq: e.seq, bytes: full) {
                throw StoreFailure(.failed, "another machine wrote event \(e.seq) of run \(runID) while this session went on alone, so the run now has two histories. Nothing more is written here; this machine's events are in \(local.path), and the store's under \(url)/runs/\(runID)/events/. Decide with the team which history goes on", code: Self.diverged)
            }
            storeSeq = e.seq
        }
        let e = JournalEvent(seq: localSeq + 1, at: own.at, t: own.t, .runShared(text: "the shared store \(url) answers again; every event is in it"))
        let line = try sealedOrFail(e)
        if case .lost = try events.append(runID: runID, seq: e.seq, bytes: line) {
            throw StoreFailure(.failed, "another machine wrote event \(e.seq) of run \(runID) as this session caught up; this machine's events are in \(local.path)", code: Self.diverged)
        }
        do { try local.write(line: line) } catch { throw StoreFailure(.failed, error.message) }
        localSeq = e.seq
        storeSeq = e.seq
        unshared = nil
        console.show(.info("the shared store \(url) answers again: the events written alone are in it; the run is shared again"))
        var note = JournalError(message: "caught up with the store")
        note.superseded = [e]
        sharedAgain = note
    }

    private func sealedOrFail(_ e: JournalEvent) throws(StoreFailure) -> [UInt8] {
        do { return try local.sealed(e) } catch { throw StoreFailure(.failed, error.message) }
    }
}
