/// What a signal or a request means at the moment it is taken. Decided by
/// the machine, from the moment alone, so that the executor only asks the
/// one question, keeps the step, or pauses; and so that each rule is tested
/// without a terminal or a process.
public enum SignalMoment: Equatable, Sendable {
    /// Between actions: nothing of a step's is at work.
    case between
    /// Steps run beside each other (branches, loop items) and the session
    /// only waits for them: nothing of its own is at work to ask about.
    case beside
    /// Step `key` is at work: its command, a probe, a request, a pipeline,
    /// the sleep between polls.
    case working(String)
    /// The terminal was lost during step `key`, and this process stays only
    /// to journal its end.
    case kept(String)
}

/// What to do about a signal.
public enum SignalDecision: Equatable, Sendable {
    /// Nothing: the work goes on.
    case goOn
    /// Ask the operator: stop the step at work now, or keep waiting.
    case askStopOrWait
    /// Stop the step at work; the run goes on to its failure policy.
    case stopStep
    /// Hand the step at work over to this process alone (a lost terminal
    /// during a `run` step): its end is still journaled. Pause if that
    /// cannot be done.
    case keepStep
    /// A request arrived (an approval, a takeover): see what it asks.
    case readInbox
    /// Pause the run, saying why.
    case pause(Signal)
}

/// How the Ctrl-C question ended.
public enum InterruptAnswer: Equatable, Sendable {
    /// Nobody answered before the step's own time was up: it goes on to meet it.
    case unanswered
    case keepWaiting
    case stop
    case endOfInput
    /// Another signal came while it asked.
    case signal(Signal)
}

/// When a takeover stops this session.
public enum TakeoverMoment: Equatable, Sendable {
    case now
    /// When the step at work ends: stopping it halfway is for `--now` only.
    case afterStep
}

extension RunMachine {
    /// A signal taken at `moment`. Ctrl-C asks only while a step is at work
    /// and someone is at a terminal; SIGTERM, SIGQUIT and, with nobody there
    /// to ask, Ctrl-C pause the run. A lost terminal keeps a `run` step
    /// (`keepable`) going. Once kept, nobody is there: another hang-up or a
    /// request changes nothing, and anything else pauses.
    public func onSignal(_ s: Signal, at moment: SignalMoment, interactive: Bool, keepable: Bool = false) -> SignalDecision {
        switch moment {
        case .kept:
            return s == .hangUp || s == .inboxWake ? .goOn : .pause(s)
        case .between, .beside:
            // Beside others, every step in flight is stopped first; resume
            // brings each back under the resume rules.
            return s == .inboxWake ? .readInbox : .pause(s)
        case .working:
            if s == .inboxWake { return .readInbox }
            if s == .interrupt, interactive { return .askStopOrWait }
            return s == .hangUp && keepable ? .keepStep : .pause(s)
        }
    }

    /// The Ctrl-C question's answer: unanswered or "keep waiting" goes on,
    /// anything else understood as "stop" stops the step (end of input and a
    /// second Ctrl-C are louder stops); another signal is taken as if it had
    /// come with no question asked.
    public func onInterruptAnswer(_ a: InterruptAnswer, keepable: Bool = false) -> SignalDecision {
        switch a {
        case .unanswered, .keepWaiting: .goOn
        case .stop, .endOfInput, .signal(.interrupt): .stopStep
        case .signal(let s): onSignal(s, at: .working(""), interactive: false, keepable: keepable)
        }
    }

    /// A takeover stops the session at once between steps or when its taker
    /// said `--now`; otherwise it waits for the step at work to end.
    public func takeoverMoment(now: Bool, working: String?) -> TakeoverMoment {
        working == nil || now ? .now : .afterStep
    }
}
