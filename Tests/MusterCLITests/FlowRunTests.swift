import Foundation
import MusterTestSupport
import Testing

/// Groups, `finally` and `deadline` as an operator meets them through a
/// pipe: keys under the group, a pause inside it that resumes there, the
/// cleanup that runs after an abort, and every prompt past the deadline.
@Suite("muster run: groups, finally and the deadline")
struct FlowRunTests {
    static let flow = """
    muster: 1
    name: flow
    title: Flow
    steps:
      - id: first
        title: First
        run: echo one
      - id: rebuild
        title: Rebuild
        steps:
          - {id: create, title: Create, run: 'echo created > created.txt'}
          - {id: confirm, title: Confirm, manual: [The cluster is up]}
          - {id: deploy, title: Deploy, run: 'exit 4', on_failure: abort}
      - id: never
        title: Never reached
        run: touch never.txt
    finally:
      - id: cleanup
        title: Clean up
        run: echo cleaned > cleaned.txt
    """

    @Test func aPauseInsideAGroupResumesThereAndFinallyRunsOnlyWhenTheRunEnds() throws {
        let s = try Sandbox(["flow": Self.flow])
        let first = try s.run(["run", "flow"])
        #expect(first.status == 3, "end of input at the checklist pauses: \(first.stdout)\(first.stderr)")
        #expect(first.stdout.contains("Rebuild  steps · rebuild"))
        #expect(first.stdout.contains("Create  run · rebuild/create"))
        #expect(s.exists("created.txt"))
        #expect(!s.exists("cleaned.txt"), "a paused run has not ended: its finally steps wait")

        let second = try s.run(["resume"], stdin: "y\n", env: ["NO_COLOR": "1"])
        #expect(second.status == 1, "\(second.stdout)\(second.stderr)")
        #expect(second.stdout.contains("✓ rebuild/create: Create"), "the recap lists it")
        #expect(!second.stdout.contains("Create  run · rebuild/create"), "a finished step of the group is not run again")
        #expect(second.stdout.contains("finally: the steps that always run"))
        #expect(second.stdout.contains("Run \(try runID(s)) failed: step 'rebuild/deploy' exited with status 4"))
        #expect(s.exists("cleaned.txt"), "the abort ends the steps, not the cleanup")
        #expect(!s.exists("never.txt"))
        let finished = try s.journal().filter { $0["event"] as? String == "step_finished" }.map { "\($0["step"]!) \($0["outcome"]!)" }
        #expect(finished == ["first done", "rebuild/create done", "rebuild/confirm done", "rebuild/deploy failed", "cleanup done"])
        let end = try s.journal().last
        #expect(end?["event"] as? String == "run_finished" && end?["outcome"] as? String == "failed")
    }

    @Test func pastTheDeadlineEveryPromptSaysSoAndOffersTheLadder() throws {
        let s = try Sandbox(["late": """
        muster: 1
        name: late
        title: Late
        deadline: 1s
        escalation:
          - after: 1h
            contact: Incident commander
        steps:
          - {id: slow, title: Slow, run: sleep 1.5}
          - {id: check, title: Check, manual: [Look at the dashboards]}
        """])
        let r = try s.run(["run", "late"], stdin: "e\n1\ny\n")
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("[PAST THE DEADLINE of 1s by"), "\(r.stdout)")
        #expect(r.stdout.contains("answer e to escalate"))
        let escalated = try s.journal().first { $0["event"] as? String == "escalated" }
        #expect(escalated?["contact"] as? String == "Incident commander")
    }

    static let loop = """
    muster: 1
    name: loop
    title: Loop
    steps:
      - id: list
        title: List the services
        run: echo "$SERVICES"
        outputs: {services: {regex: '(?s)(.*)'}}
      - id: redeploy
        title: Redeploy {{ service }}
        for_each: {in: services, as: service}
        run: echo {{ service }} >> deployed.txt
      - id: check
        title: Check
        manual: [The services answer]
    """

    @Test func aLoopRepeatsOverTheItemsItsStartFixedAlsoAfterAResume() throws {
        let s = try Sandbox(["loop": Self.loop])
        let first = try s.run(["run", "loop"], env: ["SERVICES": "[\"api\", \"web\"]", "NO_COLOR": "1"])
        #expect(first.status == 3, "\(first.stdout)\(first.stderr)")
        #expect(first.stdout.contains("Redeploy each service  run · redeploy"))
        #expect(first.stdout.contains("for each of 2 items: api, web"))
        #expect(first.stdout.contains("Redeploy web  run · redeploy[web]"))
        #expect(try String(contentsOfFile: s.dir + "/deployed.txt", encoding: .utf8) == "api\nweb\n")
        let started = try s.journal().first { $0["event"] as? String == "step_started" && $0["step"] as? String == "redeploy" }
        #expect(started?["items"] as? [String] == ["api", "web"])
        let second = try s.run(["resume"], stdin: "y\n")
        #expect(second.status == 0, "\(second.stdout)\(second.stderr)")
        #expect(try String(contentsOfFile: s.dir + "/deployed.txt", encoding: .utf8) == "api\nweb\n", "no item runs twice")
    }

    @Test func anItemThatIsNotANameFailsTheLoopBeforeAnythingRuns() throws {
        let s = try Sandbox(["loop": Self.loop])
        let r = try s.run(["run", "loop", "--yes"], env: ["SERVICES": "api\n'; touch pwned; '\n"])
        #expect(r.status == 1, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("for_each cannot repeat over {{ services }}: item ''; touch pwned; '' is not a name of letters, digits and . _ : @ -"), "\(r.stdout)")
        #expect(!s.exists("deployed.txt") && !s.exists("pwned"))
    }

    func runID(_ s: Sandbox) throws -> String {
        try FileManager.default.contentsOfDirectory(atPath: s.dir + "/.muster/runs").sorted().last ?? ""
    }
}
