/// Time for the engine: the monotonic clock it measures with, the wall
/// time it stamps events with, and the sleep between polls and retries,
/// which a signal cuts short. The engine reads and sleeps through this
/// port only (`scripts/module-graph --check`), so a test moves time by
/// hand (MusterTesting's `FakeClock`) and a replay never reads it.
///
/// Not Swift's `Clock`: the executor is synchronous (a step's command, a
/// prompt and the signal pipe are waited on with `poll`), and its sleep
/// must return the signal that woke it, which `Clock.sleep` cannot say.
/// The team protocol, which is async, takes a `Clock<Duration>`.
public protocol RunClock: AnyObject {
    /// Seconds on a clock that never goes back.
    var now: Double { get }
    /// The wall time as the journal stamps it (UTC, RFC 3339).
    func stamp() -> String
    /// Sleeps up to `seconds`; a signal that arrives cuts it short and is
    /// returned. With 0 it only looks whether one has arrived.
    func sleep(upTo seconds: Double) -> Signal?
    /// How long a wait for steps running beside others sleeps between two
    /// looks at them (see the extension).
    var flightPoll: Double { get }
}

extension RunClock {
    /// How long a wait for steps running beside others sleeps between two
    /// looks at them: their ends are not signals, so a real clock looks
    /// often; a simulated one (`muster test`) ends its sleep when a fake
    /// ends, so it may sleep long.
    public var flightPoll: Double { 0.02 }
}
