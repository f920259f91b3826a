import MusterBasics
import MusterFormat

/// The domain's words, typed. The journal keeps writing the same strings
/// (the raw values), so journals of every release read the same; code
/// switches over the cases, so a new one is handled everywhere it matters.

/// How a step ended (`step_finished`'s `outcome`).
public enum StepOutcome: String, Codable, Sendable, CaseIterable {
    case done, skipped, failed
    /// A rehearsal drill walked through it; nothing ran.
    case rehearsed

    /// A journaled outcome: none means `done` (the first releases wrote
    /// none); one this release does not know (a hand-edited journal) is
    /// finished but did nothing to undo, as a skip.
    init(journaled: String?) {
        self = journaled.map { StepOutcome(rawValue: $0) ?? .skipped } ?? .done
    }
}

/// What the screen says of a step, or of a rollback command, that ended.
public enum StepResult: Codable, Sendable, Equatable {
    case finished(StepOutcome)
    case rolledBack
    case rollbackFailed
}

/// How a run ended (`run_finished`'s `outcome`, or `run_abandoned`).
public enum RunEnd: String, Codable, Sendable, CaseIterable {
    case completed, failed
    case rolledBack = "rolled_back"
    /// Rolled back, but a rollback command failed: finish it by hand.
    case rollbackIncomplete = "rollback_incomplete"
    case abandoned
}

/// A run's state as `muster runs` shows it (its `state` in JSON).
public enum RunStatus: Sendable, Equatable {
    /// Its lock is held: a session is executing it.
    case running
    /// It stopped on purpose (abort, end of answers, a signal): resumable.
    case paused
    /// Its session died without saying so: resumable.
    case crashed
    /// Its journal cannot be read.
    case damaged
    /// Its journal has no `run_started`: it never began.
    case unusable
    case ended(RunEnd)

    public var name: String {
        switch self {
        case .running: "running"
        case .paused: "paused"
        case .crashed: "crashed"
        case .damaged: "damaged"
        case .unusable: "unusable"
        case .ended(let end): end.rawValue
        }
    }

    /// What `muster resume` may continue.
    public var resumable: Bool {
        switch self {
        case .paused, .crashed: true
        case .running, .damaged, .unusable, .ended: false
        }
    }

    /// A replayed run's state; `locked`: a session holds its lock.
    public init(_ state: RunState, locked: Bool) {
        if state.info == nil {
            self = .unusable
        } else if let end = state.outcome {
            self = .ended(end)
        } else if locked {
            self = .running
        } else if state.paused != nil {
            self = .paused
        } else {
            self = .crashed
        }
    }
}

/// What an operator's answer is journaled as, per question.
public enum ItemAnswer: String, Codable, Sendable {
    case done, skipped
}

public enum GateAnswer: String, Codable, Sendable {
    case run, skip
}

public enum FailureChoice: String, Codable, Sendable {
    case retry, skip, done, rollback
}

/// Read from a line's flat fields; writers say them in a `Payload`.
extension JournalEvent {
    /// `outcome` of a `step_finished`.
    public var stepOutcome: StepOutcome? {
        event == .stepFinished ? StepOutcome(journaled: outcome) : nil
    }

    /// `outcome` of a `run_finished` (`abandoned` for `run_abandoned`); an
    /// outcome this release does not know is a failure (the run ended, and
    /// not well).
    public var runEnd: RunEnd? {
        switch event {
        case .runFinished: outcome.map { RunEnd(rawValue: $0) ?? .failed }
        case .runAbandoned: .abandoned
        default: nil
        }
    }

    /// `answer` of an `item_answered`, `gate_answered` or `failure_choice`.
    public var itemAnswer: ItemAnswer? { answer.flatMap(ItemAnswer.init(rawValue:)) }

    public var gateAnswer: GateAnswer? { answer.flatMap(GateAnswer.init(rawValue:)) }

    public var choice: FailureChoice? { answer.flatMap(FailureChoice.init(rawValue:)) }
}
