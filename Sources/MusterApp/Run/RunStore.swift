#if canImport(Glibc)
@preconcurrency import Glibc
#endif
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import MusterBasics
import MusterFormat
import MusterEngine
import MusterJournal
import MusterDrills
import MusterPreflight
import MusterGit

/// Where runs live: `.muster/runs/RUN_ID/journal.jsonl` at the repository
/// root, or under `MUSTER_STATE_DIR`.
package struct RunStore {
    package let dir: String

    package init(root: String, environment: [String: String] = ProcessInfo.processInfo.environment) {
        if let d = environment["MUSTER_STATE_DIR"], !d.isEmpty {
            dir = Paths.absolute(d)
        } else {
            dir = Paths.join(root, ".muster")
        }
        StateModes.adopt(stateDir: dir)
    }

    /// A state folder the on-call group shares refuses those outside the
    /// group: say so plainly, with who may and how to join, rather than
    /// "Permission denied" at some file inside.
    package func checkAccess(write: Bool) throws {
        var st = stat()
        guard stat(dir, &st) == 0 else { return }
        guard access(dir, R_OK | X_OK | (write ? W_OK : 0)) != 0 else { return }
        let group = getgrgid(st.st_gid).flatMap { $0.pointee.gr_name.map { String(cString: $0) } } ?? "gid \(st.st_gid)"
        let owner = getpwuid(st.st_uid).flatMap { $0.pointee.pw_name.map { String(cString: $0) } } ?? "uid \(st.st_uid)"
        let mode = String(st.st_mode & 0o7777, radix: 8)
        throw CommandFailure(message: "\(osUser()) may not \(write ? "write to" : "read") the state folder \(dir) (owner \(owner), group \(group), mode \(mode)). "
            + (st.st_mode & 0o070 != 0 ? "It is shared with the group \(group): ask an administrator to add \(osUser()) to it (then log in again). " : "")
            + "docs/team-runs.md says how an on-call group shares it")
    }

    package var runsDir: String { Paths.join(dir, "runs") }
    package func runDir(_ id: String) -> String { Paths.join(runsDir, id) }
    package func journalPath(_ id: String) -> String { Paths.join(runDir(id), "journal.jsonl") }

    /// A new run id: UTC time and runbook name, unique in this store.
    /// `taken`: ids another machine has used already (the shared store's).
    package func newRunID(runbook: String, taken: (String) -> Bool = { _ in false }) throws -> String {
        try makeDirectory(runsDir)
        let base = "\(utcStamp(compact: true))-\(runbook)"
        var id = base
        var n = 2
        while true {
            if StateModes.mkdir(runDir(id)) {
                if !taken(id) { return id }
                rmdir(runDir(id))
            } else if errno != EEXIST {
                throw CommandFailure(message: "cannot create \(runDir(id)): \(String(cString: strerror(errno)))")
            }
            id = "\(base)-\(n)"
            n += 1
        }
    }

    package func makeDirectory(_ p: String) throws {
        do {
            try FileWrites.makeFolders(p, mode: StateModes.shared ? StateModes.directory : 0o755)
        } catch let failure as CommandFailure {
            throw CommandFailure(message: "cannot create the state folder \(p): \(failure.message); set MUSTER_STATE_DIR to a writable folder")
        }
    }

    package func runIDs() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: runsDir)) ?? []).filter { Paths.exists(journalPath($0)) }.sorted()
    }

    /// The one "no run X" of every command that names a run: what is
    /// missing, where it was looked for (`also`: what else was), the
    /// nearest id there is, and where the list is.
    package func requireRun(_ id: String, also: String = "") throws {
        let ids = runIDs()
        guard !ids.contains(id) else { return }
        let hint = suggestion(for: id, among: ids).map { " Did you mean \($0)?" } ?? ""
        throw CommandFailure(message: "no run \(id) in \(runsDir)\(also).\(hint) `muster runs` lists them")
    }

    /// Holds the run's lock for the life of the process; the kernel drops it
    /// when the process dies, even by SIGKILL, so a crash never leaves it stuck.
    package func lock(_ id: String) throws -> Int32 {
        let fd = try RunLock.take(self, id)
        ftruncate(fd, 0)
        let me = "pid \(getpid()) on \(hostName())\n"
        _ = me.withCString { write(fd, $0, strlen($0)) }
        Self.held[id] = fd
        return fd
    }

    /// The run locks this process holds, by run id.
    nonisolated(unsafe) private static var held: [String: Int32] = [:]

    /// Lets go of run `id`'s lock before this process ends: a session whose
    /// terminal was lost stays only for its step (see `StepKeeper`), and
    /// `resume` or `takeover` may begin meanwhile.
    package static func release(_ id: String) {
        guard let fd = held.removeValue(forKey: id) else { return }
        flock(fd, LOCK_UN)
        close(fd)
    }

    /// "pid N on HOST" of the process executing the run, or nil when none is.
    package func lockHolder(_ id: String) -> String? {
        let path = Paths.join(runDir(id), "lock")
        guard isLocked(id) else { return nil }
        // Another operator's lock cannot be read (0600): the kernel's word.
        guard let bytes = try? Paths.read(path) else {
            return LiveLock.holder(of: path).map { h in "pid \(h.pid.map(String.init) ?? "?")" + (h.user.map { " (\($0))" } ?? "") }
        }
        let text = String(decoding: bytes.filter { $0 != 10 }, as: UTF8.self)
        return text.isEmpty ? nil : text
    }

    package func isLocked(_ id: String) -> Bool { RunLock.isHeld(Paths.join(runDir(id), "lock")) }

    /// A run's state as `runs` shows it.
    package func summary(_ id: String) -> RunSummary? {
        guard Paths.exists(journalPath(id)) else { return nil }
        let events: [JournalEvent]
        do {
            events = try FileJournal.read(path: journalPath(id)).events
        } catch {
            // Listed, never skipped: a damaged run hidden from `runs` would
            // let a bare `muster resume` pick up an older run instead.
            return RunSummary(id: id, runbook: "?", status: .damaged, startedAt: "", elapsed: 0, lastStep: nil, operatorName: "", reason: error.message)
        }
        let state = RunState(replaying: events)
        let status = RunStatus(state, locked: isLocked(id))
        let lastStep = events.last { $0.step != nil }?.step
        var elapsed = state.lastT
        // A run being executed has been running since its last event, too:
        // a step of twenty minutes must not show the minute it started at.
        if status == .running, let last = events.last, let t = last.clock, let at = UTCTime.parse(last.at) {
            elapsed = max(elapsed, t + max(0, Date().timeIntervalSince(at)))
        }
        var summary = RunSummary(id: id, runbook: state.info?.runbook ?? "?", status: status, startedAt: state.info?.startedAt ?? "",
                                 elapsed: elapsed, lastStep: lastStep, operatorName: state.info?.operatorName ?? "", reason: state.paused)
        summary.unshared = state.unshared != nil
        return summary
    }
}

package struct RunSummary {
    package var id, runbook: String
    package var status: RunStatus
    package var startedAt: String
    package var elapsed: Double
    package var lastStep: String?
    package var operatorName: String
    package var reason: String?
    /// Went on without its shared store and has not caught up (`run_unshared`).
    package var unshared = false

    package var resumable: Bool { status.resumable }

    package var json: JSON {
        .object([("run_id", .string(id)), ("runbook", .string(runbook)), ("state", .string(status.name)), ("started_at", .string(startedAt)),
                 ("elapsed_seconds", .double(elapsed)), ("last_step", .from(lastStep)), ("operator", .string(operatorName)), ("paused_because", .from(reason))]
                + (unshared ? [("unshared", .bool(true))] : []))
    }
}

/// Now, as the journal and run ids write it (see `UTCTime`).
package func utcStamp(compact: Bool = false, date: Date = Date()) -> String {
    compact ? UTCTime.compact(date) : UTCTime.format(date)
}

package func hostName() -> String {
    var buf = [CChar](repeating: 0, count: 256)
    gethostname(&buf, buf.count)
    return String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// The operator's display name, for journals, records and screens:
/// `MUSTER_OPERATOR`, else git's `user.name` (as `git config user.name`
/// here prints it), else the OS user. `cli.md` "Team runs": the OS user is
/// the identity; this is what people read.
package func operatorName(_ env: [String: String] = ProcessInfo.processInfo.environment) -> String {
    if let o = env["MUSTER_OPERATOR"], !o.isEmpty { return o }
    if let g = Repository.configuredUserName(from: Paths.currentDirectory) { return g }
    return osUser(env)
}

/// Who runs this process: the account of the real user id (what `id -un`
/// prints; `USER` can say anything), else `USER`.
package func osUser(_ env: [String: String] = ProcessInfo.processInfo.environment) -> String {
    if let pw = getpwuid(getuid()), let n = pw.pointee.pw_name { return String(cString: n) }
    if let u = env["USER"], !u.isEmpty { return u }
    return "unknown"
}
