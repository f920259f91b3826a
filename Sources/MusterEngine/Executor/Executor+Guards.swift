import MusterBasics
import MusterFormat

/// What guards need from the session: a runner and an HTTP client made on
/// each guard's own thread (one that never takes the executor's signals),
/// and a way to wake the session when one is breached, wherever it waits.
public struct GuardParts: Sendable {
    public var makeRunner: @Sendable () -> any CommandRunner
    public var makeHTTP: @Sendable () -> any HTTPTransport
    public var wake: @Sendable () -> Void
    /// The monotonic clock the guards' threads read.
    public var now: @Sendable () -> Double
    public init(makeRunner: @escaping @Sendable () -> any CommandRunner, makeHTTP: @escaping @Sendable () -> any HTTPTransport,
                wake: @escaping @Sendable () -> Void, now: @escaping @Sendable () -> Double) {
        self.now = now
        self.makeRunner = makeRunner
        self.makeHTTP = makeHTTP
        self.wake = wake
    }
}

/// Guards while the run goes on: a poller (GuardPoller) per scope in
/// force (the runbook's guards until its last step ends, a group's while
/// the group runs), their breaches journaled as they are taken in, and the
/// machine's `answerBreach` asked or answered by `on_breach`.
extension Executor {
    /// Starts the pollers of the scopes now in force and stops the others.
    func syncGuards() {
        guard let parts = guardParts, !plan.guards.isEmpty else { return }
        var wanted: Set<String> = []
        let ending = state.rollbackStarted || state.rollbackChosenAt != nil || state.guardEnd != nil || state.closing != nil
            || machine.lastFailed(state).map { machine.abortsRun($0, state) } == true
        if !ending {
            let stepsLeft = plan.entries.contains { !$0.isFinally && $0.parent == nil && state.finished[$0.key] == nil }
            for (_, g) in plan.guards {
                if let scope = g.scope {
                    if state.started.contains(scope), state.finished[scope] == nil { wanted.insert(scope) }
                } else if stepsLeft {
                    wanted.insert("")
                }
            }
        }
        for (scope, poller) in guardPollers where !wanted.contains(scope) {
            poller.stop()
            guardPollers[scope] = nil
        }
        for scope in wanted.sorted() where guardPollers[scope] == nil {
            let guards = plan.guards.values.filter { ($0.scope ?? "") == scope }.map(\.guard).sorted { $0.id < $1.id }
            let entry = scope.isEmpty ? nil : plan[scope]
            let values = entry.map(templateValues) ?? self.values.scope(nil)
            let checker = GuardChecker(makeRunner: parts.makeRunner, makeHTTP: parts.makeHTTP, environment: environment(entry?.runbook ?? setup.runbook, values),
                                       values: values, secrets: setup.secrets, now: parts.now)
            guardPollers[scope] = GuardPoller(guards: guards, check: { checker.check($0) }, wake: parts.wake, now: parts.now)
        }
    }

    func stopGuards() {
        for p in guardPollers.values { p.stop() }
        guardPollers = [:]
    }

    /// Journals and shows the breaches found since the last look; true
    /// when one was new.
    @discardableResult
    func takeBreaches() throws(Stop) -> Bool {
        var any = false
        for (scope, poller) in guardPollers.sorted(by: { $0.key < $1.key }) {
            for b in poller.takeBreaches() {
                let key = scope.isEmpty ? b.id : scope + "/" + b.id
                guard !state.openBreaches.contains(where: { $0.key == key }), state.guardEnd == nil else { continue }
                try record(.guardBreached) { $0.value = key; $0.text = b.why }
                let title = plan.guards[key].map { $0.guard.title.expand(templateValues(scope.isEmpty ? nil : plan[scope])) } ?? key
                console.show(.warning("GUARD BREACHED: \(masker.mask(title)) ('\(key)'): \(masker.mask(b.why))"))
                any = true
            }
        }
        return any
    }

    private func templateValues(_ entry: FlatPlan.Entry?) -> [String: String] {
        entry.map { templateValues($0) } ?? values.scope(nil)
    }

    /// Whether a breach taken in means the step at work stops now: its
    /// guard rolls back or aborts without asking (or `--yes` answers).
    var breachStopsTheStep: Bool {
        state.openBreaches.contains { b in setup.yes || (plan.guards[b.key]?.guard.onBreach ?? .ask) != .ask }
    }

    /// A wake while a question waits: a breach interrupts the question,
    /// which is asked again once the breach is answered.
    package func breachAtQuestion() throws(Stop) {
        if try takeBreaches() { throw .breach }
    }

    /// The machine's `answerBreach`: its `on_breach` (or `--yes`, as a
    /// step's failure) answers, or the operator does, while the steps in
    /// flight go on.
    func answerBreach(_ key: String, because why: String) throws(Stop) {
        let policy = plan.guards[key]?.guard.onBreach ?? .ask
        var answer = policy.rawValue
        var auto = policy != .ask
        if policy == .ask, setup.yes {
            (answer, auto) = ("abort", true)
        } else if policy == .ask {
            switch try self.answer(.breach, "Guard '\(key)' is breached (\(masker.mask(why))). Continue, roll back, or abort the run?", step: key, as: BreachReply.self) {
            case .goOn: answer = "continue"
            case .rollBack: answer = "rollback"
            case .abort: answer = "abort"
            }
        }
        try record(.guardAnswered) { $0.value = key; $0.answer = answer; $0.text = why; $0.auto = auto ? true : nil }
        if answer == "continue" {
            // Reported again only once it held in between.
            console.show(.info("going on; '\(key)' is reported again if it holds and then breaks again"))
        } else {
            console.show(.warning("guard '\(key)': \(answer == "rollback" ? "rolling back" : "aborting the run") once the running steps have stopped"))
        }
    }
}
