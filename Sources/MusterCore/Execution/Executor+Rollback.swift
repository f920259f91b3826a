/// Rolling back: the rollback commands of completed steps, newest first.
extension Executor {
    /// Runs the rollback commands of completed steps, newest first. On a
    /// terminal it lists them and asks first (a healthy, promoted standby
    /// must not be undone unasked), offering the failing step's own rollback
    /// for the part it did; `--yes` rolls back the completed steps unasked.
    func rollBack(reason: String) throws(Stop) {
        if !state.rollbackStarted { try record(.rollbackStarted) { $0.text = reason } }
        console.show(.warning("rolling back: \(reason)"))
        // Which steps and in what order is the machine's; the commands with
        // the values and environment each step ran with are this session's.
        var plan: [Rollback] = []
        for key in machine.undo(state, offerOwn: !setup.yes) {
            if key == state.lastFailed, state.finished[key] == .failed {
                guard let own = failedStepRollback, own.key == key else { continue }
                let missing = own.command.references.map(\.name).filter { own.values[$0] == nil }
                if missing.isEmpty {
                    plan.append(own)
                } else {
                    console.show(.info("'\(own.key)' failed before it set \(missing.map { "{{ \($0) }}" }.joined(separator: ", ")), which its rollback needs; undo what it did by hand"))
                }
            } else if let r = rollbacks.last(where: { $0.key == key }) {
                plan.append(r)
            }
        }
        // Asked only before the first rollback command runs: a resumed
        // rollback goes on where it stopped.
        if !setup.yes, !plan.isEmpty, state.rolledBack.isEmpty, state.rollingBack == nil {
            console.show(.info("these steps will be undone, newest first:"))
            for (i, r) in plan.enumerated() {
                let own = r.key == state.lastFailed && state.finished[r.key] == .failed
                console.show(.info("\(i + 1). \(r.key)" + (own ? " (the step that failed: its own rollback, for what it did before failing)" : "")))
                console.show(.command(masker.mask(r.command.shellDisplay(r.values))))
            }
            switch try answer(.rollbackConfirmation, "Roll back these \(plan.count) step\(plan.count == 1 ? "" : "s")?", step: state.lastFailed ?? "") {
            case .yes: break
            case .abort: throw .pause("operator paused before rolling back (\(reason))")
            case .skip, .note, .escalate, .retry, .doneByHand, .rollBack, .stopStep, .keepWaiting:
                preconditionFailure("not an answer to a rollback's list")
            }
        }
        var failures = 0
        for r in plan {
            console.show(.info("rollback of '\(r.key)'"))
            if state.rollingBack == r.key {
                console.show(.warning("the rollback of '\(r.key)' was running when the last session ended; it runs again"))
            }
            try record(.rollbackStarted, step: r.key)
            let auto = Automation(timeout: Automation.defaultTimeout, retries: 0, retryDelay: 0, expect: nil, confirm: false, onFailure: nil, idempotent: false, rollback: nil, outputs: [])
            let result = try shell(r.command, values: r.values, key: r.key, automation: auto, timeout: Double(Automation.defaultTimeout), env: r.env)
            if let sig = result.signal { throw .pause("\(signalName(sig)) during the rollback of '\(r.key)'") }
            try record(.rollbackFinished, step: r.key) { $0.exit = Int(result.status); $0.seconds = (result.seconds * 1000).rounded() / 1000 }
            if result.ok {
                console.show(.stepResult(.rolledBack, seconds: result.seconds, detail: nil))
            } else {
                failures += 1
                console.show(.stepResult(.rollbackFailed, seconds: result.seconds, detail: masker.mask(result.problem ?? "failed") + "; finish it by hand"))
            }
        }
        let end: RunEnd = failures == 0 ? .rolledBack : .rollbackIncomplete
        try record(.runFinished) { $0.runEnd = end; $0.text = reason }
        notify(failures == 0 ? "run rolled back: \(reason)" : "run rolled back with \(failures) failed rollback command(s): \(reason)")
        console.show(.runResult(outcome: failures == 0 ? "rolled back" : "rolled back with \(failures) failed rollback command\(failures == 1 ? "" : "s")", elapsed: elapsed, runID: setup.runID, resumeHint: false))
    }
}
