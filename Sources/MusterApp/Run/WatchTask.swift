import Dispatch
import MusterStore
import MusterTeam
import Synchronization

/// The session watch of a shared run, in a task of its own, ended and
/// waited for before the run returns: a heartbeat still inside libcurl when
/// the process exits crashes it, as OpenSSL is torn down at exit under it.
package final class WatchTask: Sendable {
    private let over = Mutex(false)
    private let finished = DispatchSemaphore(value: 0)
    private let task = Mutex<Task<Void, Never>?>(nil)

    /// Starts `watch` on its own S3 handle, whose exchanges are abandoned at once when the task ends.
    package init(poller: S3Store, watch: (S3StoreClient) -> SessionWatch, onArrival: @escaping @Sendable () -> Void) {
        poller.abandoned = { [self] in over.withLock { $0 } }
        let watch = watch(S3StoreClient(poller))
        let finished = finished
        task.withLock { $0 = Task.detached { await watch.run(onArrival: onArrival); finished.signal() } }
    }

    /// Ends the watch and waits for it (a request under way is abandoned, a sleep cut short).
    package func end() {
        let first = over.withLock { was in defer { was = true }; return !was }
        guard first else { return }
        task.withLock { $0?.cancel() }
        _ = finished.wait(timeout: .now() + .seconds(10))
    }
}
