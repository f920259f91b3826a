import Foundation
import MusterGit
import MusterTestSupport
import Testing

/// Runs a bash script in `dir` with a fixed git identity and no global or
/// system configuration, so tests do not depend on the machine's git setup.
@discardableResult
func shellSync(_ script: String, in dir: String, env: [String: String] = [:]) throws -> String {
    var fixed = [
        "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": "/dev/null",
        "GIT_AUTHOR_NAME": "Alice Example", "GIT_AUTHOR_EMAIL": "alice@example.com",
        "GIT_COMMITTER_NAME": "Alice Example", "GIT_COMMITTER_EMAIL": "alice@example.com",
    ]
    for (k, v) in env { fixed[k] = v }
    return try sh(script, cwd: dir, env: fixed)
}

/// `shellSync` on a thread of its own: Swift Testing runs tests on the few
/// threads of the cooperative pool, and a test blocked on a process there
/// starves the other suites' async tests.
@discardableResult
func shell(_ script: String, in dir: String, env: [String: String] = [:]) async throws -> String {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try shellSync(script, in: dir, env: env) }) }.start()
    }
}

func tempDir() throws -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("muster-git-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: dir + "/a/b", withIntermediateDirectories: true)
    return dir
}

/// A commit at a fixed time, so the order of commits does not depend on
/// how fast the test runs: `commit 3 "subject"` is 3 minutes after the first.
let commitFunction = """
commit() { GIT_AUTHOR_DATE="2026-01-01T00:$(printf %02d "$1"):00Z" GIT_COMMITTER_DATE="2026-01-01T00:$(printf %02d "$1"):00Z" git commit -q -m "$2"; }
"""

func repo(_ script: String) async throws -> (dir: String, repo: Repository) {
    let dir = try tempDir()
    try await shell("git init -q -b main .\n" + commitFunction + "\n" + script, in: dir)
    let r = try #require(try Repository.discover(from: dir))
    return (dir, r)
}

@Suite("libgit2 repository discovery")
struct RepositoryTests {
    @Test func findsTheTopLevelFromASubfolder() async throws {
        let dir = try tempDir()
        try await shell("git init -q .", in: dir)
        let repo = try #require(try Repository.discover(from: dir + "/a/b"))
        #expect(repo.workdir == dir)
        #expect(repo.relativePath(dir + "/a/b/x.yaml") == "a/b/x.yaml")
        #expect(repo.relativePath("/elsewhere/x.yaml") == nil)
    }

    @Test func outsideARepositoryIsNil() async throws {
        let dir = try tempDir()
        #expect(try Repository.discover(from: dir + "/a") == nil)
    }

    @Test func bareRepositoryHasNoWorkdir() async throws {
        let dir = try tempDir()
        try await shell("git init -q --bare .", in: dir + "/a")
        let repo = try #require(try Repository.discover(from: dir + "/a"))
        #expect(repo.workdir == nil)
    }

    @Test func reportsTheLoadedLibraryVersion() throws {
        let parts = try #require(Repository.libraryVersion).split(separator: ".")
        #expect(parts.count == 3 && parts.allSatisfy { Int($0) != nil })
    }

    @Test(.enabled(if: getuid() == 0, "only root can give a folder away"))
    func aRepositoryOfAnotherUserIsRefusedWithAClearMessage() async throws {
        let dir = try tempDir()
        try await shell("git init -q . && chown -R nobody .", in: dir)
        defer { _ = try? shellSync("chown -R root .", in: dir) }
        do {
            _ = try Repository.discover(from: dir + "/a/b")
            Issue.record("a repository of another user opened")
        } catch {
            #expect(error.kind == .notOwned)
            #expect(error.message.contains("belongs to nobody (uid 65534)"), "\(error.message)")
            #expect(error.message.contains("muster runs as root"), "\(error.message)")
            #expect(error.message.contains("safe.directory \(dir)"), "\(error.message)")
            #expect(error.message.contains("nothing is wrong with its safe.directory setting"), "\(error.message)")
        }
    }
}

@Suite("git versions of a file", .serialized)
struct GitVersionTests {
    @Test func blobIDIsWhatGitHashObjectPrints() async throws {
        let dir = try tempDir()
        try "hello\n".write(toFile: dir + "/f", atomically: true, encoding: .utf8)
        let expected = try await shell("git hash-object f", in: dir).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(Repository.blobID(of: Array("hello\n".utf8)) == expected)
    }

    @Test func readsAFileAtACommitTagOrBranchFromTheObjectDatabase() async throws {
        let (dir, r) = try await repo("""
        mkdir runbooks && echo v1 > runbooks/x.yaml && git add . && commit 1 one && git tag v1
        echo v2 > runbooks/x.yaml && git add . && commit 2 two && git branch old HEAD~1
        echo v3-uncommitted > runbooks/x.yaml
        """)
        let v1 = try r.resolve("v1")
        #expect(try r.file("runbooks/x.yaml", at: v1.commit) == Array("v1\n".utf8))
        #expect(try r.file("runbooks/x.yaml", at: r.resolve("old").commit) == Array("v1\n".utf8))
        #expect(try r.file("runbooks/x.yaml", at: r.resolve("HEAD").commit) == Array("v2\n".utf8))
        #expect(try r.file("runbooks/x.yaml", at: r.resolve(String(v1.commit.prefix(8))).commit) == Array("v1\n".utf8))
        #expect(try r.file("runbooks/nope.yaml", at: v1.commit) == nil)
        #expect(r.files(under: "runbooks", at: v1.commit) == ["runbooks/x.yaml"])
        // The working tree is untouched.
        #expect(try String(contentsOfFile: dir + "/runbooks/x.yaml", encoding: .utf8) == "v3-uncommitted\n")
        do {
            _ = try r.resolve("v9")
            Issue.record("v9 resolved")
        } catch {
            #expect(error.kind == .notFound)
            #expect(error.message.contains("unknown revision 'v9'"), "\(error.message)")
        }
    }

    @Test func aRevisionReaderReadsByAbsolutePathAndSaysWhatIsMissing() async throws {
        let (dir, _) = try await repo("mkdir runbooks && echo v1 > runbooks/x.yaml && git add . && commit 1 one && git tag v1")
        let reader = try RevisionReader(repositoryAt: dir + "/runbooks", revision: "v1")
        #expect(try reader.read(dir + "/runbooks/x.yaml") == Array("v1\n".utf8))
        #expect(reader.exists(dir + "/runbooks/x.yaml"))
        #expect(!reader.exists(dir + "/runbooks/y.yaml"))
        #expect(reader.yamlFiles(in: dir + "/runbooks") == [dir + "/runbooks/x.yaml"])
        #expect(throws: GitError.self) { try reader.read(dir + "/runbooks/y.yaml") }
        do {
            _ = try reader.read(dir + "/runbooks/y.yaml")
        } catch {
            #expect(error.message.hasPrefix("runbooks/y.yaml does not exist at v1 ("), "\(error.message)")
        }
        let outside = try tempDir()
        #expect(throws: GitError.self) { try RevisionReader(repositoryAt: outside, revision: "HEAD") }
    }

    @Test func statusOfOneFile() async throws {
        let (dir, r) = try await repo("""
        echo '*.log' > .gitignore && echo a > clean.yaml && echo b > changed.yaml && echo c > staged.yaml && git add . && commit 1 one
        echo b2 > changed.yaml && echo c2 > staged.yaml && git add staged.yaml && echo new > new.yaml && echo n > added.yaml && git add added.yaml
        echo l > x.log && mkdir fresh && echo f > fresh/deep.yaml
        """)
        _ = dir
        #expect(try r.status(of: "clean.yaml") == .unmodified)
        #expect(try r.status(of: "changed.yaml") == .modified)
        #expect(try r.status(of: "staged.yaml") == .modified)
        #expect(try r.status(of: "new.yaml") == .untracked)
        #expect(try r.status(of: "fresh/deep.yaml") == .untracked)
        #expect(try r.status(of: "added.yaml") == .added)
        #expect(try r.status(of: "x.log") == .ignored)
        #expect(try r.status(of: "nowhere.yaml") == .missing)
        #expect(!FileStatus.unmodified.isDirty && FileStatus.untracked.isDirty)
    }

    @Test func lastChangeIsTheCommitThatLastChangedThePath() async throws {
        let (_, r) = try await repo("""
        echo 1 > rb.yaml && git add . && commit 1 "add rb"
        echo 2 > rb.yaml && git add . && commit 2 "change rb"
        echo o > other && git add . && commit 3 "other file"
        """)
        let last = try #require(try r.lastChange(of: "rb.yaml"))
        #expect(last.subject == "change rb")
        #expect(last.authorName == "Alice Example")
        #expect(last.shortID.count >= 7 && last.id.hasPrefix(last.shortID))
        #expect(try r.lastChange(of: "untracked.yaml") == nil)
        let h = try r.history(of: "rb.yaml")
        #expect(h.commits.map(\.subject) == ["change rb", "add rb"])
        #expect(!h.stoppedAtShallowBoundary)
    }

    @Test func historyFollowsRenamesExactAndSimilar() async throws {
        let (_, r) = try await repo("""
        mkdir runbooks && printf 'line1\\nline2\\nline3\\nline4\\nline5\\n' > runbooks/failover.yaml && git add . && commit 1 "add failover"
        printf 'line1\\nline2\\nline3\\nline4\\nline5\\nline6\\n' > runbooks/failover.yaml && git add . && commit 2 "longer"
        git mv runbooks/failover.yaml runbooks/region-failover.yaml && commit 3 "rename"
        echo unrelated > other && git add . && commit 4 "unrelated"
        git mv runbooks/region-failover.yaml runbooks/rf.yaml && printf 'line1\\nline2\\nline3\\nline4\\nline5\\nline6\\nline7\\n' > runbooks/rf.yaml && git add -A && commit 5 "rename and edit"
        """)
        let h = try r.history(of: "runbooks/rf.yaml")
        #expect(h.commits.map(\.subject) == ["rename and edit", "rename", "longer", "add failover"])
        #expect(h.commits.map(\.path) == ["runbooks/rf.yaml", "runbooks/region-failover.yaml", "runbooks/failover.yaml", "runbooks/failover.yaml"])
        #expect(h.commits.map(\.renamedFrom) == ["runbooks/region-failover.yaml", "runbooks/failover.yaml", nil, nil])
        #expect(try r.lastChange(of: "runbooks/rf.yaml")?.subject == "rename and edit")
    }

    @Test func mergesFollowTheParentWhoseVersionWasKept() async throws {
        let (_, r) = try await repo("""
        echo base > rb.yaml && git add . && commit 1 base
        git checkout -q -b side && echo side > rb.yaml && git add . && commit 2 "side change"
        git checkout -q main && echo o > other && git add . && commit 3 "main other"
        GIT_AUTHOR_DATE=2026-01-01T00:04:00Z GIT_COMMITTER_DATE=2026-01-01T00:04:00Z git merge -q --no-edit side
        git checkout -q -b thrown HEAD~1 && echo thrown > rb.yaml && git add . && commit 5 "thrown away"
        git checkout -q main && GIT_AUTHOR_DATE=2026-01-01T00:06:00Z GIT_COMMITTER_DATE=2026-01-01T00:06:00Z git merge -q --no-edit -s ours thrown
        """)
        let h = try r.history(of: "rb.yaml")
        #expect(h.commits.map(\.subject) == ["side change", "base"])
        #expect(try r.lastChange(of: "rb.yaml")?.subject == "side change")
    }

    @Test func aMergeThatResolvedAConflictIsTheChange() async throws {
        let (_, r) = try await repo("""
        echo base > rb.yaml && git add . && commit 1 base
        git checkout -q -b side && echo side > rb.yaml && git add . && commit 2 "side"
        git checkout -q main && echo main > rb.yaml && git add . && commit 3 "main"
        git merge -q side || true
        echo resolved > rb.yaml && git add . && commit 4 "merge side"
        """)
        let h = try r.history(of: "rb.yaml")
        #expect(h.commits.map(\.subject) == ["merge side", "main", "side", "base"])
    }

    @Test func detachedHeadIsWhereTheWalkStarts() async throws {
        let (dir, _) = try await repo("""
        echo 1 > rb.yaml && git add . && commit 1 one
        echo 2 > rb.yaml && git add . && commit 2 two
        git checkout -q --detach HEAD~1
        """)
        let r = try #require(try Repository.discover(from: dir))
        #expect(r.isHeadDetached)
        #expect(try r.lastChange(of: "rb.yaml")?.subject == "one")
        #expect(try r.status(of: "rb.yaml") == .unmodified)
    }

    @Test func anEmptyRepositoryHasNoVersions() async throws {
        let (_, r) = try await repo("echo 1 > rb.yaml")
        #expect(r.isEmpty)
        #expect(r.headCommitID == nil)
        #expect(try r.lastChange(of: "rb.yaml") == nil)
        #expect(try r.history(of: "rb.yaml").commits.isEmpty)
        #expect(try r.status(of: "rb.yaml") == .untracked)
        do {
            _ = try r.resolve("HEAD")
            Issue.record("HEAD resolved in an empty repository")
        } catch {
            #expect(error.message.contains("no commits yet"), "\(error.message)")
        }
    }

    @Test func aShallowCloneStopsAtItsBoundary() async throws {
        let (dir, _) = try await repo("""
        echo 1 > rb.yaml && git add . && commit 1 one
        echo 2 > rb.yaml && git add . && commit 2 two
        echo o > other && git add . && commit 3 three
        echo o2 > other && git add . && commit 4 four
        """)
        let clone = try tempDir()
        try await shell("git clone -q --depth 2 file://\(dir) c", in: clone)
        let r = try #require(try Repository.discover(from: clone + "/c"))
        #expect(r.isShallow)
        let h = try r.history(of: "rb.yaml")
        #expect(h.stoppedAtShallowBoundary)
        #expect(h.commits.map(\.subject) == ["three"])
        #expect(h.commits.first?.atShallowBoundary == true)
        #expect(try r.lastChange(of: "rb.yaml")?.subject == "three")
        let deep = try tempDir()
        try await shell("git clone -q --depth 3 file://\(dir) c", in: deep)
        let r3 = try #require(try Repository.discover(from: deep + "/c"))
        #expect(try r3.history(of: "rb.yaml").commits.map(\.subject) == ["two"])
    }

    @Test func commitsOneFileAndLeavesWhatElseIsStagedStaged() async throws {
        let (dir, r) = try await repo("""
        git config user.name 'Config Person' && git config user.email config@example.org
        echo 1 > rb.yaml && git add . && commit 1 one
        echo staged > other.yaml && git add other.yaml && echo 2 > rb.yaml && git add rb.yaml
        mkdir -p drills/records/d && echo '{}' > drills/records/d/1.json
        """)
        let made = try r.commitFile("drills/records/d/1.json", message: "Drill record: d\n\nbody", fallbackName: "alice")
        #expect(made.subject == "Drill record: d")
        #expect(made.authorName == "Config Person" && made.authorEmail == "config@example.org")
        let files = try await shell("git show --name-only --format= HEAD", in: dir)
        #expect(files == "drills/records/d/1.json\n")
        let status = try await shell("git status --porcelain", in: dir)
        #expect(status == "A  other.yaml\nM  rb.yaml\n", "\(status)")
        #expect(try await shell("git log --format=%s", in: dir) == "Drill record: d\none\n")
    }

    @Test func commitsInARepositoryWithNoCommitsAndOnADetachedHead() async throws {
        let (dir, r) = try await repo("echo '{}' > rec.json && echo x > other && git add other")
        let first = try r.commitFile("rec.json", message: "first", fallbackName: "Bob Operator")
        #expect(try await shell("git ls-tree --name-only HEAD", in: dir) == "rec.json\n")
        #expect(try await shell("git status --porcelain", in: dir) == "A  other\n")
        try await shell(commitFunction + "\necho x > b && git add b && commit 2 two && git checkout -q --detach && echo '{\"a\":1}' > rec.json", in: dir)
        let r2 = try #require(try Repository.discover(from: dir))
        let second = try r2.commitFile("rec.json", message: "second", fallbackName: "Bob Operator")
        #expect(second.id != first.id)
        #expect(try await shell("git rev-parse HEAD", in: dir).hasPrefix(second.id))
        #expect(try await shell("git status --porcelain", in: dir) == "")
    }
}
