import MusterBasics
import MusterFormat

extension JournalEvent {
    /// What one event says, typed by its kind. The journal line stays the
    /// flat record of optional fields (older and newer releases read each
    /// other's files, and `grep` reads them all), but a reader switches
    /// over this instead of guessing what `value` or `text` mean for the
    /// kind at hand: `value` is an answer, a request's name, a guard's key
    /// or an option depending on the kind, and here each has its own name.
    /// A field an old or hand-edited line lacks gets the default the fold
    /// always gave it. Writers say what happened as one of these too, and
    /// `init(seq:at:t:step:_:)` writes the line (JournalPayload+Line.swift).
    public enum Payload: Equatable, Sendable {
        /// `proof`: the session's signature of its start, when it signed.
        case runStarted(RunInfo?, proof: Proof)
        /// `text`: who resumed where; `auto`: the session answers by itself (`--yes`).
        case runResumed(text: String?, auto: Bool, proof: Proof)
        /// `kind`: what the step is; `attempt`: an automated step's start
        /// carries its first attempt; `items`: a `for_each` step's items,
        /// fixed when it began.
        case stepStarted(kind: StepKind?, attempt: Int? = nil, items: [String]? = nil)
        /// `item` nil on a damaged line; early journals wrote notes as
        /// answers (`answer` "note"), which answer nothing.
        case itemAnswered(item: Int?, answer: ItemAnswer?, isNote: Bool = false, reason: String? = nil, auto: Bool = false)
        case note(item: Int?, text: String?)
        /// An `ask` answer: `masked` when it was a secret (journaled `***`).
        case answered(name: String?, value: String?, masked: Bool)
        /// A `decide` step's option and why; `masked` when a secret was
        /// masked out of the option.
        case decided(name: String?, option: String?, reason: String?, by: String?, masked: Bool = false)
        /// `reason` why it was skipped; `auto`: passed by `--yes`.
        case gateAnswered(GateAnswer?, reason: String? = nil, auto: Bool = false)
        case attemptStarted(attempt: Int)
        case attemptFinished(AttemptEnd)
        /// `text`: why it was skipped, or what was done by hand.
        case failureChoice(FailureChoice?, text: String? = nil)
        case stepFinished(StepEnd)
        /// `rung` nil for a contact off the ladder.
        case escalated(contact: String, rung: Int?, answered: Bool)
        /// Without a step, the rollback of the run begins (`reason`); with
        /// one, that step's rollback command is about to run.
        case rollbackStarted(reason: String?)
        case rollbackFinished(RollbackEnd)
        case runPaused(why: String)
        case runFinished(RunEnd?, why: String?)
        case runAbandoned(by: String?, why: String?)
        /// `text` the pipeline as people read it; `legacy`: a pipeline id
        /// journaled by a release before typed pipeline references, and
        /// the item it was for.
        case pipelineStarted(PipelineRef?, text: String?, legacy: LegacyPipeline? = nil)
        /// `attempt`: the attempt whose trigger it is.
        case pipelineTriggering(PipelineRef?, attempt: Int?)
        case pipelineAbsent(PipelineRef?, attempt: Int?)
        case pipelineCancelled(PipelineRef?, text: String?)
        /// `text`: the error the drill scripted.
        case faultInjected(text: String?)
        /// `shown`: the request (what will run); `who` may approve, in words.
        case approvalRequested(sha256: String?, shown: String?, who: String?, rule: ApprovalInfo?)
        case approvalGiven(Approving)
        case approvalDenied(Approving, reason: String)
        case handoff(Handoff)
        case runUnshared(why: String)
        /// `text`: which store answers again.
        case runShared(text: String?)
        case conditionChecked(ConditionCheck)
        case runClosing(by: String, why: String)
        case guardBreached(guardKey: String, why: String)
        /// `auto`: answered by the guard's `on_breach`, nobody asked.
        case guardAnswered(guardKey: String, answer: String?, text: String?, auto: Bool)
    }

    /// The two-person rule's proof a session or a request signed with: the
    /// statement, its SSH signature and the signing key's fingerprint.
    /// Empty for an unsigned one; believed only once `JournalTrust` checked it.
    public struct Proof: Equatable, Sendable {
        public var statement: String?
        public var signature: String?
        public var key: String?
        public init(statement: String? = nil, signature: String? = nil, key: String? = nil) {
            self.statement = statement
            self.signature = signature
            self.key = key
        }
    }

    /// What an attempt of an automated step measured, journaled on its
    /// `attempt_finished`, or on its step's `step_finished` when it ended
    /// the step.
    public struct AttemptFacts: Equatable, Sendable {
        public var attempt: Int?
        public var exit: Int?
        /// The HTTP status an `http` step's (or HTTP wait's) reply had, in
        /// place of `exit`.
        public var status: Int?
        /// To the millisecond.
        public var seconds: Double?
        public var timedOut: Bool
        /// What it printed last.
        public var tail: [String]
        /// Processes its command left running: kept or stopped.
        public var leftovers: [Leftover]
        public init(attempt: Int? = nil, exit: Int? = nil, status: Int? = nil, seconds: Double? = nil, timedOut: Bool = false,
                    tail: [String] = [], leftovers: [Leftover] = []) {
            self.attempt = attempt
            self.exit = exit
            self.status = status
            self.seconds = seconds
            self.timedOut = timedOut
            self.tail = tail
            self.leftovers = leftovers
        }
    }

    public struct AttemptEnd: Equatable, Sendable {
        public var facts: AttemptFacts
        /// Cut short by a signal: on resume it counts as running when the
        /// session stopped, not as a failure.
        public var interrupted: Bool
        /// Why it failed; nil for an attempt that succeeded.
        public var problem: String?
        public init(_ facts: AttemptFacts, interrupted: Bool = false, problem: String? = nil) {
            self.facts = facts
            self.interrupted = interrupted
            self.problem = problem
        }
        public var failed: Bool { problem != nil || (facts.exit ?? 0) != 0 || facts.timedOut }
    }

    public struct StepEnd: Equatable, Sendable {
        public var outcome: StepOutcome
        public var text: String?
        public var outputs: [String: String]
        /// Outputs whose value had a secret masked out.
        public var masked: [String]
        /// An automated step's end comes with the attempt that ended it.
        public var facts: AttemptFacts?
        public init(_ outcome: StepOutcome, text: String? = nil, outputs: [String: String] = [:], masked: [String] = [], facts: AttemptFacts? = nil) {
            self.outcome = outcome
            self.text = text
            self.outputs = outputs
            self.masked = masked
            self.facts = facts
        }
        /// Set when an automated step's end came with its attempt.
        public var attempt: Int? { facts?.attempt }
    }

    /// A step's rollback command ended (`exit`), or could not run (`text`).
    public struct RollbackEnd: Equatable, Sendable {
        public var exit: Int?
        public var seconds: Double?
        public var timedOut: Bool
        public var text: String?
        public init(exit: Int? = nil, seconds: Double? = nil, timedOut: Bool = false, text: String? = nil) {
            self.exit = exit
            self.seconds = seconds
            self.timedOut = timedOut
            self.text = text
        }
        /// Nil when the line holds no exit status.
        public var succeeded: Bool? { exit.map { $0 == 0 && !timedOut } }
    }

    /// A step's `when:` evaluated: `holds` nil when it could not be.
    public struct ConditionCheck: Equatable, Sendable {
        public var holds: Bool?
        /// Why it holds or not, or why it could not be evaluated.
        public var text: String?
        /// The values it read, by name.
        public var seen: [String: String]?
        public init(holds: Bool?, text: String?, seen: [String: String]?) {
            self.holds = holds
            self.text = text
            self.seen = seen
        }
        public var result: RunState.ConditionResult {
            switch holds {
            case true?: .holds
            case false?: .fails(text ?? "its condition is false")
            case nil: .cannot(text ?? "its condition could not be evaluated")
            }
        }
    }

    public struct LegacyPipeline: Equatable, Sendable {
        public var id: String
        public var item: Int?
    }

    /// An approval or a denial: whose, and which of their requests it took.
    public struct Approving: Equatable, Sendable {
        /// The request file or object it came from, taken once.
        public var request: String?
        /// The signer's name, which the rules compare.
        public var by: String?
        /// The display name the request gave.
        public var name: String?
        /// The OS user the request came from: context, never proof.
        public var osUser: String?
        /// The AWS identity (ARN) AWS vouched for.
        public var identity: String?
        public var proof: Proof
        public init(request: String?, by: String?, name: String? = nil, osUser: String? = nil, identity: String? = nil, proof: Proof = Proof()) {
            self.request = request
            self.by = by
            self.name = name
            self.osUser = osUser
            self.identity = identity
            self.proof = proof
        }
        /// The signing key, or `user:NAME` for an unsigned one.
        public var signer: String { proof.key ?? "user:" + (by ?? "") }
    }

    public struct Handoff: Equatable, Sendable {
        /// The hand-off request it answers; nil for a plain takeover.
        public var request: String?
        /// The OS user who now operates the run.
        public var by: String?
        /// The new operator's display name.
        public var name: String?
        public var osUser: String?
        public var identity: String?
        public var reason: String?
        public var proof: Proof
        public init(request: String?, by: String?, name: String? = nil, osUser: String? = nil, identity: String? = nil, reason: String?, proof: Proof = Proof()) {
            self.request = request
            self.by = by
            self.name = name
            self.osUser = osUser
            self.identity = identity
            self.reason = reason
            self.proof = proof
        }
    }

    public var payload: Payload {
        switch event {
        case .runStarted: .runStarted(run, proof: proof)
        case .runResumed: .runResumed(text: text, auto: auto == true, proof: proof)
        case .stepStarted: .stepStarted(kind: text.flatMap(StepKind.init(rawValue:)), attempt: attempt, items: items)
        case .itemAnswered: .itemAnswered(item: item, answer: itemAnswer, isNote: answer == "note", reason: text, auto: auto == true)
        case .note: .note(item: item, text: text)
        case .answered: .answered(name: name, value: value, masked: masked != nil)
        case .decided: .decided(name: name, option: value, reason: text, by: by, masked: masked != nil)
        case .gateAnswered: .gateAnswered(gateAnswer, reason: text, auto: auto == true)
        case .attemptStarted: .attemptStarted(attempt: attempt ?? 1)
        case .attemptFinished: .attemptFinished(AttemptEnd(facts, interrupted: interrupted == true, problem: text))
        case .failureChoice: .failureChoice(choice, text: text)
        case .stepFinished:
            .stepFinished(StepEnd(StepOutcome(journaled: outcome), text: text, outputs: outputs ?? [:], masked: masked ?? [], facts: hasFacts ? facts : nil))
        case .escalated: .escalated(contact: contact ?? "", rung: item, answered: text != Self.noAnswer)
        case .rollbackStarted: .rollbackStarted(reason: text)
        case .rollbackFinished: .rollbackFinished(RollbackEnd(exit: exit, seconds: seconds, timedOut: timedOut == true, text: text))
        case .runPaused: .runPaused(why: text ?? "paused")
        case .runFinished: .runFinished(runEnd, why: text)
        case .runAbandoned: .runAbandoned(by: by, why: text)
        case .pipelineStarted:
            .pipelineStarted(pipeline, text: text, legacy: pipeline == nil ? value.flatMap { $0.isEmpty ? nil : LegacyPipeline(id: $0, item: item) } : nil)
        case .pipelineTriggering: .pipelineTriggering(pipeline, attempt: attempt)
        case .pipelineAbsent: .pipelineAbsent(pipeline, attempt: attempt)
        case .pipelineCancelled: .pipelineCancelled(pipeline, text: text)
        case .faultInjected: .faultInjected(text: text)
        case .approvalRequested: .approvalRequested(sha256: sha256, shown: text, who: value, rule: approval)
        case .approvalGiven: .approvalGiven(approving)
        case .approvalDenied: .approvalDenied(approving, reason: text ?? "no reason given")
        case .handoff: .handoff(Handoff(request: value, by: by, name: name, osUser: osUser, identity: identity, reason: text, proof: proof))
        case .runUnshared: .runUnshared(why: text ?? "the shared store could not be reached")
        case .runShared: .runShared(text: text)
        case .conditionChecked: .conditionChecked(ConditionCheck(holds: value == "true" ? true : value == "false" ? false : nil, text: text, seen: seen))
        case .runClosing: .runClosing(by: by ?? "someone", why: text ?? "abandoned")
        case .guardBreached: .guardBreached(guardKey: value ?? "", why: text ?? "breached")
        case .guardAnswered: .guardAnswered(guardKey: value ?? "", answer: answer, text: text, auto: auto == true)
        }
    }

    private var proof: Proof { Proof(statement: statement, signature: signature, key: key) }

    private var facts: AttemptFacts {
        AttemptFacts(attempt: attempt, exit: exit, status: status, seconds: seconds, timedOut: timedOut == true, tail: tail ?? [], leftovers: leftovers ?? [])
    }

    /// A `step_finished` that ended an automated step's attempt carries it.
    private var hasFacts: Bool {
        attempt != nil || exit != nil || status != nil || seconds != nil || timedOut == true || tail?.isEmpty == false || leftovers?.isEmpty == false
    }

    private var approving: Approving {
        Approving(request: value, by: by, name: name, osUser: osUser, identity: identity, proof: proof)
    }
}
