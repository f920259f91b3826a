#if canImport(Glibc)
@preconcurrency import Glibc
#endif
import Dispatch
import MusterBasics
import MusterFormat
import MusterEngine
import MusterJournal
import MusterDrills
import MusterPreflight
import MusterTerminal
import Synchronization

/// A file a session appends to in batches at most half a second old,
/// without fsync: a step that prints a million lines costs a few hundred
/// writes, not a million syscalls, and a crash loses at most the last half
/// second. For what helps people read a run (`output.log`, `screen.jsonl`),
/// never for what a resume decides from (the journal).
/// `@unchecked`: the descriptor never changes, the buffer is behind its
/// mutex, and a Dispatch source may be cancelled from any thread.
package final class BatchedFile: @unchecked Sendable {
    private let fd: Int32
    private let buffer = Mutex<[UInt8]>([])
    private let timer: DispatchSourceTimer

    package init?(path: String, label: String) {
        fd = Self.openOwn(path)
        guard fd >= 0 else {
            // What helps people read the run is left out, never the run.
            printError("muster: warning: cannot write \(path): \(StateModes.failure(path, errno)); the run goes on without it")
            return nil
        }
        timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: label))
        timer.schedule(deadline: .now() + 0.5, repeating: 0.5)
        timer.setEventHandler { [weak self] in self?.flush() }
        timer.resume()
    }

    /// The group may read it, only the operator's session write it
    /// (`StateModes.readable`); another operator's is replaced by a copy
    /// (`StateModes.openOwned`), which `FileTail` reads on in.
    private static func openOwn(_ path: String) -> Int32 {
        StateModes.openOwned(path, mode: StateModes.readable, durable: false)
    }

    /// Adds to the buffer with `fill`; written at once past 64 KiB.
    package func append(_ fill: (inout [UInt8]) -> Void) {
        let full = buffer.withLock { b in
            fill(&b)
            return b.count >= 64 << 10
        }
        if full { flush() }
    }

    package func flush() {
        buffer.withLock { b in
            guard !b.isEmpty else { return }
            b.withUnsafeBytes { raw in
                var at = 0
                while at < raw.count {
                    let n = write(fd, raw.baseAddress! + at, raw.count - at)
                    if n < 0, errno == EINTR { continue }
                    if n <= 0 { break }
                    at += n
                }
            }
            b.removeAll(keepingCapacity: true)
        }
    }

    package func close() {
        timer.cancel()
        flush()
        _ = Glibc.close(fd)
    }
}
