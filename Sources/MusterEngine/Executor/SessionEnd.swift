import MusterBasics
import MusterFormat

/// How a session that stopped short of the run's end says so: what it
/// journals (`run_paused`, or `run_finished` for a failure that is not a
/// step's), what it tells the chat, the result line and what the CLI's
/// exit code follows. Nothing is journaled once the run is another
/// machine's, or when its journal cannot be written.
struct SessionEnd {
    var paused: String?
    var failed: String?
    var notify: String?
    var result: String
    var resumeHint: Bool
    var after: String?
    var outcome: RunOutcome

    init(_ stop: Stop, runID: String, handingOver: TeamRequest?, takenOverElsewhere: JournalEvent?, started: Bool, rollingBack: Bool) {
        let follow = "This session stops here; `muster follow \(runID)` shows the run as it goes on."
        switch stop {
        case .pause(let why):
            paused = why
            outcome = .paused(why)
            if let r = handingOver {
                result = "handed over to " + r.who + (r.host.map { " on \($0)" } ?? "") + (r.reason.map { " (\($0))" } ?? "")
                resumeHint = false
                after = follow
            } else {
                notify = "run paused: \(why)"
                result = (rollingBack ? "paused during rollback: " : "paused: ") + why
                resumeHint = true
            }
        case .fail(let why):
            failed = why
            notify = "run failed: \(why)"
            result = "failed: \(why)"
            resumeHint = false
            outcome = .failed(why)
        case .journal(let why):
            resumeHint = false
            outcome = .paused(why)
            if let h = takenOverElsewhere, h.event == .runStarted {
                result = "not started: another machine took its id at the same moment; nothing was run. Start it again"
                outcome = .notStarted(why)
            } else if let h = takenOverElsewhere {
                result = h.event == .handoff ? "handed over to \(h.by ?? "?")" + (h.text.map { " (\($0))" } ?? "") : "ended on another machine"
                after = follow
            } else if !started {
                // Not even the run's start is on disk: there is nothing to
                // resume, and nothing was done.
                result = "not started: its journal cannot be written; nothing was run. Make room and start it again"
                outcome = .notStarted(why)
            } else {
                result = "stopped: the journal cannot be written (see above)"
                resumeHint = true
            }
        case .stepStopped, .breach:
            let why = "stopped by the operator"
            paused = why
            result = "paused: \(why)"
            resumeHint = true
            outcome = .paused(why)
        }
    }
}
