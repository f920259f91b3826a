#if canImport(Glibc)
@preconcurrency import Glibc
#endif
import MusterBasics
import MusterFormat
import MusterEngine
import MusterJournal
import MusterDrills
import MusterPreflight

/// `runs/RUN_ID/lock`, which only the run's operator can open (0600): a
/// lock the group could open, any member could `flock`, and so block the
/// run. A resume or takeover by someone else, who cannot open the old
/// lock, puts a new one of their own in its place once the kernel's lock
/// table (/proc/locks) says nobody holds the old one.
package enum RunLock {
    /// The run folder and the folders above it in the state folder must be
    /// real folders: a link there would send every file Muster opens in the
    /// run elsewhere, and `O_NOFOLLOW` guards only the last part of a path.
    package static func checkFolders(_ store: RunStore, _ id: String) throws {
        for dir in [store.runsDir, store.runDir(id)] {
            var st = stat()
            guard lstat(dir, &st) == 0 else { continue }
            guard st.st_mode & S_IFMT == S_IFDIR else {
                let what = st.st_mode & S_IFMT == S_IFLNK ? "a symbolic link" : "not a folder"
                throw CommandFailure(message: "\(dir) is \(what), and Muster never follows a link in its state folder (someone may be trying to make it write elsewhere). "
                    + "Look at where it points (ls -l '\(dir)'), put the run's real folder back, and try again")
            }
        }
    }

    /// Takes the lock of run `id` (exclusive, for the life of the process);
    /// returns its descriptor.
    package static func take(_ store: RunStore, _ id: String) throws -> Int32 {
        try checkFolders(store, id)
        let path = Paths.join(store.runDir(id), "lock")
        let fd = StateModes.open(path, O_RDWR, mode: StateModes.owner)
        if fd < 0 {
            let err = errno
            guard err == EACCES else { throw CommandFailure(message: "cannot open the lock \(path): \(StateModes.failure(path, err))") }
            return try replace(path, id)
        }
        var st = stat()
        if fstat(fd, &st) == 0, st.st_uid != geteuid(), geteuid() != 0 {
            // Someone else's (a lock of an older release, open to the group):
            // never taken as it is, replaced by ours. Root takes the one
            // there: a lock of root's would shut its user out of the run.
            close(fd)
            return try replace(path, id)
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            var buf = [UInt8](repeating: 0, count: 256)
            let n = read(fd, &buf, buf.count)
            close(fd)
            throw busy(path, id, said: n > 0 ? String(decoding: buf[0..<n].filter { $0 != 10 }, as: UTF8.self) : nil)
        }
        // Replaced between our open and our flock: the other one holds it.
        guard sameFile(path, fd) else {
            close(fd)
            throw CommandFailure(message: "run \(id)'s lock was replaced while this process took it (another session started at the same moment); try again")
        }
        return fd
    }

    /// A lock of our own, locked first, then swapped for the old one in
    /// one step (`renameat2` RENAME_EXCHANGE): what comes back is exactly
    /// the lock displaced, and if anybody holds it, it is swapped back.
    private static func replace(_ path: String, _ id: String) throws -> Int32 {
        if LiveLock.holder(of: path) != nil { throw busy(path, id) }
        let aside = path + ".\(getpid())"
        unlink(aside)
        let fd = Glibc.open(aside, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, StateModes.owner)
        guard fd >= 0 else { throw CommandFailure(message: "cannot create a lock for run \(id) at \(aside): \(StateModes.failure(aside, errno))") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0, exchange(aside, path) else {
            let why = String(cString: strerror(errno))
            close(fd)
            unlink(aside)
            throw CommandFailure(message: "cannot put a lock of your own in place of \(path): \(why)")
        }
        if LiveLock.holder(of: aside) != nil {
            // Taken by another at the same moment: theirs goes back.
            _ = exchange(aside, path)
            close(fd)
            unlink(aside)
            throw busy(path, id)
        }
        unlink(aside)
        return fd
    }

    /// `said`: the holder's own "pid N on HOST", when this user may read it.
    private static func busy(_ path: String, _ id: String, said: String? = nil) -> CommandFailure {
        let holder = LiveLock.holder(of: path)
        var who = "another process"
        if let said {
            who = said
        } else if let holder {
            who = "pid " + (holder.pid.map { String($0) } ?? "?")
            if let user = holder.user { who += " (\(user))" }
        }
        return CommandFailure(message: "run \(id) is being executed by \(who); two executors never work on one run")
    }

    private static func sameFile(_ path: String, _ fd: Int32) -> Bool {
        var a = stat(), b = stat()
        return lstat(path, &a) == 0 && fstat(fd, &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev
    }

    /// `renameat2(…, RENAME_EXCHANGE)` (Linux 3.15), looked up at run time:
    /// the Glibc module does not declare it.
    private static func exchange(_ a: String, _ b: String) -> Bool {
        typealias RenameAt2 = @convention(c) (Int32, UnsafePointer<CChar>, Int32, UnsafePointer<CChar>, UInt32) -> Int32
        guard let sym = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "renameat2") else {
            errno = ENOSYS
            return false
        }
        let call = unsafeBitCast(sym, to: RenameAt2.self)
        return call(AT_FDCWD, a, AT_FDCWD, b, 2 /* RENAME_EXCHANGE */) == 0
    }

    /// Whether anybody holds run `id`'s lock. One who cannot open it
    /// (another operator's) asks the kernel's lock table.
    package static func isHeld(_ path: String) -> Bool {
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { return errno != ENOENT && LiveLock.holder(of: path) != nil }
        defer { close(fd) }
        if flock(fd, LOCK_SH | LOCK_NB) == 0 {
            flock(fd, LOCK_UN)
            return false
        }
        return true
    }
}
