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
    /// Folders: the group's (setgid, so entries keep the group) or private.
    public static var directory: mode_t { shared ? 0o2770 : 0o700 }
    /// Where other people drop requests (`muster approve`, `takeover`):
    /// sticky, so nobody can remove or replace someone else's.
    public static var requests: mode_t { shared ? 0o3770 : 0o700 }

    /// Creates a file with `file` mode whatever the umask.
    public static func open(_ path: String, _ flags: Int32) -> Int32 {
        let fd = Glibc.open(path, flags | O_CREAT | O_CLOEXEC, file)
        if fd >= 0, shared { fchmod(fd, file) }
        return fd
    }

    /// `mkdir` with `mode` whatever the umask; false with errno set.
    public static func mkdir(_ path: String, _ mode: mode_t = directory) -> Bool {
        guard Glibc.mkdir(path, mode) == 0 else { return false }
        if shared { chmod(path, mode) }
        return true
    }
}
