import MusterBasics
import MusterFormat

/// What the performers of automated steps (shell, HTTP, wait, CI) need
/// from whoever runs them: the screen and its masker, time, and what a
/// signal means at this moment. The executor is one host (a run: Ctrl-C
/// asks, a takeover stops the session); preflight is another (checks only:
/// nothing asks, nothing is journaled). A performer decides nothing about
/// the run; it does the step's work and reports an `Attempt`.
package protocol PerformHost: AnyObject {
    var console: RunConsole { get }
    /// Masks every secret known now (a secret answered later joins it).
    var masker: Masker { get }
    /// Declared secrets by name, for `${NAME}` in request fields.
    var secrets: [String: String] { get }
    var clock: RunClock { get }
    /// The check before every action: a signal or a takeover since the last
    /// one stops the work here.
    func checkSignals() throws(Stop)
    /// A signal taken now, with no command of the step's own running.
    func verdict(_ sig: Signal) -> SignalVerdict
    /// A signal taken while step `key`'s command runs; its question gives
    /// up at `deadline`. `keepable`: a lost terminal leaves it running.
    func commandSignal(_ sig: Signal, key: String, deadline: Double, keepable: Bool) -> SignalVerdict
    /// Sleeps, waking for a signal, which stops the work or asks.
    func pauseFor(_ seconds: Double) throws(Stop)
    /// Called while work goes on (each output tick, each sleep): the
    /// escalation clock and `expect` are watched from here.
    func tick()
    /// Why a signal stops the work, in words.
    func signalName(_ sig: Signal) -> String
    /// The signal that arrived since the last check, taken (nil if none).
    func arrivedSignal() -> Signal?
}
