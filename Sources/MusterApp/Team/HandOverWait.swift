#if canImport(Glibc)
@preconcurrency import Glibc
#endif
import MusterBasics
import MusterEngine
import MusterProcess

/// A takeover's wait for the session it asked to hand over.
package enum HandOverWait {
    /// Waits until `done` says the old session has stopped, looking every
    /// `interval` ms; a stop signal (Ctrl-C) withdraws the request and
    /// gives the takeover up, leaving the run where it is.
    package static func wait(_ runID: String, every interval: Int32, withdraw: () -> Void, done: () -> Bool) throws {
        while !done() {
            if let sig = SignalWatch.take(), SignalWatch.stopping.contains(sig) {
                withdraw()
                throw CommandFailure(message: "gave up taking over run \(runID) (\(Signal(sig).shortName)); it goes on where it is")
            }
            var fds = [pollfd(fd: SignalWatch.readFD, events: Int16(POLLIN), revents: 0)]
            _ = poll(&fds, 1, interval)
        }
    }
}
