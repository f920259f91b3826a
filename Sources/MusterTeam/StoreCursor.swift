import MusterBasics
import MusterFormat
import MusterEngine
import MusterJournal

/// Reads a run's events from the store as they come, for `muster follow`
/// on a machine without the run: the first read lists them all; after
/// that each poll is one GET of the next event's key (nothing there is
/// "nothing new"), a twelfth of a LIST's price.
public struct StoreCursor: Sendable {
    let events: StoreEvents
    public let runID: String
    /// The seq of the next event to read.
    public private(set) var next = 0
    private var listed = false

    public init(store: any StoreClient, runID: String) {
        events = StoreEvents(store: store)
        self.runID = runID
    }

    /// The events not read before, in order; none when nothing is new.
    public mutating func poll() throws(StoreFailure) -> [(seq: Int, bytes: [UInt8])] {
        let found: [(seq: Int, bytes: [UInt8])]
        if listed {
            found = try events.store.get(try events.eventKey(runID: runID, seq: next)).map { [(next, $0)] } ?? []
        } else {
            found = try events.events(runID: runID)
            listed = true
        }
        if let last = found.last { next = last.seq + 1 }
        return found
    }

    /// The event in an object read, checked to be one journal line (`StoreEvents.event`).
    public func event(_ bytes: [UInt8], seq: Int) throws(StoreFailure) -> JournalEvent {
        try events.event(bytes, seq: seq, runID: runID)
    }
}
