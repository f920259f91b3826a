internal import CGit2

/// What a revision (a commit id, tag, branch, `HEAD~2`) resolved to.
public struct Revision: Sendable, Equatable {
    /// As the operator wrote it.
    public var spec: String
    /// The commit's full id.
    public var commit: String
    public var shortID: String
}

extension Repository {
    /// Resolves `spec` to a commit, as `git rev-parse SPEC^{commit}` does.
    public func resolve(_ spec: String) throws(GitError) -> Revision {
        var obj: OpaquePointer?
        let rc = git_revparse_single(&obj, handle, spec)
        switch rc {
        case 0:
            break
        case GIT_ENOTFOUND.rawValue, GIT_EUNBORNBRANCH.rawValue:
            let hint = isEmpty ? " (the repository has no commits yet)" : ""
            throw GitError(message: "unknown revision '\(spec)': no commit, tag or branch of that name in \(workdir ?? "the repository")\(hint)", kind: .notFound)
        case GIT_EAMBIGUOUS.rawValue:
            throw GitError(message: "ambiguous revision '\(spec)': more than one object starts with it; give more digits", kind: .notFound)
        case GIT_EINVALIDSPEC.rawValue:
            throw GitError.last("'\(spec)' is not a valid revision", code: rc)
        default:
            throw GitError.last("cannot resolve revision '\(spec)'", code: rc)
        }
        guard let obj else { throw GitError(message: "cannot resolve revision '\(spec)'") }
        let named = Object(obj)
        var peeled: OpaquePointer?
        guard git_object_peel(&peeled, named.pointer, GIT_OBJECT_COMMIT) == 0, let peeled else {
            throw GitError(message: "revision '\(spec)' names a \(String(cString: git_object_type2string(git_object_type(named.pointer)))), not a commit", kind: .notFound)
        }
        let commit = Commit(peeled)
        return Revision(spec: spec, commit: commit.id.hex, shortID: commit.shortID)
    }

    /// The commit HEAD points at; nil in a repository with no commits yet.
    public var headCommitID: String? {
        var oid = git_oid()
        guard git_reference_name_to_id(&oid, handle, "HEAD") == 0 else { return nil }
        return OID(oid).hex
    }

    func commit(_ hex: String) throws(GitError) -> Commit {
        guard let id = OID(hex: hex), let c = Commit.lookup(id, in: self) else {
            throw GitError(message: "commit \(hex) is not in the repository at \(workdir ?? "?") (was it garbage-collected, or is this another clone?)", kind: .notFound)
        }
        return c
    }

    func headCommit() -> Commit? {
        headCommitID.flatMap { try? commit($0) }
    }

    /// The bytes of the file at `path` (relative to the top level) in
    /// `commit`, straight from the object database; nil when the commit
    /// has no file there.
    public func file(_ path: String, at commit: String) throws(GitError) -> [UInt8]? {
        let tree = try self.commit(commit).tree()
        guard let id = tree.blobID(at: path) else { return nil }
        var raw = id.raw
        var b: OpaquePointer?
        let rc = git_blob_lookup(&b, handle, &raw)
        guard rc == 0, let b else { throw GitError.last("cannot read \(path) at \(commit.prefix(12))", code: rc) }
        return Blob(b).bytes
    }

    /// Whether `commit` has a file at `path`.
    public func hasFile(_ path: String, at commit: String) -> Bool {
        (try? self.commit(commit).tree().blobID(at: path)) != nil
    }

    /// Paths of the files under the folder `dir` (relative to the top
    /// level, "" for all) in `commit`.
    public func files(under dir: String, at commit: String) -> [String] {
        guard let tree = try? self.commit(commit).tree() else { return [] }
        if dir.isEmpty { return tree.files(in: self) }
        guard let e = tree.entry(at: dir), e.isTree else { return [] }
        var raw = e.id.raw
        var sub: OpaquePointer?
        guard git_tree_lookup(&sub, handle, &raw) == 0, let sub else { return [] }
        return Tree(sub).files(in: self, prefix: dir + "/")
    }
}
