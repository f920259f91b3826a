#if canImport(Glibc)
@preconcurrency import Glibc
#endif
import MusterBasics
import MusterFormat
import MusterEngine
import MusterJournal
import MusterDrills
import MusterPreflight
import MusterTerminal

/// Two responders paged for the same outage must not start the same
/// failover twice without knowing: a run of a runbook that is being executed
/// refuses a second one unless `--new` says it is meant.
package struct RunGuard {
    package let store: RunStore
    package let runbook: String
    package let allowNew: Bool

    /// Refuses (exit 2) while a run of the runbook is executed, unless
    /// `--new`; names paused and crashed ones in a warning (once, with
    /// `warn`). Returns the runs being executed, for the journal.
    @discardableResult
    package func check(warn: Bool) throws -> [String] {
        let mine = store.runIDs().reversed().compactMap(store.summary).filter { $0.runbook == runbook }
        // A step whose terminal was lost is still at work: its run is being executed.
        let running = mine.filter { $0.status == .running || StepKeeper.holder(runDir: store.runDir($0.id)) != nil }
        if let r = running.first, !allowNew {
            let holder = store.lockHolder(r.id).map { " (\($0))" } ?? ""
            throw CommandFailure(message: "runbook \(runbook) is already being run: \(r.id) by \(r.operatorName)\(holder), started \(r.startedAt)"
                + (running.count > 1 ? ", and \(running.count - 1) more" : "")
                + ". Watch it with `muster follow \(r.id)`, or take it over with `muster takeover \(r.id) --reason TEXT`; to start a second run anyway, add --new")
        }
        if warn {
            for r in mine where r.resumable {
                let why = r.reason.map { ": \($0)" } ?? ""
                printError("muster: warning: run \(r.id) of \(runbook) is \(r.status.name)\(why), started \(r.startedAt) by \(r.operatorName); `muster resume \(r.id)` continues it, `muster abandon \(r.id) --reason TEXT` closes it")
            }
            if !running.isEmpty {
                printError("muster: warning: --new: starting another run of \(runbook) beside \(running.map(\.id).joined(separator: ", ")), which \(running.count == 1 ? "is" : "are") being executed")
            }
        }
        return running.map(\.id)
    }

    /// Checks again and creates the run under a lock per runbook, so two
    /// `muster run X` started in the same second cannot both pass the check.
    package func createRun(taken: (String) -> Bool = { _ in false }) throws -> (id: String, lock: Int32, beside: [String]) {
        // Beside runs/, not in it: runs/ holds only runs.
        let locks = Paths.join(store.dir, "locks")
        try store.makeDirectory(locks)
        let path = Paths.join(locks, "start-\(runbook).lock")
        let fd = StateModes.open(path, O_RDWR)
        guard fd >= 0 else { throw CommandFailure(message: "cannot open \(path): \(String(cString: strerror(errno))); set MUSTER_STATE_DIR to a writable folder") }
        defer { close(fd) }
        try Self.lockBriefly(fd, path: path)
        let beside = try check(warn: false)
        let id = try store.newRunID(runbook: runbook, taken: taken)
        let lock = try store.lock(id)
        return (id, lock, beside)
    }

    /// Another start holds this lock for a few milliseconds; the group may
    /// open it, so a member could hold it for good and, with a blocking
    /// `flock`, keep every `muster run` of the runbook waiting silently.
    /// Ten seconds, then a refusal naming the holder.
    package static func lockBriefly(_ fd: Int32, path: String, seconds: Double = 10) throws {
        var waited = 0.0
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK || errno == EINTR else { return }
            guard waited < seconds else {
                let who = LiveLock.holder(of: path).map { h in "pid \(h.pid.map(String.init) ?? "?")" + (h.user.map { " (\($0))" } ?? "") } ?? "another process"
                throw CommandFailure(message: "cannot start: \(who) has held \(path) for \(Int(seconds)) seconds, which a start holds for a moment; "
                    + "if that process is not a muster starting a run, stop it (or ask who runs it)")
            }
            usleep(100_000)
            waited += 0.1
        }
    }
}
