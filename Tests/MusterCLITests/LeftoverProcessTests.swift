import Foundation
import MusterTestSupport
import Testing

/// What a `run` step leaves running when its shell exits: kept with
/// `keep_running: true` (a standby service, a port-forward), otherwise
/// stopped; named on screen and in the journal either way, never a silent ✓.
@Suite("Processes a step leaves running", .serialized)
struct LeftoverProcessTests {
    /// The pid a step wrote to `file` in the sandbox.
    static func pid(_ s: Sandbox, _ file: String) throws -> Int32 {
        try #require(Int32(String(contentsOfFile: s.dir + "/" + file, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
    }

    /// Alive, and not a zombie waiting to be reaped.
    static func alive(_ pid: Int32) -> Bool {
        guard kill(pid, 0) == 0, let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return false }
        return !stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).hasPrefix("Z")
    }

    /// Waits up to `seconds` for `pid` to be gone.
    static func gone(_ pid: Int32, within seconds: Double = 5) -> Bool {
        eventually(within: seconds) { !alive(pid) }
    }

    /// Some `muster` process still works in `dir` (its cwd there).
    static func musterRunning(in dir: String) -> Bool {
        let real = (musterBinary as NSString).resolvingSymlinksInPath
        let pids = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).filter { Int32($0) != nil }
        return pids.contains { pid in
            guard let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/exe"),
                  let cwd = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/cwd") else { return false }
            return (exe == real || exe == musterBinary) && (cwd == dir || cwd == (dir as NSString).resolvingSymlinksInPath)
        }
    }

    static func fetch(_ url: String) -> String? {
        try? sh("python3 -c 'import sys, urllib.request; sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode())' '\(url)'", cwd: "/")
    }

    @Test func keepRunningKeepsAServiceForTheNextStepAndAfterMusterExits() throws {
        // Below the ephemeral range (32768 and up), which outgoing connections use.
        let port = Int.random(in: 20000...32000)
        let s = try Sandbox(["standby": """
        muster: 1
        name: standby
        title: Start a standby
        steps:
          - id: start
            title: Start the standby service
            run: |
              echo standby-ok > health.txt
              # The interpreter itself: a pyenv shim would still be
              # starting helpers in the step's group when the step ends.
              py=$(python3 -c 'import sys; print(sys.executable)')
              nohup "$py" -m http.server \(port) --bind 127.0.0.1 &
              echo $! > service.pid
              echo "PID=$!"
            keep_running: true
          - id: check
            title: The standby answers
            run: |
              for i in $(seq 1 100); do
                python3 -c 'import sys, urllib.request; print(urllib.request.urlopen(sys.argv[1], timeout=2).read().decode())' http://127.0.0.1:\(port)/health.txt && exit 0
                sleep 0.1
              done
              exit 1
        """])
        let r = try s.run(["run", "standby"])
        let pid = try Self.pid(s, "service.pid")
        defer { kill(pid, SIGKILL) }
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("kept running (keep_running): pid \(pid): "), "\(r.stdout)")
        #expect(r.stdout.contains("python3 -m http.server \(port) --bind 127.0.0.1\n"), "\(r.stdout)")
        #expect(r.stdout.contains("standby-ok"))
        #expect(!r.stdout.contains("leftover"))
        // Muster has exited: the service still runs, and still answers (its
        // request log goes to the step's output, which nobody reads now).
        #expect(Self.alive(pid))
        #expect(Self.fetch("http://127.0.0.1:\(port)/health.txt")?.contains("standby-ok") == true)
        #expect(Self.fetch("http://127.0.0.1:\(port)/health.txt")?.contains("standby-ok") == true)
        #expect(Self.alive(pid))
        let finished = try s.journal().first { $0["event"] as? String == "step_finished" && $0["step"] as? String == "start" }
        let leftovers = try #require(finished?["leftovers"] as? [[String: Any]])
        #expect(leftovers.count == 1)
        #expect(leftovers.first?["pid"] as? Int == Int(pid))
        #expect(leftovers.first?["kept"] as? Bool == true)
        #expect((leftovers.first?["command"] as? String)?.hasSuffix("python3 -m http.server \(port) --bind 127.0.0.1") == true)
    }

    @Test func withoutKeepRunningTheScreenNamesWhatWasStoppedAndItIsGone() throws {
        let s = try Sandbox(["t": """
        muster: 1
        name: t
        title: Leftovers
        secrets:
          API_TOKEN: {env: API_TOKEN}
        steps:
          - id: start
            title: Start something in the background
            run: |
              (exec -a "agent-$API_TOKEN" sleep 300) &
              echo $! > agent.pid
          - id: after
            title: After
            run: |
              if kill -0 $(cat agent.pid) 2>/dev/null && ! grep -q '^State:.*Z' /proc/$(cat agent.pid)/status; then echo agent-alive; else echo agent-gone; fi
        """])
        let r = try s.run(["run", "t"], env: ["API_TOKEN": "tok-9f8e7d6c"])
        let pid = try Self.pid(s, "agent.pid")
        defer { kill(pid, SIGKILL) }
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("stopped 1 leftover process: agent-*** (pid \(pid))"), "\(r.stdout)")
        #expect(r.stdout.contains("keep_running: true keeps them"))
        #expect(r.stdout.contains("agent-gone"))
        #expect(!r.stdout.contains("tok-9f8e7d6c"))
        #expect(Self.gone(pid))
        #expect(try !s.stateFiles().contains { $0.1.contains("tok-9f8e7d6c") })
        let finished = try s.journal().first { $0["event"] as? String == "step_finished" && $0["step"] as? String == "start" }
        let leftovers = try #require(finished?["leftovers"] as? [[String: Any]])
        #expect(leftovers.first?["kept"] as? Bool == false)
        #expect(leftovers.first?["command"] as? String == "agent-*** 300")
    }

    /// A step that fails leaves nothing behind for its retry to trip over,
    /// even with keep_running.
    @Test func aFailedStepsLeftoversAreStoppedEvenWithKeepRunning() throws {
        let s = try Sandbox(["t": """
        muster: 1
        name: t
        title: Leftovers of a failure
        steps:
          - id: start
            title: Start, then fail
            run: |
              sleep 300 &
              echo $! > sleep.pid
              exit 4
            keep_running: true
            on_failure: continue
        """])
        let r = try s.run(["run", "t"])
        let pid = try Self.pid(s, "sleep.pid")
        defer { kill(pid, SIGKILL) }
        #expect(r.status == 1, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("stopped 1 leftover process: sleep (pid \(pid))"), "\(r.stdout)")
        #expect(r.stdout.contains("keep_running keeps them only when the step succeeds"))
        #expect(Self.gone(pid))
    }

    /// The terminal Muster ran in goes away (a dropped SSH session): what a
    /// step kept running is not part of that terminal's session, so the
    /// hang-up does not reach it.
    @Test func keptProcessesOutliveTheOperatorsTerminal() throws {
        let s = try Sandbox(["t": """
        muster: 1
        name: t
        title: Hang-up
        steps:
          - id: forward
            title: Start a port-forward
            run: |
              sleep 300 &
              echo $! > forward.pid
            keep_running: true
          - id: wait
            title: Wait for the operator
            manual:
              - Check the standby
        """])
        let term = try Tmux(cwd: s.dir)
        try term.type("\(musterBinary) run t")
        let screen = try term.waitFor("[ ] Check the standby")
        let pid = try Self.pid(s, "forward.pid")
        defer { kill(pid, SIGKILL) }
        #expect(screen.contains("kept running (keep_running): pid \(pid): sleep 300"))
        try term.tmux(["kill-server"])
        // Muster sees the hang-up and pauses; the kept process stays.
        _ = eventually(within: 10) { (try? s.journal().last?["event"] as? String) == "run_paused" }
        #expect(try s.journal().last?["event"] as? String == "run_paused")
        // Muster has exited (nothing of it left to stop the kept process).
        #expect(eventually(within: 10) { !Self.musterRunning(in: s.dir) }, "muster never exited")
        #expect(Self.alive(pid))
    }

    @Test func keepRunningIsForRunStepsOnly() throws {
        let s = try Sandbox(["t": """
        muster: 1
        name: t
        title: Misplaced
        steps:
          - id: w
            title: Wait
            wait:
              run: "true"
            keep_running: true
        """])
        let r = try s.run(["validate", "runbooks/t.yaml"])
        #expect(r.status != 0)
        #expect((r.stdout + r.stderr).contains("'keep_running' belongs to run steps"), "\(r.stdout)\(r.stderr)")
    }
}
