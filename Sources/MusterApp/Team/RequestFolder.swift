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
import MusterProcess
import MusterTeam
import Dispatch
import Synchronization

/// `runs/RUN_ID/requests/USER/`: where `muster approve` and `muster
/// takeover` leave requests for the session executing the run. Who made a
/// request is the owner of the file and of the folder it is in, which the
/// kernel sets and the requester cannot choose; each person writes only in
/// a folder of their own (0750), in `requests/` (sticky, 3770, made by the
/// operator's session), so nobody can remove, replace or plant another's.
/// Requests stay until the run's journal has taken them in, so a request
/// made while the run was paused or its session crashed counts on resume.
package final class RequestFolder: RunInbox {
    package let dir: String
    package let runID: String

    package init(runDir: String, runID: String) {
        dir = Paths.join(runDir, "requests")
        self.runID = runID
    }

    /// What a request file holds (MusterTeam's, shared with the store's requests).
    package typealias Body = RequestBody

    package static let largest = RequestBody.largest

    package func pending(taken: Set<String>) -> [TeamRequest] {
        names().filter { !taken.contains($0) }.compactMap(read)
    }

    /// `FOLDER/FILE` of every request there, each in a folder its author owns.
    /// Files directly in `requests/` (left by releases before 0.9) are not
    /// read: nothing says their author made them there.
    private func names() -> [String] {
        var out: [String] = []
        for user in Self.list(dir) where !user.hasPrefix(".") {
            guard let folder = openFolder(user) else { continue }
            close(folder.fd)
            out += Self.list(Paths.join(dir, user)).filter { $0.hasSuffix(".json") && !$0.hasPrefix(".") }.map { user + "/" + $0 }
        }
        return out.sorted()
    }

    private static func list(_ dir: String) -> [String] { (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [] }

    /// `requests/FOLDER`, opened once and checked: a real folder (not a
    /// link), and its owner, who is the author of what is in it. The name
    /// is the author's by custom only (`USER`, or `USER-2` when someone
    /// else took that name first): a name anyone can take proves nothing.
    private func openFolder(_ name: String) -> (fd: Int32, uid: uid_t)? {
        guard !name.contains("/") else { return nil }
        let fd = open(Paths.join(dir, name), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            close(fd)
            return nil
        }
        return (fd, st.st_uid)
    }

    /// Request `id` (`FOLDER/FILE`) as written, with its author (name and
    /// uid): the file must be a regular file (a link, a huge file, a
    /// half-written one never count: requests are renamed into place) owned
    /// by the folder's owner, a known user.
    private func body(_ id: String) -> (Body, String, uid_t)? {
        let parts = id.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 2, let folder = openFolder(parts[0]) else { return nil }
        let fd = openat(folder.fd, parts[1], O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        close(folder.fd)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, st.st_mode & S_IFMT == S_IFREG, st.st_size <= Self.largest, st.st_uid == folder.uid,
              let pw = getpwuid(folder.uid), let author = pw.pointee.pw_name else { return nil }
        var bytes = [UInt8](repeating: 0, count: Int(st.st_size))
        guard bytes.withUnsafeMutableBytes({ Glibc.read(fd, $0.baseAddress, $0.count) }) == bytes.count,
              let body = try? JSONDecoder().decode(Body.self, from: Data(bytes)), body.runID == runID else { return nil }
        return (body, String(cString: author), folder.uid)
    }

    /// One request, or nil for anything that is not a request of a known
    /// user for this run (see `body`).
    package func read(_ id: String) -> TeamRequest? {
        guard let (body, user, _) = body(id) else { return nil }
        return TeamRequest(id: id, user: user, kind: body.kind, step: body.step, reason: body.reason,
                           now: body.now ?? false, pid: body.pid, host: body.host, name: body.name, signed: body.signed)
    }

    /// A takeover counts while its file is there and its process lives on
    /// this host: the pid's /proc entry exists, started when the request
    /// says, and belongs to the request's author. `kill(pid, 0)` would take
    /// anyone's word: pid 1 lives forever, and EPERM says only "another
    /// user's".
    package func isWaiting(_ r: TeamRequest) -> Bool {
        guard let (body, _, owner) = body(r.id), let pid = body.pid, let start = body.pidStart, body.host == hostName() else { return false }
        var st = stat()
        return stat("/proc/\(pid)", &st) == 0 && st.st_uid == owner && Self.startTime(of: pid) == start
    }

    /// When process `pid` started, in clock ticks since boot (field 22 of
    /// /proc/PID/stat, counted after the command name's closing paren,
    /// which may itself hold spaces and parens).
    package static func startTime(of pid: Int32) -> UInt64? {
        guard let bytes = try? Paths.read("/proc/\(pid)/stat"), let paren = bytes.lastIndex(of: UInt8(ascii: ")")) else { return nil }
        let fields = bytes[(paren + 1)...].split(separator: 32)
        guard fields.count > 19 else { return nil }
        return UInt64(String(decoding: fields[19], as: UTF8.self))
    }

    /// Made by the operator's session when it starts, so that nobody else
    /// owns it: sticky, everyone in the group may add a folder of their
    /// own and nobody may remove another's.
    package func prepare() { _ = StateModes.mkdir(dir, StateModes.requests) }

    /// Writes a request as the caller; returns its name. Written aside and
    /// renamed into place, so a reader never sees half of it.
    package func submit(_ body: Body, store: RunStore) throws -> String {
        func why() -> String { String(cString: strerror(errno)) }
        if !Paths.exists(dir), !StateModes.mkdir(dir, StateModes.requests), errno != EEXIST {
            let why = why()
            try store.checkAccess(write: true)
            throw CommandFailure(message: "cannot create \(dir): \(why)")
        }
        let me = osUser()
        // Group may read, only its owner writes. A folder of this name that
        // is someone else's (taken first, to shut this person out) is
        // passed by for the next name.
        var mine = "", folder: Int32 = -1
        for n in 1...20 {
            mine = Paths.join(dir, n == 1 ? me : "\(me)-\(n)")
            if !StateModes.mkdir(mine, StateModes.shared ? 0o2750 : 0o700), errno != EEXIST {
                let why = why()
                try store.checkAccess(write: true)
                throw CommandFailure(message: "cannot leave a request in \(dir): \(why). The run's folder must be shared with your on-call group; see docs/team-runs.md")
            }
            folder = open(mine, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            var st = stat()
            if folder >= 0, fstat(folder, &st) == 0, st.st_uid == getuid() { break }
            if folder >= 0 { close(folder) }
            folder = -1
        }
        guard folder >= 0 else {
            throw CommandFailure(message: "cannot leave a request in \(dir): every folder named for \(me) there is someone else's; ask an administrator to remove them")
        }
        defer { close(folder) }
        let name = "\(utcStamp(compact: true))-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).json"
        let tmp = "." + name
        let data = (try? JSONEncoder().encode(body)) ?? Data()
        let fd = openat(folder, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw CommandFailure(message: "cannot leave a request in \(mine): \(why())") }
        if StateModes.shared { fchmod(fd, 0o640) }
        let ok = data.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) == $0.count } && fsync(fd) == 0
        close(fd)
        guard ok, renameat(folder, tmp, folder, name) == 0 else {
            unlinkat(folder, tmp, 0)
            throw CommandFailure(message: "cannot write a request in \(mine): \(why())")
        }
        return Paths.basename(mine) + "/" + name
    }

    package func withdraw(_ id: String) { unlink(Paths.join(dir, id)) }

    /// Wakes the session when a request arrives: a bounded poll of the
    /// folder's modification time (one `stat` every quarter second), which
    /// writes a byte into the signal pipe every prompt and wait listens to.
    /// Requests already there when the session starts wake it once.
    package func watch() {
        let dir = self.dir
        // A `stat` of requests/ and of each person's folder a quarter
        // second; they are listed when one changed.
        let mtimes = Mutex<[String: Int]?>(nil)
        watcher = RequestWatch(label: "muster.requests", every: 0.25) {
            var now: [String: Int] = [:]
            var st = stat()
            guard stat(dir, &st) == 0 else { return nil }
            now[""] = Int(st.st_mtim.tv_sec) * 1_000_000_000 + Int(st.st_mtim.tv_nsec)
            let users = Self.list(dir).filter { !$0.hasPrefix(".") }
            for u in users where lstat(Paths.join(dir, u), &st) == 0 {
                now[u] = Int(st.st_mtim.tv_sec) * 1_000_000_000 + Int(st.st_mtim.tv_nsec)
            }
            guard mtimes.withLock({ m in defer { m = now }; return m != now }) else { return nil }
            return Set(users.flatMap { u in Self.list(Paths.join(dir, u)).filter { $0.hasSuffix(".json") && !$0.hasPrefix(".") }.map { u + "/" + $0 } })
        }
    }

    private var watcher: RequestWatch?
}
