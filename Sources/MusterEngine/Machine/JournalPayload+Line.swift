import MusterBasics
import MusterFormat

extension JournalEvent {
    /// The event that says `payload`, as the flat line every release has
    /// written for its kind: the same keys and values, and the same fields
    /// left out (a flag is written only when true, a list only when it
    /// holds something), so older releases read it and `payload` reads it
    /// back as it was (JournalPayloadWriteTests). The one place writers'
    /// words become flat fields.
    public init(seq: Int = 0, at: String = "", t: Double = 0, step: String? = nil, _ payload: Payload) {
        self.init(seq: seq, at: at, t: t, event: payload.kind)
        self.step = step
        switch payload {
        case .runStarted(let run, let proof):
            self.run = run
            sign(proof)
        case .runResumed(let text, let auto, let proof):
            self.text = text
            self.auto = Self.flag(auto)
            sign(proof)
        case .stepStarted(let kind, let attempt, let items):
            text = kind?.rawValue
            self.attempt = attempt
            self.items = items
        case .itemAnswered(let item, let answer, let isNote, let reason, let auto):
            self.item = item
            self.answer = isNote ? "note" : answer?.rawValue
            text = reason
            self.auto = Self.flag(auto)
        case .note(let item, let text):
            self.item = item
            self.text = text
        case .answered(let name, let value, let masked):
            self.name = name
            self.value = value
            self.masked = masked ? [name ?? ""] : nil
        case .decided(let name, let option, let reason, let by, let masked):
            self.name = name
            value = option
            text = reason
            self.by = by
            self.masked = masked ? [name ?? ""] : nil
        case .gateAnswered(let answer, let reason, let auto):
            self.answer = answer?.rawValue
            text = reason
            self.auto = Self.flag(auto)
        case .attemptStarted(let attempt):
            self.attempt = attempt
        case .attemptFinished(let end):
            write(end.facts)
            text = end.problem
            interrupted = Self.flag(end.interrupted)
        case .failureChoice(let choice, let text):
            answer = choice?.rawValue
            self.text = text
        case .stepFinished(let end):
            if let facts = end.facts { write(facts) }
            outcome = end.outcome.rawValue
            text = end.text
            outputs = end.outputs.isEmpty ? nil : end.outputs
            masked = end.masked.isEmpty ? nil : end.masked
        case .escalated(let contact, let rung, let answered):
            self.contact = contact
            item = rung
            text = answered ? nil : Self.noAnswer
        case .rollbackStarted(let reason):
            text = reason
        case .rollbackFinished(let end):
            exit = end.exit
            seconds = end.seconds
            timedOut = Self.flag(end.timedOut)
            text = end.text
        case .runPaused(let why), .runUnshared(let why):
            text = why
        case .runFinished(let end, let why):
            outcome = end?.rawValue
            text = why
        case .runAbandoned(let by, let why):
            self.by = by
            text = why
        case .pipelineStarted(let ref, let text, let legacy):
            pipeline = ref
            self.text = text
            value = legacy?.id
            item = legacy?.item
        case .pipelineTriggering(let ref, let attempt), .pipelineAbsent(let ref, let attempt):
            pipeline = ref
            self.attempt = attempt
        case .pipelineCancelled(let ref, let text):
            pipeline = ref
            self.text = text
        case .faultInjected(let text), .runShared(let text):
            self.text = text
        case .approvalRequested(let sha256, let shown, let who, let rule):
            self.sha256 = sha256
            text = shown
            value = who
            approval = rule
        case .approvalGiven(let a):
            write(a)
        case .approvalDenied(let a, let reason):
            write(a)
            text = reason
        case .handoff(let h):
            value = h.request
            by = h.by
            name = h.name
            osUser = h.osUser
            identity = h.identity
            text = h.reason
            sign(h.proof)
        case .conditionChecked(let c):
            value = c.holds.map { $0 ? "true" : "false" }
            text = c.text
            seen = c.seen
        case .runClosing(let by, let why):
            self.by = by
            text = why
        case .guardBreached(let key, let why):
            value = key
            text = why
        case .guardAnswered(let key, let answer, let text, let auto):
            value = key
            self.answer = answer
            self.text = text
            self.auto = Self.flag(auto)
        }
    }

    /// A flag is written only when it is set.
    private static func flag(_ on: Bool) -> Bool? { on ? true : nil }

    private mutating func sign(_ proof: Proof) {
        statement = proof.statement
        signature = proof.signature
        key = proof.key
    }

    private mutating func write(_ facts: AttemptFacts) {
        attempt = facts.attempt
        exit = facts.exit
        status = facts.status
        seconds = facts.seconds
        timedOut = Self.flag(facts.timedOut)
        tail = facts.tail.isEmpty ? nil : facts.tail
        leftovers = facts.leftovers.isEmpty ? nil : facts.leftovers
    }

    private mutating func write(_ a: Approving) {
        value = a.request
        by = a.by
        name = a.name
        osUser = a.osUser
        identity = a.identity
        sign(a.proof)
    }
}

extension JournalEvent.Payload {
    /// The event kind that says it.
    public var kind: JournalEvent.Kind {
        switch self {
        case .runStarted: .runStarted
        case .runResumed: .runResumed
        case .stepStarted: .stepStarted
        case .itemAnswered: .itemAnswered
        case .note: .note
        case .answered: .answered
        case .decided: .decided
        case .gateAnswered: .gateAnswered
        case .attemptStarted: .attemptStarted
        case .attemptFinished: .attemptFinished
        case .failureChoice: .failureChoice
        case .stepFinished: .stepFinished
        case .escalated: .escalated
        case .rollbackStarted: .rollbackStarted
        case .rollbackFinished: .rollbackFinished
        case .runPaused: .runPaused
        case .runFinished: .runFinished
        case .runAbandoned: .runAbandoned
        case .pipelineStarted: .pipelineStarted
        case .pipelineTriggering: .pipelineTriggering
        case .pipelineAbsent: .pipelineAbsent
        case .pipelineCancelled: .pipelineCancelled
        case .faultInjected: .faultInjected
        case .approvalRequested: .approvalRequested
        case .approvalGiven: .approvalGiven
        case .approvalDenied: .approvalDenied
        case .handoff: .handoff
        case .runUnshared: .runUnshared
        case .runShared: .runShared
        case .conditionChecked: .conditionChecked
        case .runClosing: .runClosing
        case .guardBreached: .guardBreached
        case .guardAnswered: .guardAnswered
        }
    }
}
