import MusterBasics
import MusterFormat

/// Rolling back: the rollback commands of completed steps, newest first,
/// one machine action (`rollBackStep`) each.
extension Executor {
    /// Begins the rollback (or goes on with the one an earlier session
    /// began), runs the rollback command of each step the machine names, and
    /// journals the run's end. On a terminal it lists them and asks first (a
    /// healthy, promoted standby must not be undone unasked), offering the
    /// failing step's own rollback for the part it did; `--yes` rolls back
    /// the completed steps unasked.
    func rollBack(reason: String) throws(Stop) {
        if !state.rollbackStarted { try record(.rollbackStarted) { $0.text = reason } }
        console.show(.warning("rolling back: \(reason)"))
        // Which steps and in what order is the machine's; the commands with
        // the values and environment each step ran with are this session's.
        let plan = machine.undo(state, offerOwn: !setup.yes).compactMap { rollbackCommand($0, explain: true) }
        // Asked only before the first rollback command runs: a resumed
        // rollback goes on where it stopped.
        if !setup.yes, !plan.isEmpty, state.rollbackResults.isEmpty, state.rollingBack == nil {
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
        while true {
            switch machine.next(state) {
            case .rollBackStep(let key):
                try rollBackStep(key)
            case .finish(let end):
                let failures = state.rollbackResults.values.filter { !$0 }.count
                try record(.runFinished) { $0.runEnd = end; $0.text = reason }
                notify(failures == 0 ? "run rolled back: \(reason)" : "run rolled back with \(failures) failed rollback command(s): \(reason)")
                console.show(.runResult(outcome: failures == 0 ? "rolled back" : "rolled back with \(failures) failed rollback command\(failures == 1 ? "" : "s")", elapsed: elapsed, runID: setup.runID, resumeHint: false))
                return
            case let other:
                throw .fail("the rollback cannot go on: the run's next action would be \(other)")
            }
        }
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
        let result = try shell(r.command, values: r.values, key: r.key, automation: auto, timeout: Double(Automation.defaultTimeout), env: r.env)
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
