#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import MusterBasics
import MusterFormat
import MusterEngine
import MusterJournal

/// What one finished drill leaves behind, in the shape runbook-format.md
/// documents (`drills/records/DRILL/TIMESTAMP.json`). Records are committed
/// and compared across months, so the shape is the contract: keys are written
/// in the documented order and read tolerantly (unknown keys are ignored).
public struct DrillRecord: Codable, Sendable, Equatable {
    public enum Outcome: String, Codable, Sendable { case recovered, failed, aborted }

    public struct StepTiming: Codable, Sendable, Equatable {
        public var id: String
        public var kind: String
        /// `done`, `skipped`, `failed` or `rehearsed`.
        public var outcome: String
        public var startedAt: String?
        public var seconds: Double
        public var attempts: Int
        public var expectSeconds: Int?
        public var overExpect: Bool
        /// The group, included runbook or `for_each` step this one ran in.
        public var parent: String?

        public init(id: String, kind: String, outcome: String, startedAt: String?, seconds: Double, attempts: Int, expectSeconds: Int?, overExpect: Bool) {
            self.id = id; self.kind = kind; self.outcome = outcome; self.startedAt = startedAt
            self.seconds = seconds; self.attempts = attempts; self.expectSeconds = expectSeconds; self.overExpect = overExpect
        }

        enum CodingKeys: String, CodingKey {
            case id, kind, outcome, startedAt = "started_at", seconds, attempts, expectSeconds = "expect_seconds", overExpect = "over_expect", parent
        }
    }

    public struct Escalation: Codable, Sendable, Equatable {
        public var atSeconds: Double
        public var contact: String
        /// false: a training drill made that rung unavailable; nil: answered.
        public var answered: Bool?
        public init(atSeconds: Double, contact: String, answered: Bool? = nil) { self.atSeconds = atSeconds; self.contact = contact; self.answered = answered }
        enum CodingKeys: String, CodingKey { case atSeconds = "at_seconds", contact, answered }
    }

    public struct FaultHit: Codable, Sendable, Equatable {
        public var step: String
        public var atSeconds: Double
        public init(step: String, atSeconds: Double) { self.step = step; self.atSeconds = atSeconds }
        enum CodingKeys: String, CodingKey { case step, atSeconds = "at_seconds" }
    }

    public struct Training: Codable, Sendable, Equatable {
        public var escalatedWithin: Bool
        public var contactOK: Bool
        /// Seconds from the first injected fault to the trainee's first
        /// escalation; nil when they never escalated. Beyond the documented
        /// shape, so the summary can say how long it took.
        public var escalatedAfterSeconds: Double?
        /// Calls to rungs the drill made unavailable (`unavailable:`), and
        /// whether the trainee went on to a rung that answered after one.
        public var unanswered: Int?
        public var wentOn: Bool?
        public init(escalatedWithin: Bool, contactOK: Bool, escalatedAfterSeconds: Double?) {
            self.escalatedWithin = escalatedWithin; self.contactOK = contactOK; self.escalatedAfterSeconds = escalatedAfterSeconds
        }
        enum CodingKeys: String, CodingKey {
            case escalatedWithin = "escalated_within", contactOK = "contact_ok", escalatedAfterSeconds = "escalated_after_seconds"
            case unanswered = "unanswered_escalations", wentOn = "went_on_after_no_answer"
        }
    }

    public var muster: Int = 1
    public var drill: String
    public var runbook: String
    public var runbookPath: String
    public var runbookCommit: String?
    public var runbookDirty: Bool
    /// Git blob id of the runbook's bytes as run (`git hash-object`):
    /// beyond the documented shape (written last, after `run_id`), and
    /// pins the version even when the run was dirty. Nil in records
    /// written before it was recorded.
    public var runbookHash: String?
    public var mode: String
    public var operatorName: String
    public var startedAt: String
    public var finishedAt: String
    public var outcome: Outcome
    public var elapsedSeconds: Double
    public var rtoSeconds: Int?
    public var rtoMet: Bool?
    public var steps: [StepTiming]
    public var escalations: [Escalation]
    public var faults: [FaultHit]
    public var training: Training?
    /// Something answered for the operator: the drill was started or
    /// resumed with `--yes`, or a checklist item or gate was answered
    /// automatically. Such a run is no measure of people recovering, so
    /// reports list it but never count it as best or in the trend. Nil in
    /// records written before muster recorded it (read as attended).
    public var unattended: Bool?
    /// The run this record was made from (`muster log RUN_ID`).
    public var runID: String?
    /// Time spent waiting on people (prompts, gates, failure menus, a
    /// paused run) and the rest, adding up to the elapsed time; see PeopleTime.
    public var humanSeconds: Double?
    public var automatedSeconds: Double?
    /// The waits on people, for the timeline: beyond the documented shape.
    public var peopleWaits: [PeopleWait]?
    /// The output marked `recovery_point: true` as the recovery read it,
    /// the data it would lose (seconds before the drill's start) and
    /// whether that is within `rpo`; nil without a recovery point.
    public var recoveryPoint: String?
    public var rpoSeconds: Double?
    public var rpoMet: Bool?
    /// The objective `rpo`, beyond the documented shape.
    public var rpoObjectiveSeconds: Int?
    /// The step keys of the longest chain of steps that waited on each
    /// other (CriticalPath), and every step's seconds added up: what the
    /// run would have taken with no branch in parallel. Nil in records
    /// written before they were kept.
    public var criticalPath: [String]?
    public var serialSeconds: Double?
    /// Where the drill ran (DrillEnvironment): `due`, `history` and
    /// `report` count it as drilling its runbook only in the environment the
    /// runbook's scheduled drill names. Nil in records written before it
    /// was kept (RecordEnvironment guesses those).
    public var environment: String?
    /// The values the drill ran with, as its journal holds them: secrets
    /// masked there, before they ever reach a record.
    public var params: [String: String]?
    /// `-p` changed a value the drill file sets.
    public var overrides: Bool?
    /// The hash of the journal's last event when the record was written:
    /// `muster verify RECORD.json` finds it in the journal.
    public var journalHash: String?
    /// When the run was shared: when the store received its first event
    /// and the event the record ends at, by the store's own clock (S3
    /// `LastModified`), the one clock the operator does not set. Nil for a
    /// run that was not shared, and in records written before it was kept.
    public var storeTimes: StoreTimes?
    /// The operator's detached SSH signature (`ssh-keygen -Y sign -n
    /// muster-record`) over the record's bytes with this value `null`;
    /// nil when the record was written without a key or `allowed_signers`.
    /// Always the last key, so the signed bytes are the file with one value
    /// replaced (RecordSignature).
    public var signature: String?

    public struct StoreTimes: Codable, Sendable, Equatable {
        public var firstSeq: Int
        public var firstAt: String
        public var lastSeq: Int
        public var lastAt: String
        public init(firstSeq: Int, firstAt: String, lastSeq: Int, lastAt: String) {
            self.firstSeq = firstSeq; self.firstAt = firstAt; self.lastSeq = lastSeq; self.lastAt = lastAt
        }
        enum CodingKeys: String, CodingKey { case firstSeq = "first_seq", firstAt = "first_at", lastSeq = "last_seq", lastAt = "last_at" }
        var json: JSON {
            .object([("first_seq", .int(firstSeq)), ("first_at", .string(firstAt)), ("last_seq", .int(lastSeq)), ("last_at", .string(lastAt))])
        }
    }

    /// Who approved a step under the two-person rule, when, and how long
    /// the run had waited for them since the step asked.
    public var approvals: [ApprovalEntry]?
    /// Each `muster takeover`: from whom (OS user), to whom, when, why.
    public var handoffs: [Handoff]?
    /// Each `decide` step's decision: the option, why, who, when, and how
    /// long the run waited for it since the question was asked.
    public var decisions: [DecisionEntry]?
    /// From the run's start to its first decision: often the longest part
    /// of a failover is deciding to press the button.
    public var timeToDecideSeconds: Double?
    /// `muster drill --replay`: the trainee against the run replayed.
    public var replay: ReplayScore?

    public struct DecisionEntry: Codable, Sendable, Equatable {
        public var step: String
        public var option: String
        public var reason: String
        public var by: String
        public var atSeconds: Double
        public var waitedSeconds: Double
        public init(step: String, option: String, reason: String, by: String, atSeconds: Double, waitedSeconds: Double) {
            self.step = step; self.option = option; self.reason = reason; self.by = by; self.atSeconds = atSeconds; self.waitedSeconds = waitedSeconds
        }
        enum CodingKeys: String, CodingKey { case step, option, reason, by, atSeconds = "at_seconds", waitedSeconds = "waited_seconds" }
    }

    public struct ApprovalEntry: Codable, Sendable, Equatable {
        public var step: String
        public var by: String
        public var atSeconds: Double
        public var waitedSeconds: Double
        public init(step: String, by: String, atSeconds: Double, waitedSeconds: Double) {
            self.step = step; self.by = by; self.atSeconds = atSeconds; self.waitedSeconds = waitedSeconds
        }
        enum CodingKeys: String, CodingKey { case step, by, atSeconds = "at_seconds", waitedSeconds = "waited_seconds" }
    }

    public struct Handoff: Codable, Sendable, Equatable {
        public var from: String
        public var to: String
        public var atSeconds: Double
        public var reason: String?
        public init(from: String, to: String, atSeconds: Double, reason: String?) { self.from = from; self.to = to; self.atSeconds = atSeconds; self.reason = reason }
        enum CodingKeys: String, CodingKey { case from, to, atSeconds = "at_seconds", reason }
    }

    public struct PeopleWait: Codable, Sendable, Equatable {
        public var step: String?
        public var atSeconds: Double
        public var seconds: Double
        public init(step: String?, atSeconds: Double, seconds: Double) { self.step = step; self.atSeconds = atSeconds; self.seconds = seconds }
        enum CodingKeys: String, CodingKey { case step, atSeconds = "at_seconds", seconds }
    }

    public init(drill: String, runbook: String, runbookPath: String, runbookCommit: String?, runbookDirty: Bool, mode: String,
                operatorName: String, startedAt: String, finishedAt: String, outcome: Outcome, elapsedSeconds: Double,
                rtoSeconds: Int?, rtoMet: Bool?, steps: [StepTiming], escalations: [Escalation], faults: [FaultHit],
                training: Training?, runID: String?) {
        self.drill = drill; self.runbook = runbook; self.runbookPath = runbookPath; self.runbookCommit = runbookCommit
        self.runbookDirty = runbookDirty; self.mode = mode; self.operatorName = operatorName; self.startedAt = startedAt
        self.finishedAt = finishedAt; self.outcome = outcome; self.elapsedSeconds = elapsedSeconds; self.rtoSeconds = rtoSeconds
        self.rtoMet = rtoMet; self.steps = steps; self.escalations = escalations; self.faults = faults
        self.training = training; self.runID = runID
    }

    enum CodingKeys: String, CodingKey {
        case muster, drill, runbook, runbookPath = "runbook_path", runbookCommit = "runbook_commit", runbookDirty = "runbook_dirty"
        case runbookHash = "runbook_hash"
        case mode, operatorName = "operator", startedAt = "started_at", finishedAt = "finished_at", outcome
        case elapsedSeconds = "elapsed_seconds", rtoSeconds = "rto_seconds", rtoMet = "rto_met", steps, escalations, faults, training
        case unattended, runID = "run_id"
        case humanSeconds = "human_seconds", automatedSeconds = "automated_seconds", peopleWaits = "people_waits"
        case approvals, handoffs, decisions, timeToDecideSeconds = "time_to_decide_seconds", replay
        case recoveryPoint = "recovery_point", rpoSeconds = "rpo_seconds", rpoMet = "rpo_met", rpoObjectiveSeconds = "rpo_objective_seconds"
        case criticalPath = "critical_path", serialSeconds = "serial_seconds"
        case environment, params, overrides
        case journalHash = "journal_hash", storeTimes = "store_times", signature
    }

    /// The record in the documented key order, `null` kept for absent values.
    public var json: JSON {
        .object([
            ("muster", .int(muster)),
            ("drill", .string(drill)),
            ("runbook", .string(runbook)),
            ("runbook_path", .string(runbookPath)),
            ("runbook_commit", .from(runbookCommit)),
            ("runbook_dirty", .bool(runbookDirty)),
            ("mode", .string(mode)),
            ("operator", .string(operatorName)),
            ("started_at", .string(startedAt)),
            ("finished_at", .string(finishedAt)),
            ("outcome", .string(outcome.rawValue)),
            ("elapsed_seconds", .double(Self.round(elapsedSeconds))),
            ("rto_seconds", .from(rtoSeconds)),
            ("rto_met", rtoMet.map(JSON.bool) ?? .null),
            ("steps", .array(steps.map { s in
                .object([
                    ("id", .string(s.id)),
                    ("kind", .string(s.kind)),
                    ("outcome", .string(s.outcome)),
                    ("started_at", .from(s.startedAt)),
                    ("seconds", .double(Self.round(s.seconds))),
                    ("attempts", .int(s.attempts)),
                    ("expect_seconds", .from(s.expectSeconds)),
                    ("over_expect", .bool(s.overExpect)),
                ] + (s.parent.map { [("parent", JSON.string($0))] } ?? []))
            })),
            ("escalations", .array(escalations.map {
                .object([("at_seconds", .double(Self.round($0.atSeconds))), ("contact", .string($0.contact))] + ($0.answered == false ? [("answered", JSON.bool(false))] : []))
            })),
            ("faults", .array(faults.map { .object([("step", .string($0.step)), ("at_seconds", .double(Self.round($0.atSeconds)))]) })),
            ("training", training.map { t in
                .object([
                    ("escalated_within", .bool(t.escalatedWithin)),
                    ("contact_ok", .bool(t.contactOK)),
                    ("escalated_after_seconds", t.escalatedAfterSeconds.map { .double(Self.round($0)) } ?? .null),
                ] + (t.unanswered.map { [("unanswered_escalations", JSON.int($0)), ("went_on_after_no_answer", .bool(t.wentOn ?? false))] } ?? []))
            } ?? .null),
            ("unattended", .bool(unattended ?? false)),
            ("run_id", .from(runID)),
            ("runbook_hash", .from(runbookHash)),
            ("human_seconds", humanSeconds.map { .double(Self.round($0)) } ?? .null),
            ("automated_seconds", automatedSeconds.map { .double(Self.round($0)) } ?? .null),
            ("people_waits", .array((peopleWaits ?? []).map { w in
                .object([("step", .from(w.step)), ("at_seconds", .double(Self.round(w.atSeconds))), ("seconds", .double(Self.round(w.seconds)))])
            })),
            ("approvals", .array((approvals ?? []).map { a in
                .object([("step", .string(a.step)), ("by", .string(a.by)), ("at_seconds", .double(Self.round(a.atSeconds))),
                         ("waited_seconds", .double(Self.round(a.waitedSeconds)))])
            })),
            ("handoffs", .array((handoffs ?? []).map { h in
                .object([("from", .string(h.from)), ("to", .string(h.to)), ("at_seconds", .double(Self.round(h.atSeconds))), ("reason", .from(h.reason))])
            })),
            ("decisions", .array((decisions ?? []).map { d in
                .object([("step", .string(d.step)), ("option", .string(d.option)), ("reason", .string(d.reason)), ("by", .string(d.by)),
                         ("at_seconds", .double(Self.round(d.atSeconds))), ("waited_seconds", .double(Self.round(d.waitedSeconds)))])
            })),
            ("time_to_decide_seconds", timeToDecideSeconds.map { .double(Self.round($0)) } ?? .null),
            ("replay", replay?.json ?? .null),
            ("recovery_point", .from(recoveryPoint)),
            ("rpo_seconds", rpoSeconds.map { .double(Self.round($0)) } ?? .null),
            ("rpo_met", rpoMet.map(JSON.bool) ?? .null),
            ("critical_path", criticalPath.map { .array($0.map(JSON.string)) } ?? .null),
            ("serial_seconds", serialSeconds.map { .double(Self.round($0)) } ?? .null),
            ("rpo_objective_seconds", .from(rpoObjectiveSeconds)),
            ("environment", .from(environment)),
            ("params", params.map { p in .object(p.keys.sorted().map { ($0, JSON.string(p[$0]!)) }) } ?? .null),
            ("overrides", overrides.map(JSON.bool) ?? .null),
            ("journal_hash", .from(journalHash)),
            ("store_times", storeTimes?.json ?? .null),
            ("signature", .from(signature)),
        ])
    }

    /// Tenths of a second: finer is noise for a recovery measured in minutes.
    static func round(_ x: Double) -> Double { (x * 10).rounded() / 10 }

    /// `YYYYMMDDTHHMMSSZ` from an ISO 8601 UTC stamp (`2026-11-27T09:00:00Z`):
    /// the record's file name, which sorts in time order.
    public static func fileStem(startedAt: String) -> String {
        String(startedAt.prefix(19).filter { $0 != "-" && $0 != ":" }) + "Z"
    }
}
