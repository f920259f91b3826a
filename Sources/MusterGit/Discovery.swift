#if canImport(Glibc)
@preconcurrency import Glibc
#endif

extension Repository {
    /// The top level of the working tree holding `path`, found the way
    /// libgit2's discovery (`discover(from:)`) finds it, without libgit2:
    /// commands that only need to know where the workspace starts (`validate`,
    /// `show`, `runs`, `log`) then never load it. Walking up from `path`, the
    /// first folder whose `.git` is a repository (a folder, or a file saying
    /// `gitdir: PATH`) is the top level. Nil outside a repository, in a bare
    /// one, at a `.git` file that names no folder, or past a change of file
    /// system (where libgit2 stops too).
    /// Whether the repository belongs to this user is not asked: its top level
    /// is the same either way.
    public static func workTreeTop(containing path: String) -> String? {
        // libgit2 starts from the real path, symbolic links resolved.
        guard let real = realpath(path, nil) else { return nil }
        var dir = String(cString: real)
        free(real)
        var device: dev_t?
        // Whether `p` may be looked at: libgit2 does not cross into another
        // file system from where its walk started.
        func onDevice(_ p: String) -> Bool? {
            var st = stat()
            guard stat(p, &st) == 0 else { return nil }
            if let device { return st.st_dev == device }
            device = st.st_dev
            return true
        }
        while true {
            let dotGit = dir == "/" ? "/.git" : dir + "/.git"
            switch onDevice(dotGit) {
            case false?: return nil
            case true?:
                if isFolder(dotGit) {
                    if isRepository(dotGit) { return dir }
                } else if isFile(dotGit) {
                    // A `.git` file that names no folder stops the search,
                    // as it stops git and libgit2.
                    guard let linked = gitFileTarget(dotGit, in: dir) else { return nil }
                    if isRepository(linked) { return dir }
                }
            case nil: break
            }
            if onDevice(dir) == false { return nil }
            // The folder itself a repository: `.git` (its parent is the top
            // level) or a bare one (no working tree).
            if isRepository(dir) {
                guard dir.hasSuffix("/.git") else { return nil }
                return parent(of: dir)
            }
            guard dir != "/" else { return nil }
            dir = parent(of: dir)
        }
    }

    private static func parent(of dir: String) -> String {
        guard let slash = dir.lastIndex(of: "/"), slash != dir.startIndex else { return "/" }
        return String(dir[..<slash])
    }

    private static func isFolder(_ p: String) -> Bool {
        var st = stat()
        return stat(p, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    private static func isFile(_ p: String) -> Bool {
        var st = stat()
        return stat(p, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG
    }

    /// libgit2's test of a git folder: a `HEAD` file, and `objects` and
    /// `refs` folders in it or in the folder its `commondir` names (a
    /// linked worktree's).
    private static func isRepository(_ gitDir: String) -> Bool {
        var common = gitDir
        if isFile(gitDir + "/commondir") {
            guard let text = firstLine(gitDir + "/commondir"), !text.isEmpty else { return false }
            common = text.hasPrefix("/") ? text : gitDir + "/" + text
        }
        return isFolder(common) && isFile(gitDir + "/HEAD") && isFolder(common + "/objects") && isFolder(common + "/refs")
    }

    /// The folder a `.git` file names (`gitdir: PATH`, relative to `dir`).
    private static func gitFileTarget(_ file: String, in dir: String) -> String? {
        guard let line = firstLine(file), line.hasPrefix("gitdir:") else { return nil }
        let target = String(line.dropFirst("gitdir:".count).drop { $0 == " " })
        guard !target.isEmpty else { return nil }
        return target.hasPrefix("/") ? target : (dir == "/" ? "/" : dir + "/") + target
    }

    /// The file's first line, without its line ending; nil when unreadable.
    private static func firstLine(_ path: String) -> String? {
        guard let f = fopen(path, "r") else { return nil }
        defer { fclose(f) }
        var buf = [CChar](repeating: 0, count: 4096)
        guard fgets(&buf, Int32(buf.count), f) != nil else { return "" }
        var line = String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        while let last = line.last, last == "\n" || last == "\r" { line.removeLast() }
        return line
    }
}
