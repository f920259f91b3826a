internal import CGit2

/// One commit that changed a file.
public struct CommitInfo: Sendable, Equatable {
    public var id: String
    public var shortID: String
    public var authorName: String
    public var authorEmail: String
    /// Author time, seconds since 1970 (UTC).
    public var authorTime: Int64
    public var subject: String
    /// The file's path in this commit (it differs from today's after a rename).
    public var path: String
    /// Set when this commit renamed the file: its path before.
    public var renamedFrom: String?
    /// Set when this commit deleted the file (an older life of the path).
    public var deleted: Bool
    /// This commit is the shallow clone's boundary: its parents are not in
    /// the clone, so the file may have changed earlier than this.
    public var atShallowBoundary: Bool
}

/// The commits that changed a file, newest first.
public struct FileHistory: Sendable {
    public var path: String
    public var commits: [CommitInfo]
    /// The repository is a shallow clone and the walk reached its boundary:
    /// older commits are not in the clone.
    public var stoppedAtShallowBoundary: Bool
}

extension Repository {
    /// The commits that changed `path` (relative to the top level), newest
    /// first, starting at `commit` (HEAD when nil), following renames.
    ///
    /// This is `git log --follow -- PATH` with git's default history
    /// simplification: a commit changed the file when its copy differs from
    /// every parent's; a merge whose copy equals one parent's is followed
    /// into that parent only, so a side branch whose change the merge threw
    /// away is not reported. A commit that adds the path is checked for a
    /// rename (exact or similar, `git_diff_find_similar`) against each
    /// parent, and that parent's history is followed under the old path.
    ///
    /// Commits are visited newest (committer time) first, a commit only
    /// after a child reached it, the order `git log` uses. libgit2's own
    /// revwalk is not used: in libgit2 1.5 it fails with "object not found"
    /// on a shallow clone, whose boundary commits name parents it does not
    /// have; this walk treats a missing parent as the end of history.
    public func history(of path: String, from commit: String? = nil, limit: Int? = nil) throws(GitError) -> FileHistory {
        var out = FileHistory(path: path, commits: [], stoppedAtShallowBoundary: false)
        let start: Commit
        if let commit {
            start = try self.commit(commit)
        } else {
            guard let head = headCommit() else { return out }
            start = head
        }
        var queue = CommitQueue()
        var paths: [OID: String] = [start.id: path]
        queue.push(start)
        var blobs: [String: OID?] = [:]
        func blob(_ c: Commit, _ p: String) throws(GitError) -> OID? {
            let key = c.id.hex + ":" + p
            if let known = blobs[key] { return known }
            let id = try c.tree().blobID(at: p)
            blobs[key] = id
            return id
        }
        while let c = queue.pop() {
            let p = paths[c.id] ?? path
            let mine = try blob(c, p)
            let parentIDs = c.parentIDs
            let parents = parentIDs.compactMap { Commit.lookup($0, in: self) }
            let boundary = parents.count < parentIDs.count
            if boundary { out.stoppedAtShallowBoundary = true }
            var changed = false
            var renamedFrom: String?
            var follow: [(Commit, String)] = []
            if parents.isEmpty {
                changed = mine != nil
            } else {
                var theirs: [OID?] = []
                for parent in parents { theirs.append(try blob(parent, p)) }
                if let same = theirs.firstIndex(where: { $0 == mine }) {
                    follow = [(parents[same], p)]
                } else {
                    changed = true
                    for (parent, their) in zip(parents, theirs) {
                        var parentPath = p
                        if mine != nil, their == nil, let old = try renameSource(of: p, from: parent, to: c) {
                            parentPath = old
                            renamedFrom = renamedFrom ?? old
                        }
                        follow.append((parent, parentPath))
                    }
                }
            }
            if changed || (boundary && mine != nil) {
                out.commits.append(info(c, path: p, renamedFrom: renamedFrom, deleted: mine == nil, boundary: boundary))
                if let limit, out.commits.count >= limit { break }
            }
            for (parent, parentPath) in follow where paths[parent.id] == nil {
                paths[parent.id] = parentPath
                queue.push(parent)
            }
        }
        return out
    }

    /// The last commit that changed `path` as of `commit` (HEAD when nil):
    /// the version a run of that file ran. Nil when the file is not in that
    /// commit (untracked, or deleted) or there are no commits yet.
    public func lastChange(of path: String, at commit: String? = nil) throws(GitError) -> CommitInfo? {
        let start: Commit
        if let commit { start = try self.commit(commit) } else {
            guard let head = headCommit() else { return nil }
            start = head
        }
        guard try start.tree().blobID(at: path) != nil else { return nil }
        return try history(of: path, from: start.id.hex, limit: 1).commits.first
    }

    /// The path `path` had in `parent`, when `child` renamed it.
    private func renameSource(of path: String, from parent: Commit, to child: Commit) throws(GitError) -> String? {
        let old = try parent.tree(), new = try child.tree()
        var d: OpaquePointer?
        var rc = git_diff_tree_to_tree(&d, handle, old.pointer, new.pointer, nil)
        guard rc == 0, let d else { throw GitError.last("cannot compare \(parent.shortID) with \(child.shortID)", code: rc) }
        let diff = Diff(d)
        var opts = git_diff_find_options()
        git_diff_find_options_init(&opts, UInt32(GIT_DIFF_FIND_OPTIONS_VERSION))
        opts.flags = GIT_DIFF_FIND_RENAMES.rawValue
        rc = git_diff_find_similar(diff.pointer, &opts)
        guard rc == 0 else { throw GitError.last("cannot find renames between \(parent.shortID) and \(child.shortID)", code: rc) }
        for i in 0..<git_diff_num_deltas(diff.pointer) {
            guard let delta = git_diff_get_delta(diff.pointer, i), delta.pointee.status == GIT_DELTA_RENAMED,
                  let newPath = delta.pointee.new_file.path, String(cString: newPath) == path,
                  let oldPath = delta.pointee.old_file.path else { continue }
            return String(cString: oldPath)
        }
        return nil
    }

    private func info(_ c: Commit, path: String, renamedFrom: String?, deleted: Bool, boundary: Bool) -> CommitInfo {
        let a = c.author
        return CommitInfo(id: c.id.hex, shortID: c.shortID, authorName: a.name, authorEmail: a.email, authorTime: a.time,
                          subject: c.summary, path: path, renamedFrom: renamedFrom, deleted: deleted, atShallowBoundary: boundary)
    }
}

/// Commits waiting to be visited, newest committer time first; among equal
/// times, the one queued first.
private struct CommitQueue {
    private var heap: [(time: Int64, order: Int, commit: Commit)] = []
    private var counter = 0

    mutating func push(_ c: Commit) {
        heap.append((c.time, counter, c))
        counter += 1
        var i = heap.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard before(heap[i], heap[parent]) else { break }
            heap.swapAt(i, parent)
            i = parent
        }
    }

    mutating func pop() -> Commit? {
        guard !heap.isEmpty else { return nil }
        heap.swapAt(0, heap.count - 1)
        let top = heap.removeLast()
        var i = 0
        while true {
            let l = 2 * i + 1, r = l + 1
            var best = i
            if l < heap.count, before(heap[l], heap[best]) { best = l }
            if r < heap.count, before(heap[r], heap[best]) { best = r }
            if best == i { break }
            heap.swapAt(i, best)
            i = best
        }
        return top.commit
    }

    private func before(_ a: (time: Int64, order: Int, commit: Commit), _ b: (time: Int64, order: Int, commit: Commit)) -> Bool {
        a.time != b.time ? a.time > b.time : a.order < b.order
    }
}
