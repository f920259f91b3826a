import Foundation
@testable import MusterBasics
@testable import MusterFormat
@testable import MusterEngine
@testable import MusterJournal
@testable import MusterDrills
@testable import MusterTesting
import Testing

extension JSON {
    /// The object with one key's value changed, for editing a record by hand.
    func replacing(_ key: String, with value: JSON) -> JSON {
        guard case .object(let pairs) = self else { return self }
        return .object(pairs.map { $0.0 == key ? ($0.0, value) : $0 })
    }
}

@Suite("the critical path and the steps added up")
struct CriticalPathTests {
    typealias N = CriticalPath.Node

    @Test func aSequenceIsEveryStepInOrder() {
        let r = CriticalPath.measure([N(key: "a", parent: nil, seconds: 2), N(key: "b", parent: nil, seconds: 3), N(key: "c", parent: nil, seconds: 1)], concurrent: [])
        #expect(r == .init(path: ["a", "b", "c"], seconds: 6, serialSeconds: 6))
    }

    @Test func aParallelStepOfGroupsTakesItsLongestBranch() {
        let nodes = [
            N(key: "a", parent: nil, seconds: 1),
            N(key: "p", parent: nil, seconds: 5),
            N(key: "p/g1", parent: "p", seconds: 5),
            N(key: "p/g1/x", parent: "p/g1", seconds: 2),
            N(key: "p/g1/y", parent: "p/g1", seconds: 3),
            N(key: "p/z", parent: "p", seconds: 4),
            N(key: "c", parent: nil, seconds: 1),
        ]
        let r = CriticalPath.measure(nodes, concurrent: ["p"])
        #expect(r.path == ["a", "p/g1/x", "p/g1/y", "c"])
        #expect(r.seconds == 7)
        // Groups and parallel steps are no leaves: only a, x, y, z, c count.
        #expect(r.serialSeconds == 11)
        // The same steps one after another: every one is on the path.
        #expect(CriticalPath.measure(nodes, concurrent: []).path == ["a", "p/g1/x", "p/g1/y", "p/z", "c"])
    }

    @Test func aNestedParallelStepTakesTheLongestBranchAtEveryLevel() {
        let nodes = [
            N(key: "p", parent: nil, seconds: 8),
            N(key: "p/q", parent: "p", seconds: 8),
            N(key: "p/q/m", parent: "p/q", seconds: 5),
            N(key: "p/q/n", parent: "p/q", seconds: 8),
            N(key: "p/s", parent: "p", seconds: 6),
            N(key: "after", parent: nil, seconds: 1),
        ]
        let r = CriticalPath.measure(nodes, concurrent: ["p", "p/q"])
        #expect(r == .init(path: ["p/q/n", "after"], seconds: 9, serialSeconds: 20))
        // The inner one in sequence: m then n (13 s) outlasts s.
        #expect(CriticalPath.measure(nodes, concurrent: ["p"]).path == ["p/q/m", "p/q/n", "after"])
    }

    @Test func loopItemsRunningAtOnceTakeTheLongestItemAndOneAtATimeAddUp() {
        let nodes = [
            N(key: "redeploy", parent: nil, seconds: 5),
            N(key: "redeploy[web]", parent: "redeploy", seconds: 2),
            N(key: "redeploy[api]", parent: "redeploy", seconds: 5),
            N(key: "redeploy[db]", parent: "redeploy", seconds: 1),
        ]
        #expect(CriticalPath.measure(nodes, concurrent: ["redeploy"]) == .init(path: ["redeploy[api]"], seconds: 5, serialSeconds: 8))
        #expect(CriticalPath.measure(nodes, concurrent: []) == .init(path: ["redeploy[web]", "redeploy[api]", "redeploy[db]"], seconds: 8, serialSeconds: 8))
    }

    @Test func skippedStepsTakeNoTimeAndAreOnNoPath() {
        let nodes = [
            N(key: "promote", parent: nil, seconds: 0, skipped: true),
            N(key: "p", parent: nil, seconds: 3),
            N(key: "p/slow", parent: "p", seconds: 9, skipped: true),
            N(key: "p/fast", parent: "p", seconds: 3),
            N(key: "done", parent: nil, seconds: 1),
        ]
        #expect(CriticalPath.measure(nodes, concurrent: ["p"]) == .init(path: ["p/fast", "done"], seconds: 4, serialSeconds: 4))
    }

    @Test func aKeyNestedTenThousandDeepNeitherRecursesNorLoops() {
        var nodes: [N] = []
        var key = "s"
        for _ in 0..<10_000 {
            nodes.append(N(key: key, parent: nodes.last?.key, seconds: 1))
            key += "/s"
        }
        // A parent that is its own child, and one that names a later step.
        nodes.append(N(key: "loop", parent: "loop", seconds: 2))
        nodes.append(N(key: "x", parent: "y", seconds: 1))
        nodes.append(N(key: "y", parent: "x", seconds: 1))
        let r = CriticalPath.measure(nodes, concurrent: [])
        #expect(r.path.first == nodes[9_999].key && r.path.contains("loop"))
        #expect(r.seconds >= 3)
    }

    @Test func containersRunConcurrentlyWhenTwoOfTheirStepsOverlapped() {
        let nodes = [
            N(key: "p", parent: nil, seconds: 4), N(key: "p/a", parent: "p", seconds: 3), N(key: "p/b", parent: "p", seconds: 4),
            N(key: "g", parent: nil, seconds: 4), N(key: "g/a", parent: "g", seconds: 2), N(key: "g/b", parent: "g", seconds: 2),
        ]
        let times: [String: (start: Double, end: Double)] = ["p/a": (0, 3), "p/b": (0.1, 4.1), "g/a": (5, 7), "g/b": (7, 9)]
        #expect(CriticalPath.overlapping(nodes, times: times) == ["p"])
    }
}

@Suite("records keep the critical path")
struct CriticalPathRecordTests {
    /// A drill's journal: `prep`, then `p` running `short` (1 s) beside
    /// `long` (a group of two steps, 1 s and 2 s), then `end`.
    static func events() -> [JournalEvent] {
        var events: [JournalEvent] = []
        func add(_ kind: JournalEvent.Kind, _ step: String?, t: Double, _ fill: (inout JournalEvent) -> Void = { _ in }) {
            var e = JournalEvent(seq: events.count + 1, at: "2026-11-27T09:00:00Z", t: t, event: kind)
            e.step = step
            fill(&e)
            events.append(e)
        }
        add(.runStarted, nil, t: 0) { $0.run = JournalEvent.RunInfo(runID: "r", runbook: "t", runbookPath: "runbooks/t.yaml", runbookHash: "", operatorName: "alice", host: "h", params: [:], yes: false, startedAt: "2026-11-27T09:00:00Z", drill: DrillTests.drill(rto: 60)) }
        add(.stepStarted, "prep", t: 0) { $0.attempt = 1 }
        add(.stepFinished, "prep", t: 1) { $0.outcome = "done" }
        add(.stepStarted, "p", t: 1)
        add(.stepStarted, "p/short", t: 1) { $0.attempt = 1 }
        add(.stepStarted, "p/long", t: 1)
        add(.stepStarted, "p/long/one", t: 1) { $0.attempt = 1 }
        add(.stepFinished, "p/short", t: 2) { $0.outcome = "done" }
        add(.stepFinished, "p/long/one", t: 2) { $0.outcome = "done" }
        add(.stepStarted, "p/long/two", t: 2) { $0.attempt = 1 }
        add(.stepFinished, "p/long/two", t: 4) { $0.outcome = "done" }
        add(.stepFinished, "p/long", t: 4) { $0.outcome = "done" }
        add(.stepFinished, "p", t: 4) { $0.outcome = "done" }
        add(.stepStarted, "end", t: 4) { $0.attempt = 1 }
        add(.stepFinished, "end", t: 5) { $0.outcome = "done" }
        add(.runFinished, nil, t: 5) { $0.outcome = "completed" }
        return events
    }

    static let runbook = """
    muster: 1
    name: t
    title: Parallel
    steps:
      - {id: prep, title: Prep, run: prep}
      - id: p
        title: Both
        parallel:
          branches:
            - {id: short, title: Short, run: short}
            - id: long
              title: Long
              steps:
                - {id: one, title: One, run: one}
                - {id: two, title: Two, run: two}
      - {id: end, title: End, run: end}
    """

    @Test func aRecordNamesTheLongerBranchAndAddsUpTheSteps() throws {
        let rb = try loadRunbook(Self.runbook)
        let r = try #require(DrillRecorder.record(events: Self.events(), drill: DrillTests.drill(rto: 60),
                                                  steps: DrillRecorder.stepFacts(rb, includes: [:]), runbookCommit: nil, runbookDirty: false))
        #expect(r.criticalPath == ["prep", "p/long/one", "p/long/two", "end"])
        #expect(r.serialSeconds == 6, "\(String(describing: r.serialSeconds))")
        #expect(r.criticalPathSeconds == 5)
        #expect(r.parallelSavedSeconds == 1)
        #expect(r.hasBranches)
        let json = r.json.serialized()
        #expect(json.contains(#""rpo_met":null,"critical_path":["prep","p/long/one","p/long/two","end"],"serial_seconds":6.0,"rpo_objective_seconds""#))
    }

    @Test func theVerifierChecksTheNewKeysAndStillAcceptsRecordsWithout() throws {
        let rb = try loadRunbook(Self.runbook)
        let events = Self.events()
        var record = try #require(DrillRecorder.record(events: events, drill: DrillTests.drill(rto: 60),
                                                       steps: DrillRecorder.stepFacts(rb, includes: [:]), runbookCommit: nil, runbookDirty: false))
        let lines = try events.map { String(decoding: try JSONEncoder().encode($0), as: UTF8.self) }
        let journal = Array((lines.joined(separator: "\n") + "\n").utf8)
        #expect(RecordVerifier.verify(record: record, journal: journal, journalName: "j").problem == nil)

        var old = record
        old.criticalPath = nil; old.serialSeconds = nil
        #expect(RecordVerifier.verify(record: old, journal: journal, journalName: "j").problem == nil)

        record.criticalPath = ["prep", "p/short", "end"]
        let altered = RecordVerifier.verify(record: record, journal: journal, journalName: "j").problem
        #expect(altered?.contains("the record's 'critical_path'") == true, "\(altered ?? "nil")")
        record.criticalPath = ["prep", "p/long/one", "p/long/two", "end"]
        record.serialSeconds = 5
        #expect(RecordVerifier.verify(record: record, journal: journal, journalName: "j").problem?.contains("'serial_seconds'") == true)
    }

    @Test func aRecordWhoseCriticalPathNamesNoStepOrWhoseSumIsNoDurationDoesNotRead() throws {
        let rb = try loadRunbook(Self.runbook)
        let base = try #require(DrillRecorder.record(events: Self.events(), drill: DrillTests.drill(rto: 60),
                                                     steps: DrillRecorder.stepFacts(rb, includes: [:]), runbookCommit: nil, runbookDirty: false))
        let dir = NSTemporaryDirectory() + "muster-critical-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = RecordStore(directory: dir)
        func problem(_ edit: (inout JSON) -> Void) throws -> String? {
            var json = base.json
            edit(&json)
            try (json.serialized(pretty: true) + "\n").write(toFile: dir + "/r.json", atomically: true, encoding: .utf8)
            if case .failure(let p) = store.read(dir + "/r.json", drill: nil) { return p.message }
            return nil
        }
        #expect(try problem { _ in } == nil)
        #expect(try problem { $0 = $0.replacing("critical_path", with: .array([.string("p/long/one"), .string("\u{1b}[2Jgone")])) }?
            .contains("critical_path names step '\u{1b}[2Jgone', which the record's steps do not list") == true)
        #expect(try problem { $0 = $0.replacing("serial_seconds", with: .double(-1)) } == "serial_seconds -1.0 is not a duration (0 to a hundred years)")
    }
}

@Suite("muster show --forecast: the expected time to recover")
struct ForecastTests {
    static let runbook = """
    muster: 1
    name: failover
    title: Failover
    rto: 1h15m
    steps:
      - {id: declare, title: Declare, manual: [Open the incident]}
      - id: rebuild
        title: Rebuild
        parallel:
          branches:
            - {id: cluster, title: Cluster, run: create, expect: 12m}
            - id: database
              title: Database
              steps:
                - {id: snapshot, title: Snapshot, run: snap, expect: 5m}
                - {id: restore, title: Restore, run: restore, expect: 30m}
      - {id: redeploy, title: "Redeploy {{ s }}", for_each: {in: [api, web], as: s, max_parallel: 2}, run: deploy, expect: 4m}
      - {id: switch, title: Switch, run: switch, expect: 2m}
    """

    @Test func expectGivesTheTimesAndTheLongestBranchIsTheCriticalPath() throws {
        let rb = try loadRunbook(Self.runbook, name: "failover")
        let f = Forecast(runbook: rb, includes: [:], records: [])
        #expect(f.criticalPath == ["declare", "rebuild/database/snapshot", "rebuild/database/restore", "redeploy[api]", "switch"])
        #expect(f.seconds == 41 * 60)
        #expect(f.serialSeconds == (12 + 5 + 30 + 4 + 4 + 2) * 60)
        #expect(f.unknown == ["declare"])
        #expect(f.headline == "forecast 41m (critical path: declare → rebuild/database/snapshot → rebuild/database/restore → redeploy[api] → switch), RTO 1h15m: within by 34m")
    }

    @Test func pastDrillsOfTheRunbookGiveMediansThatOutweighExpect() throws {
        let rb = try loadRunbook(Self.runbook, name: "failover")
        func record(_ runbook: String, cluster: Double, declare: Double) -> DrillRecord {
            let steps = [
                DrillRecord.StepTiming(id: "declare", kind: "manual", outcome: "done", startedAt: nil, seconds: declare, attempts: 1, expectSeconds: nil, overExpect: false),
                DrillRecord.StepTiming(id: "rebuild/cluster", kind: "run", outcome: "done", startedAt: nil, seconds: cluster, attempts: 1, expectSeconds: 720, overExpect: true),
                DrillRecord.StepTiming(id: "switch", kind: "run", outcome: "rehearsed", startedAt: nil, seconds: 0, attempts: 1, expectSeconds: 120, overExpect: false),
            ]
            return DrillRecord(drill: "d", runbook: runbook, runbookPath: "", runbookCommit: nil, runbookDirty: false, mode: "live", operatorName: "a",
                               startedAt: "2026-11-27T09:00:00Z", finishedAt: "2026-11-27T09:00:00Z", outcome: .recovered, elapsedSeconds: 1,
                               rtoSeconds: nil, rtoMet: nil, steps: steps, escalations: [], faults: [], training: nil, runID: nil)
        }
        let records = [record("failover", cluster: 2400, declare: 60), record("failover", cluster: 3000, declare: 120),
                       record("failover", cluster: 9000, declare: 90), record("other", cluster: 1, declare: 1)]
        let f = Forecast(runbook: rb, includes: [:], records: records)
        #expect(f.records == 3)
        #expect(f.steps.first { $0.key == "rebuild/cluster" } == .init(key: "rebuild/cluster", seconds: 3000, source: .records(3)))
        #expect(f.steps.first { $0.key == "declare" } == .init(key: "declare", seconds: 90, source: .records(3)))
        // A rehearsed step did not run: its `expect` stands.
        #expect(f.steps.first { $0.key == "switch" }?.source == .expect)
        #expect(f.criticalPath == ["declare", "rebuild/cluster", "redeploy[api]", "switch"])
        #expect(f.seconds == 90 + 3000 + 240 + 120)
        #expect(f.headline.hasSuffix("RTO 1h15m: within by 17m30s"))
        let json = f.json.serialized()
        #expect(json.contains(#""forecast_seconds":3450.0,"critical_path":["declare","rebuild/cluster","redeploy[api]","switch"]"#), "\(json)")
        #expect(json.contains(#""rto_met":true,"margin_seconds":1050.0"#))
    }
}
