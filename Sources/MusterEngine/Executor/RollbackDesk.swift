import MusterBasics
import MusterFormat

/// Rolling back: the machine decides that the run rolls back, which steps
/// are undone in what order, whether to ask first and how it ends; the desk
/// lists, asks and runs the rollback commands with the values and
/// environment each step ran with in this session.
package final class RollbackDesk {
    unowned let host: RunHost
    /// What the rollback commands need.
    var book = RollbackBook()
    /// This session said the run is rolling back (once).
    var shown = false

    init(host: RunHost) { self.host = host }

    var state: RunState { host.state }
    var machine: RunMachine { host.machine }
    var console: RunConsole { host.console }

    /// The rollback begins: journaled first, so a crash from here on resumes
    /// it. `unfinished`: the step at whose failure menu `b` was answered in
    /// a session that ended before journaling its end.
    func begin(reason: String, unfinished: String?, restore: () throws(Stop) -> Void) throws(Stop) {
        if let key = unfinished {
            try host.record(.stepFinished(.init(.failed)), step: key)
            try restore()
        }
        try host.record(.rollbackStarted(reason: reason), step: nil)
    }

    /// On a terminal, the list of what will be undone, then a question: a
    /// healthy, promoted standby must not be undone unasked. It offers the
    /// failing step's own rollback for the part it did.
    func confirm() throws(Stop) {
        let reason = machine.rollbackReason(state)
        let plan = machine.undo(state, offerOwn: true).compactMap { command($0, explain: true) }
        guard !plan.isEmpty else { return }
        console.show(.info("these steps will be undone, newest first:"))
        for (i, r) in plan.enumerated() {
            let own = r.key == state.lastFailed && state.finished[r.key] == .failed
            console.show(.info("\(i + 1). \(r.key)" + (own ? " (the step that failed: its own rollback, for what it did before failing)" : "")))
            console.show(.command(host.masker.mask(r.command.shellDisplay(r.values))))
        }
        switch try host.answer(.rollbackConfirmation, "Roll back these \(plan.count) step\(plan.count == 1 ? "" : "s")?", step: state.lastFailed ?? "", as: RollbackReply.self) {
        case .rollBack: break
        case .pause: throw .pause("operator paused before rolling back (\(reason))")
        }
    }

    /// Says once a session that the run is rolling back, and why.
    func announce() {
        guard !shown else { return }
        shown = true
        console.show(.warning("rolling back: \(machine.rollbackReason(state))"))
    }

    /// The run's end after its rollback, journaled with why it rolled back.
    func finish(_ end: RunEnd) throws(Stop) -> RunOutcome {
        announce()
        let reason = machine.rollbackReason(state)
        let failures = state.rollbackResults.values.filter { !$0 }.count
        try host.record(.runFinished(end, why: reason), step: nil)
        host.notify(failures == 0 ? "run rolled back: \(reason)" : "run rolled back with \(failures) failed rollback command(s): \(reason)")
        console.show(.runResult(outcome: failures == 0 ? "rolled back" : "rolled back with \(failures) failed rollback command\(failures == 1 ? "" : "s")", elapsed: host.elapsed, runID: host.setup.runID, resumeHint: false))
        return .failed("rolled back: \(reason)")
    }

    /// Step `key`'s rollback command, or nil when it cannot run (`explain`
    /// says why, once, in the list).
    func command(_ key: String, explain: Bool) -> RollbackBook.Entry? {
        let (entry, missing) = book.command(key, state)
        if explain, !missing.isEmpty {
            console.show(.info("'\(key)' failed before it set \(missing.map { "{{ \($0) }}" }.joined(separator: ", ")), which its rollback needs; undo what it did by hand"))
        }
        return entry
    }

    /// One step's rollback command, journaled before it runs and after; one
    /// that cannot run is journaled as not run, so the machine goes on.
    func step(_ key: String) throws(Stop) {
        // Asked once a session, at its first rollback command, if the
        // machine says so.
        if !shown {
            announce()
            if machine.asksBeforeRollingBack(state) { try confirm() }
        }
        guard let r = command(key, explain: false) else {
            try host.record(.rollbackFinished(.init(text: "not run: undo what it did by hand")), step: key)
            return
        }
        console.show(.info("rollback of '\(r.key)'"))
        if state.rollingBack == r.key {
            console.show(.warning("the rollback of '\(r.key)' was running when the last session ended; it runs again"))
        }
        try host.record(.rollbackStarted(reason: nil), step: r.key)
        let auto = Automation(timeout: Automation.defaultTimeout, retries: 0, retryDelay: 0, expect: nil, confirm: false, onFailure: nil, idempotent: false, rollback: nil, outputs: [])
        // A host step's rollback runs on its host.
        let result: Attempt
        switch host.remote(of: r.key, values: r.values) {
        case .success(let remote):
            result = try host.shells.run(r.command, values: r.values, key: r.key, automation: auto, timeout: Double(Automation.defaultTimeout), env: r.env, remote: remote)
        case .failure(let why):
            result = Attempt(ok: false, status: 1, seconds: 0, problem: why.message)
        }
        if let sig = result.signal { throw .pause("\(host.signalName(sig)) during the rollback of '\(r.key)'") }
        try host.record(.rollbackFinished(.init(exit: Int(result.status), seconds: (result.seconds * 1000).rounded() / 1000, timedOut: result.timedOut)), step: r.key)
        if result.ok {
            console.show(.stepResult(.rolledBack, seconds: result.seconds, detail: nil))
        } else {
            console.show(.stepResult(.rollbackFailed, seconds: result.seconds, detail: host.masker.mask(result.problem ?? "failed") + "; finish it by hand"))
        }
    }
}
