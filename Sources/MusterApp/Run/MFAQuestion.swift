#if canImport(Glibc)
@preconcurrency import Glibc
#endif
import Synchronization

/// An assume-role profile's MFA code, asked of the person at the terminal
/// when the store is opened (before the session draws anything or reads
/// its answers). Asked once: a refresh in the middle of a run would fight
/// the session for the terminal, so the role's `duration_seconds` has to
/// cover the run.
package enum MFAQuestion {
    private static let asked = Mutex(false)

    package static let ask: @Sendable (String, String) -> String? = { serial, profile in
        guard isatty(0) != 0, isatty(2) != 0 else { return nil }
        let first = asked.withLock { done in
            defer { done = true }
            return !done
        }
        guard first else { return nil }
        fputs("MFA code for \(serial) (AWS \(profile)): ", stderr)
        return readLine()?.filter { !$0.isWhitespace }
    }
}
