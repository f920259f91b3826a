import MusterBasics
import MusterFormat

/// A lost terminal (SIGHUP: the tmux session or the SSH connection went
/// away) while a `run` step works stops nothing. The step runs in a session
/// of its own, so the hang-up never reaches it, and this process stays,
/// without a terminal, only to journal the step's end; the interactive
/// session ends (exit 3) once that end is journaled.
///
/// Why this process itself is the keeper, rather than a new process
/// (`muster _keep`) that it hands the step to: only a parent can wait for a
/// process and learn its exit status, and the step's output (its `outputs`,
/// its tail) comes through pipes only this process holds. Another keeper
/// would need every step started differently (a wrapper writing its status
/// to a file) for the rare hang-up; forking is no way out either, as a
/// forked copy of a process with threads may not run Swift. Staying costs
/// nothing the journal needs: the same executor appends the end through the
/// same path (masking, the hash chain, the shared store), from the same state.
/// What it gives up is the session lock, so `resume` and `takeover` can
/// start at once; the step lock it holds instead (the CLI's `StepKeeper`)
/// makes them wait for the end before they read the journal.
package final class StepKeeping {
    unowned let host: RunHost
    /// Hands the `run` step at work over to this process alone: true once
    /// the session lock is released and the step lock held. Nil where
    /// nobody can (tests): the step is stopped as for SIGTERM.
    var keepStep: ((_ step: String) -> Bool)?
    /// The step this process stays for, after the terminal was lost: it
    /// journals that step's end, and nothing after it.
    private(set) var keeping: String?
    var isKeeping: Bool { keeping != nil }

    init(host: RunHost) { self.host = host }

    /// On a hang-up during `key`: journals the pause ("terminal lost"),
    /// hands the run over to this process alone (`keepStep`), and tells
    /// the chat. False when that cannot be done: the step is then stopped,
    /// as for SIGTERM.
    func keep(_ key: String) -> Bool {
        if keeping != nil { return true }
        guard let keepStep else { return false }
        do {
            try host.record(.runPaused(why: "terminal lost (SIGHUP) during '\(key)'; the step goes on, and its end is journaled"), step: nil)
        } catch {
            return false
        }
        host.console.show(.warning("terminal lost: '\(key)' goes on; this process stays only to journal its end (`muster resume \(host.setup.runID)` re-attaches)"))
        guard keepStep(key) else { return false }
        keeping = key
        host.notify("terminal lost (SIGHUP) during '\(key)': the step goes on and its end will be journaled; `muster resume \(host.setup.runID)` continues the run")
        return true
    }

    /// Once the kept step's end is journaled, the session ends there, paused:
    /// what comes next is for whoever resumes.
    func end(_ key: String, _ result: Attempt) throws(Stop) {
        guard keeping == key else { return }
        let how = result.ok ? "done (exit status \(result.status))" : "failed: \(result.problem ?? "exit status \(result.status)")"
        throw .pause("terminal lost (SIGHUP) during '\(key)'; it ended with nobody attached: \(how)")
    }
}
