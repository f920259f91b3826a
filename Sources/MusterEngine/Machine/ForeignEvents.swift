import MusterBasics
import MusterFormat

/// What events another machine wrote to the shared store first mean for
/// this session: which are believed and folded, which are refused (and
/// why), and whether the run is no longer this session's to write.
package struct ForeignEvents {
    package enum End {
        /// Another machine started a run of the same id (the same runbook
        /// in the same second) before this one did anything.
        case idTaken(JournalEvent)
        /// Someone took the run over from another machine.
        case handedOff(JournalEvent)
        /// The run was finished or abandoned on another machine.
        case ended(JournalEvent)
    }

    package var believed: [JournalEvent] = []
    package var refused: [(event: JournalEvent, why: String)] = []
    package var end: End?

    /// Verified before believed: the store takes anyone's writes.
    package init(_ foreign: [JournalEvent], runID: String, host: String, started: Bool, trust: RequestTrust, state: RunState) {
        if let other = foreign.first(where: { $0.event == .runStarted }), other.run?.runID == runID, other.run?.host != host || !started {
            end = .idTaken(other)
            return
        }
        var s = state
        for f in foreign {
            if let why = trust.refusal(ofForeign: f, s) {
                refused.append((f, why))
                s.lastSeq = max(s.lastSeq, f.seq)
                continue
            }
            believed.append(f)
            s.apply(f)
        }
        if let h = foreign.last(where: { $0.event == .handoff }) {
            end = .handedOff(h)
        } else if let e = foreign.last(where: { $0.event == .runFinished || $0.event == .runAbandoned }) {
            end = .ended(e)
        }
    }
}
