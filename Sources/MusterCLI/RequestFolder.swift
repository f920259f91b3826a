#if canImport(Glibc)
@preconcurrency import Glibc
#endif
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import MusterCore
import MusterProcess
import Dispatch
import Synchronization

/// `runs/RUN_ID/requests/`: where `muster approve` and `muster takeover`
/// leave requests for the session executing the run. Who made a request is
/// the file's owner, which the kernel sets and the requester cannot choose;
/// the folder is sticky, so nobody can remove or replace another's request.
/// Requests stay until the run's journal has taken them in, so a request
/// made while the run was paused or its session crashed counts on resume.
final class RequestFolder: RunInbox {
    let dir: String
    let runID: String

    init(runDir: String, runID: String) {
        dir = Paths.join(runDir, "requests")
        self.runID = runID
    }

    /// What a request file holds; the requester's OS user is not in it.
    struct Body: Codable {
        var runID: String
        var kind: TeamRequest.Kind
        var step: String?
        var reason: String?
        var now: Bool?
        var pid: Int32?
        var host: String?
        var name: String?
        /// An approval's or denial's signed statement: the proof of who.
        var signed: Signed?
        enum CodingKeys: String, CodingKey { case runID = "run_id", kind, step, reason, now, pid, host, name, signed }
    }

    static let largest = 16 << 10

    func pending(taken: Set<String>) -> [TeamRequest] {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.hasSuffix(".json") && !$0.hasPrefix(".") }.sorted()
        return names.filter { !taken.contains($0) }.compactMap(read)
    }

    /// One request, or nil for anything that is not a regular file of a
    /// known user holding a request for this run (a link, a huge file, a
    /// half-written one never appear: requests are renamed into place).
    func read(_ name: String) -> TeamRequest? {
        let fd = open(Paths.join(dir, name), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, st.st_mode & S_IFMT == S_IFREG, st.st_size <= Self.largest,
              let pw = getpwuid(st.st_uid), let userName = pw.pointee.pw_name else { return nil }
        var bytes = [UInt8](repeating: 0, count: Int(st.st_size))
        guard bytes.withUnsafeMutableBytes({ Glibc.read(fd, $0.baseAddress, $0.count) }) == bytes.count,
              let body = try? JSONDecoder().decode(Body.self, from: Data(bytes)), body.runID == runID else { return nil }
        return TeamRequest(id: name, user: String(cString: userName), kind: body.kind, step: body.step, reason: body.reason,
                           now: body.now ?? false, pid: body.pid, host: body.host, name: body.name, signed: body.signed)
    }

    /// A takeover counts while its file is there and, on this host, its
    /// process lives (EPERM: it lives, as another user).
    func isWaiting(_ r: TeamRequest) -> Bool {
        guard access(Paths.join(dir, r.id), F_OK) == 0 else { return false }
        guard let pid = r.pid, r.host == hostName() else { return true }
        return kill(pid, 0) == 0 || errno == EPERM
    }

    /// Writes a request as the caller; returns its name. Written aside and
    /// renamed into place, so a reader never sees half of it.
    func submit(_ body: Body, store: RunStore) throws -> String {
        if !Paths.exists(dir), !StateModes.mkdir(dir, StateModes.requests), errno != EEXIST {
            throw CommandFailure(message: "cannot create \(dir): \(String(cString: strerror(errno)))")
        }
        let name = "\(utcStamp(compact: true))-\(osUser())-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).json"
        let tmp = Paths.join(dir, "." + name)
        let data = (try? JSONEncoder().encode(body)) ?? Data()
        let fd = Glibc.open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o640)
        guard fd >= 0 else {
            let why = String(cString: strerror(errno))
            try store.checkAccess(write: true)
            throw CommandFailure(message: "cannot leave a request in \(dir): \(why). The run's folder must be shared with your on-call group; see docs/team-runs.md")
        }
        if StateModes.shared { fchmod(fd, 0o640) }
        let ok = data.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) == $0.count } && fsync(fd) == 0
        close(fd)
        guard ok, rename(tmp, Paths.join(dir, name)) == 0 else {
            unlink(tmp)
            throw CommandFailure(message: "cannot write a request in \(dir): \(String(cString: strerror(errno)))")
        }
        return name
    }

    func withdraw(_ name: String) { unlink(Paths.join(dir, name)) }

    /// Wakes the session when a request arrives: a bounded poll of the
    /// folder's modification time (one `stat` every quarter second), which
    /// writes a byte into the signal pipe every prompt and wait listens to.
    /// Requests already there when the session starts wake it once.
    func watch() {
        let dir = self.dir
        // One `stat` a quarter second; the folder is listed when it changed.
        let mtime = Mutex<(Int, Int)?>(nil)
        watcher = RequestWatch(label: "muster.requests", every: 0.25) {
            var st = stat()
            guard stat(dir, &st) == 0 else { return nil }
            let now = (Int(st.st_mtim.tv_sec), Int(st.st_mtim.tv_nsec))
            guard mtime.withLock({ m in defer { m = now }; return m.map { $0 != now } ?? true }) else { return nil }
            return Set(((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.hasSuffix(".json") && !$0.hasPrefix(".") })
        }
    }

    private var watcher: RequestWatch?
}
