internal import CGit2

extension Repository {
    /// Who commits: `user.name` and `user.email` from the git configuration
    /// (repository, then global), else `fallbackName` with an example.com
    /// address, so that a machine with no git identity can still commit.
    func signature(fallbackName: String) throws(GitError) -> Signature {
        var s: UnsafeMutablePointer<git_signature>?
        if git_signature_default(&s, handle) == 0, let s { return Signature(s) }
        var name = fallbackName.filter { !"<>\n\r".contains($0) }
        while name.first == " " { name.removeFirst() }
        while name.last == " " { name.removeLast() }
        let local = String(name.lowercased().map { $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" || $0 == "_" ? $0 : "." })
            .split(separator: ".").joined(separator: ".")
        let rc = git_signature_now(&s, name.isEmpty ? "muster" : name, "\(local.isEmpty ? "operator" : local)@example.com")
        guard rc == 0, let s else { throw GitError.last("cannot make a commit signature for '\(fallbackName)'", code: rc) }
        return Signature(s)
    }

    /// Commits the working tree's copy of the one file `path` (relative to
    /// the top level) on top of HEAD with `message`, and nothing else:
    /// the new tree is HEAD's tree plus that file, built in a fresh
    /// in-memory index, so whatever else is staged stays staged and
    /// uncommitted. The on-disk index entry of that one file is then
    /// updated, so `git status` shows it committed. Works on a branch, a
    /// detached HEAD and in a repository with no commits yet.
    public func commitFile(_ path: String, message: String, fallbackName: String) throws(GitError) -> CommitInfo {
        var blobID = git_oid()
        var rc = git_blob_create_from_workdir(&blobID, handle, path)
        guard rc == 0 else { throw GitError.last("cannot store \(path) in the repository", code: rc) }

        let parent = headCommit()
        var mem: OpaquePointer?
        rc = git_index_new(&mem)
        guard rc == 0, let mem else { throw GitError.last("cannot create an index", code: rc) }
        let index = Index(mem)
        if let parent {
            let tree = try parent.tree()
            rc = git_index_read_tree(index.pointer, tree.pointer)
            guard rc == 0 else { throw GitError.last("cannot read HEAD's tree", code: rc) }
        }
        rc = path.withCString { cpath in
            var entry = git_index_entry()
            entry.mode = UInt32(GIT_FILEMODE_BLOB.rawValue)
            entry.id = blobID
            entry.path = cpath
            return git_index_add(index.pointer, &entry)
        }
        guard rc == 0 else { throw GitError.last("cannot add \(path) to the commit's tree", code: rc) }
        var treeID = git_oid()
        rc = git_index_write_tree_to(&treeID, index.pointer, handle)
        guard rc == 0 else { throw GitError.last("cannot write the commit's tree", code: rc) }
        var t: OpaquePointer?
        rc = git_tree_lookup(&t, handle, &treeID)
        guard rc == 0, let t else { throw GitError.last("cannot read the commit's tree", code: rc) }
        let tree = Tree(t)

        let sig = try signature(fallbackName: fallbackName)
        var commitID = git_oid()
        var parents: [OpaquePointer?] = parent.map { [$0.pointer] } ?? []
        rc = parents.withUnsafeMutableBufferPointer { buf in
            git_commit_create(&commitID, handle, "HEAD", sig.pointer, sig.pointer, nil, message, tree.pointer, buf.count, buf.baseAddress)
        }
        guard rc == 0 else { throw GitError.last("cannot commit \(path)", code: rc) }

        // The on-disk index: only this path's entry, from the working tree
        // (with its stat data, so `git status` need not rehash it).
        var i: OpaquePointer?
        rc = git_repository_index(&i, handle)
        guard rc == 0, let i else { throw GitError.last("committed, but cannot open the index to mark \(path) clean", code: rc) }
        let disk = Index(i)
        rc = git_index_read(disk.pointer, 0)
        if rc == 0 { rc = git_index_add_bypath(disk.pointer, path) }
        if rc == 0 { rc = git_index_write(disk.pointer) }
        guard rc == 0 else { throw GitError.last("committed, but cannot update the index entry of \(path)", code: rc) }

        guard let made = Commit.lookup(OID(commitID), in: self) else {
            throw GitError(message: "committed \(OID(commitID).hex), but cannot read the commit back")
        }
        let a = made.author
        return CommitInfo(id: made.id.hex, shortID: made.shortID, authorName: a.name, authorEmail: a.email, authorTime: a.time,
                          subject: made.summary, path: path, renamedFrom: nil, deleted: false, atShallowBoundary: false)
    }
}
