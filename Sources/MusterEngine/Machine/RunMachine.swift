import MusterBasics
import MusterFormat

/// What to do next, decided from the plan and the run so far and nothing
/// else: no I/O, no clock, no terminal. The executor performs the action,
/// journals what came of it, and asks again; resume is the same question
/// asked of a replayed `RunState`. An answer given in another session, or
/// later by another person, is one more event folded into the state.
public struct RunMachine: Sendable {
    public enum Action: Equatable, Sendable {
        /// Begin undoing the completed steps: the rollback was chosen in an
        /// earlier session and never began. `unfinished`: the step at whose
        /// failure menu `b` was answered and whose end was never journaled.
        case rollBack(reason: String, unfinished: String?)
        /// The rollback has begun: run the rollback command of this step,
        /// the first of `undo`'s not undone yet. Once none is left, `finish`
        /// says `rolled_back`, or `rollback_incomplete` if one failed.
        case rollBackStep(String)
        /// Evaluate the step's `when:` with the values known now.
        case checkCondition(String)
        /// The step's condition is false: it is skipped, saying why.
        case skip(String, because: String)
        /// Journal the start of a checklist, group, include or loop.
        case begin(String)
        /// Ask checklist item `index` of the step.
        case askItem(String, Int)
        /// `--yes`: tick checklist item `index` for the operator, saying so.
        case tickItem(String, Int)
        /// Ask the `ask` question `name` of the step.
        case askQuestion(String, String)
        /// Ask a `decide` step's question: an option, then why.
        case decide(String)
        /// Only a person can go on from here and `--yes` answers for nobody
        /// (a decision is never automatic): the session pauses at the step.
        case pause(String, because: String)
        /// Every item and question answered, or every step of the included
        /// runbook finished: the step is done.
        case finishStep(String)
        /// Wait for the approvals `approval` asks for (the two-person rule).
        case awaitApproval(String)
        /// Ask the `confirm: true` gate.
        case gate(String)
        /// `--yes`: answer the `confirm: true` gate `run` for the operator.
        case passGate(String)
        /// The step was running when a session ended, and running it again
        /// is not safe: ask `r`/`d`/`s`.
        case resumeInterrupted(String)
        /// A `ci` step whose attempt `n` journaled its pipeline, in this
        /// session or before one ended: look at that pipeline until it is
        /// over, never start another.
        case follow(String, Int)
        /// A `ci` step journaled a trigger's token and never its answer (the
        /// session ended during the request, or it timed out or failed):
        /// as attempt `n` (a new one when it is a retry), look for the
        /// pipeline with that token. Found, it is followed; shown absent,
        /// `trigger` follows; neither, the attempt fails without triggering.
        case lookUp(String, Int)
        /// The provider showed attempt `n`'s earlier trigger started
        /// nothing: trigger again, within the same attempt.
        case trigger(String, Int)
        /// The step's last attempt failed with a retry left: wait until
        /// `t` (seconds since the run began: the attempt's end plus
        /// `retry_delay`) before the next. A session resumed during the
        /// delay waits only what is left of it.
        case sleepUntil(String, Double)
        /// Run attempt `n` of the step.
        case attempt(String, Int)
        /// The step failed and its retries are spent (or the operator
        /// stopped it): apply `on_failure`, which `--yes` turns from `ask`
        /// into `abort`.
        case onFailure(String, OnFailure)
        /// Every step finished: journal the run's end.
        case finish(RunEnd)
        /// Nothing can start until a step in flight (a branch's, a loop
        /// item's) ends: wait for one.
        case awaitBranches
        /// A branch failed under `on_failure: cancel`, or a guard's breach
        /// ends the run: stop these steps in flight, as `s` stops a step.
        case cancel([String], because: String)
        /// A guard was breached: ask continue, roll back or abort (its
        /// `on_breach`, or `--yes`, may answer for the operator).
        case answerBreach(String, because: String)
    }

    public let plan: FlatPlan
    /// `--yes`: checklist items are ticked and `confirm` gates passed, a
    /// failure with no `on_failure` aborts instead of asking, and a
    /// decision, or a step that was running when a session ended and is
    /// not safe to run again, pauses the run.
    public let yes: Bool

    static func interruptedUnderYes(_ key: String) -> String {
        "'\(key)' was running when the last session ended and is not idempotent; resume without --yes to choose r (run again), d (mark done) or s (skip)"
    }

    public init(plan: FlatPlan, yes: Bool) {
        self.plan = plan
        self.yes = yes
    }

    /// `now`: seconds since the run began, as the journal's `t` counts
    /// them; without it, every delay is over.
    public func next(_ s: RunState, now: Double = .infinity) -> Action {
        actions(s, now: now).first ?? .awaitBranches
    }

    /// Everything that may be done now, in the plan's order: one action at
    /// most per branch or loop item that may run (a step of a sequence
    /// waits for the one before it). `busy`: steps whose attempt is in
    /// flight in this session; their branches have nothing else to do
    /// until it ends. The executor starts every attempt it can run beside
    /// others, then performs the first of the rest: questions come one at
    /// a time, in the plan's order.
    public func actions(_ s: RunState, now: Double = .infinity, busy: Set<String> = []) -> [Action] {
        // Abandoned with its `finally` first: nothing else of the run goes on.
        if s.closing != nil { return closing(s, .abandoned, now: now, busy: busy) }
        // A rollback or the run's end waits for the steps in flight: on
        // the failure that ends the run, running branches finish their step.
        if !busy.isEmpty, s.rollbackStarted || s.rollbackChosenAt != nil || lastFailed(s).map({ abortsRun($0, s) }) == true {
            return cancelling(s, busy: busy) ?? [.awaitBranches]
        }
        // A breach is answered before anything new starts; one that ends
        // the run stops the running steps first, as `s` does.
        if s.rollbackStarted == false, s.closing == nil, let end = s.guardEnd {
            let because = "guard '\(end.key)' was breached: \(end.why)"
            if !busy.isEmpty { return [.cancel(busy.sorted(), because: because)] }
            if end.answer == "rollback" { return [.rollBack(reason: because, unfinished: nil)] }
            return closing(s, .failed, now: now)
        }
        if !s.rollbackStarted, let breach = s.openBreaches.first {
            return [.answerBreach(breach.key, because: breach.why)]
        }
        if s.rollbackStarted {
            if let key = undo(s, offerOwn: !yes).first { return [.rollBackStep(key)] }
            return closing(s, s.rollbackResults.values.contains(false) ? .rollbackIncomplete : .rolledBack, now: now, busy: busy)
        }
        if s.rollbackChosenAt != nil {
            let unfinished = s.rollbackChosenAt.flatMap { s.finished[$0] == nil ? $0 : nil }
            return [.rollBack(reason: rollbackReason(s), unfinished: unfinished)]
        }
        let last = lastFailed(s)
        // `on_failure: rollback` journaled the step's failure, and the
        // session ended before the rollback began.
        if let key = last, plan[key]?.step.automation?.onFailure == .rollback {
            return [.rollBack(reason: failure(key, s), unfinished: nil)]
        }
        // A step failed for good, not rolled back and not `continue`: the
        // failure aborted the run (`on_failure: abort`, or none with
        // `--yes`), also when the session ended before the run's end was
        // journaled. Deciding it from `yes` now would let a session without
        // `--yes` walk on past the step that aborted the run.
        if let key = last, abortsRun(key, s) {
            return closing(s, .failed, now: now, busy: busy)
        }
        let found = ready(plan.walk(from: s.settled, s.loopItems).lazy.filter { !$0.isFinally }, s, now: now, busy: busy)
        if !found.isEmpty { return (cancelling(s, busy: busy) ?? []) + found }
        if !busy.isEmpty { return cancelling(s, busy: busy) ?? [.awaitBranches] }
        let failed = plan.walk(from: 0, s.loopItems).contains { !$0.isFinally && s.finished[$0.key] == .failed }
        return closing(s, failed ? .failed : .completed, now: now, busy: busy)
    }

    /// Moves `s.settled` past the plan's entries that finished since it
    /// was last moved, so that each step's question costs the same at the
    /// first step and at the five-thousandth. The executor calls it before
    /// it asks; a state it was never called on is walked from the top.
    public func settle(_ s: inout RunState) {
        while s.settled < plan.entries.count {
            let key = plan.entries[s.settled].key
            guard s.finished[key] != nil || plan.underFinished(key, s.finished) else { return }
            s.settled += 1
        }
    }

    /// The run's end is decided: its `finally` steps run first, in order,
    /// however it ended; what they do does not change the end.
    func closing(_ s: RunState, _ end: RunEnd, now: Double, busy: Set<String> = []) -> [Action] {
        let found = ready(plan.walk(from: s.settled, s.loopItems).lazy.filter(\.isFinally), s, now: now, busy: busy)
        if !found.isEmpty { return found }
        return busy.isEmpty ? [.finish(end)] : [.awaitBranches]
    }

    /// The steps of `walk` that may act now, and what each needs. A step
    /// may act when its group, include or loop has begun, and, in a
    /// sequence, every step before it finished; a branch of a `parallel`
    /// step or an item of a loop may also begin beside its siblings, up
    /// to `max` (`max_parallel`) at once, unless a failure among them
    /// stops new ones from starting.
    func ready(_ walk: some Sequence<FlatPlan.Entry>, _ s: RunState, now: Double, busy: Set<String>) -> [Action] {
        var out: [Action] = []
        var firstOpen: [String: String] = [:]
        var eligible: Set<String> = []
        var active: [String: Int] = [:]
        for entry in walk where s.finished[entry.key] == nil && !plan.underFinished(entry.key, s.finished) {
            let key = entry.key
            let parent = entry.parent ?? ""
            let concurrent = entry.parent.map(isConcurrent) ?? false
            if !concurrent {
                if firstOpen[parent] == nil { firstOpen[parent] = key }
                guard firstOpen[parent] == key else { continue }
            }
            if let p = entry.parent { guard eligible.contains(p), s.started.contains(p) else { continue } }
            if concurrent, let p = entry.parent {
                let running = s.started.contains(key) || busy.contains(key) || s.conditions[key] != nil
                if !running {
                    let n = active[p] ?? activeLanes(p, s, busy)
                    guard n < laneLimit(p), !stopping(p, s) else { continue }
                    active[p] = n + 1
                }
            }
            eligible.insert(key)
            if busy.contains(key) { continue }
            if let action = next(entry, s, now: now, busy: busy) {
                out.append(action)
                // A sequence outside every branch gives one action: it
                // comes after whatever is running beside it.
                if !insideLane(key) { break }
            }
        }
        return out
    }

    /// A `parallel` step, or a loop whose items may run at once.
    func isConcurrent(_ key: String) -> Bool {
        guard let step = plan[key]?.step else { return false }
        if case .parallel = step.body { return true }
        return (step.forEach?.maxParallel ?? 1) > 1
    }

    /// Whether `key` runs inside a branch or a loop item run beside others.
    func insideLane(_ key: String) -> Bool {
        var parent = plan[key]?.parent
        while let p = parent {
            if isConcurrent(p) { return true }
            parent = plan[p]?.parent
        }
        return false
    }

    func laneLimit(_ key: String) -> Int {
        guard let step = plan[key]?.step else { return 1 }
        if case .parallel(let p) = step.body { return p.max ?? Int.max }
        return step.forEach?.maxParallel ?? 1
    }

    /// Branches (items) of `key` begun and not finished.
    func activeLanes(_ key: String, _ s: RunState, _ busy: Set<String>) -> Int {
        let lanes = plan.children(of: key).lazy.map(\.key) + plan.itemKeys(key, s.loopItems)
        return lanes.filter { s.finished[$0] == nil && (s.started.contains($0) || busy.contains($0) || s.conditions[$0] != nil) }.count
    }

    static func isInside(_ key: String, _ container: String) -> Bool {
        StepKey(key).isInside(StepKey(container))
    }

    /// Whether a failure under the `parallel` step (or loop) `key` stops
    /// new branches (items) from starting: a step failed for good and not
    /// let go on (`continue`), or a failure menu waits for its answer; for
    /// a loop, more failed items than `max_failures` allows.
    func stopping(_ key: String, _ s: RunState) -> Bool {
        if let each = plan[key]?.step.forEach {
            return plan.itemKeys(key, s.loopItems).filter { s.finished[$0] == .failed }.count > each.maxFailures
        }
        if s.failedOrder.contains(where: { Self.isInside($0, key) && s.finished[$0] == .failed && abortsRun($0, s) }) { return true }
        return s.awaitingChoices.contains { Self.isInside($0, key) && failedForGood($0, s) }
    }

    /// A step whose failure menu is due: retries spent, or stopped.
    func failedForGood(_ key: String, _ s: RunState) -> Bool {
        guard let a = plan[key]?.step.automation else { return true }
        return (s.attempts[key] ?? 0) > a.retries || s.operatorStopped.contains(key) || s.denied[key] != nil
    }

    /// Under `on_failure: cancel`, the steps in flight beside a failure.
    func cancelling(_ s: RunState, busy: Set<String>) -> [Action]? {
        for key in busy.sorted() {
            var parent = plan[key]?.parent
            while let p = parent {
                if case .parallel(let par)? = plan[p]?.step.body, par.onFailure == .cancel, stopping(p, s) {
                    let failed = s.failedOrder.last { Self.isInside($0, p) } ?? s.awaitingChoices.last { Self.isInside($0, p) } ?? p
                    let keys = busy.filter { Self.isInside($0, p) }.sorted()
                    return [.cancel(keys, because: "'\(failed)' failed and '\(p)' says on_failure: cancel")]
                }
                parent = plan[p]?.parent
            }
        }
        return nil
    }

    /// Whether step `key`, failed for good, ended the run: an automated
    /// step unless it says `continue`; a step whose condition could not be
    /// evaluated, as itself. A group or loop fails because a step in it
    /// failed and went on, so the run goes on too.
    func abortsRun(_ key: String, _ s: RunState) -> Bool {
        if let a = plan[key]?.step.automation { return a.onFailure != .continue }
        if case .cannot? = s.conditions[key] { return true }
        return false
    }

    /// The step whose failure decides the run: the last one that failed,
    /// outside `finally`, while it is still failed.
    func lastFailed(_ s: RunState) -> String? {
        guard let key = s.failedOrder.last(where: { plan[$0]?.isFinally != true }), s.finished[key] == .failed else { return nil }
        return key
    }

    /// Whether the run is rolling back, or must: the actions are then
    /// `rollBack`, `rollBackStep` and the rollback's `finish`.
    public func rollbackDue(_ s: RunState) -> Bool {
        switch next(s) {
        case .rollBack, .rollBackStep: true
        case .finish(let end): end == .rolledBack || end == .rollbackIncomplete
        default: false
        }
    }

    /// Why step `key` failed, as the run's end and a rollback say it.
    public func failure(_ key: String, _ s: RunState) -> String {
        "step '\(key)' \(s.failureText[key] ?? "failed")"
    }

    /// Why a failed run failed: the step whose failure ended it, unless the
    /// run went on past every failure (`on_failure: continue`).
    public func failedBecause(_ s: RunState) -> String? {
        if let end = s.guardEnd, end.answer == "abort" { return "guard '\(end.key)' was breached: \(end.why)" }
        // A group fails when a step in it failed and the run went on.
        guard let key = lastFailed(s), abortsRun(key, s) else { return nil }
        return failure(key, s)
    }

    /// Whether a session is asked before it runs its first rollback
    /// command: without `--yes`, while no rollback command has run (one
    /// journaled as not run, for a value it lacked, ran nothing). Once one
    /// has, a resumed rollback goes on where it stopped, unasked.
    public func asksBeforeRollingBack(_ s: RunState) -> Bool {
        !yes && s.rollbackStarted && s.rollbackResults.isEmpty && s.rollingBack == nil
    }

    /// Whether step `key`'s approval is asked for (again): never asked, or
    /// denied (`r` at the failure menu asks anew), or what approvers would
    /// sign (`sha`, the hash of the commands as they will run) changed.
    public func asksForApproval(_ key: String, _ s: RunState, sha: String) -> Bool {
        s.approvalAsked[key] == nil || s.denied[key] != nil || s.approvalSHA[key] != sha
    }

    /// A drill's scripted failure due at step `key`'s next attempt: a fault
    /// fires `times` times in all, across sessions.
    public func faultDue(_ key: String, _ s: RunState, _ drill: DrillSetup) -> DrillSetup.Fault? {
        guard let fault = drill.faults.first(where: { $0.step == key }), s.faultsFired[key, default: 0] < fault.times else { return nil }
        return fault
    }

    /// Why the run rolls back, as journaled when it began.
    public func rollbackReason(_ s: RunState) -> String {
        s.rollbackReason ?? s.rollbackChosenAt.map { "operator chose to roll back at '\($0)'" } ?? "resuming a rollback"
    }

    /// The steps a rollback undoes, newest first, those already undone left
    /// out: completed steps with a `rollback` command, and with `offerOwn`
    /// first the failed step whose failure started it, for what it did
    /// before failing.
    public func undo(_ s: RunState, offerOwn: Bool) -> [String] {
        // In the reverse order of their ends; a `for_each` step is undone
        // item by item, not as a whole.
        var keys: [String] = []
        for key in s.finishOrder.reversed() where !keys.contains(key) {
            guard s.finished[key] == .done, let entry = plan[key], entry.step.forEach == nil, entry.step.automation?.rollback != nil else { continue }
            keys.append(key)
        }
        if offerOwn, let own = s.lastFailed, s.finished[own] == .failed, plan[own]?.step.automation?.rollback != nil {
            keys.insert(own, at: 0)
        }
        return keys.filter { !s.rolledBack.contains($0) }
    }

    /// What the unfinished step `entry` needs; nil when only its included
    /// steps have something left to do.
    func next(_ entry: FlatPlan.Entry, _ s: RunState, now: Double = .infinity, busy: Set<String> = []) -> Action? {
        let key = entry.key
        // A condition is evaluated once, before the step begins; one that
        // could not be evaluated fails the step into the usual choices,
        // and `r` evaluates it again.
        if entry.step.when != nil, !s.started.contains(key) {
            switch s.conditions[key] {
            case nil: return .checkCondition(key)
            case .fails(let because): return .skip(key, because: because)
            case .cannot:
                return s.retryChosen.contains(key) ? .checkCondition(key) : .onFailure(key, entry.step.automation?.onFailure ?? (yes ? .abort : .ask))
            case .holds: break
            }
        }
        if let each = entry.step.forEach {
            guard s.started.contains(key) else { return .begin(key) }
            // Items come next in the walk; once more have failed than the
            // loop allows, none starts and the loop ends.
            let items = plan.itemKeys(key, s.loopItems)
            let failed = items.filter { s.finished[$0] == .failed }.count
            let open = items.filter { s.finished[$0] == nil }
            // Past `max_failures`, items already running still end.
            let running = open.contains { s.started.contains($0) || busy.contains($0) || s.conditions[$0] != nil }
            return (failed <= each.maxFailures && !open.isEmpty) || running ? nil : .finishStep(key)
        }
        // `confirm: true` on a group, parallel step or include: one gate
        // before any of its steps, asked again if the session ended at it.
        if entry.step.confirmWhole, !s.gatesPassed.contains(key) { return yes ? .passGate(key) : .gate(key) }
        switch entry.step.body {
        case .runbook, .group:
            guard s.started.contains(key) else { return .begin(key) }
            let open = plan.children(of: key).contains { s.finished[$0.key] == nil }
            return open ? nil : .finishStep(key)
        case .parallel:
            guard s.started.contains(key) else { return .begin(key) }
            let open = plan.children(of: key).filter { s.finished[$0.key] == nil }
            // A failure stopped new branches: once the running ones end,
            // the step ends with those never begun left undone.
            let running = open.contains { s.started.contains($0.key) || busy.contains($0.key) || s.conditions[$0.key] != nil }
            return open.isEmpty || (stopping(key, s) && !running) ? .finishStep(key) : nil
        case .manual(let items, let ask):
            guard s.started.contains(key) else { return .begin(key) }
            let answered = s.answeredItems[key] ?? []
            if let i = items.indices.first(where: { !answered.contains($0) }) { return yes ? .tickItem(key, i) : .askItem(key, i) }
            let known = s.values[key] ?? [:]
            if let q = ask.first(where: { known[$0.name] == nil }) { return .askQuestion(key, q.name) }
            return .finishStep(key)
        case .decide:
            guard s.started.contains(key) else { return .begin(key) }
            guard s.values[key]?[entry.step.id] == nil else { return .finishStep(key) }
            return yes ? .pause(key, because: "'\(key)' is a decision and --yes never decides; resume without --yes to decide") : .decide(key)
        case .run, .wait, .http, .ci:
            guard let a = entry.step.automation else { return .finishStep(key) }
            return automated(entry.step, key: key, a, s, now: now)
        }
    }

    func automated(_ step: Step, key: String, _ a: Automation, _ s: RunState, now: Double = .infinity) -> Action {
        let attempts = s.attempts[key] ?? 0
        let retryChosen = s.retryChosen.contains(key)
        // Approved before it is confirmed and run; a denial is a failure
        // before any attempt, and `r` asks for approval again.
        if let rule = a.approval, attempts == 0 || s.denied[key] != nil {
            if s.denied[key] != nil, !retryChosen { return .onFailure(key, a.onFailure ?? (yes ? .abort : .ask)) }
            if s.denied[key] != nil || !s.approved(key, rule) { return .awaitApproval(key) }
        }
        if a.confirm, !s.gatesPassed.contains(key) { return yes ? .passGate(key) : .gate(key) }
        if s.isInterrupted(key) {
            if step.kind == .ci, s.pipelines[key] != nil || s.legacyPipelines[key] != nil { return .follow(key, attempts) }
            if step.kind == .ci, s.triggerMarks[key] != nil { return .lookUp(key, attempts) }
            if step.kind == .ci, s.pipelineAbsent.contains(key) { return .trigger(key, attempts) }
            if !(a.idempotent || step.isReadOnly), !retryChosen {
                return yes ? .pause(key, because: Self.interruptedUnderYes(key)) : .resumeInterrupted(key)
            }
        }
        if s.isAwaitingChoice(key), !retryChosen, attempts > a.retries || s.operatorStopped.contains(key) {
            return .onFailure(key, a.onFailure ?? (yes ? .abort : .ask))
        }
        // An automatic retry waits `retry_delay` from the failed attempt's
        // end (to the journal's millisecond); `r` answered retries at once.
        if s.isAwaitingChoice(key), !retryChosen, let end = s.failedAt[key], now + 0.001 < end + Double(a.retryDelay) {
            return .sleepUntil(key, end + Double(a.retryDelay))
        }
        // Any retry of a trigger whose answer never came looks for its pipeline first.
        if step.kind == .ci, s.triggerMarks[key] != nil { return .lookUp(key, attempts + 1) }
        return .attempt(key, attempts + 1)
    }
}
