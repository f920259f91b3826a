#if canImport(Glibc)
@preconcurrency import Glibc
#endif
import Foundation
import MusterTestSupport
import Testing

/// A git repository in a temporary folder with a runbook that includes
/// another and a drill of it. The `git` CLI builds it (tests may shell out;
/// muster itself only uses libgit2), with a fixed identity and no global
/// configuration, and commits at fixed times so their order is certain.
struct GitRepo {
    let dir: String

    static let failover = """
    muster: 1
    name: failover
    title: Failover
    steps:
      - id: declare
        title: Declare
        manual: [Open the incident]
      - id: part
        title: The part
        runbook: part
    """

    static func part(_ version: String, name: String = "part") -> String {
        """
        muster: 1
        name: \(name)
        title: Part
        steps:
          - id: say
            title: Say the version
            run: echo "part \(version)"
        """
    }

    static let drill = """
    muster: 1
    drill: failover-drill
    runbook: failover
    rto: 20m
    """

    static let gitEnv = [
        "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": "/dev/null",
        "GIT_AUTHOR_NAME": "Alice Example", "GIT_AUTHOR_EMAIL": "alice@example.com",
        "GIT_COMMITTER_NAME": "Alice Example", "GIT_COMMITTER_EMAIL": "alice@example.com",
    ]

    /// `commit N "subject"`: a commit of what is staged, N minutes after the first.
    static let commitFunction = """
    commit() { GIT_AUTHOR_DATE="2026-01-01T00:$(printf %02d "$1"):00Z" GIT_COMMITTER_DATE="2026-01-01T00:$(printf %02d "$1"):00Z" git commit -q -m "$2"; }
    """

    /// With `commit`, the runbooks and drill are committed as "Add failover" (tag v1).
    init(commit: Bool = true, git: Bool = true) async throws {
        dir = try temporaryDirectory()
        for d in ["runbooks", "drills"] { try FileManager.default.createDirectory(atPath: dir + "/" + d, withIntermediateDirectories: true) }
        try write("runbooks/failover.yaml", Self.failover)
        try write("runbooks/part.yaml", Self.part("v1"))
        try write("drills/failover-drill.yaml", Self.drill)
        try write(".gitignore", ".muster/\n")
        guard git else { return }
        try await self.git("git init -q -b main . && git config user.name 'Repo Person' && git config user.email repo@example.org")
        if commit { try await self.git("git add -A && commit 1 'Add failover' && git tag v1") }
    }

    @discardableResult
    func git(_ script: String) async throws -> String {
        let (dir, env) = (dir, Self.gitEnv)
        return try await offPool { try sh(Self.commitFunction + "\n" + script, cwd: dir, env: env) }
    }

    func write(_ path: String, _ text: String) throws {
        try FileManager.default.createDirectory(atPath: ((dir + "/" + path) as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: dir + "/" + path, atomically: true, encoding: .utf8)
    }

    func run(_ args: [String], stdin: String = "", env: [String: String] = [:], cwd: String? = nil) async throws -> Result {
        let where_ = cwd ?? dir
        return try await offPool { try muster(args, cwd: where_, stdin: stdin, env: env) }
    }

    /// The `run` object of the newest run's `run_started` event.
    func runInfo() throws -> [String: Any] {
        let runs = try FileManager.default.contentsOfDirectory(atPath: dir + "/.muster/runs").sorted()
        let text = try String(contentsOfFile: "\(dir)/.muster/runs/\(runs.last!)/journal.jsonl", encoding: .utf8)
        let first = try JSONSerialization.jsonObject(with: Data(text.split(separator: "\n")[0].utf8)) as! [String: Any]
        #expect(first["event"] as? String == "run_started")
        return first["run"] as! [String: Any]
    }

    func records() throws -> [[String: Any]] {
        let d = dir + "/drills/records/failover-drill"
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: d) else { return [] }
        return try names.sorted().map { try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: d + "/" + $0))) as! [String: Any] }
    }

    func head(_ path: String? = nil) async throws -> String {
        try await git("git log -1 --format=%H" + (path.map { " -- \($0)" } ?? "")).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

/// Runs blocking work (processes and their pipes) on a thread of its own.
/// Swift Testing runs tests on the few threads of the cooperative pool (two
/// on a two-core machine); a test blocked in `waitUntilExit` there starves
/// the suites that drive a live muster against a deadline.
@discardableResult
func offPool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Swift.Result { try work() }) }.start()
    }
}

/// Serialized: each test starts several git and muster processes, and run
/// side by side they starve the suites that drive a live muster against a
/// deadline (KillResumeTests) on a two-core machine.
@Suite("git versions of runbooks: journal, drills, --rev, history, --commit-record", .serialized)
struct GitVersionTests {
    // MARK: - What a run records

    @Test func aRunJournalsTheCommitThatLastChangedTheRunbookAndItsContentHash() async throws {
        let g = try await GitRepo()
        try await g.git("echo x > unrelated && git add unrelated && commit 2 'Unrelated'")
        let r = try await g.run(["run", "failover", "--yes"])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(!r.stderr.contains("warning"), "\(r.stderr)")
        let info = try g.runInfo()
        #expect(info["runbook_path"] as? String == "runbooks/failover.yaml")
        #expect(info["runbook_commit"] as? String == (try await g.head("runbooks/failover.yaml")))
        #expect(info["runbook_commit"] as? String != (try await g.head()))
        #expect(info["runbook_dirty"] as? Bool == false)
        #expect(info["runbook_hash"] as? String == (try await g.git("git hash-object runbooks/failover.yaml")).trimmingCharacters(in: .whitespacesAndNewlines))
        #expect((info["included_commits"] as? [String: String])?["part"] == (try await g.head("runbooks/part.yaml")))
        #expect(info["runbook_rev"] == nil)
    }

    @Test func uncommittedChangesWarnNamingTheFileAndTheRunIsJournaledDirty() async throws {
        let g = try await GitRepo()
        try g.write("runbooks/part.yaml", GitRepo.part("v2-uncommitted"))
        let r = try await g.run(["run", "failover", "--yes"])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stderr.contains("muster: warning: runbooks/part.yaml has uncommitted changes"), "\(r.stderr)")
        #expect(r.stderr.contains("journaled as dirty"), "\(r.stderr)")
        #expect(r.stdout.contains("part v2-uncommitted"))
        let info = try g.runInfo()
        #expect(info["runbook_dirty"] as? Bool == true)
        #expect(info["runbook_commit"] as? String == (try await g.head()))
    }

    @Test func anUntrackedRunbookHasNoCommitAndIsDirty() async throws {
        let g = try await GitRepo(commit: false)
        try await g.git("git add .gitignore && commit 1 'Ignore state'")
        let r = try await g.run(["run", "failover", "--yes"])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stderr.contains("runbooks/failover.yaml is not committed (untracked)"), "\(r.stderr)")
        let info = try g.runInfo()
        #expect(info["runbook_commit"] is NSNull)
        #expect(info["runbook_dirty"] as? Bool == true)
    }

    @Test func aDetachedHeadRecordsTheVersionItPointsAt() async throws {
        let g = try await GitRepo()
        try g.write("runbooks/part.yaml", GitRepo.part("v2"))
        try await g.git("git add -A && commit 2 'Part v2' && git checkout -q --detach v1")
        let r = try await g.run(["run", "failover", "--yes"])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("part v1"))
        let info = try g.runInfo()
        #expect((info["included_commits"] as? [String: String])?["part"] == (try await g.git("git rev-parse v1")).trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(info["runbook_dirty"] as? Bool == false)
    }

    @Test func outsideGitEverythingWorksAndTheCommitIsNull() async throws {
        let g = try await GitRepo(git: false)
        let r = try await g.run(["run", "failover", "--yes"])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(!r.stderr.contains("warning"), "\(r.stderr)")
        let info = try g.runInfo()
        #expect(info["runbook_commit"] is NSNull)
        #expect(info["runbook_dirty"] as? Bool == false)
        let d = try await g.run(["drill", "failover-drill", "--yes"])
        #expect(d.status == 0, "\(d.stdout)\(d.stderr)")
        let rec = try #require(try g.records().first)
        #expect(rec["runbook_commit"] is NSNull)
        #expect(rec["runbook_dirty"] as? Bool == false)
        let h = try await g.run(["history", "failover"])
        #expect(h.status == 0)
        #expect(h.stdout.contains("No history: runbooks/failover.yaml is not in a git repository"), "\(h.stdout)")
        let rev = try await g.run(["show", "failover", "--rev", "HEAD"])
        #expect(rev.status == 2)
        #expect(rev.stderr.contains("--rev needs a git repository"), "\(rev.stderr)")
    }

    // MARK: - Drills

    @Test func aDrillRecordPointsAtTheCommitItRan() async throws {
        let g = try await GitRepo()
        let r = try await g.run(["drill", "failover-drill", "--yes"])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        let rec = try #require(try g.records().first)
        #expect(rec["runbook_commit"] as? String == (try await g.head()))
        #expect(rec["runbook_dirty"] as? Bool == false)
        #expect(rec["runbook_hash"] as? String == (try await g.git("git hash-object runbooks/failover.yaml")).trimmingCharacters(in: .whitespacesAndNewlines))
    }

    @Test func aDrillRefusesUncommittedChangesUnlessAllowDirty() async throws {
        let g = try await GitRepo()
        try g.write("runbooks/part.yaml", GitRepo.part("v2-uncommitted"))
        let refused = try await g.run(["drill", "failover-drill", "--yes"])
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("runbooks/part.yaml has uncommitted changes"), "\(refused.stderr)")
        #expect(refused.stderr.contains("--allow-dirty"), "\(refused.stderr)")
        #expect(!refused.stdout.contains("part v2"))
        #expect(try g.records().isEmpty)
        #expect(!FileManager.default.fileExists(atPath: g.dir + "/.muster/runs"))

        let allowed = try await g.run(["drill", "failover-drill", "--yes", "--allow-dirty"])
        #expect(allowed.status == 0, "\(allowed.stdout)\(allowed.stderr)")
        #expect(allowed.stderr.contains("runbooks/part.yaml has uncommitted changes"))
        let rec = try #require(try g.records().first)
        #expect(rec["runbook_dirty"] as? Bool == true)
        #expect(rec["runbook_commit"] as? String == (try await g.head()))
    }

    @Test func aDrillOfAnUntrackedRunbookIsRefused() async throws {
        let g = try await GitRepo()
        try g.write("runbooks/new.yaml", GitRepo.part("new", name: "new"))
        try g.write("drills/new-drill.yaml", "muster: 1\ndrill: new-drill\nrunbook: new\n")
        let r = try await g.run(["drill", "new-drill", "--yes"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("runbooks/new.yaml is not committed (untracked)"), "\(r.stderr)")
    }

    /// Issue 11, finding 8: a committed symlink is clean in git whatever its
    /// target holds, so a link to a file outside the repository ran that
    /// file's edits with `runbook_dirty: false`.
    @Test func aDrillRefusesARunbookThatResolvesOutsideTheRepository() async throws {
        let g = try await GitRepo()
        let outside = try temporaryDirectory()
        try GitRepo.part("from-outside").write(toFile: outside + "/part.yaml", atomically: true, encoding: .utf8)
        try await g.git("rm -f runbooks/part.yaml && ln -s '\(outside)/part.yaml' runbooks/part.yaml && git add -A && commit 2 'Link the part'")
        #expect(try await g.git("git status --porcelain").isEmpty, "git sees nothing to commit")
        let refused = try await g.run(["drill", "failover-drill", "--yes"])
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("runbooks/part.yaml resolves to \(outside)/part.yaml, outside the repository"), "\(refused.stderr)")
        #expect(!refused.stdout.contains("part from-outside"))
        #expect(try g.records().isEmpty)

        let allowed = try await g.run(["drill", "failover-drill", "--yes", "--allow-dirty"])
        #expect(allowed.status == 0, "\(allowed.stdout)\(allowed.stderr)")
        #expect(allowed.stdout.contains("part from-outside"))
        #expect(try g.records().first?["runbook_dirty"] as? Bool == true)
    }

    /// The same for the drill's own runbook linked out, and for an include
    /// written as a path that leads out of the repository.
    @Test func aDrillRefusesAnIncludeByPathOutsideTheRepository() async throws {
        let g = try await GitRepo()
        let outside = try temporaryDirectory()
        try GitRepo.part("from-outside").write(toFile: outside + "/part.yaml", atomically: true, encoding: .utf8)
        try g.write("runbooks/failover.yaml", GitRepo.failover.replacingOccurrences(of: "runbook: part", with: "runbook: \(outside)/part.yaml"))
        try await g.git("git add -A && commit 2 'Include by path'")
        let r = try await g.run(["drill", "failover-drill", "--yes"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("\(outside)/part.yaml resolves to \(outside)/part.yaml, outside the repository") || r.stderr.contains("\(outside)/part.yaml is outside the repository"), "\(r.stderr)")

        try await g.git("mv runbooks/failover.yaml '\(outside)/failover.yaml' && ln -s '\(outside)/failover.yaml' runbooks/failover.yaml && git add -A && commit 3 'Link the runbook'")
        let linked = try await g.run(["drill", "failover-drill", "--yes"])
        #expect(linked.status == 2)
        #expect(linked.stderr.contains("runbooks/failover.yaml resolves to \(outside)/failover.yaml, outside the repository"), "\(linked.stderr)")
    }

    /// A link inside the repository is fine while its target is committed,
    /// and dirty when the target has uncommitted changes (the link itself
    /// is unchanged in git).
    @Test func aLinkInsideTheRepositoryIsAsCleanAsItsTarget() async throws {
        let g = try await GitRepo()
        try await g.git("mkdir -p shared && git mv runbooks/part.yaml shared/part.yaml && ln -s ../shared/part.yaml runbooks/part.yaml && git add -A && commit 2 'Share the part'")
        let clean = try await g.run(["drill", "failover-drill", "--yes"])
        #expect(clean.status == 0, "\(clean.stdout)\(clean.stderr)")
        try g.write("shared/part.yaml", GitRepo.part("v2-uncommitted"))
        let dirty = try await g.run(["drill", "failover-drill", "--yes"])
        #expect(dirty.status == 2)
        #expect(dirty.stderr.contains("shared/part.yaml has uncommitted changes"), "\(dirty.stderr)")
    }

    // MARK: - --rev

    @Test func revReadsTheRunbookAndItsIncludesFromTheCommitNotTheWorkingTree() async throws {
        let g = try await GitRepo()
        try g.write("runbooks/part.yaml", GitRepo.part("v2"))
        try await g.git("git add -A && commit 2 'Part v2'")
        try g.write("runbooks/part.yaml", GitRepo.part("v3-uncommitted"))

        let show = try await g.run(["show", "failover", "--rev", "v1"])
        #expect(show.status == 0, "\(show.stderr)")
        #expect(show.stdout.contains("echo \"part v1\"") || show.stdout.contains("part v1"), "\(show.stdout)")
        #expect(!show.stdout.contains("v3") && !show.stdout.contains("part v2"))
        let json = try await g.run(["show", "failover", "--rev", "main", "--format", "json"])
        #expect(json.stdout.contains("part v2"), "\(json.stdout)")

        let run = try await g.run(["run", "failover", "--rev", "v1", "--yes"])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(run.stdout.contains("| part v1"), "\(run.stdout)")
        #expect(run.stdout.contains("as of v1 ("), "\(run.stdout)")
        #expect(!run.stderr.contains("warning"), "\(run.stderr)")
        let info = try g.runInfo()
        let v1 = try await g.git("git rev-parse v1").trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(info["runbook_rev"] as? String == v1)
        #expect(info["runbook_commit"] as? String == v1)
        #expect(info["runbook_dirty"] as? Bool == false)
        #expect(info["runbook_hash"] as? String == (try await g.git("git rev-parse v1:runbooks/failover.yaml")).trimmingCharacters(in: .whitespacesAndNewlines))
        #expect((info["included_hashes"] as? [String: String])?["part"] == (try await g.git("git rev-parse v1:runbooks/part.yaml")).trimmingCharacters(in: .whitespacesAndNewlines))
        // The working tree is untouched.
        #expect(try String(contentsOfFile: g.dir + "/runbooks/part.yaml", encoding: .utf8).contains("v3-uncommitted"))
        #expect(try await g.git("git status --porcelain") == " M runbooks/part.yaml\n")

        let dry = try await g.run(["run", "failover", "--rev", "v1", "--dry-run"])
        #expect(dry.status == 0 && dry.stdout.contains("part v1"), "\(dry.stdout)\(dry.stderr)")
    }

    @Test func revErrorsSayWhatIsMissing() async throws {
        let g = try await GitRepo()
        try g.write("runbooks/later.yaml", GitRepo.part("later", name: "later"))
        try await g.git("git add -A && commit 2 'Add later'")
        let unknown = try await g.run(["run", "failover", "--rev", "v9", "--yes"])
        #expect(unknown.status == 2)
        #expect(unknown.stderr.contains("unknown revision 'v9'"), "\(unknown.stderr)")
        let missing = try await g.run(["show", "later", "--rev", "v1"])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("no runbook 'later' at v1 ("), "\(missing.stderr)")
        #expect(missing.stderr.contains("runbooks/later.yaml does not exist in that commit"), "\(missing.stderr)")
        // An include the old commit does not have.
        try g.write("runbooks/failover.yaml", GitRepo.failover + "\n  - id: more\n    title: More\n    runbook: later\n")
        try await g.git("git add -A && commit 3 'Include later' && git tag v3")
        try g.write("runbooks/later.yaml", GitRepo.part("later", name: "misnamed"))
        try await g.git("git add -A && commit 4 'Break later' && git tag broken && git rm -q runbooks/later.yaml && commit 5 'Drop later'")
        let include = try await g.run(["show", "failover", "--rev", "v3"])
        #expect(include.status == 0, "\(include.stderr)")
        let brokenInclude = try await g.run(["show", "failover", "--rev", "broken"])
        #expect(brokenInclude.status == 2)
        #expect(brokenInclude.stderr.contains("runs runbook 'later', which has errors; see them with `muster show runbooks/later.yaml --rev broken`"), "\(brokenInclude.stderr)")
        let broken = try await g.run(["show", "failover", "--rev", "HEAD"])
        #expect(broken.status == 2)
        #expect(broken.stderr.contains("runs runbook 'later', which does not exist (looked for runbooks/later.yaml@HEAD)"), "\(broken.stderr)")
        #expect(broken.stderr.contains("the runbook at HEAD"), "\(broken.stderr)")
    }

    @Test func aResumedRevRunReadsTheSameCommitAgain() async throws {
        let g = try await GitRepo()
        // Answers run out at the checklist: the run pauses.
        let first = try await g.run(["run", "failover", "--rev", "v1"])
        #expect(first.status == 3, "\(first.stdout)\(first.stderr)")
        try g.write("runbooks/part.yaml", GitRepo.part("v2"))
        try g.write("runbooks/failover.yaml", GitRepo.failover.replacingOccurrences(of: "The part", with: "The new part"))
        try await g.git("git add -A && commit 2 'Newer'")
        let resumed = try await g.run(["resume"], stdin: "y\n")
        #expect(resumed.status == 0, "\(resumed.stdout)\(resumed.stderr)")
        #expect(resumed.stdout.contains("| part v1"), "\(resumed.stdout)")
        #expect(!resumed.stdout.contains("The new part"))
    }

    @Test func aResumeOfAWorkingTreeRunStillNoticesAChangedRunbook() async throws {
        let g = try await GitRepo()
        let first = try await g.run(["run", "failover"])
        #expect(first.status == 3)
        try g.write("runbooks/part.yaml", GitRepo.part("v2"))
        let refused = try await g.run(["resume"], stdin: "y\n")
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("included runbook part changed"), "\(refused.stderr)")
    }

    @Test func aDrillWithRevRunsThatVersionAndRecordsIt() async throws {
        let g = try await GitRepo()
        try g.write("runbooks/part.yaml", GitRepo.part("v2"))
        try await g.git("git add -A && commit 2 'Part v2'")
        try g.write("drills/failover-drill.yaml", GitRepo.drill.replacingOccurrences(of: "20m", with: "25m"))
        let r = try await g.run(["drill", "failover-drill", "--rev", "v1", "--yes"])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("| part v1"), "\(r.stdout)")
        let rec = try #require(try g.records().first)
        #expect(rec["runbook_commit"] as? String == (try await g.git("git rev-parse v1")).trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(rec["runbook_dirty"] as? Bool == false)
        // The drill file itself is today's: its uncommitted RTO applies.
        #expect(rec["rto_seconds"] as? Int == 1500)
    }

    // MARK: - history

    @Test func historyListsVersionsFollowingRenamesWithTheDrillsOfEach() async throws {
        let g = try await GitRepo()
        var n = 0
        // Record names come from the start second: file each drill's record
        // under a name of its own, so two drills in one second are both kept.
        // Answered by a pipe; with --yes it is unattended: never a best time.
        func drill(_ extra: [String] = []) async throws {
            let d = try await g.run(["drill", "failover-drill"] + extra, stdin: extra.contains("--yes") ? "" : "y\n")
            #expect(d.status == 0, "\(d.stdout)\(d.stderr)")
            n += 1
            try await g.git("cd drills/records/failover-drill && for f in 2*.json; do mv \"$f\" \"r\(n)-$f\"; done")
        }
        try await drill()
        try await drill()
        try g.write("runbooks/failover.yaml", GitRepo.failover.replacingOccurrences(of: "Open the incident", with: "Open the incident ticket"))
        try await g.git("git add runbooks && commit 2 'Name the ticket'")
        try await drill(["--yes"])
        try g.write("runbooks/failover.yaml", GitRepo.failover + "\n# dirty\n")
        try await drill(["--allow-dirty"])
        try await g.git("git checkout -q runbooks/failover.yaml && git mv runbooks/failover.yaml runbooks/region-failover.yaml && commit 3 'Rename to region-failover'")
        try await g.git("echo x > other && git add other && commit 4 'Unrelated'")

        let h = try await g.run(["history", "region-failover"])
        #expect(h.status == 0, "\(h.stdout)\(h.stderr)")
        let lines = h.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first == "runbooks/region-failover.yaml: 3 versions, newest first", "\(h.stdout)")
        let rows = lines.filter { $0.hasPrefix("  ") }
        #expect(rows.count == 4, "\(h.stdout)")
        #expect(rows[0].split(separator: " ", omittingEmptySubsequences: true).map(String.init) == ["commit", "date", "author", "drills", "best", "subject"])
        #expect(rows[1].contains("2026-01-01  Alice Example       0  -     Rename to region-failover (renamed from runbooks/failover.yaml)"), "\(rows[1])")
        #expect(rows[2].contains("2026-01-01  Alice Example       1  -     Name the ticket"), "\(rows[2])")
        #expect(rows[2].hasSuffix("Name the ticket"))
        // The best of two instant drills: "0s", or "0.1s" on a slow machine.
        #expect(rows[3].contains("2026-01-01  Alice Example       2  0s") || rows[3].contains("2026-01-01  Alice Example       2  0."), "\(rows[3])")
        #expect(rows[3].hasSuffix("Add failover"))
        #expect(h.stdout.contains("1 drill record of this runbook ran uncommitted changes"), "\(h.stdout)")

        let json = try await g.run(["history", "runbooks/region-failover.yaml", "--json"])
        let obj = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as! [String: Any]
        let versions = try #require(obj["versions"] as? [[String: Any]])
        #expect(versions.map { $0["drills"] as? Int } == [0, 1, 2])
        #expect(versions.map { $0["path"] as? String } == ["runbooks/region-failover.yaml", "runbooks/failover.yaml", "runbooks/failover.yaml"])
        #expect(versions[2]["commit"] as? String == (try await g.git("git rev-parse v1")).trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(versions[2]["drill_names"] as? [String] == ["failover-drill"])
        #expect(versions[1]["recovered"] as? Int == 1 && versions[1]["best_elapsed_seconds"] is NSNull)
        #expect(versions[2]["best_elapsed_seconds"] is Double)
        #expect(obj["unpinned_records"] as? Int == 1)

    }

    @Test func historySaysWhyItIsEmpty() async throws {
        let empty = try await GitRepo(commit: false)
        let none = try await empty.run(["history", "failover"])
        #expect(none.status == 0)
        #expect(none.stdout.contains("has no commits yet"), "\(none.stdout)")
        try await empty.git("git add .gitignore && commit 1 'Ignore state'")
        let untracked = try await empty.run(["history", "failover"])
        #expect(untracked.status == 0)
        #expect(untracked.stdout.contains("runbooks/failover.yaml has never been committed: it is not committed (untracked)"), "\(untracked.stdout)")
        let unknown = try await empty.run(["history", "nope"])
        #expect(unknown.status == 2)
        #expect(unknown.stderr.contains("no runbook 'nope'"), "\(unknown.stderr)")
    }

    @Test func historyInAShallowCloneStopsAtTheBoundaryAndSaysSo() async throws {
        let g = try await GitRepo()
        try g.write("runbooks/failover.yaml", GitRepo.failover + "\n# v2\n")
        try await g.git("git add -A && commit 2 'Failover v2' && echo x > other && git add other && commit 3 'Other' && echo y > other && git add other && commit 4 'Other again'")
        let clone = try temporaryDirectory()
        try await offPool { try sh("git clone -q --depth 2 file://\(g.dir) c", cwd: clone, env: GitRepo.gitEnv) }
        let r = try await offPool { try muster(["history", "failover"], cwd: clone + "/c") }
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("1 version, newest first"), "\(r.stdout)")
        #expect(r.stdout.contains("Other"), "\(r.stdout)")
        #expect(r.stdout.contains("This is a shallow clone: history stops at"), "\(r.stdout)")
        // A run there records the boundary commit: the oldest it can know.
        let run = try await offPool { try muster(["run", "failover", "--yes"], cwd: clone + "/c") }
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
    }

    // MARK: - --commit-record

    @Test func commitRecordCommitsTheRecordAndNothingElseThatIsStaged() async throws {
        let g = try await GitRepo()
        try await g.git("echo staged > notes.txt && git add notes.txt")
        let r = try await g.run(["drill", "failover-drill", "--yes", "--commit-record"])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("Record committed: "), "\(r.stdout)")
        let files = try await g.git("git show --name-only --format= HEAD").split(separator: "\n")
        #expect(files.count == 1 && files[0].hasPrefix("drills/records/failover-drill/") && files[0].hasSuffix(".json"), "\(files)")
        #expect(try await g.git("git status --porcelain") == "A  notes.txt\n")
        let log = try await g.git("git log -1 --format=%an%n%ae%n%s%n%b")
        #expect(log.hasPrefix("Repo Person\nrepo@example.org\nDrill record: failover-drill recovered in "), "\(log)")
        #expect(log.contains("Runbook: runbooks/failover.yaml at \(try await g.head("runbooks").prefix(12))"), "\(log)")
        #expect(log.contains("Run: "))
    }

    @Test func commitRecordFallsBackToTheOperatorWithoutAGitIdentity() async throws {
        let g = try await GitRepo()
        try await g.git("git config --unset user.name && git config --unset user.email")
        let home = try temporaryDirectory()
        let r = try await g.run(["drill", "failover-drill", "--yes", "--commit-record"],
                          env: ["HOME": home, "XDG_CONFIG_HOME": home, "MUSTER_OPERATOR": "Dana Ops"])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(try await g.git("git log -1 --format='%an <%ae>'") == "Dana Ops <dana.ops@example.com>\n")
    }

    @Test func commitRecordOutsideGitIsRefusedBeforeTheDrill() async throws {
        let g = try await GitRepo(git: false)
        let r = try await g.run(["drill", "failover-drill", "--yes", "--commit-record"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("--commit-record: the records folder drills/records/failover-drill is not inside a git repository"), "\(r.stderr)")
        #expect(!r.stdout.contains("part v1"))
    }

    @Test func aPausedDrillsRecordIsCommittedWhenItsResumeEnds() async throws {
        let g = try await GitRepo()
        let first = try await g.run(["drill", "failover-drill", "--commit-record"])
        #expect(first.status == 3)
        #expect(first.stdout.contains("Record not committed yet: the drill is paused"), "\(first.stdout)")
        #expect(try await g.git("git log --format=%s") == "Add failover\n")
        let resumed = try await g.run(["resume"], stdin: "y\n")
        #expect(resumed.status == 0, "\(resumed.stdout)\(resumed.stderr)")
        #expect(try await g.git("git log -1 --format=%s").hasPrefix("Drill record: failover-drill recovered"))
        #expect(try await g.git("git status --porcelain") == "")
    }

    // MARK: - A repository of another user

    @Test(.enabled(if: getuid() == 0, "only root can give a folder away"))
    func aRepositoryOfAnotherUserIsNamedClearly() async throws {
        let g = try await GitRepo()
        try sh("chown -R nobody .", cwd: g.dir)
        defer { _ = try? sh("chown -R root .", cwd: g.dir) }  // quick: no need to leave the pool
        let run = try await g.run(["run", "failover", "--yes"], cwd: g.dir + "/runbooks")
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(run.stderr.contains("it belongs to nobody (uid 65534), and muster runs as root"), "\(run.stderr)")
        #expect(run.stderr.contains("git config --global --add safe.directory \(g.dir)"), "\(run.stderr)")
        #expect(run.stderr.contains("nothing is wrong with its safe.directory setting"), "\(run.stderr)")
        // State still lives at the top level, not in the folder muster ran from.
        #expect(FileManager.default.fileExists(atPath: g.dir + "/.muster/runs"))
        let info = try g.runInfo()
        #expect(info["runbook_commit"] is NSNull)
        let drill = try await g.run(["drill", "failover-drill", "--yes"])
        #expect(drill.status == 2)
        #expect(drill.stderr.contains("belongs to nobody"), "\(drill.stderr)")
        let history = try await g.run(["history", "failover"])
        #expect(history.status == 2)
        #expect(history.stderr.contains("belongs to nobody"), "\(history.stderr)")
    }
}
