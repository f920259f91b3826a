#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import MusterBasics
import MusterFormat

/// One line of a run's journal. A flat record with optional fields keeps the
/// file greppable and the reader tolerant: a newer field is ignored by an
/// older reader, a missing one is nil. Code reads and writes it typed, as a
/// `Payload` (JournalPayload.swift), never field by field.
public struct JournalEvent: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable, CaseIterable {
        case runStarted = "run_started"
        case runResumed = "run_resumed"
        case stepStarted = "step_started"
        case itemAnswered = "item_answered"
        case note
        case answered
        /// A `decide` step's decision: `value` the option, `text` why,
        /// `by` who decided. The option is the value of the step's id.
        case decided = "decision"
        case gateAnswered = "gate_answered"
        case attemptStarted = "attempt_started"
        case attemptFinished = "attempt_finished"
        case failureChoice = "failure_choice"
        case stepFinished = "step_finished"
        /// `contact` whom the operator called (`item` the rung); `text`
        /// `JournalEvent.noAnswer` when a training drill made them unavailable.
        case escalated
        case pipelineStarted = "pipeline_started"
        /// A `ci` step is about to send its trigger: `pipeline` holds the
        /// token its provider finds the pipeline by (a `trigger` kind), so
        /// a trigger whose answer never came (a crash, a client timeout) is
        /// looked up before anything triggers again. `pipeline_started`
        /// answers it.
        case pipelineTriggering = "pipeline_triggering"
        /// The provider showed that no pipeline came of the trigger whose
        /// token `pipeline` holds: the step may trigger again.
        case pipelineAbsent = "pipeline_absent"
        /// `cancel_on_stop`: the step's pipeline was cancelled through the
        /// provider's API (`pipeline`; `text` what was done, or why it
        /// could not be).
        case pipelineCancelled = "pipeline_cancelled"
        /// A drill's scripted failure fired instead of the step's attempt.
        case faultInjected = "fault_injected"
        case rollbackStarted = "rollback_started"
        case rollbackFinished = "rollback_finished"
        case runPaused = "run_paused"
        case runFinished = "run_finished"
        /// Closed for good by `muster abandon` (who in `by`, why in `text`).
        case runAbandoned = "run_abandoned"
        /// A step with `approval` began to wait (`text`: what it will run,
        /// masked; `value`: who may approve). Once per round: a denial
        /// answered `r` starts the next.
        case approvalRequested = "approval_requested"
        /// Someone approved or denied the waiting step: `by` the OS user
        /// the operating system attests, `value` the request's name,
        /// `text` the reason of a denial.
        case approvalGiven = "approval_given"
        case approvalDenied = "approval_denied"
        /// `muster takeover`: `by` the OS user who now operates the run,
        /// `value` the name of the hand-off request it answers (so that one
        /// request is taken once; nil for a plain takeover), `text` why,
        /// `name` the new operator's display name. The operator before is
        /// the one the journal had until here.
        case handoff
        /// The shared store could not be reached and the session went on
        /// alone (`text` says why); nobody on another machine sees the run
        /// until `run_shared`.
        case runUnshared = "run_unshared"
        /// The store answers again and holds every event written alone.
        case runShared = "run_shared"
        /// A step's `when:` was evaluated: `value` "true" or "false" with
        /// the values it saw (`seen`), or `text` saying why it could not be.
        case conditionChecked = "condition_checked"
        /// `muster abandon` chose to run the `finally` steps before closing
        /// the run (`by`, `text`: who and why); `run_abandoned` follows them.
        case runClosing = "run_closing"
        /// A guard found what it watches breached: `value` its key (`id`,
        /// or `group/id`), `text` why. Taken in by the session that polls it.
        case guardBreached = "guard_breached"
        /// What was made of a breach (`value` the guard's key): `answer`
        /// `continue`, `rollback` or `abort`, asked or its `on_breach`.
        case guardAnswered = "guard_answered"
    }

    /// The `text` of an escalation to a rung a drill made unavailable.
    public static let noAnswer = "no answer"

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
        /// The commit that last changed the runbook file as of HEAD (or of
        /// `--rev`); nil outside git, for an untracked file, or before the
        /// first commit. Written as `null` then, so the journal says so.
        public var runbookCommit: String?
        /// The working tree's copy of the runbook, or of a runbook it
        /// includes, differed from HEAD when the run began (nil in journals
        /// written before muster recorded it).
        public var runbookDirty: Bool?
        /// With `--rev`: the commit the runbook and its includes were read
        /// from, so a resume reads them from there again.
        public var runbookRev: String?
        /// The commit that last changed each included runbook, by reference
        /// (those in no commit are left out).
        public var includedCommits: [String: String]?
        /// Started with `--new` while these runs of the same runbook were
        /// being executed: the second run was meant, not an accident.
        public var startedBeside: [String]?
        /// Preflight checks that failed before the run, which went on anyway.
        public var preflightFailed: [String]?
        /// The OS user running the session that started the run: the
        /// identity the two-person rule compares (`operator` is the name
        /// people read). Nil in journals of earlier releases.
        public var osUser: String?
        /// With a shared store: the ARN STS gave the starting session's
        /// credentials, the identity compared across machines.
        public var identity: String?

        enum CodingKeys: String, CodingKey {
            case runID = "run_id", runbook, runbookPath = "runbook_path", runbookHash = "runbook_hash"
            case operatorName = "operator", host, params, yes, startedAt = "started_at", includedHashes = "included_hashes", drill
            case runbookCommit = "runbook_commit", runbookDirty = "runbook_dirty", runbookRev = "runbook_rev"
            case includedCommits = "included_commits", startedBeside = "started_beside", preflightFailed = "preflight_failed"
            case osUser = "os_user", identity
        }

        public init(runID: String, runbook: String, runbookPath: String, runbookHash: String, operatorName: String, host: String,
                    params: [String: String], yes: Bool, startedAt: String, includedHashes: [String: String]? = nil, drill: DrillSetup? = nil,
                    runbookCommit: String? = nil, runbookDirty: Bool? = nil, runbookRev: String? = nil, includedCommits: [String: String]? = nil) {
            self.runID = runID; self.runbook = runbook; self.runbookPath = runbookPath; self.runbookHash = runbookHash
            self.operatorName = operatorName; self.host = host; self.params = params; self.yes = yes; self.startedAt = startedAt
            self.includedHashes = includedHashes; self.drill = drill
            self.runbookCommit = runbookCommit; self.runbookDirty = runbookDirty; self.runbookRev = runbookRev
            self.includedCommits = includedCommits
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(runID, forKey: .runID)
            try c.encode(runbook, forKey: .runbook)
            try c.encode(runbookPath, forKey: .runbookPath)
            try c.encode(runbookHash, forKey: .runbookHash)
            try c.encode(runbookCommit, forKey: .runbookCommit)
            try c.encodeIfPresent(runbookDirty, forKey: .runbookDirty)
            try c.encodeIfPresent(runbookRev, forKey: .runbookRev)
            try c.encode(operatorName, forKey: .operatorName)
            try c.encodeIfPresent(osUser, forKey: .osUser)
            try c.encodeIfPresent(identity, forKey: .identity)
            try c.encode(host, forKey: .host)
            try c.encode(params, forKey: .params)
            try c.encode(yes, forKey: .yes)
            try c.encode(startedAt, forKey: .startedAt)
            try c.encodeIfPresent(includedHashes, forKey: .includedHashes)
            try c.encodeIfPresent(includedCommits, forKey: .includedCommits)
            try c.encodeIfPresent(drill, forKey: .drill)
            try c.encodeIfPresent(startedBeside, forKey: .startedBeside)
            try c.encodeIfPresent(preflightFailed, forKey: .preflightFailed)
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
    /// The HTTP status an `http` step's (or HTTP wait's) reply had, in
    /// place of `exit`.
    public var status: Int?
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
    /// Who did it, for an event that comes from someone other than the
    /// run's operator session: "alice on bastion-1".
    public var by: String?
    /// Processes a `run` step's command left running when its shell exited:
    /// kept (`keep_running: true`) or stopped. Command lines are masked.
    public var leftovers: [Leftover]?

    public struct Leftover: Codable, Sendable, Equatable {
        public var pid: Int
        public var command: String
        public var kept: Bool
        public init(pid: Int, command: String, kept: Bool) {
            self.pid = pid
            self.command = command
            self.kept = kept
        }
    }

    /// The pipeline a `ci` step started (`pipeline_started`).
    public var pipeline: PipelineRef?

    /// A request from another machine: the AWS identity (ARN) that AWS
    /// vouched for; `by` is its last part, which the rules compare.
    public var identity: String?

    /// `approval_requested`: the rule, so `muster approve` can tell who
    /// may approve without loading the runbook.
    public var approval: ApprovalInfo?

    public struct ApprovalInfo: Codable, Sendable, Equatable {
        public var count: Int
        public var from: [String]?
        public init(count: Int, from: [String]?) {
            self.count = count
            self.from = from
        }
        public var rule: Approval { Approval(count: count, from: from ?? []) }
    }

    /// The two-person rule's proof (`approval_given`, `approval_denied`,
    /// and a session's `run_started`, `run_resumed`, `handoff`): the
    /// statement signed, its SSH signature, and the signing key's
    /// fingerprint. A fold believes them only once `JournalTrust` has
    /// checked the signature against `allowed_signers`.
    public var statement: String?
    public var signature: String?
    public var key: String?
    /// `approval_requested`: SHA-256 of the request shown (`text`), what
    /// an approval's statement must name.
    public var sha256: String?
    /// The OS user a request or session came from: context, never proof.
    public var osUser: String?

    /// `step_started` of a `for_each` step: the items it repeats over, in
    /// order, fixed when it began (a value may change later; the loop does not).
    public var items: [String]?
    /// `condition_checked`: the values the condition read, by name.
    public var seen: [String: String]?

    /// SHA-256 chaining this line to the one before it; written by the
    /// journal file, last on the line (see JournalChain).
    public var hash: String?

    enum CodingKeys: String, CodingKey {
        case seq, at, t, event, step, item, answer, text, name, value, attempt, exit, status, seconds
        case timedOut = "timed_out", outcome, contact, auto, outputs, tail, run, interrupted, masked, by, leftovers, pipeline, approval, identity
        case statement, signature, key, sha256, osUser = "os_user", items, seen, hash
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
    package var countersInRange: Bool {
        [seq, item ?? 0, attempt ?? 0].allSatisfy { (0...Self.maxCounter).contains($0) }
    }

    public init(seq: Int = 0, at: String = "", t: Double = 0, event: Kind) {
        self.seq = seq
        self.at = at
        self.t = t
        self.event = event
    }
}
