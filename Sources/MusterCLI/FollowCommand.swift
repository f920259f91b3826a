#if canImport(Glibc)
@preconcurrency import Glibc
#endif
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
import MusterProcess
import MusterTerminal

struct FollowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "follow",
        abstract: "Watch a run live from another terminal, read-only (default: the newest run being executed now).",
        discussion: """
        Shows the run as its operator sees it, from its start, then live: output, the question \
        being asked and whose answer is awaited, the elapsed time against the RTO and the next \
        escalation rung. Stays attached through the operator's crash, pauses, hand-offs and resumes. \
        Exits 0 when the run ends (completed, failed, rolled back or abandoned). Ctrl-C stops \
        following (exit 3 while the run is paused, else 130); the run goes on. See docs/team-runs.md.
        """
    )

    @Argument(help: "The run to follow (see `muster runs`); default: the newest run being executed now.")
    var runID: String?

    @Flag(help: "One JSON object per line: the journal's events as they are appended, and the questions asked.")
    var json = false

    @Flag(help: "Stop following when the run pauses, with exit 3, instead of waiting for a resume.")
    var untilPause = false

    @OptionGroup var storeOption: StoreOption

    func run() throws {
        let store = RunStore(root: Workspace().root)
        // A run this machine does not have is followed from the shared store.
        if let runID, !store.runIDs().contains(runID), let shared = try storeOption.open() {
            throw try StoreFollow(shared: shared, runID: runID, json: json, untilPause: untilPause).follow()
        }
        let id = try pick(store)
        let code = Follower(store: store, runID: id, view: json ? FollowJSON() : FollowScreen(), untilPause: untilPause).follow()
        throw code
    }

    func pick(_ store: RunStore) throws -> String {
        let ids = store.runIDs()
        if let runID {
            try store.requireRun(runID)
            return try readable(store, runID)
        }
        guard let live = ids.reversed().first(where: { LiveLock.holder(of: Follower.lockPath(store, $0)) != nil }) else {
            throw CommandFailure(message: "no run is being executed now in \(store.runsDir); `muster runs` lists the runs, and `muster follow RUN_ID` shows one of them")
        }
        return try readable(store, live)
    }

    /// A run whose files this user may not read would show nothing for ever.
    func readable(_ store: RunStore, _ id: String) throws -> String {
        guard access(store.journalPath(id), R_OK) == 0 else {
            throw CommandFailure(message: "cannot read the journal of run \(id) (\(String(cString: strerror(errno)))): following a run needs read access to its folder \(store.runDir(id))")
        }
        return id
    }
}

/// What a follower shows: the operator's screen (`FollowScreen`) or JSON
/// lines for bots (`FollowJSON`).
protocol FollowView: AnyObject {
    func following(runID: String, info: JournalEvent.RunInfo?, holder: LiveLock?)
    /// A session resumed the run (`run_resumed`); `holder` holds its lock.
    func resumed(_ event: JournalEvent, holder: LiveLock?)
    /// A batch of the screen log, in order.
    func screen(_ entries: [ScreenEntry])
    /// A journal line as written, with its event.
    func journal(_ line: ArraySlice<UInt8>, _ event: JournalEvent)
    /// A session took the run over (`handoff`).
    func handedOver(_ event: JournalEvent)
    /// The run paused and no session holds it: following goes on for
    /// whoever resumes or takes it over.
    func paused(runID: String)
    /// The lock is gone and the journal says neither paused nor ended.
    func sessionLost(runID: String)
    func skipped(bytes: Int64, runID: String)
    func ended(runID: String, info: JournalEvent.RunInfo?)
}

/// Follows one run until its journal says it ended and no session holds it
/// any more: a pause is a wait for the next session (a resume or a
/// takeover writes on in the same journal), unless `untilPause`. Reads
/// only: never writes into the run's folder, never takes its lock, so a
/// user who may only read the state folder can follow.
final class Follower {
    let store: RunStore
    let runID: String
    let view: FollowView
    let untilPause: Bool
    private let journal: FileTail
    private let screen: FileTail
    private let decoder = JSONDecoder()
    /// Every event read so far: the context a signature is checked in.
    private var seen: [JournalEvent] = []
    private var info: JournalEvent.RunInfo?
    /// The last of run_paused, run_finished or run_abandoned, until a
    /// session resumes the run.
    private var stopped: JournalEvent.Kind?
    /// The journal as it was when following began has been read.
    private var caughtUp = false

    /// How much of a long screen log a follower joining late is shown.
    static let replayBytes: off_t = 8 << 20

    static func lockPath(_ store: RunStore, _ id: String) -> String { Paths.join(store.runDir(id), "lock") }

    init(store: RunStore, runID: String, view: FollowView, untilPause: Bool = false) {
        self.store = store
        self.runID = runID
        self.view = view
        self.untilPause = untilPause
        journal = FileTail(path: store.journalPath(runID))
        screen = FileTail(path: ScreenEntry.path(runDir: store.runDir(runID)))
    }

    func follow() -> ExitCode {
        // Ctrl-C is taken calmly: its exit status says whether the run was
        // left paused (3) or going on.
        SignalWatch.install()
        let lock = Self.lockPath(store, runID)
        let watch = FolderWatch(store.runDir(runID))
        let holder = LiveLock.holder(of: lock)
        let start = try? FileJournal.read(path: store.journalPath(runID)).events.first { $0.event == .runStarted }?.run
        view.following(runID: runID, info: start, holder: holder)
        let skipped = screen.skip(toLast: Self.replayBytes)
        if skipped > 0 { view.skipped(bytes: Int64(skipped), runID: runID) }
        var lostSaid = false
        var pauseSaid = false
        while true {
            readJournal()
            caughtUp = true
            readScreen()
            if LiveLock.holder(of: lock) != nil {
                lostSaid = false
                pauseSaid = false
            } else if stopped != nil {
                // The session has exited: everything it wrote is there (and
                // perhaps a resume since, which makes the run go on).
                readJournal()
                readScreen()
                if let end = stopped, end != .runPaused || untilPause {
                    view.ended(runID: runID, info: info)
                    return end == .runPaused ? ExitCodes.paused : ExitCodes.success
                }
                if stopped == .runPaused, !pauseSaid {
                    view.paused(runID: runID)
                    pauseSaid = true
                }
            } else if !lostSaid {
                view.sessionLost(runID: runID)
                lostSaid = true
            }
            if let sig = SignalWatch.take(), SignalWatch.stopping.contains(sig) {
                return stopped == .runPaused ? ExitCodes.paused : ExitCode(128 + sig)
            }
            watch.wait(orReadable: SignalWatch.readFD)
        }
    }

    private func readJournal() {
        for line in journal.lines() {
            guard let e = try? decoder.decode(JournalEvent.self, from: Data(line)) else { continue }
            // Verified before believed: a forged approval or hand-off is
            // named, and not shown as if it had happened.
            if e.statement != nil || e.event == .approvalGiven || e.event == .approvalDenied,
               let refused = TrustedFold.check(seen + [e], runID: runID, root: Workspace().root).refused.first(where: { $0.seq == e.seq }) {
                printError("muster: warning: \(sanitize(TrustedFold.describe([refused])[0]))")
                seen.append(e)
                continue
            }
            seen.append(e)
            switch e.event {
            case .runStarted: info = e.run
            case .runPaused, .runFinished, .runAbandoned: stopped = e.event
            case .handoff: view.handedOver(e)
            case .runResumed:
                stopped = nil
                // Who holds the lock now is who resumed, unless this is history.
                view.resumed(e, holder: caughtUp ? LiveLock.holder(of: Self.lockPath(store, runID)) : nil)
            default: break
            }
            view.journal(line, e)
        }
    }

    private func readScreen() {
        var batch: [ScreenEntry] = []
        for line in screen.lines() {
            guard let entry = try? decoder.decode(ScreenEntry.self, from: Data(line)) else { continue }
            batch.append(entry)
        }
        if !batch.isEmpty { view.screen(batch) }
    }
}

extension LiveLock {
    var describe: String {
        [user.map { "user \($0)" }, pid.map { "pid \($0)" }].compactMap { $0 }.joined(separator: ", ") + " on \(hostName())"
    }
}
