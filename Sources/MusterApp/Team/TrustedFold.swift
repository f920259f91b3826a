import MusterBasics
import MusterFormat
import MusterEngine
import MusterJournal
import MusterDrills
import MusterPreflight

/// Every fold of a run's events (resume, takeover, approve, follow, report,
/// verify, catch-up from the store) goes through here, so an approval,
/// denial or hand-off whose signature does not hold is named and left out,
/// never believed.
package enum TrustedFold {
    /// The events a fold may believe, and those refused.
    package static func check(_ events: [JournalEvent], runID: String, root: String, runbook: Runbook? = nil) -> (believed: [JournalEvent], refused: [JournalTrust.Refused]) {
        let signed = events.contains { $0.statement != nil || $0.signature != nil || $0.event == .approvalGiven || $0.event == .approvalDenied }
        guard signed else { return (events, []) }
        var rules: [String: Approval] = [:]
        for (key, step) in runbook?.keyedSteps ?? [] { if let a = step.automation?.approval { rules[key] = a } }
        // A loop's items (`deploy[api]`) carry the loop step's rule.
        for e in events {
            guard let key = e.step, rules[key] == nil, key.hasSuffix("]"), let open = key.lastIndex(of: "["),
                  let rule = rules[String(key[..<open])] else { continue }
            rules[key] = rule
        }
        let refused = JournalTrust.check(events, runID: runID, checker: Signing.checker(root: root), rules: rules)
        return (JournalTrust.believed(events, refused: refused), refused)
    }

    /// The state `events` fold to once refused events are left out. The
    /// sequence goes on after every event, believed or not, so nothing
    /// appended later reuses a number.
    package static func state(_ events: [JournalEvent], runID: String, root: String, runbook: Runbook? = nil) -> (RunState, [JournalTrust.Refused]) {
        let (believed, refused) = check(events, runID: runID, root: root, runbook: runbook)
        var state = RunState(replaying: believed)
        state.lastSeq = max(state.lastSeq, events.map(\.seq).max() ?? 0)
        return (state, refused)
    }

    /// One line per refused event, for a warning.
    package static func describe(_ refused: [JournalTrust.Refused]) -> [String] {
        refused.map { "\($0.named) is not believed: \($0.why)" }
    }
}
