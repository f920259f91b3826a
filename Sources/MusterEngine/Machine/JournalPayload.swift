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
    /// always gave it.
    public enum Payload: Equatable, Sendable {
        /// `key`: the session's signing key, when it signed its start.
        case runStarted(RunInfo?, key: String?)
        case runResumed(key: String?, auto: Bool)
        /// `attempt`: an automated step's start carries its first attempt;
        /// `items`: a `for_each` step's items, fixed when it began.
        case stepStarted(attempt: Int?, items: [String]?)
        /// `item` nil on a damaged line; early journals wrote notes as
        /// answers (`answer` "note"), which answer nothing.
        case itemAnswered(item: Int?, answer: ItemAnswer?, isNote: Bool, reason: String?, auto: Bool)
        case note(item: Int?, text: String?)
        /// An `ask` answer: `masked` when it was a secret (journaled `***`).
        case answered(name: String?, value: String?, masked: Bool)
        /// A `decide` step's option and why.
        case decided(name: String?, option: String?, reason: String?, by: String?)
        case gateAnswered(GateAnswer?)
        case attemptStarted(attempt: Int)
        case attemptFinished(AttemptEnd)
        case failureChoice(FailureChoice?)
        case stepFinished(StepEnd)
        /// `rung` nil for a contact off the ladder.
        case escalated(contact: String, rung: Int?, answered: Bool)
        /// Without a step, the rollback of the run begins (`reason`); with
        /// one, that step's rollback command is about to run.
        case rollbackStarted(reason: String?)
        /// `succeeded` nil when the line holds no exit status.
        case rollbackFinished(succeeded: Bool?)
        case runPaused(why: String)
        case runFinished(RunEnd?, why: String?)
        case runAbandoned(by: String?, why: String?)
        /// `legacy`: a pipeline id journaled by a release before typed
        /// pipeline references, and the item it was for.
        case pipelineStarted(PipelineRef?, legacy: LegacyPipeline?)
        case pipelineTriggering(PipelineRef?)
        case pipelineAbsent(PipelineRef?)
        case pipelineCancelled(PipelineRef?, text: String?)
        case faultInjected
        case approvalRequested(sha256: String?, shown: String?, rule: ApprovalInfo?)
        case approvalGiven(Approving)
        case approvalDenied(Approving, reason: String)
        case handoff(Handoff)
        case runUnshared(why: String)
        case runShared
        case conditionChecked(RunState.ConditionResult, seen: [String: String]?)
        case runClosing(by: String, why: String)
        case guardBreached(guardKey: String, why: String)
        case guardAnswered(guardKey: String, answer: String?, text: String?)
    }

    public struct AttemptEnd: Equatable, Sendable {
        public var attempt: Int?
        public var exit: Int?
        public var timedOut: Bool
        /// Cut short by a signal: on resume it counts as running when the
        /// session stopped, not as a failure.
        public var interrupted: Bool
        /// Why it failed; nil for an attempt that succeeded.
        public var problem: String?
        public var failed: Bool { problem != nil || (exit ?? 0) != 0 || timedOut }
    }

    public struct StepEnd: Equatable, Sendable {
        public var outcome: StepOutcome
        public var text: String?
        public var outputs: [String: String]?
        public var masked: [String]
        /// Set when an automated step's end came with its attempt.
        public var attempt: Int?
    }

    public struct LegacyPipeline: Equatable, Sendable {
        public var id: String
        public var item: Int?
    }

    /// An approval or a denial: whose, and which of their requests it took.
    public struct Approving: Equatable, Sendable {
        /// The request file or object it came from, taken once.
        public var request: String?
        public var by: String?
        /// The signing key, or `user:NAME` for an unsigned one.
        public var signer: String
        public var statement: String?
    }

    public struct Handoff: Equatable, Sendable {
        /// The hand-off request it answers; nil for a plain takeover.
        public var request: String?
        public var by: String?
        public var osUser: String?
        public var identity: String?
        public var key: String?
        public var reason: String?
    }

    public var payload: Payload {
        switch event {
        case .runStarted: .runStarted(run, key: key)
        case .runResumed: .runResumed(key: key, auto: auto == true)
        case .stepStarted: .stepStarted(attempt: attempt, items: items)
        case .itemAnswered: .itemAnswered(item: item, answer: itemAnswer, isNote: answer == "note", reason: text, auto: auto == true)
        case .note: .note(item: item, text: text)
        case .answered: .answered(name: name, value: value, masked: masked != nil)
        case .decided: .decided(name: name, option: value, reason: text, by: by)
        case .gateAnswered: .gateAnswered(gateAnswer)
        case .attemptStarted: .attemptStarted(attempt: attempt ?? 1)
        case .attemptFinished:
            .attemptFinished(AttemptEnd(attempt: attempt, exit: exit, timedOut: timedOut == true, interrupted: interrupted == true, problem: text))
        case .failureChoice: .failureChoice(choice)
        case .stepFinished:
            .stepFinished(StepEnd(outcome: StepOutcome(journaled: outcome), text: text, outputs: outputs, masked: masked ?? [], attempt: attempt))
        case .escalated: .escalated(contact: contact ?? "", rung: item, answered: text != Self.noAnswer)
        case .rollbackStarted: .rollbackStarted(reason: text)
        case .rollbackFinished: .rollbackFinished(succeeded: exit.map { $0 == 0 && timedOut != true })
        case .runPaused: .runPaused(why: text ?? "paused")
        case .runFinished: .runFinished(runEnd, why: text)
        case .runAbandoned: .runAbandoned(by: by, why: text)
        case .pipelineStarted:
            .pipelineStarted(pipeline, legacy: pipeline == nil ? value.flatMap { $0.isEmpty ? nil : LegacyPipeline(id: $0, item: item) } : nil)
        case .pipelineTriggering: .pipelineTriggering(pipeline)
        case .pipelineAbsent: .pipelineAbsent(pipeline)
        case .pipelineCancelled: .pipelineCancelled(pipeline, text: text)
        case .faultInjected: .faultInjected
        case .approvalRequested: .approvalRequested(sha256: sha256, shown: text, rule: approval)
        case .approvalGiven: .approvalGiven(approving)
        case .approvalDenied: .approvalDenied(approving, reason: text ?? "no reason given")
        case .handoff: .handoff(Handoff(request: value, by: by, osUser: osUser, identity: identity, key: key, reason: text))
        case .runUnshared: .runUnshared(why: text ?? "the shared store could not be reached")
        case .runShared: .runShared
        case .conditionChecked: .conditionChecked(condition, seen: seen)
        case .runClosing: .runClosing(by: by ?? "someone", why: text ?? "abandoned")
        case .guardBreached: .guardBreached(guardKey: value ?? "", why: text ?? "breached")
        case .guardAnswered: .guardAnswered(guardKey: value ?? "", answer: answer, text: text)
        }
    }

    private var condition: RunState.ConditionResult {
        switch value {
        case "true": .holds
        case "false": .fails(text ?? "its condition is false")
        default: .cannot(text ?? "its condition could not be evaluated")
        }
    }

    private var approving: Approving {
        Approving(request: value, by: by, signer: key ?? "user:" + (by ?? ""), statement: statement)
    }
}
