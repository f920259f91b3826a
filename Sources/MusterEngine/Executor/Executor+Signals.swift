import MusterBasics
import MusterFormat

/// Signals: every action checks for one first, and what one means
/// depends on the moment (a waiting step asks, anything else pauses).
/// The executor is the performers' host: this is what a signal, a sleep
/// and the passing time mean during a run.
extension Executor: PerformHost {
    package var secrets: [String: String] { setup.secrets }
    var shells: ShellPerformer { ShellPerformer(host: self, runner: runner) }

    /// A signal while a step's command runs. Kept after a hang-up, nobody
    /// is there to ask: another hang-up or request changes nothing, any
    /// other signal stops the step as SIGTERM does. A hang-up (or the
    /// terminal gone while Ctrl-C asked) during a `run` step hands it to
    /// this process alone (`keepOnHangUp`).
    package func commandSignal(_ sig: Int32, key: String, deadline: Double, keepable: Bool) -> SignalVerdict {
        if keeping != nil { return [.hangUp, .inboxWake].contains(Signal(sig)) ? .keepWaiting : .pause(sig) }
        let v = verdict(sig, key: key, deadline: deadline)
        if case .pause(let s) = v, Signal(s) == .hangUp, keepable, keepOnHangUp(key) { return .keepWaiting }
        return v
    }

    package func tick() {
        checkEscalation()
        checkExpect()
    }

    /// Sleeps, waking early for a signal: it pauses the run, or during a
    /// waiting step asks whether to stop it (`interruption`).
    package func pauseFor(_ seconds: Double) throws(Stop) {
        try checkSignals()
        let end = clock.now + seconds
        while clock.now < end {
            if let sig = clock.sleep(upTo: min(1, end - clock.now)) { try interruption(sig) }
            tick()
        }
    }

    /// An attempt under way, for the hint once it runs past its `expect`.
    struct ExpectWatch {
        var key: String
        var expect: Double
        var since: Double
        var shown = false
    }

    /// Shows the over-`expect` hint, once per attempt: a `wait` step's
    /// polls and the sleeps between them count together.
    func checkExpect() {
        guard var w = expectWatch, !w.shown, let hint = watch.expectHint(w.key, expect: w.expect, running: clock.now - w.since, elapsed: elapsed) else { return }
        w.shown = true
        expectWatch = w
        console.show(.warning(hint))
    }

    /// The one check before every action (a step, an attempt, a command, a
    /// request, a sleep, a question): a signal that arrived at any moment
    /// since the last one, whether it was noticed or not, pauses the run here.
    package func checkSignals() throws(Stop) {
        if let sig = arrivedSignal() { try interruption(sig) }
        try checkTakeover()
    }

    /// The one question Ctrl-C asks while a step is at work, whatever it
    /// waits for (its command, a probe, a request, a pipeline, the sleep
    /// between polls): stop the step, or keep waiting. SIGTERM, SIGHUP,
    /// SIGQUIT, and Ctrl-C with nobody at a terminal, pause the run. Left
    /// unanswered, the question gives up at `deadline` (the step's timeout),
    /// and the step goes on to meet it.
    func verdict(_ sig: Int32, key: String, deadline: Double) -> SignalVerdict {
        if Signal(sig) == .inboxWake { return inboxVerdict(working: key) }
        guard Signal(sig) == .interrupt, console.isInteractive else { return .pause(sig) }
        switch console.ask("Ctrl-C: stop '\(key)' now, or keep waiting?", hint: Question.interrupt.hint, status: status(), within: deadline - clock.now) {
        case nil:
            return .keepWaiting
        case .line(let l)?:
            return Question.interrupt.parse(l, as: InterruptReply.self) == .success(.keepWaiting) ? .keepWaiting : .stopStep
        case .eof?:
            return .stopStep
        case .signal(let s)?:
            if Signal(s) == .inboxWake { return inboxVerdict(working: key) }
            // A second Ctrl-C is a louder "stop".
            return Signal(s) == .interrupt ? .stopStep : .pause(s)
        }
    }

    /// The same for a signal taken while `waitingOn` is set; at any other
    /// moment a signal pauses the run.
    package func verdict(_ sig: Int32) -> SignalVerdict {
        guard let w = waitingOn else { return Signal(sig) == .inboxWake ? inboxVerdict(working: nil) : .pause(sig) }
        return verdict(sig, key: w.key, deadline: w.deadline)
    }

    /// Acts on a signal taken between actions: goes on, stops the waiting
    /// step, or pauses the run.
    package func interruption(_ sig: Int32) throws(Stop) {
        switch verdict(sig) {
        case .keepWaiting: return
        case .stopStep: throw .stepStopped
        case .pause(let s): throw .pause(signalName(s))
        }
    }

    /// The signal that arrived since the last check, taken (nil if none).
    package func arrivedSignal() -> Int32? {
        defer { pendingSignal = nil }
        return pendingSignal ?? clock.sleep(upTo: 0)
    }

    package func signalName(_ s: Int32) -> String { Signal(s) == .inboxWake ? handOverText : Signal(s).pauseText }
}
