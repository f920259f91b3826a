#if canImport(Glibc)
@preconcurrency import Glibc
#endif
import Foundation
import MusterTestSupport
import Testing

/// A `run` step's shell is started while the step's start is written and
/// fsynced, and waits at a gate until it is durable (ShellRunner). Here the
/// journal's write of that start fails for real: the file-size limit
/// (RLIMIT_FSIZE) is set to end inside it, so the write fails with
/// EFBIG, and SIGXFSZ kills the executor right there unless it is ignored.
/// Either way the step's script never runs, and its shell is gone.
@Suite("a step's shell runs nothing before its start is durable")
struct GatedStartTests {
    /// Told apart from every other test's processes by its command line.
    let token = "made-" + UUID().uuidString

    var runbook: String {
        """
        muster: 1
        name: gate
        title: The gate
        params:
          pad:
            description: lengthens the journal's first line, so that the journal reaches the limit before any other file
            default: ""
        steps:
          - id: first
            title: First
            idempotent: true
            run: "true"
          - id: make
            title: Make the mark
            run: touch \(token)
        """
    }

    let pad = String(repeating: "p", count: 600)

    /// `muster run gate` under a file-size limit of `limit` bytes, SIGXFSZ
    /// ignored (`dies: false`) or not.
    func runLimited(_ s: Sandbox, limit: Int, dies: Bool) throws -> Result {
        let wrapper = """
        import os, resource, signal, sys
        resource.setrlimit(resource.RLIMIT_FSIZE, (int(sys.argv[1]),) * 2)
        signal.signal(signal.SIGXFSZ, signal.SIG_DFL if sys.argv[2] == "dies" else signal.SIG_IGN)
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_SETMASK, [])
        os.execv(sys.argv[3], sys.argv[3:])
        """
        return try muster(["-c", wrapper, String(limit), dies ? "dies" : "lives", musterBinary, "run", "gate", "--yes", "-p", "pad=\(pad)"],
                          cwd: s.dir, executable: "/usr/bin/python3")
    }

    /// A /proc file's bytes, read to its end (its size says 0).
    static func procFile(_ path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = [], chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = read(fd, &chunk, chunk.count)
            if n <= 0 { return bytes }
            bytes += chunk[0..<n]
        }
    }

    /// The live processes whose command line holds `token` (zombies have none).
    func processes(holding token: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return names.compactMap { name -> String? in
            guard Int32(name) != nil, let line = Self.procFile("/proc/\(name)/cmdline") else { return nil }
            let text = String(decoding: line, as: UTF8.self)
            return text.contains(token) ? "\(name): \(text)" : nil
        }
    }

    func journalBytes(_ s: Sandbox) throws -> [UInt8] {
        let run = try #require(try FileManager.default.contentsOfDirectory(atPath: s.dir + "/.muster/runs").sorted().last)
        return Array(try #require(FileManager.default.contents(atPath: "\(s.dir)/.muster/runs/\(run)/journal.jsonl")))
    }

    /// A file-size limit that ends inside the write holding `make`'s
    /// start (with `first`'s end before it), from a run without a limit;
    /// every other file a run writes stays below it.
    func limitInsideMakesStart() throws -> Int {
        let s = try Sandbox(["gate": runbook])
        let done = try s.run(["run", "gate", "--yes", "-p", "pad=\(pad)"])
        #expect(done.status == 0, "\(done.stdout)\(done.stderr)")
        #expect(s.exists(token))
        let bytes = try journalBytes(s)
        let lines = bytes.split(separator: UInt8(ascii: "\n"))
        let firstEnd = try #require(lines.first { String(decoding: $0, as: UTF8.self).contains(#""event":"step_finished""#) })
        #expect(firstEnd.count > 100)
        let limit = firstEnd.startIndex + 40
        for (path, text) in try s.stateFiles() where !path.hasSuffix("journal.jsonl") {
            #expect(text.utf8.count < limit, "\(path) would reach the limit first")
        }
        return limit
    }

    func expectNothingRan(_ s: Sandbox) throws {
        #expect(!s.exists(token), "make's script ran though its start was never journaled")
        // The shell saw its gate close and ended; nobody is left holding the script.
        #expect(eventually(within: 10) { processes(holding: token).isEmpty }, "\(processes(holding: token))")
        // Nor is any of the step in the journal.
        let text = String(decoding: try journalBytes(s), as: UTF8.self)
        #expect(text.contains(#""step":"first""#))
        #expect(!text.contains(#""step":"make""#))
    }

    @Test func theExecutorKilledWhileWritingAStepsStartLeavesTheStepUnrun() throws {
        let limit = try limitInsideMakesStart()
        let s = try Sandbox(["gate": runbook])
        let killed = try runLimited(s, limit: limit, dies: true)
        #expect(killed.status == SIGXFSZ, "\(killed.stdout)\(killed.stderr)")
        // The write was cut: the journal ends in part of a line.
        #expect(try journalBytes(s).last != UInt8(ascii: "\n"))
        try expectNothingRan(s)
        // Resumed, the cut line is taken back (`first`'s end with it, so
        // `first`, idempotent, runs again) and the step runs, once.
        let resumed = try s.run(["resume", "--yes"])
        #expect(resumed.status == 0, "\(resumed.stdout)\(resumed.stderr)")
        #expect(s.exists(token))
        let events = try s.journal().filter { $0["step"] as? String == "make" }.map { $0["event"] as? String ?? "" }
        #expect(events == ["step_started", "step_finished"])
    }

    @Test func aJournalThatFailsAtAStepsStartStopsTheRunBeforeItsScript() throws {
        let limit = try limitInsideMakesStart()
        let s = try Sandbox(["gate": runbook])
        // SIGXFSZ ignored: the write fails with EFBIG, and the executor lives on.
        let stopped = try runLimited(s, limit: limit, dies: false)
        #expect(stopped.status != 0 && stopped.status != SIGXFSZ, "\(stopped.stdout)\(stopped.stderr)")
        #expect((stopped.stdout + stopped.stderr).contains("cannot write to the journal"), "\(stopped.stdout)\(stopped.stderr)")
        try expectNothingRan(s)
    }
}
