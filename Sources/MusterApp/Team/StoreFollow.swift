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
import MusterStore
import MusterTeam
import MusterTerminal

/// `muster follow RUN_ID --store …` on a machine without the run: its
/// journal events from the shared store, from the start, then live. The
/// store holds the journal only (the operator's screen log stays on their
/// machine), so each event is one line: the journal's JSON with `--json`,
/// else `muster log`'s readable line. The first read lists the run's
/// events; after that each poll is one GET of the next event's key (a 404
/// is "nothing new"), a twelfth of a LIST's price. A pause is waited
/// through, as `Follower` does: whoever resumes writes on after it.
package struct StoreFollow {
    package let shared: SharedStore
    package let runID: String
    package let json: Bool
    package var untilPause = false
    /// Seconds between polls while nothing is new.
    package var interval = 1.0

    package init(shared: SharedStore, runID: String, json: Bool, untilPause: Bool = false, interval: Double = 1.0) {
        self.shared = shared
        self.runID = runID
        self.json = json
        self.untilPause = untilPause
        self.interval = interval
    }

    package func follow() throws -> ExitStatus {
        SignalWatch.install()
        let clock = SystemClock()
        var cursor = StoreCursor(store: shared.client, runID: runID)
        let first: [(seq: Int, bytes: [UInt8])]
        do {
            first = try cursor.poll()
        } catch {
            throw CommandFailure(message: "cannot read run \(runID) from the shared store \(shared.url): \(error.message)")
        }
        guard !first.isEmpty else {
            throw CommandFailure(message: "no run \(runID) in the shared store \(shared.url) (nor in this machine's state folder); `muster runs` lists the local ones")
        }
        let info = first.lazy.compactMap { Self.event($0.bytes) }.first { $0.event == .runStarted }?.run
        if json {
            print(JSON.object([("event", "following"), ("run_id", .string(runID)), ("runbook", .from(info?.runbook)),
                               ("operator", .from(info?.operatorName)), ("store", .string(shared.url))]).serialized())
        } else {
            print(sanitize("Following run \(runID)" + (info.map { " (\($0.runbook), started by \($0.operatorName) on \($0.host))" } ?? "")
                + " from the shared store \(shared.url). Only the journal is shared: the operator's screen and command output stay on their machine."))
        }
        fflush(stdout)
        var saidUnreachable = false
        var paused = false
        // Said once nothing follows the pause: a pause replayed from the
        // past is followed by its resume.
        var pauseSaid = false
        var pending = first
        while true {
            for (seq, bytes) in pending {
                let e: JournalEvent
                do {
                    e = try shared.event(bytes, seq: seq, runID: runID)
                } catch {
                    printError("muster: warning: \(error.message)")
                    continue
                }
                show(bytes, e)
                switch e.event {
                case .runFinished, .runAbandoned: return ExitStatus.success
                case .runPaused:
                    if untilPause { return ExitStatus.paused }
                    paused = true
                case .runResumed: (paused, pauseSaid) = (false, false)
                default: break
                }
            }
            pending = []
            do {
                pending = try cursor.poll()
                if !pending.isEmpty {
                    saidUnreachable = false
                    continue
                }
                if paused, !pauseSaid {
                    sayPaused()
                    pauseSaid = true
                }
            } catch {
                // The store may be in the failing region: say so once and keep looking.
                if !saidUnreachable { printError("muster: warning: \(error.message); still trying") }
                saidUnreachable = true
            }
            if let sig = clock.sleep(upTo: interval), SignalWatch.stopping.contains(sig.number) { return paused ? ExitStatus.paused : ExitStatus(128 + sig.number) }
        }
    }

    private func sayPaused() {
        print(json ? JSON.object([("event", "waiting_for_resume"), ("run_id", .string(runID))]).serialized()
            : "--- paused — waiting for a resume (`muster resume \(sanitize(runID))` or `muster takeover`); Ctrl-C stops following (exit 3) ---")
        fflush(stdout)
    }

    private static func event(_ bytes: [UInt8]) -> JournalEvent? {
        try? FileJournal.parse(bytes, path: "").events.first
    }

    private func show(_ bytes: [UInt8], _ e: JournalEvent) {
        var line = bytes
        while line.last == UInt8(ascii: "\n") { line.removeLast() }
        print(json ? JSON.escapingControls(String(decoding: line, as: UTF8.self)) : sanitize(LogLine.render(e)))
        fflush(stdout)
    }
}
