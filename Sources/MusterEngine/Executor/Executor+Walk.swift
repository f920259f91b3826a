import MusterBasics
import MusterFormat

/// The walk over the steps: each step's values and environment, steps
/// finished in earlier sessions passed over with what they left behind,
/// and the chat webhook told of the run's milestones.
extension Executor {
    /// Posts a chat message (`{"text": ...}`, as Slack and compatible hooks
    /// take, escaped for them) to the runbook's webhook. A webhook that fails
    /// is reported and never stops the run.
    func notify(_ text: String) {
        guard let secret = setup.runbook.notifyWebhook, let url = setup.secrets[secret], let http else { return }
        let label = setup.drill.map { "DRILL \($0.name): \(setup.runbook.name)" } ?? setup.runbook.name
        let message = chatEscaped(masker.mask("[\(label)] \(text) (run \(setup.runID), \(formatSeconds(elapsed)) elapsed)"))
        let body = JSON.object([("text", .string(message))]).serialized()
        do {
            let reply = try HTTPPerformer(host: self, http: http).send(method: "POST", url: url, headers: [("Content-Type", "application/json")], body: body, timeout: 5)
            if !(200..<300).contains(reply.status) {
                console.show(.warning("the notification webhook answered \(reply.status); the run goes on"))
            }
        } catch {
            if let sig = error.signal {
                // The post is abandoned, but the signal still means "stop".
                pendingSignal = pendingSignal ?? sig
                console.show(.warning("the notification webhook was abandoned: \(Signal(sig).pauseText)"))
                return
            }
            console.show(.warning("the notification webhook failed (\(masker.mask(error.message))); the run goes on"))
        }
    }

    func environment(_ rb: Runbook, _ values: [String: String]) -> [String: String] {
        StepEnvironment.make(rb, values: values, base: setup.baseEnvironment, secrets: setup.secrets, runID: setup.runID)
    }

    /// What the templates of steps inside `parent` (nil: the top) see (RunValues).
    func scope(_ parent: String?) -> [String: String] { values.scope(parent) }

    /// Takes in what earlier sessions left: the values steps set (those
    /// journaled masked asked again when `promptMasked`), and the rollback
    /// commands of the steps they completed, or of the step that failed.
    func restore(promptMasked: Bool) throws(Stop) {
        // Values this session already holds in clear (a secret answered or
        // entered again before a rollback) are kept, not asked for again.
        let held = values.scopes
        values.scopes = [:]
        rollbacks = []
        // Inside an include not begun yet nothing happened, and its values
        // come from the steps before it once they have run.
        var begun: Set<String> = []
        for entry in plan.entries {
            let key = entry.key
            if let parent = entry.parent, !begun.contains(parent) { continue }
            if state.started.contains(key) { begun.insert(key) }
            var known = scope(entry.parent)
            known.merge(state.values[key] ?? [:]) { $1 }
            let asks: [Ask] = if case .manual(_, let a) = entry.step.body { a } else { [] }
            for (name, journaled) in (state.values[key] ?? [:]).sorted(by: { $0.key < $1.key }) where state.masked.contains(key + "." + name) {
                if let clear = held[entry.parent ?? ""]?[name], clear != journaled {
                    known[name] = clear
                } else if promptMasked {
                    // A secret answer is asked again with its own question,
                    // also when its step had not finished.
                    if let q = asks.first(where: { $0.name == name && $0.secret }) {
                        known[name] = try answer(q, question: q.prompt + " (asked again: the journal never holds it)")
                    } else if state.finished[key] != nil {
                        known[name] = try read("The value of {{ \(name) }} from step '\(key)' contained a secret, so the journal holds it masked. Enter it again",
                                                hint: "one line; it is not journaled", secret: true)
                    }
                }
            }
            values.set(entry.parent, known)
            guard let rollback = entry.step.automation?.rollback else { continue }
            if state.finished[key] == .done {
                rollbacks.append((key, rollback, known, environment(entry.runbook, known)))
            } else if key == state.lastFailed, state.finished[key] == .failed {
                failedStepRollback = (key, rollback, known, environment(entry.runbook, known))
            }
        }
    }

    /// One session: ask the machine, perform, journal, until an action
    /// ends the run.
    func drive() throws(Stop) -> RunOutcome {
        try restore(promptMasked: !machine.rollbackDue(state))
        var outcome: RunOutcome?
        while outcome == nil { outcome = try perform(machine.next(state, now: elapsed)) }
        return outcome!
    }

    /// Performs one action of the machine's and journals what came of it;
    /// the run's outcome once the action ended it. Nothing here decides
    /// what comes next: the next `next` sees the events this one wrote.
    func perform(_ action: RunMachine.Action) throws(Stop) -> RunOutcome? {
        switch action {
        case .rollBack(let reason, let unfinished):
            try beginRollback(reason: reason, unfinished: unfinished)
        case .rollBackStep(let key):
            try rollBackStep(key)
        case .finish(let end) where end == .rolledBack || end == .rollbackIncomplete:
            return try finishRollback(end)
        case .finish(let end):
            let why = end == .failed ? machine.failedBecause(state) : nil
            try record(.runFinished) { $0.runEnd = end; $0.text = why }
            notify(why.map { "run failed: \($0)" } ?? "run \(end.rawValue)")
            console.show(.runResult(outcome: why.map { "failed: \($0)" } ?? end.rawValue, elapsed: elapsed, runID: setup.runID, resumeHint: false))
            return end == .failed ? .failed(why ?? "a step failed and the run went on") : .completed
        case .begin(let key):
            let entry = try enter(key)
            try record(.stepStarted, step: key) { $0.text = entry.step.kind.rawValue }
            if case .runbook(let spec) = entry.step.body, entry.child == nil { throw .fail("runbook '\(spec.runbook)' was not loaded") }
        case .askItem(let key, let i):
            try askItem(try enter(key), i)
        case .askQuestion(let key, let name):
            try askQuestion(try enter(key), name)
        case .finishStep(let key):
            _ = try enter(key)
            try record(.stepFinished, step: key) { $0.stepOutcome = .done }
        case .awaitApproval(let key):
            try awaitApproval(try enter(key))
        case .gate(let key):
            let entry = try enter(key)
            if approvalOutdated(entry) { try awaitApproval(entry) } else { try gate(entry) }
        case .resumeInterrupted(let key):
            try resumeInterrupted(try enter(key))
        case .follow(let key, let n):
            try attempt(try enter(key), n, following: true)
        case .sleepUntil(let key, let t):
            try retryDelay(try enter(key), until: t)
        case .attempt(let key, let n):
            let entry = try enter(key)
            if approvalOutdated(entry) { try awaitApproval(entry) } else { try attempt(entry, n, following: false) }
        case .onFailure(let key, let policy):
            let entry = try enter(key)
            var why = "failed in an earlier session"
            if let last = lastProblem, last.key == key { why = last.why } else if let d = state.denied[key] {
                why = "approval denied by \(d.by): \(d.reason)"
                console.show(.warning("'\(key)' was denied in the last session (\(why)) and no choice was made"))
            } else {
                console.show(.warning("'\(key)' failed in the last session and no choice was made"))
            }
            lastProblem = nil
            if try afterFailure(key: key, policy: policy, why: why) == .finished { registerRollbackIfDone(entry) }
        }
        return nil
    }

    /// The step the action is for, its header shown the first time this
    /// session comes to it (after those of the includes around it).
    func enter(_ key: String) throws(Stop) -> FlatPlan.Entry {
        guard let entry = plan[key] else { throw .fail("no step '\(key)' in the plan") }
        guard !shownHeaders.contains(key) else { return entry }
        if let parent = entry.parent { _ = try enter(parent) }
        shownHeaders.insert(key)
        try checkSignals()
        index = (plan.index(of: key) ?? 0) + 1
        let values = scope(entry.parent)
        let step = entry.step
        console.show(.stepHeader(index: index, total: total, number: "", kind: step.kind, title: masker.mask(step.title.expand(values)), id: key))
        checkBudget(from: key)
        if let notes = step.notes { console.show(.notes(masker.mask(notes.expand(values)))) }
        // Offered by a rollback that this step's failure starts (see `rollBack`).
        if let a = step.automation { failedStepRollback = a.rollback.map { (key, $0, values, environment(entry.runbook, values)) } }
        return entry
    }
}
