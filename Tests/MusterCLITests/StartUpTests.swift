import Foundation
import MusterTestSupport
import Testing

/// Commands that make no request and read no repository start without
/// libcurl and libgit2 and their two dozen dependencies (docs/performance.md);
/// the others open them when they first need them. The dynamic loader's own
/// log (`LD_DEBUG=files`) says which libraries a process opened.
@Suite("start-up: libcurl and libgit2 are opened only when needed")
struct StartUpTests {
    /// `muster ARGS` in the sandbox, and the loader's log of it.
    func traced(_ s: Sandbox, _ args: [String]) throws -> (result: Result, loaded: String) {
        let dir = try temporaryDirectory()
        let r = try s.run(args, env: ["LD_DEBUG": "files", "LD_DEBUG_OUTPUT": dir + "/ld"])
        var log = ""
        for name in try FileManager.default.contentsOfDirectory(atPath: dir) where name.hasPrefix("ld.") {
            log += try String(contentsOfFile: dir + "/" + name, encoding: .utf8)
        }
        #expect(log.contains("file="), "the loader logged nothing for \(args): is LD_DEBUG honoured?")
        return (r, log)
    }

    @Test func readingCommandsOpenNeitherLibraryAndRunsOpenThemWhenTheyNeedThem() throws {
        let server = try HTTPTestServer()
        let s = try Sandbox([
            "plain": "muster: 1\nname: plain\ntitle: Plain\nsteps:\n  - id: one\n    title: One\n    run: \"true\"\n",
            "web": "muster: 1\nname: web\ntitle: Web\nsteps:\n  - id: ok\n    title: Ok\n    http:\n      url: \"\(server.base)/ok\"\n",
        ])
        // In a repository, whose top level these commands find without libgit2.
        try sh("git init -q . && git add -A && git -c user.name=A -c user.email=a@example.com commit -q -m runbooks", cwd: s.dir)

        let run = try traced(s, ["run", "plain", "--yes"])
        #expect(run.result.status == 0, "\(run.result.stdout)\(run.result.stderr)")
        #expect(run.loaded.contains("libgit2"), "a run journals the runbook's commit, read with libgit2")
        #expect(!run.loaded.contains("libcurl"), "a run without http steps needs no libcurl")
        let runID = try #require(try FileManager.default.contentsOfDirectory(atPath: s.dir + "/.muster/runs").first)

        for args in [["--version"], ["schema"], ["validate"], ["show", "web"], ["runs"], ["log", runID]] {
            let (r, loaded) = try traced(s, args)
            #expect(r.status == 0, "\(args): \(r.stdout)\(r.stderr)")
            #expect(!loaded.contains("libcurl"), "\(args) opened libcurl")
            #expect(!loaded.contains("libgit2"), "\(args) opened libgit2")
        }

        let web = try traced(s, ["run", "web", "--yes"])
        #expect(web.result.status == 0, "\(web.result.stdout)\(web.result.stderr)")
        #expect(web.loaded.contains("libcurl.so.4"), "an http step opens libcurl")
    }
}
