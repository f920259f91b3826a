#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import MusterBasics
import MusterFormat

/// What a resume decides before anything runs, from the replayed journal
/// and the runbooks as they are now; the CLI only reads the files and maps
/// a refusal to its exit code.
public enum ResumePolicy {
    /// The runbooks changed since the run began: resuming could skip or
    /// repeat the wrong steps, so it is refused unless forced.
    public struct Drift: Sendable, Equatable {
        /// The top runbook's content then and now, when it changed.
        public var runbook: (then: String, now: String)?
        /// Included runbooks added, removed or changed, by reference.
        public var includes: [String]

        public static func == (a: Drift, b: Drift) -> Bool {
            a.runbook?.then == b.runbook?.then && a.runbook?.now == b.runbook?.now && a.includes == b.includes
        }

        /// The refusal, naming what changed.
        public func message(runID: String, runbookPath: String) -> String {
            if let r = runbook {
                return "\(runbookPath) changed since run \(runID) began (content \(r.then.prefix(12)) then, \(r.now.prefix(12)) now); resuming could skip or repeat the wrong steps. Use --force to resume anyway"
            }
            return "included runbook\(includes.count == 1 ? "" : "s") \(includes.joined(separator: ", ")) changed since run \(runID) began; resuming could skip or repeat the wrong steps. Use --force to resume anyway"
        }
    }

    /// How the runbooks read now differ from those the run began with; nil
    /// when they are the same.
    public static func drift(_ info: JournalEvent.RunInfo, runbookHash: String, includedHashes: [String: String]) -> Drift? {
        let then = info.includedHashes ?? [:]
        let includes = includedHashes.filter { then[$0.key] != $0.value }.keys.sorted() + then.keys.filter { includedHashes[$0] == nil }.sorted()
        let runbook = runbookHash == info.runbookHash ? nil : (info.runbookHash, runbookHash)
        guard runbook != nil || !includes.isEmpty else { return nil }
        return Drift(runbook: runbook, includes: includes)
    }

    /// The incident clock at this session's start, in seconds since the
    /// run began: it kept running while the run was paused or crashed, so
    /// it is the wall time since `started_at`, and never less than what
    /// the journal has already counted (a clock set back).
    public static func clock(_ state: RunState, now: Date) -> Double {
        let since = state.info.flatMap { UTCTime.parse($0.startedAt) }.map { now.timeIntervalSince($0) } ?? 0
        return max(state.lastT, since)
    }

    /// `run_resumed`'s text: who resumed it, where, and whether over a change.
    static func resumedText(by operatorName: String, host: String, forcedOverChange: Bool) -> String {
        "by \(operatorName) on \(host)" + (forcedOverChange ? " (--force: runbook changed)" : "")
    }
}
