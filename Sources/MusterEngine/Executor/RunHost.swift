import MusterBasics
import MusterFormat

/// What the run's desks (team, rollback, keeper) need from the run they
/// serve: the operator desk's host, plus the run so far, its journal, the
/// chat and the shell. They act on the machine's decisions; the executor
/// is the one host.
package protocol RunHost: DeskHost {
    var state: RunState { get }
    var machine: RunMachine { get }
    var setup: RunSetup { get }
    func record(_ payload: JournalEvent.Payload, step: String?) throws(Stop)
    func notify(_ text: String)
    func checkEscalation()
    func notUnderstood(_ hint: String) throws(Stop)
    func answer<R: Reply>(_ question: Question, _ prompt: String, step key: String, as: R.Type) throws(Stop) -> R
    /// One line as typed, asked until it comes (EOF and signals pause).
    func read(_ question: String, hint: String, secret: Bool) throws(Stop) -> String
    /// The same, giving up after `seconds`: nil when no line came in time.
    func read(_ question: String, hint: String, within seconds: Double) throws(Stop) -> String?
    /// `e`: the ladder shown, whom the operator called journaled.
    func escalate(step: String) throws(Stop)
    var shells: ShellPerformer { get }
    /// Where step `key`'s commands run: nil here, or its `host` (RemoteShell).
    func remote(of key: String, values: [String: String]) -> Result<ShellPerformer.Remote?, HostProblem>
}
