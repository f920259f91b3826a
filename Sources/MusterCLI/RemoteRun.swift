#if canImport(Glibc)
@preconcurrency import Glibc
#endif
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import MusterCore
import MusterStore

/// A run as the shared store holds it, for another machine: its events,
/// read from `PREFIX/runs/RUN_ID/events/`.
struct RemoteRun: RunEvents {
    let id: String
    let store: S3Store
    let events: [JournalEvent]
    let state: RunState

    init(_ id: String, store: S3Store) throws {
        let read: [(seq: Int, bytes: [UInt8])]
        do { read = try EventLog(store: store).events(runID: id) } catch { throw CommandFailure(message: error.message) }
        guard !read.isEmpty else { throw CommandFailure(message: "no run \(id) in the store \(store.path); `muster runs` on the machine that runs it lists it") }
        do {
            events = try FileJournal.parse(read.flatMap(\.bytes), path: "\(store.path) run \(id)").events
        } catch {
            throw CommandFailure(message: "run \(id) in the store \(store.path) cannot be read: \(error.message)")
        }
        state = RunState(replaying: events)
        self.id = id
        self.store = store
    }

    /// Waits up to `seconds` for the store's events to take in request `name`.
    func taken(_ name: String, within seconds: Double) -> JournalEvent? {
        let deadline = Date().addingTimeInterval(seconds)
        let log = EventLog(store: store)
        var after = state.lastSeq
        var found: JournalEvent?
        repeat {
            if let more = try? log.events(runID: id, after: after), !more.isEmpty {
                after = more.last!.seq
                found = (try? FileJournal.parse(more.flatMap(\.bytes), path: "store"))?.events.last { $0.value == name }
                if found != nil { break }
            }
            usleep(500_000)
        } while Date() < deadline
        return found
    }
}
