#if canImport(Glibc)
@preconcurrency import Glibc
#endif
import MusterBasics
import MusterFormat
import MusterEngine
import MusterJournal
import MusterDrills
import MusterPreflight

/// What `approve`, `takeover` and `follow` read of a run: its state from
/// the journal, refusing with a plain message what cannot be acted on.
package struct TeamRun: RunEvents {
    package let id: String
    package let store: RunStore
    package let state: RunState
    package let events: [JournalEvent]

    /// Events refused by the signature check: named, not believed.
    package let refused: [JournalTrust.Refused]

    package init(_ id: String, store: RunStore, write: Bool, root: String) throws {
        try store.checkAccess(write: write)
        try store.requireRun(id)
        do {
            events = try FileJournal.read(path: store.journalPath(id)).events
        } catch {
            throw CommandFailure(message: "run \(id) cannot be read: \(error.message)")
        }
        (state, refused) = TrustedFold.state(events, runID: id, root: root)
        guard state.info != nil else { throw CommandFailure(message: "run \(id) never began (its journal has no run_started)") }
        self.id = id
        self.store = store
    }

    package var live: Bool { store.isLocked(id) }
    package var operatorUser: String { state.operatorUser ?? state.info?.operatorName ?? "?" }

    /// "alice (pid 42 on bastion-1)" or "alice".
    package var operatorShown: String { operatorUser + (store.lockHolder(id).map { " (\($0))" } ?? "") }

    /// Waits up to `seconds` for the journal to take in request `name`.
    package func taken(_ name: String, within seconds: Double) -> JournalEvent? {
        let deadline = Double(time(nil)) + seconds
        func find() -> JournalEvent? { (try? FileJournal.read(path: store.journalPath(id)).events)?.last { $0.value == name } }
        while Double(time(nil)) < deadline, store.isLocked(id) {
            if let e = find() { return e }
            usleep(100_000)
        }
        // The session may have taken it in and ended meanwhile.
        return find()
    }
}

/// A run's events and the state they fold to, wherever they were read
/// (this host's journal, or the shared store).
package protocol RunEvents {
    var state: RunState { get }
    var events: [JournalEvent] { get }
}

extension RunEvents {
    /// The step waiting for approval: asked, not yet run, not denied.
    package var waitingStep: (key: String, request: JournalEvent)? {
        for e in events.reversed() where e.event == .approvalRequested {
            guard let key = e.step else { continue }
            if state.finished[key] == nil, state.denied[key] == nil, (state.attempts[key] ?? 0) == 0 { return (key, e) }
        }
        return nil
    }

    /// Where the run is, for a refusal: "at step 'x'".
    package var whereItIs: String {
        if let end = state.outcome { return "it has ended (\(end.rawValue))" }
        if let p = state.paused { return "it is paused (\(p))" }
        let last = events.last { $0.step != nil }?.step
        return last.map { "it is at step '\($0)'" } ?? "it has not reached a step yet"
    }
}
