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

/// Guards while the run goes on: a poller (GuardPoller) per scope the
/// machine says is in force (`guardScopes`), their breaches journaled as
/// they are taken in, and the machine's `answerBreach` answered by the
/// machine's `breachAnswer` or asked. A class: a breach is taken in from
/// inside a question this desk itself asked.
package final class GuardDesk {
    unowned let host: StepHost
    /// Nil where guards cannot run (a test's fakes): they are not polled.
    var parts: GuardParts?
    /// Pollers by the scope they watch ("" for the runbook's own).
    private var pollers: [String: GuardPoller] = [:]

    /// The guards in force where a stand-in answers for them (`muster test`).
    private var standingIn: [String] = []

    init(host: StepHost) { self.host = host }

    /// Starts the pollers of the scopes now in force and stops the others.
    func sync() {
        let plan = host.machine.plan
        guard !plan.guards.isEmpty else { return }
        let wanted = host.machine.guardScopes(host.state)
        if host.standIn != nil {
            standingIn = plan.guards.filter { wanted.contains($0.value.scope ?? "") }.map(\.key).sorted()
            return
        }
        guard let parts else { return }
        for (scope, poller) in pollers where !wanted.contains(scope) {
            poller.stop()
            pollers[scope] = nil
        }
        for scope in wanted.sorted() where pollers[scope] == nil {
            let guards = plan.guards.values.filter { ($0.scope ?? "") == scope }.map(\.guard).sorted { $0.id < $1.id }
            let entry = scope.isEmpty ? nil : plan[scope]
            let values = values(entry)
            let checker = GuardChecker(makeRunner: parts.makeRunner, makeHTTP: parts.makeHTTP,
                                       environment: host.environment(entry?.runbook ?? host.setup.runbook, values),
                                       values: values, secrets: host.setup.secrets, now: parts.now)
            pollers[scope] = GuardPoller(guards: guards, check: { checker.check($0) }, wake: parts.wake, now: parts.now)
        }
    }

    func stop() {
        for p in pollers.values { p.stop() }
        pollers = [:]
    }

    /// Journals and shows the breaches found since the last look; true
    /// when one was new.
    @discardableResult
    func takeBreaches() throws(Stop) -> Bool {
        var any = false
        if let standIn = host.standIn {
            for b in standIn.breached(standingIn) where host.machine.takesBreach(b.key, host.state) {
                try breach(b.key, why: b.why)
                any = true
            }
        }
        for (scope, poller) in pollers.sorted(by: { $0.key < $1.key }) {
            for b in poller.takeBreaches() {
                let key = StepKey.child(of: scope.isEmpty ? nil : scope, b.id).raw
                guard host.machine.takesBreach(key, host.state) else { continue }
                try breach(key, why: b.why)
                any = true
            }
        }
        return any
    }

    /// Journals and shows one breach.
    private func breach(_ key: String, why: String) throws(Stop) {
        try host.record(.guardBreached(guardKey: key, why: why), step: nil)
        let scope = host.machine.plan.guards[key]?.scope
        let title = host.machine.plan.guards[key].map { $0.guard.title.expand(values(scope.flatMap { host.machine.plan[$0] })) } ?? key
        host.console.show(.warning("GUARD BREACHED: \(host.masker.mask(title)) ('\(key)'): \(host.masker.mask(why))"))
    }

    private func values(_ entry: FlatPlan.Entry?) -> [String: String] {
        entry.map { host.templateValues($0) } ?? host.scope(nil)
    }

    /// The machine's `answerBreach`: answered without asking where the
    /// machine says so, or by the operator, while the steps in flight go on.
    func answer(_ key: String, because why: String) throws(Stop) {
        var answer = host.machine.breachAnswer(key)
        let auto = answer != nil
        if answer == nil {
            let prompt = "Guard '\(key)' is breached (\(host.masker.mask(why))). Continue, roll back, or abort the run?"
            answer = switch try host.answer(.breach, prompt, step: key, as: BreachReply.self) {
            case .goOn: "continue"
            case .rollBack: "rollback"
            case .abort: "abort"
            }
        }
        let chosen = answer ?? "abort"
        try host.record(.guardAnswered(guardKey: key, answer: chosen, text: why, auto: auto), step: nil)
        if chosen == "continue" {
            // Reported again only once it held in between.
            host.console.show(.info("going on; '\(key)' is reported again if it holds and then breaks again"))
        } else {
            host.console.show(.warning("guard '\(key)': \(chosen == "rollback" ? "rolling back" : "aborting the run") once the running steps have stopped"))
        }
    }
}
