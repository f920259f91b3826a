internal import CGit2

/// A libgit2 failure, carrying the library's own message.
public struct GitError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var description: String { message }

    /// The last libgit2 error, with a hint where libgit2's own text misleads.
    static func last(_ what: String) -> GitError {
        var text = "unknown error"
        if let e = git_error_last(), let m = e.pointee.message {
            text = String(cString: m)
        }
        if text.contains("not owned by current user") || text.contains("safe.directory") {
            text += " (the repository belongs to another user; run muster as its owner, or mark it trusted with `git config --global --add safe.directory PATH`)"
        }
        return GitError(message: "\(what): \(text)")
    }
}

/// libgit2 must be initialised once per process before any other call.
private let libgit2Ready: Bool = {
    git_libgit2_init()
    return true
}()

/// An open repository. Owns its libgit2 handle and frees it on deinit.
public final class Repository {
    private let handle: OpaquePointer

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
        _ = libgit2Ready
        var repo: OpaquePointer?
        let rc = git_repository_open_ext(&repo, path, 0, nil)
        if rc == GIT_ENOTFOUND.rawValue { return nil }
        guard rc == 0, let repo else { throw GitError.last("cannot open the git repository at \(path)") }
        return Repository(handle: repo)
    }

    /// The libgit2 version linked in, for `--version` reports.
    public static var libraryVersion: String {
        var major: Int32 = 0, minor: Int32 = 0, rev: Int32 = 0
        git_libgit2_version(&major, &minor, &rev)
        return "\(major).\(minor).\(rev)"
    }
}

extension Repository {
    /// The git blob id of `bytes`, exactly what `git hash-object` prints:
    /// the runbook's content hash in journals and records.
    public static func blobID(of bytes: [UInt8]) -> String {
        _ = libgit2Ready
        var oid = git_oid()
        let rc = bytes.withUnsafeBytes { git_odb_hash(&oid, $0.baseAddress, $0.count, GIT_OBJECT_BLOB) }
        guard rc == 0 else { return "" }
        var out = [CChar](repeating: 0, count: Int(GIT_OID_HEXSZ) + 1)
        git_oid_tostr(&out, out.count, &oid)
        return String(decoding: out.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
