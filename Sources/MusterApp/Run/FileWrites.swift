#if canImport(Glibc)
@preconcurrency import Glibc
#endif
import MusterBasics
import MusterFormat
import MusterEngine
import MusterJournal
import MusterDrills
import MusterPreflight

/// Folders and files the CLI writes (the state folder, drill records, HTML
/// reports), on POSIX calls, so that a failure reads as the system's words
/// ("Permission denied") and names the path, never as a Foundation error dump.
package enum FileWrites {
    /// `mkdir -p` of an absolute path.
    package static func makeFolders(_ path: String, mode: mode_t = 0o755) throws {
        var dir = ""
        for part in path.split(separator: "/") {
            dir += "/" + part
            if !StateModes.mkdir(dir, mode), errno != EEXIST {
                throw CommandFailure(message: "cannot create the folder \(dir): \(String(cString: strerror(errno)))")
            }
        }
    }

    /// Written whole or not at all: a temporary file, fsync, rename.
    package static func writeAtomically(_ text: String, to path: String) throws {
        func why() -> String { String(cString: strerror(errno)) }
        try makeFolders(Paths.dirname(path))
        let tmp = path + ".tmp"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw CommandFailure(message: "cannot create \(tmp): \(StateModes.failure(tmp, errno))") }
        let bytes = Array(text.utf8)
        let ok = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) == $0.count } && fsync(fd) == 0
        let failure = ok ? "" : why()
        close(fd)
        guard ok else {
            unlink(tmp)
            throw CommandFailure(message: "cannot write \(tmp): \(failure)")
        }
        guard rename(tmp, path) == 0 else { throw CommandFailure(message: "cannot rename \(tmp) to \(path): \(why())") }
    }
}
