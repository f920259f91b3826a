#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import MusterBasics
import MusterFormat
import MusterEngine
import MusterJournal

/// What a drill's records say, for `muster report`.
///
/// Which runs count for what:
/// - **runs** counts every record, whatever its outcome: a failed or aborted
///   drill was still held, and its outcome is shown.
/// - **last** is the newest record, whatever its outcome.
/// - **best** and **trend** use only `recovered` runs that were attended: a
///   failed or aborted drill did not recover, so its elapsed time (until it
///   failed or was stopped) is not a recovery time and would flatter the
///   numbers; an unattended one (`--yes` answered for the operator) measured
///   no people recovering. Both are listed, and labelled.
/// - **best** and **trend** also count only runs held in the environment the
///   runbook's scheduled drill names (production by default): a sandbox or
///   training run is practice. Those are listed, labelled, and summed up
///   apart per environment (`elsewhere`), each with its own best.
/// - **steps**: a step's mean and longest time are over the runs where it
///   ended `done` or `failed` (time really spent on it; skipped and rehearsed
///   steps take no time); `over expect` counts the runs where it went over its
///   `expect`, out of the runs it appeared in.
public struct DrillReport: Sendable {
    public struct Run: Sendable {
        public var path: String
        public var startedAt: Date
        public var outcome: DrillRecord.Outcome
        public var elapsedSeconds: Double
        public var rtoSeconds: Int?
        public var rtoMet: Bool?
        public var mode: String
        public var operatorName: String
        public var runbookCommit: String?
        /// `--yes` answered something: listed, never best nor in the trend.
        public var unattended: Bool
        /// Where it ran, and whether that is not the environment that counts.
        public var environment: DrillEnvironment = .production
        public var apart = false
        /// `-p` changed a value the drill file sets.
        public var overrides = false
        /// Whether this run counts as a recovery time (best, trend).
        public var counts: Bool { outcome == .recovered && !unattended && !apart }
        /// People's time and the recovery point, from records that have them.
        public var humanSeconds: Double?
        public var automatedSeconds: Double?
        public var recoveryPoint: String?
        public var rpoSeconds: Double?
        public var rpoMet: Bool?
        public var rpoObjectiveSeconds: Int?
        /// The chain of steps that set the run's length, its seconds, and
        /// the steps added up, from records that have them.
        public var criticalPath: [String]? = nil
        public var criticalPathSeconds: Double? = nil
        public var serialSeconds: Double? = nil
        /// Something ran beside the critical path.
        public var hasBranches = false

        /// What running in parallel saved, when it saved anything.
        public var parallelSavedSeconds: Double? { CriticalPath.saved(serial: serialSeconds, elapsed: elapsedSeconds) }
    }

    public struct Trend: Sendable, Equatable {
        public enum Direction: String, Sendable { case faster, slower, steady }
        /// Elapsed seconds of the last recoveries, oldest first (at most `window`).
        public var elapsed: [Double]
        /// The last one minus the mean of the ones before it: negative is faster.
        public var deltaSeconds: Double
        public var direction: Direction
        /// How many earlier recoveries the last is compared with.
        public var comparedWith: Int
    }

    public struct StepStat: Sendable, Equatable {
        public var id: String
        /// Runs the step appeared in (any outcome).
        public var runs: Int
        /// Runs where it took time (`done` or `failed`), over which mean and max are taken.
        public var timed: Int
        public var meanSeconds: Double
        public var maxSeconds: Double
        public var overExpect: Int
        public var failed: Int
        /// From the newest record that has one.
        public var expectSeconds: Int?
    }

    /// Runs of one environment that does not count, summed up apart.
    public struct Elsewhere: Sendable {
        public var environment: DrillEnvironment
        public var runs: Int
        /// Its fastest attended recovery, by the same rule as `best`.
        public var best: Run?
    }

    public var drill: String
    public var runbook: String?
    /// The environment whose runs count for best and trend.
    public var environment: DrillEnvironment = .production
    /// The other environments' runs, closest to production first.
    public var elsewhere: [Elsewhere] = []
    /// The RTO in force at the newest run (records keep the RTO of their day).
    public var rtoSeconds: Int?
    /// Every run, oldest first.
    public var runs: [Run]
    public var best: Run?
    public var trend: Trend?
    /// Every step seen, longest mean first.
    public var steps: [StepStat]

    public var last: Run? { runs.last }
    public func count(_ o: DrillRecord.Outcome) -> Int { runs.filter { $0.outcome == o }.count }
    public var unattendedCount: Int { runs.filter(\.unattended).count }

    /// Steps that went over their `expect` at least once: most often first.
    public var overExpectSteps: [StepStat] {
        steps.filter { $0.overExpect > 0 }.sorted { ($0.overExpect, $0.meanSeconds) > ($1.overExpect, $1.meanSeconds) }
    }

    /// How many recoveries the trend looks at.
    public static let window = 5

    /// Within this share of the earlier mean, or this many seconds, the last
    /// recovery counts as steady rather than faster or slower.
    public static let steadyFraction = 0.02
    public static let steadySeconds = 10.0

    /// - Parameters:
    ///   - environment: the environment the runbook's scheduled drill names (RecordEnvironment.counted).
    ///   - definition: the drill file's environment, for records that do not say theirs.
    public init(drill: String, records: [LoadedRecord], runbook: String? = nil, rtoSeconds: Int? = nil,
                environment counted: DrillEnvironment = .production, definition: DrillEnvironment? = nil) {
        self.drill = drill
        self.environment = counted
        let sorted = records.sorted { ($0.startedAt, $0.path) < ($1.startedAt, $1.path) }
        runs = sorted.map {
            var run = Run(path: $0.path, startedAt: $0.startedAt, outcome: $0.record.outcome, elapsedSeconds: $0.record.elapsedSeconds,
                rtoSeconds: $0.record.rtoSeconds, rtoMet: $0.record.rtoMet, mode: $0.record.mode,
                operatorName: $0.record.operatorName, runbookCommit: $0.record.runbookCommit, unattended: $0.record.unattended ?? false,
                humanSeconds: $0.record.humanSeconds, automatedSeconds: $0.record.automatedSeconds, recoveryPoint: $0.record.recoveryPoint,
                rpoSeconds: $0.record.rpoSeconds, rpoMet: $0.record.rpoMet, rpoObjectiveSeconds: $0.record.rpoObjectiveSeconds,
                criticalPath: $0.record.criticalPath, criticalPathSeconds: $0.record.criticalPathSeconds,
                serialSeconds: $0.record.serialSeconds, hasBranches: $0.record.hasBranches)
            run.environment = RecordEnvironment.of($0.record, definition: definition)
            run.apart = run.environment != counted
            run.overrides = $0.record.overrides ?? false
            return run
        }
        let all = runs
        elsewhere = Set(all.filter(\.apart).map(\.environment)).sorted().map { env in
            let mine = all.filter { $0.environment == env }
            let best = mine.filter { $0.outcome == .recovered && !$0.unattended }.min { $0.elapsedSeconds < $1.elapsedSeconds }
            return Elsewhere(environment: env, runs: mine.count, best: best)
        }
        self.runbook = sorted.last?.record.runbook ?? runbook
        self.rtoSeconds = sorted.last.map { $0.record.rtoSeconds } ?? rtoSeconds

        let recovered = runs.filter(\.counts)
        // Fastest; of equal times the earliest.
        best = recovered.min { $0.elapsedSeconds < $1.elapsedSeconds }
        trend = Self.trend(recovered.suffix(Self.window).map(\.elapsedSeconds))

        var order: [String] = []
        var acc: [String: StepStat] = [:]
        for r in sorted {
            for s in r.record.steps {
                var st = acc[s.id] ?? StepStat(id: s.id, runs: 0, timed: 0, meanSeconds: 0, maxSeconds: 0, overExpect: 0, failed: 0, expectSeconds: nil)
                if acc[s.id] == nil { order.append(s.id) }
                st.runs += 1
                if s.outcome == "done" || s.outcome == "failed" {
                    st.timed += 1
                    st.meanSeconds += s.seconds  // a sum until the end
                    st.maxSeconds = max(st.maxSeconds, s.seconds)
                }
                if s.overExpect { st.overExpect += 1 }
                if s.outcome == "failed" { st.failed += 1 }
                if let e = s.expectSeconds { st.expectSeconds = e }
                acc[s.id] = st
            }
        }
        let position = Dictionary(uniqueKeysWithValues: order.enumerated().map { ($1, $0) })
        steps = order.map { id in
            var st = acc[id]!
            st.meanSeconds = st.timed > 0 ? st.meanSeconds / Double(st.timed) : 0
            return st
        }.sorted { a, b in
            a.meanSeconds != b.meanSeconds ? a.meanSeconds > b.meanSeconds : position[a.id]! < position[b.id]!
        }
    }

    /// The last value against the mean of the ones before it; nil with fewer
    /// than two values.
    public static func trend(_ values: [Double]) -> Trend? {
        guard values.count >= 2, let last = values.last else { return nil }
        let earlier = values.dropLast()
        let mean = earlier.reduce(0, +) / Double(earlier.count)
        let delta = last - mean
        let steady = abs(delta) < max(steadySeconds, mean * steadyFraction)
        return Trend(elapsed: values, deltaSeconds: delta, direction: steady ? .steady : delta < 0 ? .faster : .slower, comparedWith: earlier.count)
    }
}

// MARK: - JSON

extension DrillReport {
    /// Seconds to tenths, as records keep them.
    static func r(_ x: Double) -> JSON { .double((x * 10).rounded() / 10) }
    static func r(orNull x: Double?) -> JSON { x.map(r) ?? .null }
    static func flag(_ b: Bool?) -> JSON { b.map(JSON.bool) ?? .null }

    // The field lists below are typed and call one overload each: left to
    // inference, the run's list alone took the type checker 15 to 40 s of
    // every build.
    static func json(_ run: Run) -> JSON {
        let fields: [(String, JSON)] = [
            ("started_at", .string(UTCTime.format(run.startedAt))),
            ("outcome", .string(run.outcome.rawValue)),
            ("elapsed_seconds", r(run.elapsedSeconds)),
            ("rto_seconds", .from(run.rtoSeconds)),
            ("rto_met", flag(run.rtoMet)),
            ("mode", .string(run.mode)),
            ("operator", .string(run.operatorName)),
            ("runbook_commit", .from(run.runbookCommit)),
            ("unattended", .bool(run.unattended)),
            ("environment", .string(run.environment.rawValue)),
            ("overrides", .bool(run.overrides)),
            ("record", .string(run.path)),
            ("human_seconds", r(orNull: run.humanSeconds)),
            ("automated_seconds", r(orNull: run.automatedSeconds)),
            ("recovery_point", .from(run.recoveryPoint)),
            ("rpo_seconds", r(orNull: run.rpoSeconds)),
            ("rpo_met", flag(run.rpoMet)),
            ("rpo_objective_seconds", .from(run.rpoObjectiveSeconds)),
            ("critical_path", run.criticalPath.map { .array($0.map(JSON.string)) } ?? .null),
            ("critical_path_seconds", r(orNull: run.criticalPathSeconds)),
            ("serial_seconds", r(orNull: run.serialSeconds)),
        ]
        return .object(fields)
    }

    public var json: JSON {
        let trend: JSON = self.trend.map { t in
            .object([
                ("elapsed_seconds", .array(t.elapsed.map(Self.r))),
                ("direction", .string(t.direction.rawValue)),
                ("delta_seconds", Self.r(t.deltaSeconds)),
                ("compared_with", .int(t.comparedWith)),
            ])
        } ?? .null
        let steps: [JSON] = self.steps.map { s in
            .object([
                ("id", .string(s.id)),
                ("runs", .int(s.runs)),
                ("mean_seconds", Self.r(s.meanSeconds)),
                ("max_seconds", Self.r(s.maxSeconds)),
                ("expect_seconds", .from(s.expectSeconds)),
                ("over_expect", .int(s.overExpect)),
                ("failed", .int(s.failed)),
            ])
        }
        let fields: [(String, JSON)] = [
            ("drill", .string(drill)),
            ("runbook", .from(runbook)),
            ("rto_seconds", .from(rtoSeconds)),
            ("runs", .int(runs.count)),
            ("recovered", .int(count(.recovered))),
            ("failed", .int(count(.failed))),
            ("aborted", .int(count(.aborted))),
            ("unattended", .int(unattendedCount)),
            ("last", last.map(Self.json) ?? .null),
            ("best", best.map(Self.json) ?? .null),
            ("trend", trend),
            ("steps", .array(steps)),
            ("history", .array(runs.map(Self.json))),
            ("rpo_trend", Self.json(rpoTrend)),
            ("human_trend", Self.json(humanTrend)),
            ("environment", .string(environment.rawValue)),
            ("elsewhere", .array(elsewhere.map { e in
                .object([("environment", .string(e.environment.rawValue)), ("runs", .int(e.runs)), ("best", e.best.map(Self.json) ?? .null)])
            })),
        ]
        return .object(fields)
    }
}
