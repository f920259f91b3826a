#if canImport(Glibc)
@preconcurrency import Glibc
#endif
import MusterEngine
import MusterProcess

/// The real clock a run goes by: the monotonic clock, the wall clock for
/// the journal's stamps, and a sleep that the signal pipe (`SignalWatch`)
/// cuts short, returning the signal that arrived.
package final class SystemClock: RunClock {
    package var now: Double { monotonicSeconds() }

    package init() {}
    package func stamp() -> String { utcStamp() }
    package func sleep(upTo seconds: Double) -> Signal? {
        var fds = [pollfd(fd: SignalWatch.readFD, events: Int16(POLLIN), revents: 0)]
        _ = poll(&fds, 1, Int32(seconds * 1000))
        return SignalWatch.take().map(Signal.init)
    }
}
