import Foundation
@testable import MusterBasics
@testable import MusterFormat
@testable import MusterEngine
@testable import MusterTesting
import Testing

/// Replay re-checks decisions (Temporal's rule): the journals Muster
/// wrote, old formats included, replay through today's machine with the
/// decisions they recorded, and a machine that would now decide otherwise
/// is caught at the first event it would not have produced.
@Suite("the replay check of journaled decisions")
struct ReplayCheckTests {
    /// The CLI tests' fixtures: journals written by earlier releases, each
    /// beside the runbook it ran.
    static let fixtures: [(runbook: String, journal: String)] = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("MusterCLITests/Fixtures").path
        var out: [(String, String)] = []
        for group in ["legacy-ci", "current-v13", "written-before-typed"] {
            let base = Paths.join(root, group)
            for name in (try? FileManager.default.contentsOfDirectory(atPath: base)) ?? [] where !name.hasSuffix(".md") {
                let dir = Paths.join(base, name)
                let files = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
                for run in files where !run.hasSuffix(".yaml") {
                    // The runbook the run names; a drill's file sits beside it.
                    let journal = Paths.join(Paths.join(dir, run), "journal.jsonl")
                    guard let first = try? events(journal).first?.run else { continue }
                    out.append((Paths.join(dir, first.runbook + ".yaml"), journal))
                }
            }
        }
        return out.sorted { $0.1 < $1.1 }
    }()

    static func events(_ path: String) throws -> [JournalEvent] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        return try text.split(separator: "\n").map { try JSONDecoder().decode(JournalEvent.self, from: Data($0.utf8)) }
    }

    @Test func everyOldJournalReplaysWithTheDecisionsItRecorded() throws {
        #expect(Self.fixtures.count >= 12, "the fixtures were not found: \(Self.fixtures)")
        for f in Self.fixtures {
            let name = URL(fileURLWithPath: f.runbook).deletingPathExtension().lastPathComponent
            let rb = try loadRunbook(try String(contentsOfFile: f.runbook, encoding: .utf8), name: name)
            let events = try Self.events(f.journal)
            let machine = RunMachine(plan: FlatPlan(rb, includes: [:]), yes: events.first?.run?.yes ?? false)
            #expect(ReplayCheck.check(events, plan: machine.plan) == [], "\(f.journal)")
            // And every prefix of it: the check never needs the events after.
            for cut in 1..<events.count {
                #expect(ReplayCheck.check(Array(events[..<cut]), plan: machine.plan) == [], "\(f.journal) cut at \(cut)")
            }
        }
    }

    static let twoSteps = """
    muster: 1
    name: t
    title: Two
    steps:
      - id: first
        title: First
        run: one
        retries: 1
      - id: second
        title: Second
        run: two
    """

    func journal(_ rb: Runbook, results: @escaping (String) -> (Int32, [String])) -> [JournalEvent] {
        let j = MemoryJournal()
        let clock = FakeClock()
        let e = executor(rb, journal: j, console: FakeConsole([]), runner: FakeRunner(results), yes: true, clock: clock)
        _ = e.execute(resumed: false)
        return j.events
    }

    @Test func aMachineThatWouldNowDecideOtherwiseIsCaughtWhereItDiverges() throws {
        let rb = try loadRunbook(Self.twoSteps)
        var failures = 0
        let events = journal(rb) { script in
            if script == "one" { failures += 1; return (failures == 1 ? 1 : 0, []) }
            return (0, [])
        }
        let machine = RunMachine(plan: FlatPlan(rb, includes: [:]), yes: true)
        #expect(ReplayCheck.check(events, plan: machine.plan) == [])

        // The same journal against a runbook whose order changed: the first
        // step journaled is not the one the machine starts.
        let swapped = try loadRunbook("""
        muster: 1
        name: t
        title: Two
        steps:
          - id: second
            title: Second
            run: two
          - id: first
            title: First
            run: one
            retries: 1
        """)
        let moved = ReplayCheck.check(events, plan: FlatPlan(swapped, includes: [:]))
        let first = try #require(moved.first)
        #expect(first.event == .stepStarted && first.step == "first" && first.decided == .attempt("second", 1), "\(moved)")

        // Without the retry, the second attempt is not the machine's: it
        // would have applied the failure policy (abort, with --yes).
        let noRetry = try loadRunbook(Self.twoSteps.replacingOccurrences(of: "    retries: 1\n", with: ""))
        let retried = ReplayCheck.check(events, plan: FlatPlan(noRetry, includes: [:]))
        #expect(retried.first?.event == .attemptStarted, "\(retried)")
        #expect(retried.first?.decided == .onFailure("first", .abort), "\(retried)")
        #expect(retried.first?.description.contains("is not what the machine decides there") == true)
    }

    /// The failure that aborted the run is the machine's decision: a session
    /// that ended between the step's failure and the run's end resumes to
    /// the run's end, with or without `--yes`, never to the next step.
    @Test func anAbortJournaledWithoutTheRunsEndEndsTheRunOnResume() throws {
        let rb = try loadRunbook(Self.twoSteps.replacingOccurrences(of: "    retries: 1\n", with: "    on_failure: abort\n"))
        let events = journal(rb) { _ in (1, []) }
        #expect(events.last?.event == .runFinished && events.last?.runEnd == .failed)
        let cut = Array(events.dropLast())
        for yes in [true, false] {
            let machine = RunMachine(plan: FlatPlan(rb, includes: [:]), yes: yes)
            #expect(machine.next(RunState(replaying: cut)) == .finish(.failed), "yes: \(yes)")
            #expect(ReplayCheck.check(events, plan: machine.plan) == [], "yes: \(yes)")
        }
        // `continue` goes on to the next step instead.
        let goesOn = try loadRunbook(Self.twoSteps.replacingOccurrences(of: "    retries: 1\n", with: "    on_failure: continue\n"))
        let more = journal(goesOn) { script in (script == "one" ? 1 : 0, []) }
        #expect(more.contains { $0.event == .stepStarted && $0.step == "second" })
        #expect(ReplayCheck.check(more, plan: FlatPlan(goesOn, includes: [:])) == [])
    }
}
