#if canImport(Glibc)
@preconcurrency import Glibc
#endif
import Foundation
import MusterTestSupport
import Testing

/// A resume starts with what was done, the values the run goes on with,
/// and what the interrupted step was printing.
@Suite("The recap a resume shows")
struct ResumeRecapTests {
    static let copy = """
    muster: 1
    name: copy
    title: Copy the data
    steps:
      - id: declare
        title: Declare the incident
        manual: [Open the incident]
        ask: {incident: Incident ticket}
      - id: copy-data
        title: Copy the data for {{ incident }}
        run: |
          for i in 1 2 3; do echo "copied $i of 3"; done
          touch started
          sleep 90
    """

    /// Starts the run, waits until the step is in its sleep, and stops the
    /// executor with `signal`.
    func interrupt(_ s: Sandbox, with signal: Int32) async throws -> String {
        let live = try LiveMuster(["run", "copy", "--yes"], cwd: s.dir)
        live.send("INC-7")
        // Generous: on a loaded machine a whole test suite shares two cores.
        _ = eventually(within: 120) { s.exists("started") || !live.isRunning }
        #expect(s.exists("started"), "the step never began: \(live.stdout) \(live.stderr)")
        // The transcript (runs/ID/output.log) is written in batches: wait
        // until the step's last line before its sleep is in it.
        let transcript = { () -> String in
            let runs = (try? FileManager.default.contentsOfDirectory(atPath: s.dir + "/.muster/runs")) ?? []
            return runs.compactMap { try? String(contentsOfFile: "\(s.dir)/.muster/runs/\($0)/output.log", encoding: .utf8) }.joined()
        }
        _ = eventually(within: 120) { transcript().contains("copied 3 of 3") || !live.isRunning }
        #expect(transcript().contains("copied 3 of 3"), "the transcript never held the step's output")
        kill(live.pid, signal)
        let end = await live.finish()
        return "first session: \(end) \(live.stdout) \(live.stderr)"
    }

    @Test func afterACrashTheRecapShowsWhatWasDoneAndTheStepsLastOutput() async throws {
        let s = try Sandbox(["copy": Self.copy])
        let end = try await interrupt(s, with: SIGKILL)
        let r = try s.run(["resume"])
        #expect(r.status == 3, "\(r.stdout)\(r.stderr)\(end)")
        for part in ["Done so far:", "✓ declare: Declare the incident", "Values: incident = INC-7",
                     "Interrupted: copy-data: Copy the data for INC-7, attempt 1, running when the last session ended",
                     "  | copied 1 of 3", "  | copied 3 of 3", "its commands may even still be running"] {
            #expect(r.stdout.contains(part), "missing '\(part)' in:\n\(r.stdout)")
        }
        let recap = try #require(r.stdout.range(of: "Done so far:"))
        let question = try #require(r.stdout.range(of: "its commands may even still be running"))
        #expect(recap.lowerBound < question.lowerBound, "the recap came after the question")
    }

    @Test func aStepMusterStoppedSaysSoInsteadOfMaybeStillRunning() async throws {
        let s = try Sandbox(["copy": Self.copy])
        let end = try await interrupt(s, with: SIGTERM)
        let r = try s.run(["resume"])
        #expect(r.status == 3, "\(r.stdout)\(r.stderr)\(end)")
        #expect(r.stdout.contains("Interrupted: copy-data: Copy the data for INC-7, attempt 1, stopped by SIGTERM when the last session paused"), "\(r.stdout)")
        #expect(r.stdout.contains("'copy-data' was stopped by SIGTERM when the last session paused: Muster stopped its commands"), "\(r.stdout)")
        #expect(!r.stdout.contains("may even still be running"))
    }

    @Test func aReadOnlyWaitInterruptedByACrashRunsAgainUnasked() async throws {
        let s = try Sandbox(["poll": """
        muster: 1
        name: poll
        title: Poll
        steps:
          - id: healthy
            title: Wait until healthy
            wait:
              run: touch polled; test -f healthy
              every: 1s
              timeout: 2m
        """])
        let live = try LiveMuster(["run", "poll", "--yes"], cwd: s.dir)
        _ = eventually(within: 120) { s.exists("polled") || !live.isRunning }
        live.kill()
        _ = await live.finish()
        #expect(FileManager.default.createFile(atPath: s.dir + "/healthy", contents: Data()))
        let r = try s.run(["resume"])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("'healthy' was running when the last session ended; it only reads (a wait or a GET), so it runs again"), "\(r.stdout)")
    }
}
