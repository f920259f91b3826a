import Synchronization

/// Reads files of one commit by absolute path, for loaders that know only
/// paths (runbooks and the runbooks they include). A libgit2 repository
/// handle must not be used from two threads at once, so every call takes
/// the lock; that makes the reader safe to share.
public final class RevisionReader: Sendable {
    public let revision: Revision
    /// The working tree's top level: absolute paths below it name files of
    /// the commit.
    public let workdir: String
    private let repo: Mutex<Repository>

    /// Opens the repository containing `path` and resolves `spec` in it.
    public init(repositoryAt path: String, revision spec: String) throws(GitError) {
        guard let repo = try Repository.discover(from: path) else {
            throw GitError(message: "--rev needs a git repository, and \(path) is not inside one", kind: .notFound)
        }
        guard let workdir = repo.workdir else {
            throw GitError(message: "the repository at \(path) is bare: it has no working tree to name runbooks in")
        }
        self.revision = try repo.resolve(spec)
        self.workdir = workdir
        self.repo = Mutex(repo)
    }

    /// `absolute` relative to the top level; nil outside the repository.
    public func relativePath(_ absolute: String) -> String? {
        let prefix = workdir == "/" ? "/" : workdir + "/"
        guard absolute.hasPrefix(prefix), absolute.count > prefix.count else { return nil }
        return String(absolute.dropFirst(prefix.count))
    }

    /// The file's bytes at the revision; a clear error when it has no such
    /// file or the path lies outside the repository.
    public func read(_ absolute: String) throws(GitError) -> [UInt8] {
        guard let rel = relativePath(absolute) else {
            throw GitError(message: "\(absolute) is outside the repository \(workdir), so it has no version at \(revision.spec)", kind: .notFound)
        }
        let bytes = try repo.withLock { repo throws(GitError) in try repo.file(rel, at: revision.commit) }
        guard let bytes else {
            throw GitError(message: "\(rel) does not exist at \(revisionName)", kind: .notFound)
        }
        return bytes
    }

    public func exists(_ absolute: String) -> Bool {
        guard let rel = relativePath(absolute) else { return false }
        return repo.withLock { $0.hasFile(rel, at: revision.commit) }
    }

    /// The commit that last changed the file as of the revision; nil when
    /// the revision has no such file.
    public func lastChange(of absolute: String) throws(GitError) -> CommitInfo? {
        guard let rel = relativePath(absolute) else { return nil }
        return try repo.withLock { repo throws(GitError) in try repo.lastChange(of: rel, at: revision.commit) }
    }

    /// YAML files under the folder `absolute` at the revision, as absolute paths.
    public func yamlFiles(in absolute: String) -> [String] {
        let rel = absolute == workdir ? "" : relativePath(absolute)
        guard let rel else { return [] }
        let files = repo.withLock { $0.files(under: rel, at: revision.commit) }
        return files.filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted().map { workdir + "/" + $0 }
    }

    /// `v1.2 (3f9c2a1)`, or just the short id when that is what was given.
    public var revisionName: String {
        revision.commit.hasPrefix(revision.spec) ? revision.shortID : "\(revision.spec) (\(revision.shortID))"
    }
}
