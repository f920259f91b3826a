import MusterBasics
import MusterFormat

/// The walk over the steps: each step's values and environment, steps
/// finished in earlier sessions passed over with what they left behind,
/// and the chat webhook told of the run's milestones.
extension Executor: PipelineHost {
    /// Tells the chat (ChatNotifier); a signal that cut the post short
    /// pauses the run at the next action.
    package func notify(_ text: String) {
        guard chat != nil, http != nil else { return }
        // The chat hears of nothing the journal does not hold.
        if (try? settleJournal()) == nil { return }
        guard let chat, let http, let sig = chat.post(text, elapsed: elapsed, via: HTTPPerformer(host: self, http: http)) else { return }
        pendingSignal = pendingSignal ?? sig
    }

    package func environment(_ rb: Runbook, _ values: [String: String]) -> [String: String] {
        StepEnvironment.make(rb, values: values, base: setup.baseEnvironment, secrets: setup.secrets, runID: setup.runID)
    }

    /// What the templates of steps inside `parent` (nil: the top) see (RunValues).
    package func scope(_ parent: String?) -> [String: String] { values.scope(parent) }
    /// What the step's templates see: its scope, and a `for_each` item's name.
    package func templateValues(_ entry: FlatPlan.Entry) -> [String: String] {
        var v = values.scope(entry.scope)
        if let item = entry.item { v[item.name] = item.value }
        // The loop's own header: "Redeploy each service".
        if let each = entry.step.forEach { v[each.name] = "each " + each.name }
        return v
    }

    /// Takes in what earlier sessions left (SessionRestore).
    package func restore(promptMasked: Bool) throws(Stop) {
        let restore = SessionRestore(plan: plan, state: state, ask: { q, text throws(Stop) in try self.answer(q, question: text) },
                                     read: { text throws(Stop) in try self.read(text, hint: "one line; it is not journaled", secret: true) },
                                     environment: environment)
        rollback.book = try restore.restore(&values, promptMasked: promptMasked)
    }

    /// One session: ask the machine, perform, journal, until an action
    /// ends the run.
    func drive() throws(Stop) -> RunOutcome {
        try restore(promptMasked: !machine.rollbackDue(state))
        var outcome: RunOutcome?
        defer { guards.stop() }
        do {
            while outcome == nil {
                guards.sync()
                try guards.takeBreaches()
                try flights.land()
                // Every attempt that may run beside others starts first;
                // then the first of the rest (a question, a wait) is done.
                var rest: [RunMachine.Action] = []
                var launched = false
                machine.settle(&state)
                for action in machine.actions(state, now: elapsed, busy: flights.keys) {
                    if case .attempt(let key, let n) = action, let entry = plan[key], flights.mayFly(entry) {
                        _ = try enter(key)
                        try flights.launch(entry, n)
                        launched = true
                    } else {
                        rest.append(action)
                    }
                }
                if launched { continue }
                let action = rest.first ?? .awaitBranches
                // A step's end may be held for the next step's start, which
                // `attempt` journals before anything else of it (or, if a
                // signal, a question or an approval comes first, settles).
                if case .attempt = action {} else { try settleJournal() }
                do {
                    outcome = try perform(action)
                } catch .breach {
                    // Asked again after the breach, unanswered meanwhile.
                    continue
                }
            }
        } catch {
            flights.groundAll(after: error)
            throw error
        }
        return outcome!
    }

    /// Performs one action of the machine's and journals what came of it;
    /// the run's outcome once the action ended it. Nothing here decides
    /// what comes next: the next `next` sees the events this one wrote.
    func perform(_ action: RunMachine.Action) throws(Stop) -> RunOutcome? {
        switch action {
        case .rollBack(let reason, let unfinished):
            try rollback.begin(reason: reason, unfinished: unfinished) { () throws(Stop) in try restore(promptMasked: false) }
        case .rollBackStep(let key):
            try rollback.step(key)
        case .finish(let end) where end == .rolledBack || end == .rollbackIncomplete:
            return try rollback.finish(end)
        case .finish(.abandoned):
            // `muster abandon` ran the `finally` steps first; now it closes the run.
            let (by, reason) = state.closing ?? ("someone", "abandoned")
            try record(.runAbandoned(by: by, why: reason))
            console.show(.runResult(outcome: "abandoned", elapsed: elapsed, runID: setup.runID, resumeHint: false))
            return .completed
        case .finish(let end):
            let why = end == .failed ? machine.failedBecause(state) : nil
            try record(.runFinished(end, why: why))
            notify(why.map { "run failed: \($0)" } ?? "run \(end.rawValue)")
            console.show(.runResult(outcome: why.map { "failed: \($0)" } ?? end.rawValue, elapsed: elapsed, runID: setup.runID, resumeHint: false))
            return end == .failed ? .failed(why ?? "a step failed and the run went on") : .completed
        case .checkCondition(let key):
            let entry = try enter(key)
            try flow.checkCondition(entry, values: templateValues(entry))
        case .skip(let key, let because):
            _ = try enter(key)
            try record(.stepFinished(.init(.skipped, text: "skipped: " + because)), step: key)
            console.show(.stepResult(.finished(.skipped), seconds: 0, detail: masker.mask(because)))
        case .begin(let key):
            let entry = try enter(key)
            if let each = entry.step.forEach { return try flow.beginLoop(entry, each, values: templateValues(entry)) }
            try record(.stepStarted(kind: entry.step.kind), step: key)
            if case .runbook(let spec) = entry.step.body, entry.child == nil { throw .fail("runbook '\(spec.runbook)' was not loaded") }
        case .askItem(let key, let i):
            try ManualDesk(host: self).item(try enter(key), i)
        case .tickItem(let key, let i):
            try ManualDesk(host: self).tick(try enter(key), i)
        case .askQuestion(let key, let name):
            let entry = try enter(key)
            if let v = try ManualDesk(host: self).question(entry, name) { values.add(entry.scope, [name: v]) }
        case .decide(let key):
            let entry = try enter(key)
            values.add(entry.scope, [entry.step.id: try DecisionDesk(host: self).decide(entry)])
        case .pause(let key, let because):
            _ = try enter(key)
            throw .pause(because)
        case .finishStep(let key):
            try flow.finish(try enter(key))
        case .awaitApproval(let key):
            try awaitApproval(try enter(key))
        case .gate(let key), .passGate(let key):
            let entry = try enter(key)
            let values = templateValues(entry)
            if gates.approvalOutdated(entry, values: values) {
                try awaitApproval(entry)
            } else if case .passGate = action {
                try gates.pass(entry)
            } else {
                try gates.gate(entry, values: values)
            }
        case .resumeInterrupted(let key):
            let entry = try enter(key)
            if try FailureDesk(host: self).resumeInterrupted(key) == .finished { registerRollbackIfDone(entry) }
        case .follow(let key, let n), .trigger(let key, let n):
            try attempt(try enter(key), n, following: true)
        case .lookUp(let key, let n):
            try pipelines.lookUp(try enter(key), n)
        case .sleepUntil(let key, let t) where !flights.isEmpty:
            _ = try enter(key)
            try flights.await(until: t)
        case .sleepUntil(let key, let t):
            try retryDelay(try enter(key), until: t)
        case .awaitBranches:
            try flights.await()
        case .answerBreach(let key, let because):
            try guards.answer(key, because: because)
        case .cancel(let keys, let because):
            console.show(.warning("stopping \(keys.joined(separator: ", ")): \(because)"))
            try flights.ground(keys, because: "cancelled (\(because))", signal: nil)
        case .attempt(let key, let n):
            let entry = try enter(key)
            if gates.approvalOutdated(entry, values: templateValues(entry)) {
                try settleJournal()
                try awaitApproval(entry)
            } else {
                try attempt(entry, n, following: false)
            }
        case .onFailure(let key, let policy):
            let entry = try enter(key)
            let why = problems.removeValue(forKey: key)
            if try FailureDesk(host: self).onFailure(key, policy: policy, why: why) == .finished { registerRollbackIfDone(entry) }
        }
        return nil
    }

    /// Not a step key (ids have no space): the `finally` banner was shown.
    static let finallyBanner = "finally banner"

    /// The step the action is for, its header shown the first time this
    /// session comes to it (after those of the includes around it).
    func enter(_ key: String) throws(Stop) -> FlatPlan.Entry {
        guard let entry = plan[key] else { throw .fail("no step '\(key)' in the plan") }
        guard !shownHeaders.contains(key) else { return entry }
        if let parent = entry.parent { _ = try enter(parent) }
        shownHeaders.insert(key)
        try checkSignals()
        if entry.isFinally, entry.parent == nil, !shownHeaders.contains(Self.finallyBanner) {
            shownHeaders.insert(Self.finallyBanner)
            console.show(.info("finally: the steps that always run when a run ends, however it ended"))
        }
        index = (plan.index(of: key) ?? 0) + 1
        let values = templateValues(entry)
        let step = entry.step
        console.show(.stepHeader(index: index, total: total, number: "", kind: step.kind, title: masker.mask(step.title.expand(values)), id: key))
        checkBudget(from: key)
        if let notes = step.notes { console.show(.notes(masker.mask(notes.expand(values)))) }
        // Offered by a rollback that this step's failure starts (see `rollBack`).
        if let a = step.automation { rollback.book.ownOfFailing = a.rollback.map { (key, $0, values, environment(entry.runbook, values)) } }
        return entry
    }
}
