import MusterBasics
import MusterFormat

extension Executor {
    /// One round of the wait for approval (TeamDesk); a denial fails the step.
    func awaitApproval(_ entry: FlatPlan.Entry) throws(Stop) {
        if let why = try team.awaitApproval(entry, preview: gates.approvalPreview(entry, values: templateValues(entry))) { problems[entry.key] = why }
    }

    /// Attempt `n` of an automated step, journaled before it runs (unless
    /// `following` the pipeline it started) and after. A `ci` step's
    /// attempt ends once its pipeline is started and journaled: following
    /// it is the machine's next action, as after a resume. After a failure
    /// the machine asks for the wait of `retry_delay` and the next attempt,
    /// or for the failure policy.
    func attempt(_ entry: FlatPlan.Entry, _ attempt: Int, following: Bool) throws(Stop) {
        let key = entry.key
        guard let a = entry.step.automation else { return }
        let values = templateValues(entry)
        let env = environment(entry.runbook, values)
        if !following { try journalStart(entry, attempt) }
        // One attempt, all its polls included, is measured against `expect`.
        if !following || expectWatch?.key != key {
            expectWatch = a.expect.map { ExpectWatch(key: key, expect: Double($0), since: clock.now) }
        }
        let result: Attempt
        do {
            result = try attemptOnce(entry.step, key: key, automation: a, values: values, env: env)
        } catch {
            expectWatch = nil
            throw error
        }
        // The pipeline is started and journaled: the machine follows it next.
        if result.triggered { return }
        expectWatch = nil
        try conclude(entry, attempt, result, values: values, env: env)
        if let sig = result.signal { throw .pause("\(signalName(sig)) during '\(key)'") }
    }

    /// An attempt begins: journaled before anything of it runs.
    package func journalStart(_ entry: FlatPlan.Entry, _ attempt: Int) throws(Stop) {
        let key = entry.key, step = entry.step
        if state.isInterrupted(key), let a = step.automation, a.idempotent || step.isReadOnly {
            console.show(.info("'\(key)' was running when the last session ended; it " + (a.idempotent ? "is idempotent" : "only reads (a wait or a GET)") + ", so it runs again"))
        }
        try checkSignals()
        if state.started.contains(key) {
            try record(.attemptStarted(attempt: attempt), step: key)
        } else {
            try record(.stepStarted(kind: step.kind, attempt: attempt), step: key)
        }
    }

    /// Journals what an attempt came to (the step's end when it succeeded);
    /// after a failure the machine decides on a retry or the failure policy.
    package func conclude(_ entry: FlatPlan.Entry, _ attempt: Int, _ result: Attempt, values: [String: String], env: [String: String]) throws(Stop) {
        let key = entry.key
        guard let a = entry.step.automation else { return }
        var values = values
        let facts = result.facts(attempt: attempt)
        if let reason = result.skipped {
            try record(.stepFinished(.init(.skipped, text: reason, facts: facts)), step: key)
            console.show(.stepResult(.finished(.skipped), seconds: result.seconds, detail: reason))
            return
        }
        if result.ok {
            values.merge(result.outputs) { $1 }
            self.values.add(entry.scope, result.outputs)
            let outcome: StepOutcome = result.rehearsed ? .rehearsed : .done
            // The successful attempt's end and the step's end are one event,
            // held for the next step's start (one `fsync` for both) unless
            // this process stays only to journal it (StepKeeping).
            try record(.stepFinished(.init(outcome, outputs: result.outputs, facts: facts)), step: key, held: !keeper.isKeeping)
            console.show(.stepResult(.finished(outcome), seconds: result.seconds, detail: nil))
            try keeper.end(key, result)
            // Nothing ran in a rehearsal, so there is nothing to undo.
            if let r = a.rollback, !result.rehearsed { rollback.book.done.append((key, r, values, env)) }
            return
        }
        try record(.attemptFinished(.init(facts, interrupted: result.signal != nil, problem: result.problem)), step: key)
        let why = result.problem ?? "failed"
        console.show(.stepResult(.finished(.failed), seconds: result.seconds, detail: masker.mask(why)))
        if result.signal != nil { return }
        try keeper.end(key, result)
        problems[key] = why
        // Stopped by the operator: the failure answers, not a retry unasked.
        if attempt <= a.retries, !result.stopped {
            console.show(.info("retrying in \(DurationFormat.format(a.retryDelay)) (attempt \(attempt + 1) of \(a.retries + 1))"))
        }
    }

    /// The wait before an automatic retry, until `t` (seconds since the run
    /// began), which the machine counts from the failed attempt's end: a
    /// resumed session waits only what is left, and says so.
    func retryDelay(_ entry: FlatPlan.Entry, until t: Double) throws(Stop) {
        let left = t - elapsed
        if problems[entry.key] == nil, let a = entry.step.automation {
            let next = (state.attempts[entry.key] ?? 0) + 1
            console.show(.info("'\(entry.key)' failed in the last session; retrying in \(DurationFormat.format(Int(left.rounded(.up)))) (attempt \(next) of \(a.retries + 1))"))
        }
        try pauseFor(left)
    }

    /// A step the operator marked done by hand did its work, so a later
    /// rollback undoes it, as it does on resume (`restore`).
    func registerRollbackIfDone(_ entry: FlatPlan.Entry) {
        guard state.finished[entry.key] == .done, let r = entry.step.automation?.rollback else { return }
        let values = templateValues(entry)
        rollback.book.done.append((entry.key, r, values, environment(entry.runbook, values)))
    }

    func attemptOnce(_ step: Step, key: String, automation a: Automation, values: [String: String], env: [String: String]) throws(Stop) -> Attempt {
        if let drill = setup.drill, let stood = try DrillAttempt(host: self, drill: drill).instead(step, key: key, values: values) { return stood }
        // A value that never came (its step was skipped, or marked done by
        // hand) must not reach a command as a literal `{{ name }}`.
        let missing = StepPreview.missingValues(step, values)
        if !missing.isEmpty {
            return Attempt(ok: false, status: 1, seconds: 0, problem: "cannot run: \(missing.map { "{{ \($0) }}" }.joined(separator: ", ")) has no value (the step that sets it was skipped or marked done by hand); do this step by hand and answer d NOTE, or s REASON")
        }
        // A runbook test: the fake's reply, judged as the real thing's.
        if let standIn { return standIn.reply(key, step).attempt(step, a, values: values) }
        let http = self.http.map { HTTPPerformer(host: self, http: $0) }
        switch step.body {
        case .run(let t):
            var remote: ShellPerformer.Remote?
            switch self.remote(of: key, values: values) {
            case .success(let r): remote = r
            case .failure(let why): return Attempt(ok: false, status: 1, seconds: 0, problem: why.message)
            }
            return try shells.run(t, values: values, key: key, automation: a, timeout: Double(a.timeout), env: env, keepable: true, remote: remote)
        case .wait(var w):
            w.every = setup.drill?.pollEvery(w.every) ?? w.every
            let waits = WaitPerformer(host: self, shell: shells, http: http)
            return try stoppable(key, timeout: w.timeout) { () throws(Stop) in try waits.wait(w, key: key, automation: a, values: values, env: env) }
        case .http(let h):
            guard let http else { return Attempt(ok: false, status: 1, seconds: 0, problem: "cannot run: no HTTP client is available") }
            var r = try stoppable(key, timeout: a.timeout) { () throws(Stop) in try http.check(h, values: values, timeout: Double(a.timeout)) }
            r.capture(a.outputs, from: r.stdout, what: "response")
            return r
        case .ci(let spec):
            return try stoppable(key, timeout: a.timeout) { () throws(Stop) in try pipelines.ci(spec, key: key, automation: a, values: values) }
        default:
            return Attempt(ok: true, status: 0, seconds: 0)
        }
    }

    /// Runs a wait, http or ci attempt during which Ctrl-C asks about the
    /// step (see `verdict`), as during a `run` step's command; `s` ends the
    /// attempt as stopped by the operator, wherever it was waiting.
    package func stoppable(_ key: String, timeout: Int, _ body: () throws(Stop) -> Attempt) throws(Stop) -> Attempt {
        let start = clock.now
        waitingOn = (key, start + Double(timeout))
        defer { waitingOn = nil }
        do {
            return try body()
        } catch .stepStopped {
            return Attempt(ok: false, status: 130, seconds: clock.now - start, stopped: true, problem: RunState.stoppedByOperator)
        }
    }
}
