#if canImport(Glibc)
@preconcurrency import Glibc
#endif
import Foundation

/// What a test waited for did not come in time; the message names it.
public struct WaitTimedOut: Error, CustomStringConvertible {
    public let what: String
    public let seconds: Double
    public var description: String { "gave up waiting after \(seconds) s for \(what)" }
}

/// Whether `condition` came to hold within `seconds`. The one pause in the
/// tests: a test waits for an event (a file, a journal line, a screen, a
/// process state), never for a length of time, and the deadline is only a
/// bound for a machine under load. The pauses grow from 5 ms to 50 ms:
/// quick for what comes at once, light on two shared cores for what takes
/// seconds. The thread sleeps, not a task: on a busy cooperative pool
/// a task's turn can come long after what it waited for has passed.
public func eventually(within seconds: Double, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    var pause: useconds_t = 5_000
    while true {
        if try condition() { return true }
        if Date() >= deadline { return false }
        usleep(pause)
        pause = min(pause * 2, 50_000)
    }
}

/// Waits until `condition` holds, or throws `WaitTimedOut` naming `what`
/// after `timeout` seconds (`what` is worked out then, so it can show what
/// the screen or the journal held at that moment).
public func waitUntil(_ what: @autoclosure () -> String, timeout: Double = 30, _ condition: () throws -> Bool) throws {
    guard try eventually(within: timeout, condition) else { throw WaitTimedOut(what: what(), seconds: timeout) }
}
