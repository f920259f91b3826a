#if canImport(Glibc)
@preconcurrency import Glibc
#endif
import MusterBasics
import MusterFormat
import MusterEngine
import MusterJournal
import MusterDrills
import MusterPreflight

/// Who holds a run's lock, found without touching the lock: `muster follow`
/// asks several times a second, and even a shared lock taken for a moment
/// could make a `muster resume` started at that moment refuse the run.
/// Linux lists every held lock in /proc/locks with its file's inode; the
/// holder's user is the owner of its /proc entry, which the kernel attests.
package struct LiveLock: Equatable {
    package var pid: Int32?
    package var user: String?

    /// The holder of the lock at `path`, or nil when nobody holds it.
    package static func holder(of path: String) -> LiveLock? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        guard let table = try? Paths.read("/proc/locks") else {
            // No /proc: the lock's own word, "pid N on HOST".
            return pidWritten(in: path).map { LiveLock(pid: $0, user: userOf(pid: $0)) }
        }
        let inode = UInt64(st.st_ino)
        for row in table.split(separator: 10) {
            // "1: FLOCK  ADVISORY  WRITE 4943 fe:00:16223876 0 EOF"
            let f = row.split(separator: 32)
            guard f.count >= 6, String(decoding: f[1], as: UTF8.self) == "FLOCK",
                  let id = f[5].split(separator: UInt8(ascii: ":")).last,
                  UInt64(String(decoding: id, as: UTF8.self)) == inode else { continue }
            // Another pid namespace's holder shows as 0 or -1.
            let pid = Int32(String(decoding: f[4], as: UTF8.self)).flatMap { $0 > 0 ? $0 : nil } ?? pidWritten(in: path)
            return LiveLock(pid: pid, user: pid.flatMap(userOf))
        }
        return nil
    }

    /// The pid the executor wrote in its lock when it took it, if readable
    /// and alive.
    private static func pidWritten(in path: String) -> Int32? {
        guard let bytes = try? Paths.read(path) else { return nil }
        let words = String(decoding: bytes, as: UTF8.self).split(separator: " ")
        guard words.count >= 2, words[0] == "pid", let pid = Int32(words[1]),
              kill(pid, 0) == 0 || errno == EPERM else { return nil }
        return pid
    }

    private static func userOf(pid: Int32) -> String? {
        var st = stat()
        guard stat("/proc/\(pid)", &st) == 0, let pw = getpwuid(st.st_uid), let name = pw.pointee.pw_name else { return nil }
        return String(cString: name)
    }
}
