import MusterBasics
import MusterFormat

/// A step that failed for good, or that the last session left running:
/// the failure menu of `cli.md`, or the `on_failure` the machine hands
/// over, each answer journaled. What follows (a retry, the run's end, a
/// rollback, the next step) is the machine's next decision.
package struct FailureDesk {
    unowned let host: StepHost

    enum Choice { case retry, finished }

    /// The machine's `onFailure`: `why` is this session's problem with
    /// the step, nil when its failure came from an earlier session.
    func onFailure(_ key: String, policy: OnFailure, why problem: String?) throws(Stop) -> Choice {
        let state = host.state
        var why = "failed in an earlier session"
        if let problem {
            why = problem
        } else if case .cannot(let m)? = state.conditions[key] {
            why = m
        } else if let d = state.denied[key] {
            why = "approval denied by \(d.by): \(d.reason)"
            host.console.show(.warning("'\(key)' was denied in the last session (\(why)) and no choice was made"))
        } else {
            host.console.show(.warning("'\(key)' failed in the last session and no choice was made"))
        }
        guard policy != .ask else { return try menu(key, allowRollback: true) }
        try host.record(.stepFinished(.init(.failed, text: why)), step: key)
        if policy == .continue { host.console.show(.warning("on_failure: continue, so the run goes on")) }
        return .finished
    }

    /// A step that was running when the last session ended and that is not
    /// safe to run again unasked: `r`, `d NOTE` or `s REASON`.
    /// Under `--yes` the machine pauses the run before this is asked.
    func resumeInterrupted(_ key: String) throws(Stop) -> Choice {
        if host.machine.plan[key]?.step.kind == .ci {
            // No token journaled: a journal of a release before them, or a
            // session that ended before its trigger was sent.
            host.console.show(.warning("'\(key)' was starting its pipeline when the last session ended, and no trigger of it was journaled: if the CI shows a pipeline started for it, follow that one and answer d NOTE; r triggers a pipeline now"))
        } else if let why = host.state.stoppedBy[key] {
            host.console.show(.warning("'\(key)' was \(why) when the last session paused: Muster stopped its commands, so none of them runs now, but it may have done part of its work"))
        } else {
            host.console.show(.warning("'\(key)' was running when the last session ended: it may have done part of its work, and its commands may even still be running"))
        }
        return try menu(key, allowRollback: false)
    }

    /// The failure menu: retry, skip, mark done, escalate, abort, roll back.
    private func menu(_ key: String, allowRollback: Bool) throws(Stop) -> Choice {
        switch try host.answer(.failure(rollBack: allowRollback), "Step '\(key)' did not succeed. What now?", step: key, as: FailureReply.self) {
        case .retry:
            try host.record(.failureChoice(.retry), step: key)
            return .retry
        case .skip(let why):
            try host.record(.failureChoice(.skip, text: why), step: key)
            try host.record(.stepFinished(.init(.skipped, text: why)), step: key)
            return .finished
        case .doneByHand(let note):
            try host.record(.failureChoice(.done, text: note), step: key)
            try host.record(.stepFinished(.init(.done, text: "marked done by hand: \(note)")), step: key)
            return .finished
        case .abort:
            throw .pause("operator aborted at '\(key)'")
        case .rollBack:
            try host.record(.failureChoice(.rollback), step: key)
            try host.record(.stepFinished(.init(.failed)), step: key)
            return .finished
        }
    }
}
