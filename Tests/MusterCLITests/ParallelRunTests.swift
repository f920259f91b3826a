import Foundation
import MusterTestSupport
import Testing

/// `parallel:` and `for_each` with `max_parallel` as an operator meets
/// them through a pipe. That branches really run at once is proven
/// without a clock: each branch waits (a bounded while) for the other's
/// mark, which only a branch running at the same time can leave.
@Suite("muster run: branches at the same time")
struct ParallelRunTests {
    /// A script that marks `me`, then waits up to 10 s for `other`'s mark.
    static func meet(_ me: String, _ other: String) -> String {
        "touch \(me).started; echo \(me) is up; for i in $(seq 200); do [ -e \(other).started ] && { echo \(me) met \(other); exit 0; }; sleep 0.05; done; echo \(other) never came; exit 9"
    }

    static func runbook(_ name: String, max: String = "", onFailure: String = "finish") -> String {
        """
        muster: 1
        name: \(name)
        title: Rebuild
        steps:
          - id: rebuild
            title: Rebuild
            parallel:
              \(max)
              on_failure: \(onFailure)
              branches:
                - id: cluster
                  title: Cluster
                  steps:
                    - {id: create, title: Create, run: '\(meet("cluster", "database"))', timeout: 30s}
                    - {id: check, title: Check, run: 'echo cluster checked'}
                - id: database
                  title: Database
                  run: '\(meet("database", "cluster"))'
                  timeout: 30s
          - {id: after, title: After, run: 'touch after.done'}
        """
    }

    @Test func twoBranchesRunAtOnceAndTheirLinesNameTheirBranch() throws {
        let s = try Sandbox(["p": Self.runbook("p")])
        let r = try s.run(["run", "p", "--yes"], env: ["NO_COLOR": "1"])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("| [cluster] cluster met database"), "\(r.stdout)")
        #expect(r.stdout.contains("| [database] database met cluster"), "\(r.stdout)")
        #expect(s.exists("after.done"))
        // Journaled as running at once: both began before either ended.
        let events = try s.journal()
        let began = events.firstIndex { $0["event"] as? String == "step_started" && $0["step"] as? String == "rebuild/database" }
        let created = events.firstIndex { $0["event"] as? String == "step_started" && $0["step"] as? String == "rebuild/cluster/create" }
        let firstEnd = events.firstIndex { $0["event"] as? String == "step_finished" && ($0["step"] as? String)?.hasPrefix("rebuild/") == true }
        #expect(began != nil && created != nil && firstEnd != nil && began! < firstEnd! && created! < firstEnd!)
        let order = events.filter { $0["event"] as? String == "step_finished" }.compactMap { $0["step"] as? String }
        #expect(order.last == "after" && order.dropLast().last == "rebuild", "the step after waits for every branch: \(order)")
        // Each branch's lines are kept under its own step, whichever
        // header the screen showed last: what `log --output` and a resume show.
        let id = try s.runID()
        let database = try s.run(["log", id, "--output", "rebuild/database"])
        #expect(database.status == 0 && database.stdout == "database is up\ndatabase met cluster\n", "\(database.stdout)\(database.stderr)")
        let create = try s.run(["log", id, "--output", "rebuild/cluster/create"])
        #expect(create.stdout == "cluster is up\ncluster met database\n", "\(create.stdout)")
        let none = try s.run(["log", id, "--output", "rebuild/nope"])
        #expect(none.status == 0 && none.stdout.isEmpty && none.stderr.contains("no output from step 'rebuild/nope'"), "\(none.stderr)")
    }

    @Test func maxOneRunsTheBranchesOneAfterTheOther() throws {
        let s = try Sandbox(["p": Self.runbook("p", max: "max: 1")])
        let r = try s.run(["run", "p", "--yes"], env: ["NO_COLOR": "1"])
        #expect(r.status == 1, "one at a time, the first branch waits for a mark that never comes: \(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("database never came"), "\(r.stdout)")
        #expect(!s.exists("database.started"), "with max: 1 the second branch never began")
    }

    @Test func aFailedBranchAsksOnceTheOthersGoOnAndNothingAfterStartsUntilAnswered() throws {
        let s = try Sandbox(["f": """
        muster: 1
        name: f
        title: Failing branch
        steps:
          - id: rebuild
            title: Rebuild
            parallel:
              branches:
                - {id: bad, title: Bad, run: 'until [ -e slow.started ]; do sleep 0.05; done; exit 3', timeout: 30s}
                - {id: slow, title: Slow, run: 'touch slow.started; until grep -q failure_choice .muster/runs/*/journal.jsonl; do sleep 0.05; done; echo slow done', timeout: 30s}
          - {id: after, title: After, run: 'touch after.done'}
        """])
        // `slow` ends only once the failure menu's answer is journaled:
        // it ran on while the question was asked.
        let r = try s.run(["run", "f"], stdin: "s fixed by hand\n", env: ["NO_COLOR": "1"])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("Step 'rebuild/bad' did not succeed. What now?"))
        #expect(r.stdout.contains("running beside it: [slow] rebuild/slow"), "the question names what runs beside it: \(r.stdout)")
        #expect(r.stdout.contains("| [slow] slow done"))
        let events = try s.journal().map { "\($0["event"]!) \($0["step"] ?? "")" }
        let choice = events.firstIndex(of: "failure_choice rebuild/bad")
        let slowEnd = events.firstIndex(of: "step_finished rebuild/slow")
        let after = events.firstIndex(of: "step_started after")
        #expect(choice != nil && slowEnd != nil && after != nil && choice! < slowEnd! && slowEnd! < after!, "\(events)")
        #expect(s.exists("after.done"))
    }

    @Test func cancelStopsTheOtherBranchesAndTheirFailureIsAsked() throws {
        let s = try Sandbox(["c": """
        muster: 1
        name: c
        title: Cancel
        steps:
          - id: rebuild
            title: Rebuild
            parallel:
              on_failure: cancel
              branches:
                - {id: bad, title: Bad, run: 'until [ -e slow.started ]; do sleep 0.05; done; exit 3', timeout: 30s}
                - {id: slow, title: Slow, run: 'touch slow.started; sleep 20; touch slow.finished', timeout: 60s}
        """])
        let r = try s.run(["run", "c", "--yes"], env: ["NO_COLOR": "1"])
        #expect(r.status == 1, "\(r.stdout)\(r.stderr)")
        #expect(!s.exists("slow.finished"), "the running branch was stopped")
        let stopped = try s.journal().first { $0["event"] as? String == "attempt_finished" && $0["step"] as? String == "rebuild/slow" }
        #expect((stopped?["text"] as? String)?.contains("'rebuild/bad' failed and 'rebuild' says on_failure: cancel") == true, "\(String(describing: stopped))")
        #expect(r.stdout.contains("Run \(try s.runID()) failed: step 'rebuild/bad' exited with status 3"), "\(r.stdout)")
    }

    @Test func aLoopWithMaxParallelTwoRunsTwoItemsAtOnce() throws {
        let s = try Sandbox(["l": """
        muster: 1
        name: l
        title: Loop
        steps:
          - id: redeploy
            title: Redeploy {{ service }}
            for_each: {in: [api, web], as: service, max_parallel: 2}
            run: 'touch {{ service }}.started; for i in $(seq 200); do [ -e api.started ] && [ -e web.started ] && exit 0; sleep 0.05; done; exit 9'
            timeout: 30s
        """])
        let r = try s.run(["run", "l", "--yes"], env: ["NO_COLOR": "1"])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("[api] 'redeploy[api]' ended") && r.stdout.contains("[web] 'redeploy[web]' ended"), "\(r.stdout)")
        let finished = try s.journal().filter { $0["event"] as? String == "step_finished" }.compactMap { $0["step"] as? String }
        #expect(Set(finished) == ["redeploy[api]", "redeploy[web]", "redeploy"])
    }

    @Test func aSessionKilledWithTwoBranchesInFlightAsksAboutEachOnResume() throws {
        let s = try Sandbox(["k": """
        muster: 1
        name: k
        title: Killed
        steps:
          - id: rebuild
            title: Rebuild
            parallel:
              branches:
                - {id: one, title: One, run: 'touch one.started; sleep 30', timeout: 60s}
                - {id: two, title: Two, run: 'touch two.started; sleep 30', timeout: 60s}
        """])
        let p = Process()
        p.executableURL = URL(fileURLWithPath: musterBinary)
        p.arguments = ["run", "k", "--yes"]
        p.currentDirectoryURL = URL(fileURLWithPath: s.dir)
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        p.standardInput = FileHandle.nullDevice
        try p.run()
        try waitUntil("both branches started", timeout: 20) { s.exists("one.started") && s.exists("two.started") }
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        // Both were in flight: each is asked about, one at a time.
        let r = try s.run(["resume"], stdin: "d done by hand\nd done by hand too\n", env: ["NO_COLOR": "1"])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("'rebuild/one' was running when the last session ended"), "\(r.stdout)")
        #expect(r.stdout.contains("'rebuild/two' was running when the last session ended"), "\(r.stdout)")
        let choices = try s.journal().filter { $0["event"] as? String == "failure_choice" }.compactMap { $0["step"] as? String }
        #expect(choices == ["rebuild/one", "rebuild/two"])
    }

    @Test func confirmOnAGroupAsksOnceAndASkipSkipsEveryStepInIt() throws {
        let s = try Sandbox(["c": """
        muster: 1
        name: c
        title: Confirmed group
        steps:
          - id: cutover
            title: Cut over
            confirm: true
            steps:
              - {id: switch, title: Switch DNS, run: 'touch switched'}
              - {id: verify, title: Verify, run: 'touch verified'}
          - {id: after, title: After, run: 'touch after.done'}
        """])
        let skipped = try s.run(["run", "c"], stdin: "s not during the freeze\n", env: ["NO_COLOR": "1"])
        #expect(skipped.status == 0, "\(skipped.stdout)\(skipped.stderr)")
        #expect(skipped.stdout.contains("cutover/switch: Switch DNS") && skipped.stdout.contains("Run these steps?"), "\(skipped.stdout)")
        #expect(!s.exists("switched") && !s.exists("verified") && s.exists("after.done"))
        let ran = try s.run(["run", "c", "--new"], stdin: "y\n", env: ["NO_COLOR": "1"])
        #expect(ran.status == 0, "\(ran.stdout)\(ran.stderr)")
        #expect(s.exists("switched") && s.exists("verified"))
        #expect(try s.journal().filter { $0["event"] as? String == "gate_answered" }.count == 1, "one gate for the whole group")
    }
}
