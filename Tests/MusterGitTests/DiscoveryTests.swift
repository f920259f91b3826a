import Foundation
import MusterGit
import Testing

/// `Repository.workTreeTop` finds what libgit2's discovery finds, without
/// libgit2: each case asks both, from the folder named.
@Suite("the working tree's top level without libgit2")
struct DiscoveryTests {
    /// Both answers from `path`: libgit2's working tree and ours.
    func both(_ path: String) throws -> (libgit2: String?, ours: String?) {
        let repo = try Repository.discover(from: path)
        return (repo?.workdir, Repository.workTreeTop(containing: path))
    }

    @Test func aRepositoryFromItsTopLevelAndFromBelow() async throws {
        let dir = try tempDir()
        try await shell("git init -q .", in: dir)
        for path in [dir, dir + "/a", dir + "/a/b", dir + "/a/b/"] {
            let (libgit2, ours) = try both(path)
            #expect(ours == dir, "from \(path)")
            #expect(ours == libgit2, "from \(path)")
        }
    }

    @Test func outsideARepositoryAndInABareOneThereIsNone() async throws {
        let dir = try tempDir()
        #expect(Repository.workTreeTop(containing: dir + "/a") == nil)
        try await shell("git init -q --bare .", in: dir + "/a")
        let (libgit2, ours) = try both(dir + "/a")
        #expect(libgit2 == nil && ours == nil)
        #expect(Repository.workTreeTop(containing: dir + "/nowhere") == nil)
    }

    @Test func aDotGitFolderThatIsNoRepositoryIsPassedOverAndAMalformedGitFileStops() async throws {
        let dir = try tempDir()
        try await shell("git init -q . && mkdir a/.git", in: dir)
        let (libgit2, ours) = try both(dir + "/a/b")
        #expect(ours == dir)
        #expect(ours == libgit2)
        // git and libgit2 refuse to go on past a `.git` file they cannot read.
        try "not a gitdir line\n".write(toFile: dir + "/a/b/.git", atomically: true, encoding: .utf8)
        #expect(throws: GitError.self) { try Repository.discover(from: dir + "/a/b") }
        #expect(Repository.workTreeTop(containing: dir + "/a/b") == nil)
    }

    @Test func aLinkedWorktreeAndASeparateGitFolderAreFoundThroughTheirGitFile() async throws {
        let dir = try tempDir()
        try await shell("""
            mkdir main && cd main && git init -q . && git -c user.name=A -c user.email=a@example.com commit -q --allow-empty -m one
            git worktree add -q ../a/linked
            cd .. && git init -q --separate-git-dir "$PWD/gitdir" sep
            """, in: dir)
        for (path, top) in [(dir + "/a/linked", dir + "/a/linked"), (dir + "/sep", dir + "/sep")] {
            try FileManager.default.createDirectory(atPath: path + "/x", withIntermediateDirectories: true)
            let (libgit2, ours) = try both(path + "/x")
            #expect(ours == top, "from \(path)/x")
            #expect(ours == libgit2, "from \(path)/x")
        }
    }

    @Test func symbolicLinksAreResolvedAsLibgit2ResolvesThem() async throws {
        let dir = try tempDir()
        try await shell("git init -q a && ln -s a/b link", in: dir)
        let (libgit2, ours) = try both(dir + "/link")
        #expect(ours == dir + "/a")
        #expect(ours == libgit2)
    }
}
