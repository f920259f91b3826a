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

/// Taking over a run executed on another machine, through the store: a
/// session that says it is alive (its heartbeat, `live.json`) is asked to
/// stop, as on one host; one silent for longer than `lease` crashed or is
/// cut off from the store, and is not waited for. Either way the hand-off
/// itself is an event put with If-None-Match: two takers, or a taker and a
/// session that comes back, cannot both write it: the loser learns so.
package enum RemoteTakeover {
    package static var lease: Duration { TeamWiring.settings.lease }

    package static func silence(of run: RemoteRun) -> Double? {
        Liveness.silence(store: run.shared.client, runID: run.id, now: TeamWiring.wallTime())
    }

    /// Asks the session executing `run` to stop, and waits until it has
    /// paused (or fallen silent); returns the request's name, nil when no
    /// session was there to ask.
    package static func ask(_ run: RemoteRun, reason: String?, now: Bool) throws -> String? {
        let id = run.id
        guard run.state.paused == nil else { return nil }
        let silence = Self.silence(of: run)
        guard Liveness.verdict(silence: silence, lease: lease) == .ask else {
            let ago = silence.map { "for \(formatSeconds($0))" } ?? "at all"
            print("The session executing run \(id) has not been heard from \(ago): it crashed, or it is cut off from the store. You take it over now; should it come back, it stops when it finds the hand-off.")
            return nil
        }
        SignalWatch.install()
        let name = try run.shared.submit(.init(runID: id, kind: .takeover, reason: reason, now: now, host: hostName(), name: operatorName()), runID: id)
        print("Asked \(sanitize(run.state.info?.operatorName ?? "the operator"))'s session (on another machine) to hand run \(id) over to you, through the store.")
        if let step = run.state.interruptedStep, !now {
            print("'\(sanitize(step))' is running: that session stops when it ends. Ctrl-C gives up; `muster takeover \(id) --now` stops it at once.")
        }
        var after = run.state.lastSeq
        try HandOverWait.wait(id, every: 1000, withdraw: { try? run.shared.client.delete(StoreInbox.prefix(run.shared.client, runID: id) + name) }) {
            let more = run.newEvents(after: after)
            after = more.last?.seq ?? after
            if more.contains(where: { $0.event == .runPaused || $0.event == .runFinished }) { return true }
            guard Liveness.fellSilent(Self.silence(of: run), lease: lease) else { return false }
            print("That session fell silent; you take the run over now.")
            return true
        }
        print("The previous session has stopped; you operate run \(id) now.")
        return name
    }
}
