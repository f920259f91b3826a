#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// The modes of what Muster creates in its state folder. A folder an
/// on-call group shares (`chgrp oncall .muster && chmod 2770 .muster`: the
/// group owns it, may write, and new entries inherit the group) gets files
/// the group may read and write, so another member can follow, approve or
/// take over a run; anything else stays private to its user. Never
/// world-writable either way, and the same whatever the umask says.
public enum StateModes {
    /// Decided once, at start-up, from the state folder (before any thread).
    nonisolated(unsafe) public private(set) static var shared = false

    /// Looks at the state folder (or the nearest folder above it that
    /// exists, before the first run creates it).
    public static func adopt(stateDir: String) {
        var dir = stateDir
        var st = stat()
        while stat(dir, &st) != 0 {
            guard dir != "/", !dir.isEmpty else { shared = false; return }
            dir = Paths.dirname(dir)
        }
        // Only the state folder itself says "shared", not a parent.
        shared = dir == stateDir && st.st_mode & S_ISGID != 0 && st.st_mode & 0o070 == 0o070
    }

    public static var file: mode_t { shared ? 0o660 : 0o600 }
    /// What only the operator writes and the group reads (the screen log,
    /// the transcript): a group member appending to it could show
    /// followers a run that is not happening.
    public static var readable: mode_t { shared ? 0o640 : 0o600 }
    /// The run lock: a lock anyone could open, anyone could `flock`, and so
    /// stop the run; only the operator opens it.
    public static let owner: mode_t = 0o600
    /// Folders: the group's (setgid, so entries keep the group) or private.
    public static var directory: mode_t { shared ? 0o2770 : 0o700 }
    /// Where other people drop requests (`muster approve`, `takeover`):
    /// sticky, so nobody can remove or replace someone else's.
    public static var requests: mode_t { shared ? 0o3770 : 0o700 }

    /// Creates a file with `mode` (`file` unless told) whatever the umask.
    /// Never through a symbolic link: anyone who can write the folder could
    /// plant one and have Muster (or root running it) write elsewhere.
    public static func open(_ path: String, _ flags: Int32, mode: mode_t? = nil) -> Int32 {
        let mode = mode ?? file
        let fd = Glibc.open(path, flags | O_CREAT | O_NOFOLLOW | O_CLOEXEC, mode)
        if fd >= 0, shared || mode != file {
            // Only its owner may change a file's mode: an older file of
            // someone else's keeps its own (see BatchedFile, RunLock).
            var st = stat()
            if fstat(fd, &st) == 0, st.st_uid == geteuid() { fchmod(fd, mode) }
        }
        return fd
    }

    /// Why `open` of `path` failed, in words that say what to do: a link
    /// where a file should be is named as one, not as "Too many levels of
    /// symbolic links".
    public static func failure(_ path: String, _ error: Int32) -> String {
        guard error == ELOOP else { return String(cString: strerror(error)) }
        return "it is a symbolic link, and Muster never follows a link in its state folder (someone may be trying to make it write elsewhere). "
            + "Look at where it points (ls -l '\(path)'), remove the link, and try again"
    }

    /// `mkdir` with `mode` whatever the umask; false with errno set.
    public static func mkdir(_ path: String, _ mode: mode_t = directory) -> Bool {
        guard Glibc.mkdir(path, mode) == 0 else { return false }
        if shared { chmod(path, mode) }
        return true
    }
}
