import MusterBasics
import MusterFormat

/// What the desks that start and watch steps (FlightDesk, GuardDesk) need
/// from the run beyond RunHost: the values and environment a step sees,
/// the journal of its attempts, and the other desks they hand over to.
package protocol StepHost: RunHost {
    var elapsed: Double { get }
    /// What the step's templates see (RunValues).
    func templateValues(_ entry: FlatPlan.Entry) -> [String: String]
    /// What the templates of steps inside `parent` see (nil: the top).
    func scope(_ parent: String?) -> [String: String]
    func environment(_ rb: Runbook, _ values: [String: String]) -> [String: String]
    /// An attempt begins: journaled before anything of it runs.
    func journalStart(_ entry: FlatPlan.Entry, _ attempt: Int) throws(Stop)
    /// Journals what an attempt came to.
    func conclude(_ entry: FlatPlan.Entry, _ attempt: Int, _ result: Attempt, values: [String: String], env: [String: String]) throws(Stop)
    var guards: GuardDesk { get }
    /// `muster test`'s fakes, where they stand in for every step.
    var standIn: StepStandIn? { get }
    /// An `ask` question's answer, asked until it fits its rule.
    func answer(_ q: Ask, question: String?) throws(Stop) -> String
    /// A request read: a takeover stops the session.
    func checkTakeover() throws(Stop)
}
