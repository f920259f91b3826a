import MusterBasics
import MusterFormat

/// Signals: every action checks for one first, and what one means
/// depends on the moment (a waiting step asks, anything else pauses).
/// The executor is the performers' host: this is what a signal, a sleep
/// and the passing time mean during a run.
extension Executor: PerformHost {
    package var secrets: [String: String] { setup.secrets }
    package var shells: ShellPerformer { ShellPerformer(host: self, runner: runner) }

    /// A signal while a step's command runs; `keepable`: a lost terminal
    /// leaves it running (StepKeeping).
    package func commandSignal(_ sig: Signal, key: String, deadline: Double, keepable: Bool) -> SignalVerdict {
        act(machine.onSignal(sig, at: keeper.keeping.map { .kept($0) } ?? .working(key), interactive: console.isInteractive, keepable: keepable),
            key: key, deadline: deadline, keepable: keepable)
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
        try team.checkTakeover()
    }

    package func checkTakeover() throws(Stop) { try team.checkTakeover() }

    /// A wake while a question waits: a breach interrupts the question,
    /// which is asked again once the breach is answered.
    package func breachAtQuestion() throws(Stop) {
        if try guards.takeBreaches() { throw .breach }
    }

    /// Performs the machine's decision about a signal. The one question
    /// Ctrl-C asks while a step is at work, whatever it waits for, gives up
    /// at `deadline` (the step's timeout), and the step goes on to meet it.
    func act(_ decision: SignalDecision, key: String?, deadline: Double, keepable: Bool) -> SignalVerdict {
        switch decision {
        case .goOn: return .keepWaiting
        case .stopStep: return .stopStep
        case .pause(let s): return .pause(s)
        case .readInbox:
            // A breach is journaled and shown at once; the step at work
            // stops now only when the breach ends the run. A journal that
            // cannot be written stops it too: its end cannot be journaled
            // either, and the session stops at that write.
            do {
                if try guards.takeBreaches(), machine.breachStopsStep(state) { return .stopStep }
            } catch {
                return .stopStep
            }
            return team.inboxVerdict(working: key)
        case .keepStep: return key.map(keeper.keep) == true ? .keepWaiting : .pause(.hangUp)
        case .askStopOrWait:
            let answer: InterruptAnswer = switch console.ask("Ctrl-C: stop '\(key ?? "")' now, or keep waiting?", hint: Question.interrupt.hint, status: status(),
                                                             within: deadline - clock.now) {
            case nil: .unanswered
            case .line(let l)?: Question.interrupt.parse(l, as: InterruptReply.self) == .success(.keepWaiting) ? .keepWaiting : .stop
            case .eof?: .endOfInput
            case .signal(let s)?: .signal(s)
            }
            return act(machine.onInterruptAnswer(answer, keepable: keepable), key: key, deadline: deadline, keepable: keepable)
        }
    }

    /// A signal taken with no command of the step's own running: it asks
    /// about the step at work (`waitingOn`), if one is.
    package func verdict(_ sig: Signal) -> SignalVerdict {
        let moment: SignalMoment = waitingOn.map { .working($0.key) } ?? .between
        return act(machine.onSignal(sig, at: moment, interactive: console.isInteractive), key: waitingOn?.key, deadline: waitingOn?.deadline ?? clock.now,
                   keepable: false)
    }

    /// Acts on a signal taken between actions: goes on, stops the waiting
    /// step, or pauses the run.
    package func interruption(_ sig: Signal) throws(Stop) {
        switch verdict(sig) {
        case .keepWaiting: return
        case .stopStep: throw .stepStopped
        case .pause(let s): throw .pause(signalName(s))
        }
    }

    /// The signal that arrived since the last check, taken (nil if none).
    package func arrivedSignal() -> Signal? {
        defer { pendingSignal = nil }
        return pendingSignal ?? clock.sleep(upTo: 0)
    }

    package func signalName(_ s: Signal) -> String { s == .inboxWake ? team.handOverText : s.pauseText }
}
