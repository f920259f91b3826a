import Dispatch
import MusterBasics
import MusterFormat
import MusterEngine
import MusterJournal
import MusterDrills
import MusterPreflight
import MusterProcess
import Synchronization

/// Wakes the session when someone leaves it a request: `look` (on a timer
/// of its own) says which requests are there; a name not seen before writes
/// a byte into the signal pipe, which every prompt and wait listens to.
/// Only a new name wakes it, so a prompt is not shown again for nothing.
package final class RequestWatch {
    private let timer: DispatchSourceTimer

    /// `look` returns the names there now, or nil when it cannot tell or
    /// nothing changed.
    package init(label: String, every seconds: Double, look: @escaping () -> Set<String>?) {
        timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: label))
        let seen = Mutex<Set<String>>([])
        timer.schedule(deadline: .now(), repeating: seconds)
        timer.setEventHandler {
            guard let names = look() else { return }
            let arrived = seen.withLock { s -> Bool in
                defer { s = names }
                return !names.subtracting(s).isEmpty
            }
            if arrived { SignalWatch.repost(InboxWake.code) }
        }
        timer.resume()
    }

    deinit { timer.cancel() }
}
