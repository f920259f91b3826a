#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// One line of a run's journal. A flat record with optional fields keeps the
/// file greppable and the reader tolerant: a newer field is ignored by an
/// older reader, a missing one is nil.
public struct JournalEvent: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable {
        case runStarted = "run_started"
        case runResumed = "run_resumed"
        case stepStarted = "step_started"
        case itemAnswered = "item_answered"
        case note
        case answered
        case gateAnswered = "gate_answered"
        case attemptStarted = "attempt_started"
        case attemptFinished = "attempt_finished"
        case failureChoice = "failure_choice"
        case stepFinished = "step_finished"
        case escalated
        case pipelineStarted = "pipeline_started"
        /// A drill's scripted failure fired instead of the step's attempt.
        case faultInjected = "fault_injected"
        case rollbackStarted = "rollback_started"
        case rollbackFinished = "rollback_finished"
        case runPaused = "run_paused"
        case runFinished = "run_finished"
    }

    /// Facts recorded once, when the run starts.
    public struct RunInfo: Codable, Sendable, Equatable {
        public var runID: String
        public var runbook: String
        public var runbookPath: String
        /// Git blob id of the runbook's bytes (what `git hash-object` prints).
        public var runbookHash: String
        public var operatorName: String
        public var host: String
        /// Parameter values as resolved; secrets are never among them.
        public var params: [String: String]
        public var yes: Bool
        public var startedAt: String
        /// Content hashes of included runbooks, by reference.
        public var includedHashes: [String: String]?
        /// Present when the run is a drill.
        public var drill: DrillSetup?

        enum CodingKeys: String, CodingKey {
            case runID = "run_id", runbook, runbookPath = "runbook_path", runbookHash = "runbook_hash"
            case operatorName = "operator", host, params, yes, startedAt = "started_at", includedHashes = "included_hashes", drill
        }
    }

    public var seq: Int
    /// UTC wall-clock time of the event.
    public var at: String
    /// Seconds since the run began: monotonic within a session.
    public var t: Double
    public var event: Kind
    public var step: String?
    public var item: Int?
    public var answer: String?
    public var text: String?
    public var name: String?
    public var value: String?
    public var attempt: Int?
    public var exit: Int?
    public var seconds: Double?
    public var timedOut: Bool?
    public var outcome: String?
    public var contact: String?
    public var auto: Bool?
    public var outputs: [String: String]?
    public var tail: [String]?
    public var run: RunInfo?
    /// The attempt was cut short by a signal: on resume it counts as
    /// "running when the executor stopped", not as a failure.
    public var interrupted: Bool?
    /// Names of outputs or answers whose journaled value had a secret masked
    /// out: a resumed run asks for them again rather than use `***`.
    public var masked: [String]?

    enum CodingKeys: String, CodingKey {
        case seq, at, t, event, step, item, answer, text, name, value, attempt, exit, seconds
        case timedOut = "timed_out", outcome, contact, auto, outputs, tail, run, interrupted, masked
    }

    /// `t` when it is a clock reading: finite, not negative and under 1e9 s
    /// (31 years). A hand-edited `t` may be anything; readers that do clock
    /// arithmetic take only readings.
    public var clock: Double? { t.isFinite && t >= 0 && t < 1e9 ? t : nil }

    /// The largest counter an executor writes: JSON's largest exact integer,
    /// far from where `seq + 1` or `attempt + 1` would overflow.
    static let maxCounter = 1 << 53

    /// Whether `seq`, `item` and `attempt` are counters an executor could
    /// have written; a line with others is damaged.
    var countersInRange: Bool {
        [seq, item ?? 0, attempt ?? 0].allSatisfy { (0...Self.maxCounter).contains($0) }
    }

    public init(seq: Int = 0, at: String = "", t: Double = 0, event: Kind) {
        self.seq = seq
        self.at = at
        self.t = t
        self.event = event
    }
}
