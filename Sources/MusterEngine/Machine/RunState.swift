import MusterBasics
import MusterFormat

/// What a run has done so far, rebuilt by replaying its journal. The executor
/// consults it before every action, so a resumed run never repeats a finished
/// step or asks a confirmed item again.
public struct RunState: Sendable {
    public var info: JournalEvent.RunInfo?
    public var lastSeq = 0
    public var lastT = 0.0
    /// Why the run went on without its shared store (`run_unshared`), until
    /// `run_shared` says every event is in it again.
    public var unshared: String?
    /// Steps that have started, by key (`id`, or `parent/child` inside an included runbook).
    public var started: Set<String> = []
    /// Finished steps and their outcome.
    public var finished: [String: StepOutcome] = [:]
    /// Finished steps in the order they finished, for rollback.
    public var finishOrder: [String] = []
    /// How many of the plan's entries, from its first, have finished (or
    /// sit in a group that has): the machine's walk starts past them. Moved
    /// on by `RunMachine.settle`; a step never finishes less, so it only grows.
    public var settled = 0
    /// Checklist items answered, per step.
    public var answeredItems: [String: Set<Int>] = [:]
    /// `ask` answers and captured outputs, per step.
    public var values: [String: [String: String]] = [:]
    /// Steps whose `confirm` gate was answered yes.
    public var gatesPassed: Set<String> = []
    /// Attempts started, per step.
    public var attempts: [String: Int] = [:]
    /// Steps whose last attempt started and never finished, in the order
    /// they started: the process died while they ran (several, when
    /// branches ran at once).
    public var interruptedSteps: [String] = []
    public var interruptedStep: String? { interruptedSteps.last }
    /// Steps whose last attempt failed and whose failure menu was never
    /// answered: the session ended (EOF, abort, a crash) while it was
    /// asked, or another branch's question came first.
    public var awaitingChoices: [String] = []
    public var awaitingChoice: String? { awaitingChoices.last }
    public func isInterrupted(_ key: String) -> Bool { interruptedSteps.contains(key) }
    public func isAwaitingChoice(_ key: String) -> Bool { awaitingChoices.contains(key) }
    mutating func setInterrupted(_ key: String, _ on: Bool) {
        interruptedSteps.removeAll { $0 == key }
        if on { interruptedSteps.append(key) }
    }
    mutating func setAwaiting(_ key: String, _ on: Bool) {
        awaitingChoices.removeAll { $0 == key }
        if on { awaitingChoices.append(key) }
    }
    /// Steps whose failure menu (or interrupted-step question) was
    /// answered `r` and whose next attempt has not started yet.
    public var retryChosen: Set<String> = []
    /// When each step's last failed attempt ended, as the journal's `t`:
    /// an automatic retry waits `retry_delay` from then.
    public var failedAt: [String: Double] = [:]
    /// Steps whose last attempt the operator stopped (Ctrl-C, then `s`):
    /// its failure goes to the menu, never to a retry unasked.
    public var operatorStopped: Set<String> = []
    /// The CI pipeline a `ci` step started (the latest of the attempt
    /// wins), from `pipeline_started`'s `pipeline` field; or, in journals
    /// of releases before that field, the provider's id in `value` and a
    /// builder id in `item`, read by the step's provider (MusterCI).
    public var pipelines: [String: PipelineRef] = [:]
    public var legacyPipelines: [String: (value: String, item: Int?)] = [:]
    /// A `ci` step's trigger journaled (`pipeline_triggering`) and never
    /// answered by `pipeline_started` or `pipeline_absent`: its token, and
    /// when it was journaled. A new attempt keeps it: it looks first.
    public var triggerMarks: [String: (token: PipelineRef, t: Double)] = [:]
    /// Steps whose unanswered trigger the provider showed started nothing,
    /// until the attempt triggers again.
    public var pipelineAbsent: Set<String> = []
    /// `step.name` of values journaled with a secret masked out.
    public var masked: Set<String> = []
    public var escalations: [(t: Double, contact: String)] = []
    public var rollbackStarted = false
    public var rollbackReason: String?
    /// The step at whose failure menu the operator chose `b`: the rollback
    /// is due even if the session ended before it started.
    public var rollbackChosenAt: String?
    /// The step whose rollback command started last and has not finished.
    public var rollingBack: String?
    public var rolledBack: Set<String> = []
    /// Whether each rollback command that ran to its end succeeded; a
    /// rollback not run (its command lacked a value) has no entry.
    public var rollbackResults: [String: Bool] = [:]
    /// Why Muster itself stopped a step's last attempt (a signal: its
    /// process group was stopped), by step; absent when the session died
    /// with the step running.
    public var stoppedBy: [String: String] = [:]
    /// The step that failed last: a rollback it starts offers its own rollback too.
    public var lastFailed: String?
    /// What each step's `when:` came to, once evaluated: it holds, it does
    /// not (and why), or it could not be evaluated (and why).
    public var conditions: [String: ConditionResult] = [:]
    public enum ConditionResult: Sendable, Equatable {
        case holds
        case fails(String)
        case cannot(String)
    }
    /// Breaches of guards not answered yet, in the order they came.
    public var openBreaches: [(key: String, why: String)] = []
    /// A breach answered `rollback` or `abort` (or so decided by its
    /// `on_breach`): the run ends that way once the running steps stopped.
    public var guardEnd: (answer: String, key: String, why: String)?
    /// `muster abandon` asked for the `finally` steps first: who and why.
    public var closing: (by: String, reason: String)?
    /// The items of each `for_each` step that began, as its start fixed them.
    public var loopItems: [String: [String]] = [:]
    /// Every step that finished failed, in order: the machine looks past
    /// `finally` steps for the failure that decides the run.
    public var failedOrder: [String] = []
    /// Why each failed step failed, as its end journaled it: the run's
    /// end and a rollback it starts say so in the same words.
    public var failureText: [String: String] = [:]
    public var outcome: RunEnd?
    public var paused: String?
    /// The end of a step journaled after the run paused: the terminal was
    /// lost while it ran, and the process that stayed for it wrote its
    /// attempt's end (`attempt_finished` or `step_finished`). Until the
    /// next session says it saw it.
    public var endedUnattended: JournalEvent?
    /// Drill faults fired so far, per step: a fault fires `times` times in
    /// all, across sessions.
    public var faultsFired: [String: Int] = [:]
    /// The two-person rule, per step, for the current round: when its
    /// wait began, who approved (distinct OS users, in order), and the
    /// denial that ended it.
    public var approvalAsked: [String: Double] = [:]
    public var approvedBy: [String: [String]] = [:]
    /// Each approval of the current round: the key that signed it and the
    /// request hash it names. Only those naming the request now asked, by
    /// a key other than the operator's, count (`approved`).
    public var approvals: [String: [(by: String, key: String, sha256: String?)]] = [:]
    /// SHA-256 of the request shown when the current round was asked.
    public var approvalSHA: [String: String] = [:]
    public var denied: [String: (by: String, reason: String)] = [:]
    /// Requests (approvals, denials, takeovers) already taken in, by name.
    public var takenRequests: Set<String> = []
    /// Who operates the run now: the starter's OS user, then each taker's.
    public var operatorUser: String?
    /// With a shared store: the ARN of who operates the run now.
    public var operatorIdentity: String?
    /// The key (fingerprint) the operating session signed its start,
    /// resume or takeover with: an approval by it does not count.
    public var operatorKey: String?
    public var handoffs: [(t: Double, from: String, to: String, reason: String?)] = []

    /// How an attempt the operator stopped ends its `text`.
    public static let stoppedByOperator = "stopped by the operator"

    public init() {}

    /// Whether the step's approval is complete: enough distinct people, no denial.
    public func approved(_ key: String, _ rule: Approval) -> Bool {
        denied[key] == nil && approvalAsked[key] != nil && approvers(key).count >= rule.count
    }

    /// Who the counting approvals are, by name, in order.
    public func approverNames(_ key: String) -> [String] {
        let counting = approvers(key)
        return counting.compactMap { k in approvals[key]?.first { $0.key == k }?.by }
    }

    /// The distinct keys whose approval counts now: one key is one person,
    /// and the operator (who may have taken the run over since approving)
    /// is never one of them.
    public func approvers(_ key: String) -> [String] {
        var seen: [String] = []
        for a in approvals[key] ?? [] where a.key != operatorKey && (a.sha256 == nil || a.sha256 == approvalSHA[key]) && !seen.contains(a.key) {
            seen.append(a.key)
        }
        return seen
    }

    public init(replaying events: [JournalEvent]) {
        for e in events { apply(e) }
    }

    public mutating func apply(_ e: JournalEvent) {
        lastSeq = max(lastSeq, e.seq)
        // A hand-edited `t` must not break the clock arithmetic.
        if let t = e.clock { lastT = max(lastT, t) }
        let key = e.step ?? ""
        switch e.payload {
        case .runStarted(let run, let proof):
            info = run
            operatorUser = run?.osUser
            operatorIdentity = run?.identity
            operatorKey = proof.key
        case .runResumed(_, _, let proof):
            if let signer = proof.key { operatorKey = signer }
            paused = nil
            endedUnattended = nil
        case .stepStarted(_, let attempt, let items):
            started.insert(key)
            if let items { loopItems[key] = items }
            // An automated step's start carries its first attempt.
            if let a = attempt {
                attempts[key] = max(attempts[key] ?? 0, a)
                attemptBegan(key)
            }
        case .itemAnswered(let item, _, let isNote, _, _):
            // Early journals wrote notes as answers: they answer nothing.
            if let i = item, !isNote { answeredItems[key, default: []].insert(i) }
        case .answered(let name, let value, let secret):
            if let n = name, let v = value { values[key, default: [:]][n] = v }
            if let n = name, secret { masked.insert(key + "." + n) }
        case .decided(let name, let option, _, _, _):
            if let n = name, let v = option { values[key, default: [:]][n] = v }
        case .gateAnswered(let answer, _, _):
            if answer == .run { gatesPassed.insert(key) }
        case .attemptStarted(let attempt):
            attempts[key] = max(attempts[key] ?? 0, attempt)
            attemptBegan(key)
            setAwaiting(key, false)
        case .attemptFinished(let end):
            if paused != nil { endedUnattended = e }
            // An attempt stopped by a signal is treated as one that was
            // running, except that nothing of it runs any more.
            guard !end.interrupted else {
                stoppedBy[key] = end.problem ?? "stopped"
                break
            }
            setInterrupted(key, false)
            if end.failed {
                setAwaiting(key, true)
                failedAt[key] = e.clock
            }
            if end.problem?.hasSuffix(RunState.stoppedByOperator) == true { operatorStopped.insert(key) }
        case .stepFinished(let end):
            if paused != nil, end.attempt != nil { endedUnattended = e }
            finished[key] = end.outcome
            if end.outcome == .failed {
                lastFailed = key
                failedOrder.append(key)
                failureText[key] = end.text
            }
            finishOrder.append(key)
            if !end.outputs.isEmpty { values[key, default: [:]].merge(end.outputs) { $1 } }
            for name in end.masked { masked.insert(key + "." + name) }
            setInterrupted(key, false)
            setAwaiting(key, false)
            triggerMarks[key] = nil
            pipelineAbsent.remove(key)
        case .escalated(let contact, _, _):
            escalations.append((e.t, contact))
        case .rollbackStarted(let reason):
            // The first, without a step, starts the rollback; one per step
            // follows before each rollback command runs.
            if e.step == nil {
                rollbackStarted = true
                rollbackReason = reason
            } else {
                rollingBack = key
            }
        case .rollbackFinished(let end):
            rolledBack.insert(key)
            if let succeeded = end.succeeded { rollbackResults[key] = succeeded }
            if rollingBack == key { rollingBack = nil }
        case .runPaused(let why):
            paused = why
        case .runFinished(let end, _):
            outcome = end
        case .runAbandoned:
            outcome = .abandoned
            paused = nil
        case .pipelineStarted(let pipeline, _, let legacy):
            if let p = pipeline {
                pipelines[key] = p
                legacyPipelines[key] = nil
            } else if let legacy {
                legacyPipelines[key] = (legacy.id, legacy.item)
            }
            triggerMarks[key] = nil
        case .pipelineTriggering(let token, _):
            if let p = token { triggerMarks[key] = (p, e.clock ?? lastT) }
            pipelineAbsent.remove(key)
        case .pipelineAbsent:
            triggerMarks[key] = nil
            pipelineAbsent.insert(key)
        case .pipelineCancelled, .note:
            break
        case .faultInjected:
            faultsFired[key, default: 0] += 1
        case .failureChoice(let choice, _):
            if choice == .rollback { rollbackChosenAt = key }
            if choice == .retry { retryChosen.insert(key) }
        case .approvalRequested(let sha256, let shown, _, _):
            approvalAsked[key] = e.clock ?? lastT
            approvedBy[key] = []
            approvals[key] = []
            approvalSHA[key] = sha256 ?? SignedStatement.digest(shown ?? "")
            denied[key] = nil
            setAwaiting(key, false)
        case .approvalGiven(let a):
            if let r = a.request { takenRequests.insert(r) }
            if !(approvals[key] ?? []).contains(where: { $0.key == a.signer }) {
                approvals[key, default: []].append((a.by ?? "someone", a.signer, a.proof.statement.flatMap(SignedStatement.parse)?.sha256))
                if let by = a.by { approvedBy[key, default: []].append(by) }
            }
        case .approvalDenied(let a, let reason):
            if let r = a.request { takenRequests.insert(r) }
            denied[key] = (a.by ?? "someone", reason)
            // Denied: the step failed before it ran, and the usual failure choices follow.
            setAwaiting(key, true)
            retryChosen.remove(key)
        case .handoff(let h):
            if let r = h.request { takenRequests.insert(r) }
            handoffs.append((e.clock ?? lastT, operatorUser ?? info?.operatorName ?? "", h.by ?? "", h.reason))
            operatorUser = h.osUser ?? h.by
            operatorIdentity = h.identity
            operatorKey = h.proof.key
        case .runUnshared(let why):
            unshared = why
        case .runShared:
            unshared = nil
        case .conditionChecked(let check):
            conditions[key] = check.result
            retryChosen.remove(key)
        case .runClosing(let by, let why):
            closing = (by, why)
        case .guardBreached(let guardKey, let why):
            if !openBreaches.contains(where: { $0.key == guardKey }) { openBreaches.append((guardKey, why)) }
        case .guardAnswered(let guardKey, let answer, let text, _):
            let why = openBreaches.first { $0.key == guardKey }?.why ?? text ?? "breached"
            openBreaches.removeAll { $0.key == guardKey }
            if let a = answer, a != "continue", guardEnd == nil { guardEnd = (a, guardKey, why) }
        }
    }

    /// A new attempt of `key` began: what the last one left is forgotten.
    private mutating func attemptBegan(_ key: String) {
        stoppedBy[key] = nil
        setInterrupted(key, true)
        pipelines[key] = nil
        legacyPipelines[key] = nil
        pipelineAbsent.remove(key)
        retryChosen.remove(key)
        operatorStopped.remove(key)
    }
}
