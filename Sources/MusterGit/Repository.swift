#if canImport(Glibc)
@preconcurrency import Glibc
#endif
internal import CGit2
internal import CLazyLibraries
internal import Crypto

/// A libgit2 failure, carrying the library's own message.
public struct GitError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        case other
        /// A revision, object or path that does not exist.
        case notFound
        /// libgit2 refused a repository that belongs to another user.
        case notOwned
    }

    public var message: String
    public var kind: Kind = .other
    public var description: String { message }

    public init(message: String, kind: Kind = .other) {
        self.message = message
        self.kind = kind
    }

    /// The last libgit2 error after a call returned `code`, prefixed with
    /// what was being done.
    static func last(_ what: String, code: Int32 = -1) -> GitError {
        var text = "unknown error"
        if let e = git_error_last(), let m = e.pointee.message {
            text = String(cString: m)
        }
        let kind: Kind = code == GIT_EOWNER.rawValue ? .notOwned : code == GIT_ENOTFOUND.rawValue ? .notFound : .other
        return GitError(message: "\(what): \(text)", kind: kind)
    }

    /// libgit2 (since 1.4.3) refuses a repository whose folder belongs to
    /// another user, saying only "config value 'safe.directory' was not
    /// found" (1.5) or "not owned by current user". That reads like a
    /// broken configuration, or no repository at all; say instead whose it
    /// is, who is asking, and the two ways out.
    static func notOwned(searchingFrom path: String, libgit2Text: String) -> GitError {
        let top = topLevel(above: path) ?? path
        var st = stat()
        let ownerID = stat(top, &st) == 0 ? st.st_uid : UInt32.max
        let owner = ownerID == UInt32.max ? "another user" : "\(userName(ownerID)) (uid \(ownerID))"
        let me = geteuid()
        return GitError(message: """
            cannot use the git repository at \(top): it belongs to \(owner), and muster runs as \(userName(me)) (uid \(me)). \
            libgit2 refuses repositories of other users ("\(libgit2Text)"); nothing is wrong with its safe.directory setting. \
            Run muster as \(ownerID == UInt32.max ? "the owner" : userName(ownerID)), or trust the repository with \
            `git config --global --add safe.directory \(top)`
            """, kind: .notOwned)
    }

    /// The nearest folder at or above `path` holding `.git`.
    static func topLevel(above path: String) -> String? {
        var dir = path
        while true {
            if access(dir + "/.git", F_OK) == 0 { return dir }
            guard let slash = dir.lastIndex(of: "/"), dir != "/" else { return nil }
            dir = slash == dir.startIndex ? "/" : String(dir[..<slash])
        }
    }

    static func userName(_ uid: uid_t) -> String {
        if let pw = getpwuid(uid), let n = pw.pointee.pw_name { return String(cString: n) }
        return "uid \(uid)"
    }
}

/// libgit2 is opened on first use, not at start-up (CLazyLibraries), and
/// initialised once per process before any other call. Nil when it is
/// ready; else why it cannot be, naming the package to install.
let libgit2Problem: String? = {
    if let why = muster_git2_unavailable() { return String(cString: why) }
    git_libgit2_init()
    return nil
}()

/// An open repository. Owns its libgit2 handle and frees it on deinit.
public final class Repository {
    let handle: OpaquePointer

    /// The working tree's top level, with a trailing slash removed.
    public let workdir: String?

    private init(handle: OpaquePointer) {
        self.handle = handle
        if let w = git_repository_workdir(handle) {
            var s = String(cString: w)
            while s.count > 1, s.hasSuffix("/") { s.removeLast() }
            workdir = s
        } else {
            workdir = nil
        }
    }

    deinit { git_repository_free(handle) }

    /// Opens the repository containing `path`, searching upwards as git does.
    /// Returns nil when `path` is not inside any repository.
    public static func discover(from path: String) throws(GitError) -> Repository? {
        if let libgit2Problem { throw GitError(message: "cannot read the git repository at \(path): \(libgit2Problem)") }
        var repo: OpaquePointer?
        let rc = git_repository_open_ext(&repo, path, 0, nil)
        // libgit2 1.5 reports a repository of another user as ENOTFOUND,
        // "config value 'safe.directory' was not found"; later versions as
        // EOWNER. Either way it is there, and refused.
        let text = git_error_last()?.pointee.message.map { String(cString: $0) } ?? ""
        if rc == GIT_EOWNER.rawValue || (rc == GIT_ENOTFOUND.rawValue && (text.contains("safe.directory") || text.contains("not owned"))) {
            throw GitError.notOwned(searchingFrom: path, libgit2Text: text)
        }
        if rc == GIT_ENOTFOUND.rawValue { return nil }
        guard rc == 0, let repo else { throw GitError.last("cannot open the git repository at \(path)", code: rc) }
        return Repository(handle: repo)
    }

    /// The libgit2 version loaded, for `--version` reports; nil when it
    /// cannot be loaded.
    public static var libraryVersion: String? {
        guard libgit2Problem == nil else { return nil }
        var major: Int32 = 0, minor: Int32 = 0, rev: Int32 = 0
        git_libgit2_version(&major, &minor, &rev)
        return "\(major).\(minor).\(rev)"
    }

    /// Whether this is a shallow clone: its history stops at a boundary.
    public var isShallow: Bool { git_repository_is_shallow(handle) == 1 }

    /// Whether HEAD names a branch with no commit yet (a new repository).
    public var isEmpty: Bool { git_repository_head_unborn(handle) == 1 }

    /// Whether HEAD points straight at a commit rather than at a branch.
    public var isHeadDetached: Bool { git_repository_head_detached(handle) == 1 }

    /// `absolute` relative to the working tree's top level, or nil when it
    /// lies outside it (or the repository is bare).
    public func relativePath(_ absolute: String) -> String? {
        guard let workdir else { return nil }
        let prefix = workdir == "/" ? "/" : workdir + "/"
        guard absolute.hasPrefix(prefix), absolute.count > prefix.count else { return nil }
        return String(absolute.dropFirst(prefix.count))
    }
}

extension Repository {
    /// The git blob id of `bytes`, exactly what `git hash-object` prints:
    /// the runbook's content hash in journals and records. The SHA-1 of
    /// `blob SIZE\0` and the bytes, computed here rather than by libgit2, so
    /// a hash never depends on the library loading.
    public static func blobID(of bytes: [UInt8]) -> String {
        var sha = Insecure.SHA1()
        sha.update(data: Array("blob \(bytes.count)\0".utf8))
        sha.update(data: bytes)
        let hex = Array("0123456789abcdef".utf8)
        return String(decoding: sha.finalize().flatMap { [hex[Int($0 >> 4)], hex[Int($0 & 15)]] }, as: UTF8.self)
    }
}
