import MusterFormat

/// Temporal's replay rule for Muster: replaying a journal through today's
/// code must make the decisions the journal recorded. Before each event
/// that a decision produced, the machine is asked what to do next from the
/// events before it; an event that is not what that action does (another
/// step, another attempt, another item, another end) is a divergence, and
/// the check says so instead of letting a resume silently go elsewhere.
///
/// Events that are not the machine's to decide are passed over: what
/// people do (notes, approvals, hand-offs, requests), what the session
/// reports (started, resumed, paused, escalated) and the shared store's own.
public enum ReplayCheck {
    public struct Divergence: Sendable, Equatable, CustomStringConvertible {
        public var seq: Int
        public var event: JournalEvent.Kind
        public var step: String?
        public var decided: RunMachine.Action
        public var description: String {
            "event \(seq) (\(event.rawValue)\(step.map { " of '\($0)'" } ?? "")) is not what the machine decides there: \(decided)"
        }
    }

    /// The divergences of `events` from what the machine over `plan`
    /// decides, in order. Each session decides with its own `--yes`
    /// (`run_started`'s `yes`, `run_resumed`'s `auto`), as it did.
    public static func check(_ events: [JournalEvent], plan: FlatPlan) -> [Divergence] {
        var state = RunState()
        var yes = false
        var out: [Divergence] = []
        for e in events {
            if e.event == .runStarted { yes = e.run?.yes ?? false }
            if e.event == .runResumed { yes = e.auto == true }
            if isDecided(e.event), !continuesAttempt(e, state) {
                // Branches in flight: the event may be any one of the
                // actions open then, with those attempts running or not.
                let machine = RunMachine(plan: plan, yes: yes)
                let now = e.clock ?? .infinity
                let open = machine.actions(state, now: now) + machine.actions(state, now: now, busy: Set(state.interruptedSteps))
                if !open.contains(where: { matches(e, $0) }) {
                    out.append(Divergence(seq: e.seq, event: e.event, step: e.step, decided: open.first ?? .awaitBranches))
                }
            }
            state.apply(e)
        }
        return out
    }

    /// What an attempt in flight journals as it goes (its fault, its
    /// pipeline, its end) was decided when the attempt began.
    static func continuesAttempt(_ e: JournalEvent, _ state: RunState) -> Bool {
        guard let key = e.step, state.isInterrupted(key) else { return false }
        return [.attemptFinished, .stepFinished, .pipelineStarted, .pipelineTriggering, .pipelineAbsent, .faultInjected].contains(e.event)
    }

    static func isDecided(_ kind: JournalEvent.Kind) -> Bool {
        switch kind {
        case .stepStarted, .itemAnswered, .answered, .decided, .gateAnswered, .attemptStarted, .attemptFinished, .failureChoice, .stepFinished,
             .pipelineStarted, .pipelineTriggering, .pipelineAbsent, .faultInjected, .rollbackStarted, .rollbackFinished, .runFinished, .approvalRequested, .conditionChecked,
             .guardAnswered:
            true
        default:
            false
        }
    }

    /// Whether event `e` is what performing `action` journals.
    static func matches(_ e: JournalEvent, _ action: RunMachine.Action) -> Bool {
        switch action {
        case .checkCondition(let key):
            return e.event == .conditionChecked && e.step == key
        case .skip(let key, _):
            return e.event == .stepFinished && e.step == key && e.outcome == StepOutcome.skipped.rawValue
        case .begin(let key):
            return e.event == .stepStarted && e.step == key
        case .askItem(let key, let item), .tickItem(let key, let item):
            return e.step == key && (e.event == .itemAnswered ? e.item == item : e.event == .stepFinished)
        case .askQuestion(let key, let name):
            return e.step == key && (e.event == .answered ? e.name == name : e.event == .stepFinished)
        case .decide(let key):
            return e.step == key && (e.event == .decided || e.event == .stepFinished)
        case .pause:
            // A pause journals `run_paused`, which no decision is checked against.
            return false
        case .finishStep(let key):
            return e.event == .stepFinished && e.step == key
        case .attempt(let key, let n):
            guard e.step == key else { return false }
            switch e.event {
            case .stepStarted, .attemptStarted: return e.attempt == nil || e.attempt == n
            // A step edited since its approval asks for it again first.
            case .attemptFinished, .stepFinished, .pipelineStarted, .pipelineTriggering, .faultInjected, .approvalRequested: return true
            default: return false
            }
        case .follow(let key, _):
            return e.step == key && [.attemptFinished, .stepFinished].contains(e.event)
        case .lookUp(let key, let n):
            guard e.step == key else { return false }
            if e.event == .attemptStarted { return e.attempt == n }
            return [.pipelineStarted, .pipelineAbsent, .attemptFinished, .stepFinished].contains(e.event)
        case .trigger(let key, _):
            return e.step == key && [.pipelineTriggering, .attemptFinished, .stepFinished].contains(e.event)
        case .sleepUntil(let key, _):
            // The delay ended and the next attempt began, or a stop during
            // it was answered at the failure menu.
            return e.step == key && [.attemptStarted, .failureChoice, .stepFinished].contains(e.event)
        case .awaitApproval(let key):
            return e.step == key && [.stepStarted, .approvalRequested, .failureChoice, .stepFinished].contains(e.event)
        case .gate(let key), .passGate(let key):
            return e.step == key && [.stepStarted, .gateAnswered, .stepFinished, .approvalRequested].contains(e.event)
        case .resumeInterrupted(let key), .onFailure(let key, _):
            return e.step == key && [.failureChoice, .stepFinished].contains(e.event)
        case .rollBack(_, let unfinished):
            return e.event == .rollbackStarted || (e.event == .stepFinished && e.step == unfinished)
                // The rollback goes straight to its first step when it was
                // journaled as begun by the step it undoes.
                || e.event == .rollbackFinished
        case .rollBackStep(let key):
            return (e.event == .rollbackStarted || e.event == .rollbackFinished) && (e.step == nil || e.step == key)
        case .finish(let end):
            return e.event == .runFinished && e.runEnd == end || end == .abandoned && e.event == .runAbandoned
        case .awaitBranches:
            return false
        case .cancel(let keys, _):
            return e.step.map(keys.contains) == true && [.attemptFinished, .stepFinished].contains(e.event)
        case .answerBreach(let key, _):
            return e.event == .guardAnswered && e.value == key
        }
    }
}
