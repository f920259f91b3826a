import MusterBasics
import MusterEngine
import MusterProcess

/// A takeover's wait for the session it asked to hand over.
package enum HandOverWait {
    /// Waits until `done` says the old session has stopped, looking every
    /// `interval` ms; a stop signal (Ctrl-C) withdraws the request and
    /// gives the takeover up, leaving the run where it is. Sleeps on the
    /// run's clock, which a signal wakes at once.
    package static func wait(_ runID: String, every interval: Int32, withdraw: () -> Void, done: () -> Bool) throws {
        let clock = SystemClock()
        while !done() {
            if let sig = clock.sleep(upTo: Double(interval) / 1000), SignalWatch.stopping.contains(sig.number) {
                withdraw()
                throw CommandFailure(message: "gave up taking over run \(runID) (\(sig.shortName)); it goes on where it is")
            }
        }
    }
}
