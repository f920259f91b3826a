/// An answer typed by the question it answers: each prompt switches over
/// exactly the answers its question takes, so no prompt needs a "cannot
/// happen" branch. `Question.parse` reads the line; `init?(_:)` says
/// whether the verb belongs to this question (the `Question.verbs` table
/// and these types are checked against each other by `ReplyTests`).
/// `e` (escalate) is answered where every question is asked, and the
/// question is asked again, so no reply carries it.
public protocol Reply: Sendable, Equatable {
    init?(_ answer: Answer)
}

/// A checklist item: done, skipped, a note (asked again) or abort.
public enum ChecklistReply: Reply {
    case done, skip(String), note(String), abort
    public init?(_ a: Answer) {
        switch a {
        case .yes: self = .done
        case .skip(let why): self = .skip(why)
        case .note(let text): self = .note(text)
        case .abort: self = .abort
        default: return nil
        }
    }
}

/// A `confirm: true` gate.
public enum GateReply: Reply {
    case run, skip(String), abort
    public init?(_ a: Answer) {
        switch a {
        case .yes: self = .run
        case .skip(let why): self = .skip(why)
        case .abort: self = .abort
        default: return nil
        }
    }
}

/// The failure menu; `rollBack` only where the question offers it.
public enum FailureReply: Reply {
    case retry, skip(String), doneByHand(String), abort, rollBack
    public init?(_ a: Answer) {
        switch a {
        case .retry: self = .retry
        case .skip(let why): self = .skip(why)
        case .doneByHand(let note): self = .doneByHand(note)
        case .abort: self = .abort
        case .rollBack: self = .rollBack
        default: return nil
        }
    }
}

/// A rehearsal drill's step.
public enum RehearsalReply: Reply {
    case rehearsed, skip(String), abort
    public init?(_ a: Answer) {
        switch a {
        case .yes: self = .rehearsed
        case .skip(let why): self = .skip(why)
        case .abort: self = .abort
        default: return nil
        }
    }
}

/// The list of steps a rollback will undo.
public enum RollbackReply: Reply {
    case rollBack, pause
    public init?(_ a: Answer) {
        switch a {
        case .yes: self = .rollBack
        case .abort: self = .pause
        default: return nil
        }
    }
}

/// Ctrl-C while a step is at work.
public enum InterruptReply: Reply {
    case stopStep, keepWaiting
    public init?(_ a: Answer) {
        switch a {
        case .stopStep: self = .stopStep
        case .keepWaiting: self = .keepWaiting
        default: return nil
        }
    }
}

/// While a step waits for approvals: only abort is the operator's.
public enum ApprovalWaitReply: Reply {
    case abort
    public init?(_ a: Answer) {
        guard a == .abort else { return nil }
        self = .abort
    }
}

/// The shared store cannot be reached.
public enum StoreUnreachableReply: Reply {
    case goOnAlone, pause
    public init?(_ a: Answer) {
        switch a {
        case .yes: self = .goOnAlone
        case .abort: self = .pause
        default: return nil
        }
    }
}

/// A guard's breach: go on, roll back, or end the run failed.
public enum BreachReply: Reply {
    case goOn, rollBack, abort
    public init?(_ a: Answer) {
        switch a {
        case .yes: self = .goOn
        case .rollBack: self = .rollBack
        case .abort: self = .abort
        default: return nil
        }
    }
}

extension Question {
    /// Reads one line as this question's typed reply. A verb the question
    /// takes but `R` does not (a table and a type out of step) is not
    /// understood, never a crash.
    public func parse<R: Reply>(_ line: String, as: R.Type) -> Result<R, Misunderstood> {
        switch parse(line) {
        case .success(let a):
            guard let r = R(a) else { return .failure(Misunderstood(hint: notUnderstood)) }
            return .success(r)
        case .failure(let m):
            return .failure(m)
        }
    }
}
