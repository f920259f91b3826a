import MusterBasics
import MusterFormat

/// What one attempt of an automated step came to, as a performer reports
/// it; the executor journals it and the machine decides what follows.
package struct Attempt {
    package var ok: Bool
    package var status: Int32
    package var seconds: Double
    /// The HTTP status of the reply, for `http` steps and HTTP waits
    /// that got one: journaled as `status`, never as an exit status.
    package var httpStatus: Int?
    package var timedOut = false
    /// The signal that stopped it and pauses the run.
    package var signal: Signal?
    /// The operator stopped it (Ctrl-C, then s).
    package var stopped = false
    package var stdout = ""
    package var outputs: [String: String] = [:]
    package var tail: [String] = []
    package var problem: String?
    /// A rehearsal: confirmed by the operator, nothing ran.
    package var rehearsed = false
    /// The operator skipped the step at the rehearsal prompt.
    package var skipped: String?
    /// Processes its command left running: kept or stopped.
    package var leftovers: [JournalEvent.Leftover] = []
    /// A `ci` step's pipeline was started and journaled; the attempt
    /// goes on as the machine's `follow`.
    package var triggered = false

    package init(ok: Bool, status: Int32, seconds: Double, httpStatus: Int? = nil, timedOut: Bool = false, signal: Signal? = nil, stopped: Bool = false,
                 stdout: String = "", tail: [String] = [], problem: String? = nil, rehearsed: Bool = false, skipped: String? = nil, triggered: Bool = false) {
        self.ok = ok
        self.status = status
        self.seconds = seconds
        self.httpStatus = httpStatus
        self.timedOut = timedOut
        self.signal = signal
        self.stopped = stopped
        self.stdout = stdout
        self.tail = tail
        self.problem = problem
        self.rehearsed = rehearsed
        self.skipped = skipped
        self.triggered = triggered
    }

    /// Attempt `n`'s end as the journal holds it: exit status or HTTP
    /// status, duration to the millisecond, and what it printed last.
    package func facts(attempt n: Int) -> JournalEvent.AttemptFacts {
        JournalEvent.AttemptFacts(attempt: n, exit: httpStatus == nil ? Int(status) : nil, status: httpStatus, seconds: (seconds * 1000).rounded() / 1000,
                                  timedOut: timedOut, tail: tail, leftovers: leftovers)
    }

    /// Fills the `outputs` an automated step declares from what it printed
    /// (a command's stdout, a reply's body); one missing fails the attempt.
    mutating func capture(_ outputs: [Output], from: String, what: String) {
        guard ok, !outputs.isEmpty else { return }
        let (found, missing, gaveUp) = OutputCapture.capture(outputs, stdout: from)
        self.outputs = found
        if !missing.isEmpty {
            ok = false
            problem = gaveUp.map { "succeeded, but \($0)" }
                ?? "succeeded, but its \(what) has no value for \(missing.map { "'\($0)'" }.joined(separator: ", ")) (see 'outputs')"
        }
    }
}

/// Why a session stops short of the machine's next action.
package enum Stop: Error {
    case pause(String)
    case fail(String)
    /// The journal cannot be written: stop at once and write nothing more.
    case journal(String)
    /// The operator answered `s` to the Ctrl-C question while a wait,
    /// http or ci step waited: its attempt ends "stopped by the
    /// operator" (see `stoppable`); it never leaves the attempt.
    case stepStopped
    /// A guard's breach arrived while a question waited: the question is
    /// left unanswered and the machine asks about the breach first.
    case breach
}

/// What a signal means while a step waits.
package enum SignalVerdict { case keepWaiting, stopStep, pause(Signal) }
