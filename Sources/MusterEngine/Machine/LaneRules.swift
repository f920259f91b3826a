import MusterBasics
import MusterFormat

/// Decisions about steps that run beside others and about the guards that
/// watch the run: which attempt may run on a thread of its own, whose
/// branch a line belongs to, which guards are in force, and what a breach
/// does. Decided from the plan and the state alone, so that the executor's
/// desks (FlightDesk, GuardDesk) only act, and each rule is tested without
/// a process.
extension RunMachine {
    /// Whether attempt of `key` may run beside others: a `run` step or a
    /// `wait` on a command, inside a branch or loop item, run for real. A
    /// drill's fault or rehearsal asks and shows as a step alone does.
    public func runsBeside(_ key: String, _ s: RunState, drill: DrillSetup?) -> Bool {
        guard insideLane(key), let step = plan[key]?.step else { return false }
        switch step.body {
        case .run: break
        case .wait(let w): guard case .run = w.probe else { return false }
        default: return false
        }
        if let drill, drill.rehearsal || faultDue(key, s, drill) != nil { return false }
        return true
    }

    /// The branch a step belongs to, named on its lines and questions: a
    /// loop item by its item (`api`), a branch by its id; the step itself
    /// outside any.
    public func laneLabel(_ key: String) -> String {
        var parent = plan[key]?.parent, lane = key
        while let p = parent, !isConcurrent(p) {
            lane = p
            parent = plan[p]?.parent
        }
        guard let p = parent else { return key }
        if let item = plan[lane]?.item { return item.value }
        return String(lane.dropFirst(p.count + 1))
    }

    /// The scopes whose guards are polled now ("" for the runbook's own):
    /// the runbook's until its last step ends, a group's while the group
    /// runs; none once the run is ending (a rollback, a breach answered, a
    /// failure that ends the run, `muster abandon`).
    public func guardScopes(_ s: RunState) -> Set<String> {
        guard !plan.guards.isEmpty else { return [] }
        let ending = s.rollbackStarted || s.rollbackChosenAt != nil || s.guardEnd != nil || s.closing != nil
            || lastFailed(s).map { abortsRun($0, s) } == true
        if ending { return [] }
        let stepsLeft = plan.entries[s.settled...].contains { !$0.isFinally && $0.parent == nil && s.finished[$0.key] == nil }
        var scopes: Set<String> = []
        for (_, g) in plan.guards {
            if let scope = g.scope {
                if s.started.contains(scope), s.finished[scope] == nil { scopes.insert(scope) }
            } else if stepsLeft {
                scopes.insert("")
            }
        }
        return scopes
    }

    /// Whether a breach journaled now is taken in at all: not twice while
    /// it is open, and not once the run's end by a guard is decided.
    public func takesBreach(_ key: String, _ s: RunState) -> Bool {
        s.guardEnd == nil && !s.openBreaches.contains { $0.key == key }
    }

    /// The answer to guard `key`'s breach without asking: its `on_breach`
    /// (`rollback`, `abort`), or with `--yes` abort, as a failure with no
    /// `on_failure` aborts; nil: the operator is asked.
    public func breachAnswer(_ key: String) -> String? {
        let policy = plan.guards[key]?.guard.onBreach ?? .ask
        if policy != .ask { return policy.rawValue }
        return yes ? "abort" : nil
    }

    /// Whether an open breach stops the step at work now: one that is
    /// answered without asking ends the run, so nothing should go on.
    public func breachStopsStep(_ s: RunState) -> Bool {
        s.openBreaches.contains { breachAnswer($0.key) != nil }
    }
}
