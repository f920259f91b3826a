import MusterBasics
import MusterFormat

/// The answer protocol of `cli.md` ("Answers"), in one place: every
/// question a run asks is a `Question`, which says which answers it takes,
/// how its prompt names them, and what to say when a line is not one of
/// them. A new question or a new verb is added here, and the exhaustive
/// switches at the prompts say where it must be handled.
public enum Answer: Equatable, Sendable {
    /// `y` (or `yes`; an empty line where the question allows it).
    case yes
    /// `s REASON`: skip the step or item, saying why.
    case skip(String)
    /// `n TEXT`: a note, and the same question again.
    case note(String)
    /// `e`: escalate (the ladder is shown), then the same question again.
    case escalate
    /// `a`: pause the run.
    case abort
    /// `r`: run the failed step again.
    case retry
    /// `d NOTE`: the operator did the step by hand.
    case doneByHand(String)
    /// `b`: roll back.
    case rollBack
    /// Ctrl-C's question: `s` stops the step at work, `w` keeps waiting.
    case stopStep
    case keepWaiting
}

/// A verb of the protocol: its letter, and whether it needs words after it.
public enum Verb: Sendable, CaseIterable {
    case yes, skip, note, escalate, abort, retry, doneByHand, rollBack, stopStep, keepWaiting

    var letter: String {
        switch self {
        case .yes: "y"
        case .skip, .stopStep: "s"
        case .note: "n"
        case .escalate: "e"
        case .abort: "a"
        case .retry: "r"
        case .doneByHand: "d"
        case .rollBack: "b"
        case .keepWaiting: "w"
        }
    }

    /// What must follow the letter, and how the hints name it.
    var argument: (name: String, missing: String)? {
        switch self {
        case .skip: ("REASON", "say why you skip it: s REASON")
        case .note: ("TEXT", "write the note after n: n TEXT")
        case .doneByHand: ("NOTE", "say what you did by hand: d NOTE")
        case .yes, .escalate, .abort, .retry, .rollBack, .stopStep, .keepWaiting: nil
        }
    }

    /// How the not-understood hint writes it: `s REASON`, `e`.
    var form: String { argument.map { "\(letter) \($0.name)" } ?? letter }

    func answer(_ rest: String) -> Answer {
        switch self {
        case .yes: .yes
        case .skip: .skip(rest)
        case .note: .note(rest)
        case .escalate: .escalate
        case .abort: .abort
        case .retry: .retry
        case .doneByHand: .doneByHand(rest)
        case .rollBack: .rollBack
        case .stopStep: .stopStep
        case .keepWaiting: .keepWaiting
        }
    }
}

/// The questions of a run, each with the answers it takes.
public enum Question: Sendable, Equatable {
    /// A checklist item of a `manual` step.
    case checklistItem
    /// A `confirm: true` step's gate.
    case gate
    /// An automated step failed (or was interrupted); `b` only where a
    /// rollback may start.
    case failure(rollBack: Bool)
    /// A rehearsal drill's automated step.
    case rehearsal
    /// The list of steps a rollback will undo.
    case rollbackConfirmation
    /// Ctrl-C while a step is at work.
    case interrupt
    /// A step waiting for `muster approve` by someone else.
    case approvalWait
    /// The shared store cannot be reached: go on alone, or pause.
    case storeUnreachable
    /// A guard is breached: the steps running go on meanwhile.
    case breach

    /// The verbs it takes, each with the words its prompt gives it, in
    /// the order the prompt lists them.
    var verbs: [(verb: Verb, label: String)] {
        switch self {
        case .checklistItem:
            [(.yes, "y/Enter done"), (.skip, "s REASON skip"), (.note, "n TEXT note"), (.escalate, "e escalate"), (.abort, "a abort")]
        case .gate:
            [(.yes, "y run"), (.skip, "s REASON skip"), (.abort, "a abort")]
        case .failure(let rollBack):
            [(.retry, "r retry"), (.skip, "s REASON skip"), (.doneByHand, "d NOTE mark done by hand"), (.escalate, "e escalate"), (.abort, "a abort (pause)")]
                + (rollBack ? [(.rollBack, "b roll back")] : [])
        case .rehearsal:
            [(.yes, "y rehearsed"), (.skip, "s REASON skip"), (.escalate, "e escalate"), (.abort, "a abort")]
        case .rollbackConfirmation:
            [(.yes, "y roll back"), (.abort, "a abort (pause; `muster resume` asks again)")]
        case .interrupt:
            [(.stopStep, "s stop the step"), (.keepWaiting, "w keep waiting")]
        case .approvalWait:
            [(.abort, "a abort (pause); the step goes on by itself once approved")]
        case .storeUnreachable:
            [(.yes, "y go on alone (unshared until the store answers)"), (.abort, "a pause")]
        case .breach:
            [(.yes, "y continue"), (.rollBack, "b roll back"), (.abort, "a abort the run (it fails; finally runs)"), (.escalate, "e escalate")]
        }
    }

    /// An empty line means yes only where nothing is started by it: a
    /// checklist item or a rehearsal, never a gate or a rollback.
    var emptyIsYes: Bool { self == .checklistItem || self == .rehearsal }

    /// The line under the prompt: `y run · s REASON skip · a abort`.
    public var hint: String { verbs.map(\.label).joined(separator: " · ") }

    /// What is said when a line is not an answer to this question.
    public var notUnderstood: String {
        let forms = verbs.map { $0.verb == .yes && emptyIsYes ? "y (or Enter)" : $0.verb.form }
        let list = forms.count > 1 ? forms.dropLast().joined(separator: ", ") + " or " + forms.last! : forms.joined()
        let noEmpty = verbs.contains { $0.verb == .yes } && !emptyIsYes ? " (an empty line is not a yes here)" : ""
        return "not understood: answer \(list)\(noEmpty)"
    }

    /// Reads one line as an answer to this question, or says why it is not
    /// one. The verb is case-blind; what follows it is kept as typed.
    public func parse(_ line: String) -> Result<Answer, Misunderstood> {
        let t = line.trimmingSpaces()
        let verb: String, rest: String
        if let sp = t.firstIndex(of: " ") {
            (verb, rest) = (t[..<sp].lowercased(), String(t[t.index(after: sp)...]).trimmingSpaces())
        } else {
            (verb, rest) = (t.lowercased(), "")
        }
        // Ctrl-C's question is the one asked mid-action: anything but
        // "keep waiting" stops the step, as a second Ctrl-C does.
        if self == .interrupt { return .success(verb.hasPrefix("w") ? .keepWaiting : .stopStep) }
        if verb.isEmpty, emptyIsYes { return .success(.yes) }
        guard let v = verbs.first(where: { $0.verb.letter == verb || ($0.verb == .yes && verb == "yes") })?.verb else {
            return .failure(Misunderstood(hint: notUnderstood))
        }
        if let arg = v.argument, rest.isEmpty { return .failure(Misunderstood(hint: arg.missing)) }
        return .success(v.answer(rest))
    }
}

/// A line that answers nothing the question asked, and the hint to show.
public struct Misunderstood: Error, Equatable, Sendable {
    public var hint: String
}
