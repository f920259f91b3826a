#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// What a session executing a shared run does beside it, in a task of its
/// own on a store client of its own: says it is alive (`live.json`, every
/// `beat`) for a takeover elsewhere to tell a live session from a dead one,
/// and lists the requests left for it, calling `onArrival` when a name not
/// seen before is there (so a prompt is not shown again for nothing).
public final class SessionWatch: Sendable {
    let store: any StoreClient
    let runID: String
    let live: [String: String]
    let settings: TeamSettings
    let clock: any Clock<Duration>
    let wallTime: WallTime

    public init(store: any StoreClient, runID: String, live: [String: String], settings: TeamSettings, clock: any Clock<Duration>,
                wallTime: @escaping WallTime) {
        self.store = store
        self.runID = runID
        self.live = live
        self.settings = settings
        self.clock = clock
        self.wallTime = wallTime
    }

    /// Beats and looks until the task is cancelled, sleeping on `clock`.
    public func run(onArrival: @Sendable () -> Void) async {
        let watch = Stopwatch(clock)
        let prefix = StoreInbox.prefix(store, runID: runID)
        var lastBeat: Duration?
        var seen: Set<String> = []
        while !Task.isCancelled {
            let now = watch.elapsed()
            if lastBeat.map({ now - $0 >= settings.beat - .milliseconds(500) }) ?? true, beat() { lastBeat = now }
            if let names = try? Set(store.list(prefix: prefix)) {
                if !names.subtracting(seen).isEmpty { onArrival() }
                seen = names
            }
            do { try await clock.sleep(for: min(settings.pollEvery, settings.beat)) } catch { return }
        }
    }

    /// One heartbeat: `live.json` with the wall time; false when the store did not take it.
    @discardableResult
    public func beat() -> Bool {
        var body = live
        body["at"] = String(wallTime())
        return (try? store.put(Liveness.key(store, runID: runID), Array((try? JSONEncoder().encode(body)) ?? Data()))) != nil
    }
}

/// Whether the session executing a run on another machine is alive: the
/// lease is its heartbeat, read by the wall clock (the only one two
/// machines share), and lost once it is older than `lease`.
public enum Liveness {
    static func key(_ store: any StoreClient, runID: String) -> String { store.key("runs/\(runID)/live.json") }

    /// How long ago the session executing `runID` said it was alive, at wall
    /// time `now`; nil if it never did (or the store cannot say).
    public static func silence(store: any StoreClient, runID: String, now: Double) -> Double? {
        guard let bytes = try? store.get(key(store, runID: runID)),
              let body = try? JSONDecoder().decode([String: String].self, from: Data(bytes)), let at = body["at"].flatMap(Double.init) else { return nil }
        return now - at
    }

    /// What a takeover from another machine does about the session there.
    public enum Verdict: Sendable, Equatable {
        /// It lives: ask it to stop, and wait until it has paused.
        case ask
        /// Silent for `silence` seconds (nil: never heard from): it crashed
        /// or is cut off; take over without waiting. Should it come back,
        /// its next event loses the put and it stops.
        case takeOver(silence: Double?)
    }

    public static func verdict(silence: Double?, lease: Duration) -> Verdict {
        guard let silence, silence <= lease.seconds else { return .takeOver(silence: silence) }
        return .ask
    }

    /// While waiting for a live session to stop: it fell silent meanwhile.
    public static func fellSilent(_ silence: Double?, lease: Duration) -> Bool {
        guard let silence else { return false }
        return silence > lease.seconds
    }
}
