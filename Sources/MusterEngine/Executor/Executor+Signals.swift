import MusterBasics
import MusterFormat

/// Signals: every action checks for one first, and what one means
/// depends on the moment (a waiting step asks, anything else pauses).
extension Executor {
    /// The one check before every action (a step, an attempt, a command, a
    /// request, a sleep, a question): a signal that arrived at any moment
    /// since the last one, whether it was noticed or not, pauses the run here.
    func checkSignals() throws(Stop) {
        if let sig = arrivedSignal() { try interruption(sig) }
        try checkTakeover()
    }

    /// What a signal means while a step waits.
    enum SignalVerdict { case keepWaiting, stopStep, pause(Int32) }

    /// The one question Ctrl-C asks while a step is at work, whatever it
    /// waits for (its command, a probe, a request, a pipeline, the sleep
    /// between polls): stop the step, or keep waiting. SIGTERM, SIGHUP,
    /// SIGQUIT, and Ctrl-C with nobody at a terminal, pause the run. Left
    /// unanswered, the question gives up at `deadline` (the step's timeout),
    /// and the step goes on to meet it.
    func verdict(_ sig: Int32, key: String, deadline: Double) -> SignalVerdict {
        if sig == InboxWake.code { return inboxVerdict(working: key) }
        guard sig == 2, console.isInteractive else { return .pause(sig) }
        switch console.ask("Ctrl-C: stop '\(key)' now, or keep waiting?", hint: Question.interrupt.hint, status: status(), within: deadline - monotonic()) {
        case nil:
            return .keepWaiting
        case .line(let l)?:
            return Question.interrupt.parse(l, as: InterruptReply.self) == .success(.keepWaiting) ? .keepWaiting : .stopStep
        case .eof?:
            return .stopStep
        case .signal(let s)?:
            if s == InboxWake.code { return inboxVerdict(working: key) }
            // A second Ctrl-C is a louder "stop".
            return s == 2 ? .stopStep : .pause(s)
        }
    }

    /// The same for a signal taken while `waitingOn` is set; at any other
    /// moment a signal pauses the run.
    func verdict(_ sig: Int32) -> SignalVerdict {
        guard let w = waitingOn else { return sig == InboxWake.code ? inboxVerdict(working: nil) : .pause(sig) }
        return verdict(sig, key: w.key, deadline: w.deadline)
    }

    /// Acts on a signal taken between actions: goes on, stops the waiting
    /// step, or pauses the run.
    func interruption(_ sig: Int32) throws(Stop) {
        switch verdict(sig) {
        case .keepWaiting: return
        case .stopStep: throw .stepStopped
        case .pause(let s): throw .pause(signalName(s))
        }
    }

    /// The signal that arrived since the last check, taken (nil if none).
    func arrivedSignal() -> Int32? {
        defer { pendingSignal = nil }
        return pendingSignal ?? sleepHook(0)
    }

    func signalName(_ s: Int32) -> String { s == InboxWake.code ? handOverText : Self.signalName(s) }

    /// Why a signal paused the run, naming it as `kill -l` does.
    static func signalName(_ s: Int32) -> String {
        switch s {
        case 2: "interrupted (SIGINT)"
        // The terminal (tmux, SSH) went away: not the operator's "stop".
        case 1: "terminal lost (SIGHUP)"
        case 15: "terminated (SIGTERM)"
        case 3: "quit (SIGQUIT)"
        default: "signal \(s)"
        }
    }

    /// `SIGTERM` for 15: the name alone, for "stopped by SIGTERM".
    public static func shortSignalName(_ s: Int32) -> String {
        [1: "SIGHUP", 2: "SIGINT", 3: "SIGQUIT", 15: "SIGTERM", InboxWake.code: "a takeover (--now)"][s] ?? "signal \(s)"
    }
}
