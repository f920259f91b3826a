#if canImport(Glibc)
@preconcurrency import Glibc
#endif
import Foundation
import MusterTestSupport
import Testing

/// The promises of `cli.md` "Resume", checked with real processes: the
/// executor is SIGKILLed at chosen moments (at a prompt, while a command
/// runs, during a rollback) and `muster resume` must go on without running a
/// finished step again or asking an answered question again, leaving a
/// journal that tells the whole story.
@Suite("muster killed with SIGKILL and resumed")
struct KillResumeTests {
    static let items = ["Open an incident in the tracker", "Page the database on-call", "Freeze deploys in the orders channel"]
    static let askQuestion = "Incident ticket ID"
    static let gateQuestion = "Run this step as shown?"
    static let rollbackQuestion = "Roll back these 2 steps?"
    static func failed(_ step: String) -> String { "Step '\(step)' did not succeed. What now?" }
    static let steps = ["declare", "snapshot", "copy-data", "reindex", "promote", "verify"]
    static let incident = "INC-4711"

    /// Every automated step appends its id to `$COUNT_FILE` first thing, so
    /// the file counts how often each one ran. `copy-data` is long and not
    /// idempotent, `reindex` is long and idempotent, `promote` is behind a
    /// confirm gate, and `verify` fails unless `verdict` is `healthy`, which
    /// leads to a rollback of `promote` (long) and `snapshot`.
    /// A long command: it holds until the test releases it
    /// (`COUNT_FILE.go-NAME`), or for 10 s at most. A kill inside it is then
    /// certain, however slowly a busy machine schedules the test's polling.
    static func hold(_ name: String) -> String {
        #"for i in $(seq 200); do [ -e "$COUNT_FILE.go-"# + name + #"" ] && break; sleep 0.05; done"#
    }

    /// Releases every long command except the one a session is to be killed in.
    static func release(_ box: Box, except kill: KillPoint?) {
        let held = kill == .copyData ? "copy-data" : kill == .reindex ? "reindex" : kill == .rollback ? "undo-promote" : nil
        for name in ["copy-data", "reindex", "undo-promote"] {
            let path = box.countFile + ".go-" + name
            if name == held {
                try? FileManager.default.removeItem(atPath: path)
            } else {
                _ = FileManager.default.createFile(atPath: path, contents: Data())
            }
        }
    }

    static let runbook = """
    muster: 1
    name: failover
    title: Fail over the orders database
    params:
      count_file:
        description: where each step appends its id
        required: true
      verdict:
        description: what the verification finds
        default: healthy
    steps:
      - id: declare
        title: Declare the incident
        manual:
          - \(items[0])
          - \(items[1])
          - \(items[2])
        ask:
          incident_id: \(askQuestion)
      - id: snapshot
        title: Snapshot the primary
        run: echo snapshot >> "$COUNT_FILE"
        rollback: echo undo-snapshot >> "$COUNT_FILE"
      - id: copy-data
        title: Copy the data to the standby
        run: |
          echo copy-data >> "$COUNT_FILE"
          \(hold("copy-data"))
      - id: reindex
        title: Rebuild the standby's indexes
        idempotent: true
        run: |
          echo reindex >> "$COUNT_FILE"
          \(hold("reindex"))
      - id: promote
        title: Promote the standby for {{ incident_id }}
        confirm: true
        run: echo promote >> "$COUNT_FILE"
        rollback: |
          echo undo-promote >> "$COUNT_FILE"
          \(hold("undo-promote"))
      - id: verify
        title: Verify the standby serves traffic
        run: |
          echo verify >> "$COUNT_FILE"
          test {{ verdict }} = healthy
    """

    // MARK: - Kill points

    enum KillPoint: String, Sendable {
        case firstItem, secondItem, thirdItem, ask, copyData, reindex, gate, verifyFailed, rollback

        /// True once the executor is exactly where this kill point is:
        /// blocked at a question, or inside a running command.
        func reached(pending: String?, events: [Event], counter: [String]) -> Bool {
            let last = events.last
            func running(_ step: String) -> Bool {
                counter.contains(step) && last?.step == step && (last?.event == "attempt_started" || (last?.event == "step_started" && last?.attempt != nil))
            }
            switch self {
            case .firstItem: return pending == "[ ] " + items[0]
            case .secondItem: return pending == "[ ] " + items[1]
            case .thirdItem: return pending == "[ ] " + items[2]
            case .ask: return pending == askQuestion
            case .copyData: return running("copy-data")
            case .reindex: return running("reindex")
            // Between steps: reindex finished, promote not begun.
            case .gate: return pending == gateQuestion && last?.event == "step_started" && last?.step == "promote"
            case .verifyFailed: return pending == failed("verify")
            case .rollback: return counter.contains("undo-promote") && last?.event == "rollback_started"
            }
        }
    }

    struct Scenario: Sendable, CustomTestStringConvertible {
        /// Where each session is killed, in order; the last session runs to the end.
        var kills: [KillPoint]
        /// The answer for `copy-data` when it was running as the executor died.
        var afterCrash = "r"
        var healthy = true

        var testDescription: String {
            "killed at " + kills.map(\.rawValue).joined(separator: ", ") + (kills.contains(.copyData) ? " (then \(afterCrash.prefix(1)))" : "")
        }

        /// The questions a run answers once each, over all its sessions.
        var questions: [String] {
            var q = items.map { "[ ] " + $0 } + [askQuestion]
            if kills.contains(.copyData) { q.append(failed("copy-data")) }
            q.append(gateQuestion)
            if !healthy { q += [failed("verify"), rollbackQuestion] }
            return q
        }

        /// The counter file at the end: one line per execution.
        var counter: [String] {
            var lines: [String] = []
            for step in steps.dropFirst() {
                lines.append(step)
                if step == "copy-data", kills.contains(.copyData), afterCrash == "r" { lines.append(step) }
                if step == "reindex", kills.contains(.reindex) { lines.append(step) }
            }
            if !healthy { lines += ["undo-promote", "undo-promote", "undo-snapshot"] }
            return lines
        }

        func answer(_ question: String) -> String? {
            if question.hasPrefix("[ ] "), items.contains(String(question.dropFirst(4))) { return "y" }
            switch question {
            case askQuestion: return incident
            case gateQuestion: return "y"
            case failed("copy-data"): return afterCrash
            case failed("verify"): return "b"
            case rollbackQuestion: return "y"
            default: return nil
            }
        }
    }

    static let scenarios: [Scenario] = [
        Scenario(kills: [.firstItem]),
        Scenario(kills: [.secondItem]),
        Scenario(kills: [.ask]),
        Scenario(kills: [.copyData], afterCrash: "r"),
        Scenario(kills: [.copyData], afterCrash: "d copied it by hand with pg_basebackup"),
        Scenario(kills: [.reindex]),
        Scenario(kills: [.gate]),
        Scenario(kills: [.secondItem, .thirdItem, .ask, .copyData, .reindex, .gate]),
        Scenario(kills: [.copyData, .verifyFailed, .rollback], afterCrash: "d copied it by hand with pg_basebackup", healthy: false),
    ]

    // MARK: - Tests

    @Test(arguments: scenarios)
    func killedAndResumedUntilTheRunEnds(_ scenario: Scenario) async throws {
        let box = try Box()
        var args = ["run", "failover", "-p", "count_file=\(box.countFile)"]
        if !scenario.healthy { args += ["-p", "verdict=broken"] }
        var answeredBefore: [String] = []
        var journalsAtKill: [String] = []
        var id = ""
        var promoteShown = false

        for (n, kill) in (scenario.kills.map { Optional($0) } + [nil]).enumerated() {
            Self.release(box, except: kill)
            let s = try await drive(LiveMuster(args, cwd: box.dir), box, kill: kill, answer: scenario.answer)
            if n == 0 { id = try box.runID() }
            // Every other resume is given no RUN_ID and must find the run itself.
            args = n % 2 == 0 ? ["resume", id] : ["resume"]
            if n > 0 {
                #expect(s.stdout.contains("run \(id) · 6 steps · resumed"), "\(s.stdout)")
                // Nothing answered before a kill is asked again.
                let again = s.asked.filter(answeredBefore.contains)
                #expect(again.isEmpty, "asked again after resume: \(again)")
                for item in Self.items where answeredBefore.contains("[ ] " + item) {
                    #expect(!s.stdout.contains("[ ] " + item), "'\(item)' was answered before the kill and asked again")
                }
            }
            answeredBefore += s.answered
            // The ask answer of an earlier session still fills templates.
            for line in s.stdout.split(separator: "\n") where line.contains("Promote the standby") {
                if line.hasPrefix("    ") {
                    // The resume's recap of what was done.
                    #expect(line.contains("promote: Promote the standby for \(Self.incident)"), "\(line)")
                    continue
                }
                #expect(line.hasPrefix("[5/6] Promote the standby for \(Self.incident)  "), "\(line)")
                promoteShown = true
            }
            if let kill {
                #expect(s.signalled && s.status == SIGKILL, "session \(n) was to be killed at \(kill), but ended with \(s.status)\n\(s.stdout)\(s.stderr)")
                #expect(try box.state(of: id) == "crashed")
                journalsAtKill.append(try String(contentsOfFile: box.journalPath(id), encoding: .utf8))
            } else {
                #expect(!s.signalled && s.status == (scenario.healthy ? 0 : 1), "last session: \(s.status)\n\(s.stdout)\(s.stderr)")
            }
        }

        #expect(promoteShown)
        // Every question was answered exactly once over all sessions.
        #expect(answeredBefore == scenario.questions)
        // No finished step ran twice; the interrupted ones as the rules say.
        #expect(try box.counter() == scenario.counter)

        let log = try muster(["log", id, "--json"], cwd: box.dir)
        #expect(log.status == 0 && log.stderr.isEmpty, "\(log.stderr)")
        // The journal only grows: what a killed session wrote stays as written.
        for (i, j) in journalsAtKill.enumerated() {
            #expect(log.stdout.hasPrefix(j), "the journal as it was at kill \(i + 1) is not a prefix of the final one")
        }
        let events = try Self.parse(journal: log.stdout)
        try Self.checkStory(events, scenario: scenario)
        #expect(try box.state(of: id) == (scenario.healthy ? "completed" : "rolled_back"))
    }

    @Test func withYesAStepThatWasRunningAndIsNotIdempotentPauses() async throws {
        let box = try Box()
        let scenario = Scenario(kills: [.copyData], afterCrash: "d copied it by hand with pg_basebackup")
        Self.release(box, except: .copyData)
        let s = try await drive(LiveMuster(["run", "failover", "-p", "count_file=\(box.countFile)"], cwd: box.dir), box, kill: .copyData, answer: scenario.answer)
        #expect(s.signalled)
        let id = try box.runID()
        let yes = try muster(["resume", id, "--yes"], cwd: box.dir)
        #expect(yes.status == 3, "\(yes.stdout)\(yes.stderr)")
        #expect(yes.stdout.contains("'copy-data' was running when the last session ended and is not idempotent"), "\(yes.stdout)")
        #expect(try box.counter() == ["snapshot", "copy-data"])
        #expect(try box.state(of: id) == "paused")
        let last = try muster(["resume", id], cwd: box.dir, stdin: scenario.afterCrash + "\ny\n")
        #expect(last.status == 0, "\(last.stdout)\(last.stderr)")
        #expect(try box.counter() == scenario.counter)
    }

    @Test func aHalfWrittenLastLineIsDroppedWithAWarning() async throws {
        let box = try Box()
        let first = try muster(["run", "failover", "-p", "count_file=\(box.countFile)"], cwd: box.dir, stdin: "y\n")
        #expect(first.status == 3, "\(first.stdout)\(first.stderr)")
        let id = try box.runID()
        #expect(try box.state(of: id) == "paused")
        let before = try Self.parse(journal: String(contentsOfFile: box.journalPath(id), encoding: .utf8))
        // What a crash in the middle of writing the next event leaves behind.
        let handle = try #require(FileHandle(forWritingAtPath: box.journalPath(id)))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(#"{"at":"2026-11-27T09:00:00Z","event":"item_answered","item":1,"seq":\#(before.count + 1),"st"#.utf8))
        try handle.close()

        let resumed = try muster(["resume", id], cwd: box.dir, stdin: "y\ny\n\(Self.incident)\ny\n")
        #expect(resumed.status == 0, "\(resumed.stdout)\(resumed.stderr)")
        #expect(resumed.stderr.contains("warning") && resumed.stderr.contains("last line") && resumed.stderr.contains("incomplete"), "\(resumed.stderr)")
        // The cut event did not count: the item it was about is asked.
        #expect(resumed.stdout.contains("[ ] " + Self.items[1]))
        #expect(!resumed.stdout.contains("[ ] " + Self.items[0]))

        let text = try String(contentsOfFile: box.journalPath(id), encoding: .utf8)
        #expect(text.hasSuffix("\n"))
        #expect(!text.contains(#""st{"#), "the next event was glued to the half line")
        let events = try Self.parse(journal: text)
        #expect(Array(events.prefix(before.count)) == before)
        try Self.checkStory(events, scenario: Scenario(kills: [.secondItem]))
        #expect(try box.counter() == Scenario(kills: []).counter)
    }

    @Test func aSecondExecutorIsRefusedWhileTheRunIsExecuted() async throws {
        let box = try Box()
        let paused = try muster(["run", "failover", "-p", "count_file=\(box.countFile)"], cwd: box.dir, stdin: "y\n")
        #expect(paused.status == 3)
        let id = try box.runID()

        // The first executor waits for an answer, its stdin held open.
        Self.release(box, except: nil)
        let first = try LiveMuster(["resume", id], cwd: box.dir)
        _ = eventually(within: 10) { !Self.questions(in: first.stdout).isEmpty || !first.isRunning }
        #expect(Self.questions(in: first.stdout) == ["[ ] " + Self.items[1]])
        #expect(try box.state(of: id) == "running")
        let journal = try String(contentsOfFile: box.journalPath(id), encoding: .utf8)

        let second = try muster(["resume", id], cwd: box.dir, stdin: "y\ny\n\(Self.incident)\ny\n")
        #expect(second.status == 2)
        #expect(second.stderr.contains("run \(id) is being executed by pid \(first.pid)"), "\(second.stderr)")
        #expect(!second.stdout.contains("[ ]"))
        // Without a RUN_ID the running run is not picked either.
        let newest = try muster(["resume"], cwd: box.dir, stdin: "y\ny\n\(Self.incident)\ny\n")
        #expect(newest.status == 2, "\(newest.stdout)\(newest.stderr)")
        #expect(try String(contentsOfFile: box.journalPath(id), encoding: .utf8) == journal, "a refused executor wrote to the journal")
        #expect(!FileManager.default.fileExists(atPath: box.countFile))

        let s = try await drive(first, box, kill: nil, answer: Scenario(kills: []).answer)
        #expect(s.status == 0 && !s.signalled, "\(s.stdout)\(s.stderr)")
        #expect(s.answered == Array(Scenario(kills: []).questions.dropFirst()))
        #expect(try box.counter() == Scenario(kills: []).counter)
        #expect(try box.state(of: id) == "completed")
    }

    // MARK: - Driving a session

    struct Session {
        var status: Int32
        var signalled: Bool
        var stdout: String
        var stderr: String
        /// Every question shown, and those answered, in order.
        var asked: [String]
        var answered: [String]
    }

    /// Answers each question `muster` asks with `answer`, one line at a
    /// time, until it exits, or SIGKILLs it as soon as `kill` is reached.
    func drive(_ p: LiveMuster, _ box: Box, kill: KillPoint?, answer: (String) -> String?) async throws -> Session {
        Self.release(box, except: kill)
        var answered: [String] = []
        var reached = false
        // Each look answers what is pending; done when the process ends,
        // the kill point is reached, or a question has no answer.
        _ = try eventually(within: 20) {
            guard p.isRunning else { return true }
            let asked = Self.questions(in: p.stdout)
            let pending = asked.count > answered.count ? asked.last : nil
            if let kill, kill.reached(pending: pending, events: try box.events(), counter: try box.counter()) {
                p.kill()
                reached = true
                return true
            }
            if let q = pending {
                guard let a = answer(q) else {
                    Issue.record("unexpected question: \(q)")
                    p.closeInput()
                    return true
                }
                p.send(a)
                answered.append(q)
            }
            return false
        }
        let (status, signalled) = await p.finish()
        Self.release(box, except: nil)
        if let kill, !reached { Issue.record("the run never reached kill point \(kill)\n\(p.stdout)\(p.stderr)") }
        let out = p.stdout
        return Session(status: status, signalled: signalled, stdout: out, stderr: p.stderr, asked: Self.questions(in: out), answered: answered)
    }

    /// The questions in `stdout`: the line above each `    (hint) > ` line.
    static func questions(in stdout: String) -> [String] {
        let lines = stdout.split(separator: "\n", omittingEmptySubsequences: false)
        return lines.indices.dropFirst().filter { lines[$0].hasPrefix("    (") && lines[$0].contains(") > ") }
            .map { lines[$0 - 1].trimmingCharacters(in: .whitespaces) }
    }

    // MARK: - The journal

    struct Event: Decodable, Equatable {
        var seq: Int
        var event: String
        var step: String?
        var item: Int?
        var answer: String?
        var attempt: Int?
        var outcome: String?
        var name: String?
        var value: String?
        var text: String?
    }

    /// Every line of a journal, each of which must be one JSON object.
    static func parse(journal text: String) throws -> [Event] {
        #expect(text.hasSuffix("\n"), "the journal's last line has no newline")
        return try text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().enumerated().map { i, line in
            do {
                let object = try JSONSerialization.jsonObject(with: Data(line.utf8))
                #expect(object is [String: Any], "journal line \(i + 1) is not a JSON object: \(line)")
                return try JSONDecoder().decode(Event.self, from: Data(line.utf8))
            } catch {
                Issue.record("journal line \(i + 1) is not a valid event: \(line)")
                throw error
            }
        }
    }

    /// The journal of a run that ended tells all of it, in order.
    static func checkStory(_ events: [Event], scenario: Scenario) throws {
        #expect(events.map(\.seq) == Array(1...max(1, events.count)), "seq numbers are not 1...n")
        #expect(events.first?.event == "run_started")
        #expect(events.last?.event == "run_finished")
        #expect(events.last?.outcome == (scenario.healthy ? "completed" : "rolled_back"))
        #expect(events.filter { $0.event == "run_finished" }.count == 1)
        #expect(events.filter { $0.event == "run_resumed" }.count == scenario.kills.count)

        for step in steps {
            let started = events.indices.filter { events[$0].event == "step_started" && events[$0].step == step }
            let finished = events.indices.filter { events[$0].event == "step_finished" && events[$0].step == step }
            #expect(started.count == 1 && finished.count == 1, "\(step): \(started.count) step_started, \(finished.count) step_finished")
            if let s = started.first, let f = finished.first { #expect(s < f, "\(step) finished before it started") }
            let outcome = finished.first.map { events[$0].outcome }
            #expect(outcome == (step == "verify" && !scenario.healthy ? "failed" : "done"), "\(step) finished \(String(describing: outcome))")
            // Each execution of a command is journaled as an attempt.
            if step != "declare" {
                let attempts = events.filter { $0.step == step && ($0.event == "attempt_started" || ($0.event == "step_started" && $0.attempt != nil)) }
                #expect(attempts.map(\.attempt) == Array(1...max(1, attempts.count)).map { Optional($0) })
                #expect(attempts.count == scenario.counter.filter { $0 == step }.count, "\(step): \(attempts.count) attempts journaled")
            }
        }
        #expect(events.filter { $0.event == "item_answered" }.map(\.item) == [0, 1, 2])
        #expect(events.filter { $0.event == "answered" }.map(\.value) == [incident])
        #expect(events.filter { $0.event == "gate_answered" }.map(\.answer) == ["run"])

        let choices = events.filter { $0.event == "failure_choice" }
        var expected: [String] = []
        if scenario.kills.contains(.copyData) { expected.append(scenario.afterCrash == "r" ? "retry" : "done") }
        if !scenario.healthy { expected.append("rollback") }
        #expect(choices.map(\.answer) == expected.map { Optional($0) })
        if scenario.kills.contains(.copyData), scenario.afterCrash != "r" {
            let done = events.first { $0.event == "step_finished" && $0.step == "copy-data" }
            #expect(done?.text?.contains("marked done by hand") == true)
        }
        // One rollback_started for the rollback, then one per rollback command
        // before it runs (promote's twice: it was killed mid-command).
        #expect(events.filter { $0.event == "rollback_started" && $0.step == nil }.count == (scenario.healthy ? 0 : 1))
        #expect(events.filter { $0.event == "rollback_started" && $0.step != nil }.map(\.step) == (scenario.healthy ? [] : ["promote", "promote", "snapshot"]))
        #expect(events.filter { $0.event == "rollback_finished" }.map(\.step) == (scenario.healthy ? [] : ["promote", "snapshot"]))
    }

    // MARK: - A runbook repository

    /// A temporary folder (outside git) with `runbooks/failover.yaml`; state
    /// goes to its `.muster/`.
    struct Box {
        let dir: String
        var countFile: String { dir + "/count.txt" }

        init() throws {
            dir = try temporaryDirectory()
            try FileManager.default.createDirectory(atPath: dir + "/runbooks", withIntermediateDirectories: true)
            try KillResumeTests.runbook.write(toFile: dir + "/runbooks/failover.yaml", atomically: true, encoding: .utf8)
            KillResumeTests.release(self, except: nil)
        }

        func runID() throws -> String {
            let runs = try FileManager.default.contentsOfDirectory(atPath: dir + "/.muster/runs")
            #expect(runs.count == 1, "\(runs)")
            return try #require(runs.first)
        }

        func journalPath(_ id: String) -> String { "\(dir)/.muster/runs/\(id)/journal.jsonl" }

        func counter() throws -> [String] {
            guard FileManager.default.fileExists(atPath: countFile) else { return [] }
            return try String(contentsOfFile: countFile, encoding: .utf8).split(separator: "\n").map(String.init)
        }

        /// The journal's complete lines so far, read while a run goes on.
        func events() throws -> [Event] {
            guard let runs = try? FileManager.default.contentsOfDirectory(atPath: dir + "/.muster/runs"), let id = runs.first,
                  let data = FileManager.default.contents(atPath: journalPath(id)) else { return [] }
            let end = data.lastIndex(of: UInt8(ascii: "\n")) ?? data.startIndex
            return data[..<end].split(separator: UInt8(ascii: "\n")).compactMap { try? JSONDecoder().decode(Event.self, from: Data($0)) }
        }

        /// The run's state as `muster runs --json` reports it.
        func state(of id: String) throws -> String? {
            let r = try muster(["runs", "--json"], cwd: dir)
            #expect(r.status == 0, "\(r.stderr)")
            let runs = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: Any]] ?? []
            return runs.first { $0["run_id"] as? String == id }?["state"] as? String
        }
    }
}
