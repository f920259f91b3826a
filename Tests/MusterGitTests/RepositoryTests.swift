import Foundation
import MusterGit
import Testing

@Suite("libgit2 repository discovery")
struct RepositoryTests {
    func tempDir() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("muster-git-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir + "/a/b", withIntermediateDirectories: true)
        return dir
    }

    func git(_ args: [String], in dir: String) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/git")
        p.arguments = args
        p.currentDirectoryURL = URL(fileURLWithPath: dir)
        try p.run()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
    }

    @Test func findsTheTopLevelFromASubfolder() throws {
        let dir = try tempDir()
        try git(["init", "-q", "."], in: dir)
        let repo = try #require(try Repository.discover(from: dir + "/a/b"))
        #expect(repo.workdir == dir)
    }

    @Test func outsideARepositoryIsNil() throws {
        let dir = try tempDir()
        #expect(try Repository.discover(from: dir + "/a") == nil)
    }

    @Test func bareRepositoryHasNoWorkdir() throws {
        let dir = try tempDir()
        try git(["init", "-q", "--bare", "."], in: dir + "/a")
        let repo = try #require(try Repository.discover(from: dir + "/a"))
        #expect(repo.workdir == nil)
    }

    @Test func reportsTheLinkedLibraryVersion() {
        let parts = Repository.libraryVersion.split(separator: ".")
        #expect(parts.count == 3 && parts.allSatisfy { Int($0) != nil })
    }
}
