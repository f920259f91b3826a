#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Where journal events go. The executor appends an event and only then acts
/// on it, so whatever happens next, the journal already tells it.
public protocol JournalSink: AnyObject {
    func append(_ event: JournalEvent) throws(JournalError)
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
