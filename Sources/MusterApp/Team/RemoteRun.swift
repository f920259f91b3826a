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
import MusterStore

/// A run as the shared store holds it, for another machine: its events,
/// read from `PREFIX/runs/RUN_ID/events/`.
package struct RemoteRun: RunEvents {
    package let id: String
    package let shared: SharedStore
    package let events: [JournalEvent]
    package let state: RunState
    package var store: S3Store { shared.log.store }

    package init(_ id: String, shared: SharedStore) throws {
        events = try Self.events(id, shared: shared, after: -1)
        guard !events.isEmpty else { throw CommandFailure(message: "no run \(id) in the store \(shared.url); `muster runs` on the machine that runs it lists it") }
        state = TrustedFold.state(events, runID: id, root: Workspace().root).0
        self.id = id
        self.shared = shared
    }

    /// The run's events in the store after `after`, each checked to be one
    /// journal line (SharedStore.event).
    package static func events(_ id: String, shared: SharedStore, after: Int) throws -> [JournalEvent] {
        let read: [(seq: Int, bytes: [UInt8])]
        do { read = try shared.log.events(runID: id, after: after) } catch {
            throw CommandFailure(message: "cannot read run \(id) from the shared store \(shared.url): \(error.message)")
        }
        return try read.map { try shared.event($0.bytes, seq: $0.seq, runID: id) }
    }

    /// Events after `after` as they come, none when the store cannot be read now.
    package func newEvents(after: Int) -> [JournalEvent] { (try? Self.events(id, shared: shared, after: after)) ?? [] }

    /// Waits up to `seconds` for the store's events to take in request `name`.
    package func taken(_ name: String, within seconds: Double) -> JournalEvent? {
        let deadline = Date().addingTimeInterval(seconds)
        var after = state.lastSeq
        repeat {
            let more = newEvents(after: after)
            if let found = more.last(where: { $0.value == name }) { return found }
            after = more.last?.seq ?? after
            usleep(500_000)
        } while Date() < deadline
        return nil
    }
}
