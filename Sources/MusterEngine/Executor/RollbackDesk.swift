import MusterBasics
import MusterFormat

/// Rolling back: the machine decides that the run rolls back, which steps
/// are undone in what order, whether to ask first and how it ends; the
/// executor lists, asks and runs the rollback commands with the values and
/// environment each step ran with in this session.
extension Executor {
    /// The rollback begins: journaled first, so a crash from here on resumes
    /// it. `unfinished`: the step at whose failure menu `b` was answered in
    /// a session that ended before journaling its end.
    func beginRollback(reason: String, unfinished: String?) throws(Stop) {
        if let key = unfinished {
            try record(.stepFinished, step: key) { $0.stepOutcome = .failed }
            try restore(promptMasked: false)
        }
        try record(.rollbackStarted) { $0.text = reason }
    }

    /// On a terminal, the list of what will be undone, then a question: a
    /// healthy, promoted standby must not be undone unasked. It offers the
    /// failing step's own rollback for the part it did.
    func confirmRollback() throws(Stop) {
        let reason = machine.rollbackReason(state)
        let plan = machine.undo(state, offerOwn: true).compactMap { rollbackCommand($0, explain: true) }
        guard !plan.isEmpty else { return }
        console.show(.info("these steps will be undone, newest first:"))
        for (i, r) in plan.enumerated() {
            let own = r.key == state.lastFailed && state.finished[r.key] == .failed
            console.show(.info("\(i + 1). \(r.key)" + (own ? " (the step that failed: its own rollback, for what it did before failing)" : "")))
            console.show(.command(masker.mask(r.command.shellDisplay(r.values))))
        }
        switch try answer(.rollbackConfirmation, "Roll back these \(plan.count) step\(plan.count == 1 ? "" : "s")?", step: state.lastFailed ?? "", as: RollbackReply.self) {
        case .rollBack: break
        case .pause: throw .pause("operator paused before rolling back (\(reason))")
        }
    }

    /// Says once a session that the run is rolling back, and why.
    func announceRollback() {
        guard !rollbackShown else { return }
        rollbackShown = true
        console.show(.warning("rolling back: \(machine.rollbackReason(state))"))
    }

    /// The run's end after its rollback, journaled with why it rolled back.
    func finishRollback(_ end: RunEnd) throws(Stop) -> RunOutcome {
        announceRollback()
        let reason = machine.rollbackReason(state)
        let failures = state.rollbackResults.values.filter { !$0 }.count
        try record(.runFinished) { $0.runEnd = end; $0.text = reason }
        notify(failures == 0 ? "run rolled back: \(reason)" : "run rolled back with \(failures) failed rollback command(s): \(reason)")
        console.show(.runResult(outcome: failures == 0 ? "rolled back" : "rolled back with \(failures) failed rollback command\(failures == 1 ? "" : "s")", elapsed: elapsed, runID: setup.runID, resumeHint: false))
        return .failed("rolled back: \(reason)")
    }

    /// The rollback command of step `key` with what it needs, or nil when
    /// it cannot run: the step that failed may have failed before it set a
    /// value its rollback needs (`explain` says which, once, in the list).
    func rollbackCommand(_ key: String, explain: Bool) -> Rollback? {
        guard key == state.lastFailed, state.finished[key] == .failed else { return rollbacks.last { $0.key == key } }
        guard let own = failedStepRollback, own.key == key else { return nil }
        let missing = own.command.references.map(\.name).filter { own.values[$0] == nil }
        if missing.isEmpty { return own }
        if explain {
            console.show(.info("'\(own.key)' failed before it set \(missing.map { "{{ \($0) }}" }.joined(separator: ", ")), which its rollback needs; undo what it did by hand"))
        }
        return nil
    }

    /// One step's rollback command, journaled before it runs and after; one
    /// that cannot run is journaled as not run, so the machine goes on.
    func rollBackStep(_ key: String) throws(Stop) {
        // Asked once a session, at its first rollback command, if the
        // machine says so.
        if !rollbackShown {
            announceRollback()
            if machine.asksBeforeRollingBack(state) { try confirmRollback() }
        }
        guard let r = rollbackCommand(key, explain: false) else {
            try record(.rollbackFinished, step: key) { $0.text = "not run: undo what it did by hand" }
            return
        }
        console.show(.info("rollback of '\(r.key)'"))
        if state.rollingBack == r.key {
            console.show(.warning("the rollback of '\(r.key)' was running when the last session ended; it runs again"))
        }
        try record(.rollbackStarted, step: r.key)
        let auto = Automation(timeout: Automation.defaultTimeout, retries: 0, retryDelay: 0, expect: nil, confirm: false, onFailure: nil, idempotent: false, rollback: nil, outputs: [])
        let result = try shells.run(r.command, values: r.values, key: r.key, automation: auto, timeout: Double(Automation.defaultTimeout), env: r.env)
        if let sig = result.signal { throw .pause("\(signalName(sig)) during the rollback of '\(r.key)'") }
        try record(.rollbackFinished, step: r.key) { e in
            e.exit = Int(result.status)
            e.seconds = (result.seconds * 1000).rounded() / 1000
            e.timedOut = result.timedOut ? true : nil
        }
        if result.ok {
            console.show(.stepResult(.rolledBack, seconds: result.seconds, detail: nil))
        } else {
            console.show(.stepResult(.rollbackFailed, seconds: result.seconds, detail: masker.mask(result.problem ?? "failed") + "; finish it by hand"))
        }
    }
}
