internal import CGit2

extension Repository {
    /// git's `user.name` as `git config user.name` run in `path` prints it:
    /// the repository's configuration when `path` is inside one, else the
    /// global and system files. Nil when none sets it, or it is blank. A
    /// repository that cannot be opened (another user's) counts as none:
    /// the name is for showing, never a reason to stop.
    public static func configuredUserName(from path: String) -> String? {
        guard libgit2Problem == nil else { return nil }
        var config: OpaquePointer?
        if let repo = try? discover(from: path) {
            guard git_repository_config_snapshot(&config, repo.handle) == 0 else { return nil }
        } else {
            var live: OpaquePointer?
            guard git_config_open_default(&live) == 0, let live else { return nil }
            defer { git_config_free(live) }
            guard git_config_snapshot(&config, live) == 0 else { return nil }
        }
        guard let config else { return nil }
        defer { git_config_free(config) }
        var value: UnsafePointer<CChar>?
        guard git_config_get_string(&value, config, "user.name") == 0, let value else { return nil }
        let name = String(cString: value).drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed()
        return name.isEmpty ? nil : String(name)
    }
}
