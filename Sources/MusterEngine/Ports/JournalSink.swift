#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Where journal events go. The executor appends an event and only then acts
/// on it, so whatever happens next, the journal already tells it.
public protocol JournalSink: AnyObject {
    /// Makes `event` durable, with any held before it, before returning.
    func append(_ event: JournalEvent) throws(JournalError)
    /// Takes `event` without making it durable yet: the next `append`
    /// writes it with its own event (one write, one `fsync`), or `settle`
    /// does. The executor holds a step's end only while it goes straight
    /// on to journal the next step's start, so nothing acts on it before
    /// it is durable, and a step's end and the next start cost one `fsync`.
    func hold(_ event: JournalEvent) throws(JournalError)
    /// Makes the events held so far durable.
    func settle() throws(JournalError)
}

extension JournalSink {
    /// A sink that cannot hold makes every event durable at once.
    public func hold(_ event: JournalEvent) throws(JournalError) { try append(event) }
    public func settle() throws(JournalError) {}
}

public struct JournalError: Error, Sendable, CustomStringConvertible {
    public var message: String
    /// A shared journal's append lost: other events took that place (another
    /// machine's, or the sink's own `run_unshared`). They are journaled;
    /// the executor folds them and decides again.
    public var superseded: [JournalEvent]?
    /// With `superseded`: the run pauses, for this reason.
    public var pause: String?
    /// With `superseded`: the event itself was journaled (the store may
    /// hold it already, so its number is taken), and these follow it.
    public var appended = false
    public var description: String { message }

    public init(message: String) { self.message = message }
}

/// Collects events in memory, for tests and dry runs.
public final class MemoryJournal: JournalSink {
    public private(set) var events: [JournalEvent] = []
    public init() {}
    public func append(_ event: JournalEvent) throws(JournalError) { events.append(event) }
}
