import MusterBasics
import MusterFormat

/// What the run's clock calls for at a moment, decided from the runbook,
/// the drill and the run so far, and nothing else: the status line under
/// every question, the escalation rungs that are due, the RTO budget
/// warning and the over-`expect` hint. The executor shows what this says
/// when it says it.
public struct RunWatch: Sendable {
    public let ladder: [Rung]
    /// A drill's recovery time objective, in seconds.
    public let rto: Int?
    /// The runbook's whole-run `deadline`, in seconds.
    public let deadline: Int?
    /// The steps with an `expect`, by their place in the plan, and every
    /// step's place: the budget looks at those steps only, not at the
    /// whole plan at every step.
    let expects: [(place: Int, key: String, expect: Int)]
    let places: [String: Int]
    /// A training drill's `unavailable` contacts (DrillSetup.isUnavailable).
    let unavailable: @Sendable (String) -> Bool

    public init(_ runbook: Runbook, includes: [String: Runbook], rto: Int?, unavailable: @escaping @Sendable (String) -> Bool = { _ in false }) {
        ladder = runbook.escalation
        self.rto = rto
        self.unavailable = unavailable
        deadline = runbook.deadline
        let facts = rto == nil ? [] : StepFacts.of(runbook, includes: includes)
        expects = facts.enumerated().compactMap { i, f in f.facts.expect.map { (i, f.key, $0) } }
        places = Dictionary(facts.enumerated().map { ($1.key, $0) }, uniquingKeysWith: { a, _ in a })
    }

    /// The line under every prompt: where we are, for how long, whom next.
    public func status(_ s: RunState, elapsed e: Double, index: Int, total: Int) -> String {
        var parts = ["step \(index) of \(total)", "elapsed \(formatSeconds(e))"]
        // Past the deadline, every prompt says so first and offers the ladder.
        if let deadline, e > Double(deadline) {
            parts.insert("PAST THE DEADLINE of \(formatSeconds(Double(deadline))) by \(formatSeconds(e - Double(deadline))): answer e to escalate", at: 0)
        }
        if let rto {
            let left = Double(rto) - e
            parts.append(left >= 0 ? "RTO \(formatSeconds(Double(rto))): \(formatSeconds(left)) left" : "RTO \(formatSeconds(Double(rto))) exceeded by \(formatSeconds(-left))")
        }
        // Once the operator has escalated, the next rung is the one after
        // the highest called, whatever the clock says.
        if let called = ladder.indices.last(where: { i in s.escalations.contains { $0.contact == ladder[i].contact } }) {
            parts.append("escalated to \(ladder[called].contact)")
            if called + 1 < ladder.count {
                let next = ladder[called + 1]
                parts.append(Double(next.after) > e ? "next escalation at \(formatSeconds(Double(next.after))): \(next.contact)" : "next rung, due: \(next.contact)")
            } else {
                parts.append("the last rung")
            }
        } else if let next = ladder.first(where: { Double($0.after) > e }) {
            parts.append("next escalation at \(formatSeconds(Double(next.after))): \(next.contact)")
        } else if let last = ladder.last {
            parts.append("past the last escalation rung: \(last.contact)")
        }
        return parts.joined(separator: " · ")
    }

    /// The rungs whose time has come and that were not announced yet.
    public func rungsDue(elapsed e: Double, announced: Set<Int>) -> [Int] {
        ladder.indices.filter { Double(ladder[$0].after) <= e && !announced.contains($0) }
    }

    /// What calling `contact` comes to: a rung of the ladder answers,
    /// unless a training drill made it unavailable (the trainee must go to
    /// the next rung); a contact off the ladder (`rung` nil, a runbook
    /// without one) is recorded and nothing more.
    public enum Call: Equatable, Sendable { case answered, unanswered, offLadder }

    public func call(_ contact: String, rung: Int?) -> Call {
        guard rung != nil else { return .offLadder }
        return unavailable(contact) ? .unanswered : .answered
    }

    /// Drills: a warning when what is left of the RTO is less than the sum
    /// of the `expect` of the steps not finished from `key` on, while
    /// there is still time to react.
    public func budgetWarning(from key: String, _ s: RunState, elapsed e: Double) -> String? {
        guard let rto, let at = places[key] else { return nil }
        let expected = expects.filter { $0.place >= at && s.finished[$0.key] == nil }.map(\.expect).reduce(0, +)
        let left = Double(rto) - e
        guard expected > 0, Double(expected) > left else { return nil }
        return "RTO budget: \(formatSeconds(max(0, left))) of \(formatSeconds(Double(rto))) left, but the remaining steps expect \(formatSeconds(Double(expected)))"
    }

    /// The hint for an attempt of `key` that has run `running` seconds,
    /// once that is past its `expect`: whom to escalate to next.
    public func expectHint(_ key: String, expect: Double, running: Double, elapsed e: Double) -> String? {
        guard running > expect else { return nil }
        let next = ladder.first { Double($0.after) > e }?.contact ?? ladder.last?.contact
        return "'\(key)' is running past its expected \(formatSeconds(expect))" + (next.map { "; consider escalating to \($0) (answer e at the next prompt)" } ?? "")
    }

    /// The rung `e` offers by default: the last one due, else the first.
    public func defaultRung(elapsed e: Double) -> Int {
        (ladder.lastIndex { Double($0.after) <= e } ?? 0) + 1
    }
}
