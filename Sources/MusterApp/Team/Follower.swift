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
import MusterJournal
import MusterDrills
import MusterPreflight
import MusterProcess
import MusterTerminal

/// Follows one run until its journal says it ended and no session holds it
/// any more: a pause is a wait for the next session (a resume or a
/// takeover writes on in the same journal), unless `untilPause`. Reads
/// only: never writes into the run's folder, never takes its lock, so a
/// user who may only read the state folder can follow.
package final class Follower {
    package let store: RunStore
    package let runID: String
    package let view: FollowView
    package let untilPause: Bool
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
    package static let replayBytes: off_t = 8 << 20

    package static func lockPath(_ store: RunStore, _ id: String) -> String { Paths.join(store.runDir(id), "lock") }

    package init(store: RunStore, runID: String, view: FollowView, untilPause: Bool = false) {
        self.store = store
        self.runID = runID
        self.view = view
        self.untilPause = untilPause
        journal = FileTail(path: store.journalPath(runID))
        screen = FileTail(path: ScreenEntry.path(runDir: store.runDir(runID)))
    }

    package func follow() -> ExitStatus {
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
                    return end == .runPaused ? ExitStatus.paused : ExitStatus.success
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
                return stopped == .runPaused ? ExitStatus.paused : ExitStatus(128 + sig)
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
    package var describe: String {
        [user.map { "user \($0)" }, pid.map { "pid \($0)" }].compactMap { $0 }.joined(separator: ", ") + " on \(hostName())"
    }
}
