internal import CGit2

/// How the working tree's copy of one file compares with HEAD.
public enum FileStatus: String, Sendable, Equatable {
    /// As committed at HEAD.
    case unmodified
    /// Changed since HEAD, in the working tree or staged.
    case modified
    /// Staged as a new file but never committed.
    case added
    /// Not known to git at all.
    case untracked
    /// Not known to git, and matched by `.gitignore`.
    case ignored
    /// Neither in HEAD, the index nor the working tree.
    case missing

    /// Whether the working tree copy differs from HEAD.
    public var isDirty: Bool { self != .unmodified }

    /// A few words for a warning: "has uncommitted changes".
    public var phrase: String {
        switch self {
        case .unmodified: return "is as committed"
        case .modified: return "has uncommitted changes"
        case .added: return "is staged but was never committed"
        case .untracked: return "is not committed (untracked)"
        case .ignored: return "is not committed (ignored by .gitignore)"
        case .missing: return "is not in the repository"
        }
    }
}

extension Repository {
    /// The status of one file, `path` relative to the top level, as
    /// `git status` would report it (content filters such as line endings
    /// applied, the index's stat cache used).
    public func status(of path: String) throws(GitError) -> FileStatus {
        var flags: UInt32 = 0
        let rc = git_status_file(&flags, handle, path)
        if rc == GIT_ENOTFOUND.rawValue { return .missing }
        guard rc == 0 else { throw GitError.last("cannot get the git status of \(path)", code: rc) }
        if flags == GIT_STATUS_CURRENT.rawValue { return .unmodified }
        if flags & GIT_STATUS_IGNORED.rawValue != 0 { return .ignored }
        if flags == GIT_STATUS_WT_NEW.rawValue { return .untracked }
        if flags & GIT_STATUS_INDEX_NEW.rawValue != 0 { return .added }
        return .modified
    }
}
