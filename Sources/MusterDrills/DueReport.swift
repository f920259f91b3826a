#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import MusterBasics
import MusterFormat
import MusterEngine
import MusterJournal

/// What is due, for `muster due`: scheduled drills past their time, and
/// runbooks nobody has drilled for too long.
///
/// - A drill's **last run** is its newest record's `started_at`, whatever
///   the outcome: the drill was held; how it went is `muster report`'s
///   business (the outcome is shown beside it).
/// - **Next due** is the first schedule time after the last run; for a drill
///   never run, the latest schedule time at or before now, so a scheduled
///   drill that has never been held is overdue from its first missed slot.
/// - **Overdue** when next due is at or before now.
/// - A runbook's **last drill** is the newest record of a drill of it (the
///   drill file's `runbook`, or the record's own `runbook`), or of a drill of
///   a runbook that includes it (a `runbook:` step ran it too), held in the
///   environment the runbook counts (RecordEnvironment.counted: its
///   scheduled drill's, production by default). **Stale** when never
///   drilled there, or last drilled there longer than `staleAfter` ago.
///   Records of other environments are kept apart (`elsewhere`), so a
///   sandbox or training drill is seen but never taken for production.
/// - A scheduled drill's last run likewise counts only records held in the
///   drill's own environment.
public struct DueReport: Sendable {
    public struct DrillInput: Sendable {
        public var name: String
        public var runbook: String
        public var schedule: String?
        /// The drill file's environment (declared, or implied by its params).
        public var environment: DrillEnvironment
        public init(name: String, runbook: String, schedule: String?, environment: DrillEnvironment = .production) {
            self.name = name; self.runbook = runbook; self.schedule = schedule; self.environment = environment
        }
    }

    public struct DrillDue: Sendable {
        public var drill: String
        public var runbook: String
        public var schedule: String
        public var environment: DrillEnvironment
        public var lastRun: Date?
        public var lastOutcome: DrillRecord.Outcome?
        /// nil when the schedule never fires (`0 0 30 2 *`).
        public var nextDue: Date?
        public var overdue: Bool
    }

    /// The newest drill of a runbook in an environment that does not count for it.
    public struct Elsewhere: Sendable {
        public var environment: DrillEnvironment
        public var lastDrilled: Date
        public var lastDrill: String
        public var via: String?
    }

    public struct RunbookStaleness: Sendable {
        public var runbook: String
        /// The environment its drills count in.
        public var environment: DrillEnvironment
        /// Drills of it held in other environments, closest to production first.
        public var elsewhere: [Elsewhere]
        public var lastDrilled: Date?
        public var lastDrill: String?
        /// The runbook the drill ran, when it reached this one by inclusion.
        public var via: String?
        /// The drills defined for this runbook (its own, not its includers').
        public var drills: [String]
        public var stale: Bool
    }

    public var now: Date
    public var staleAfterSeconds: Int
    /// Scheduled drills, by name.
    public var drills: [DrillDue]
    /// Runbooks, by name.
    public var runbooks: [RunbookStaleness]

    public var overdue: [DrillDue] { drills.filter(\.overdue) }
    public var stale: [RunbookStaleness] { runbooks.filter(\.stale) }
    /// Something needs doing: `muster due` exits 1.
    public var anythingDue: Bool { !overdue.isEmpty || !stale.isEmpty }

    /// - Parameters:
    ///   - drills: every drill definition (scheduled or not: each counts for its runbook).
    ///   - runbooks: the names of the runbooks under `runbooks/`.
    ///   - includes: for each runbook, the runbooks its `runbook:` steps run
    ///     (directly); followed transitively.
    ///   - records: records by drill, oldest first.
    public init(now: Date, staleAfterSeconds: Int, drills: [DrillInput], runbooks: [String], includes: [String: [String]] = [:],
                records: [String: [LoadedRecord]]) {
        self.now = now
        self.staleAfterSeconds = staleAfterSeconds

        func newest(_ list: [LoadedRecord]) -> LoadedRecord? {
            list.max { ($0.startedAt, $0.path) < ($1.startedAt, $1.path) }
        }

        let definitionEnvironment = Dictionary(drills.map { ($0.name, $0.environment) }, uniquingKeysWith: { a, _ in a })
        func environment(_ rec: LoadedRecord, _ drill: String) -> DrillEnvironment {
            RecordEnvironment.of(rec.record, definition: definitionEnvironment[drill])
        }

        var due: [DrillDue] = []
        for d in drills.sorted(by: { $0.name < $1.name }) {
            guard let text = d.schedule, let cron = try? CronSchedule(text) else { continue }
            let last = newest((records[d.name] ?? []).filter { environment($0, d.name) == d.environment })
            let next = last.map { cron.next(after: $0.startedAt) } ?? cron.previous(atOrBefore: now)
            due.append(DrillDue(drill: d.name, runbook: d.runbook, schedule: text, environment: d.environment, lastRun: last?.startedAt,
                                lastOutcome: last?.record.outcome, nextDue: next, overdue: next.map { $0 <= now } ?? false))
        }
        self.drills = due

        // Which runbook each drill ran, in which environment: its
        // definition's runbook, and each record's own.
        typealias Drilled = (date: Date, drill: String, via: String?)
        var drilled: [String: [DrillEnvironment: Drilled]] = [:]
        func note(_ runbook: String, _ env: DrillEnvironment, _ date: Date, _ drill: String, via: String?) {
            if let cur = drilled[runbook]?[env], cur.date >= date { return }
            drilled[runbook, default: [:]][env] = (date, drill, via)
        }
        let definitionRunbook = Dictionary(drills.map { ($0.name, $0.runbook) }, uniquingKeysWith: { a, _ in a })
        for (drill, list) in records {
            for rec in list {
                let env = environment(rec, drill)
                var names = Set([rec.record.runbook])
                if let r = definitionRunbook[drill] { names.insert(r) }
                for name in names {
                    note(name, env, rec.startedAt, drill, via: nil)
                    var seen: Set<String> = [name]
                    var queue = includes[name] ?? []
                    while let child = queue.popLast() {
                        guard seen.insert(child).inserted else { continue }
                        note(child, env, rec.startedAt, drill, via: name)
                        queue += includes[child] ?? []
                    }
                }
            }
        }
        self.runbooks = runbooks.sorted().map { name in
            let counted = RecordEnvironment.counted(scheduled: drills.filter { $0.runbook == name && $0.schedule != nil }.map(\.environment))
            let d = drilled[name]?[counted]
            let stale = d.map { now.timeIntervalSince($0.date) > Double(staleAfterSeconds) } ?? true
            let own = drills.filter { $0.runbook == name }.map(\.name).sorted()
            let elsewhere = (drilled[name] ?? [:]).filter { $0.key != counted }.sorted { $0.key < $1.key }.map {
                Elsewhere(environment: $0.key, lastDrilled: $0.value.date, lastDrill: $0.value.drill, via: $0.value.via)
            }
            return RunbookStaleness(runbook: name, environment: counted, elsewhere: elsewhere, lastDrilled: d?.date, lastDrill: d?.drill,
                                    via: d?.via, drills: own, stale: stale)
        }
    }
}

// MARK: - JSON

extension DueReport {
    public var json: JSON {
        func date(_ d: Date?) -> JSON { d.map { .string(UTCTime.format($0)) } ?? .null }
        return .object([
            ("now", .string(UTCTime.format(now))),
            ("stale_after_seconds", .int(staleAfterSeconds)),
            ("due", .bool(anythingDue)),
            ("drills", .array(drills.map { d in
                .object([
                    ("drill", .string(d.drill)),
                    ("runbook", .string(d.runbook)),
                    ("schedule", .string(d.schedule)),
                    ("environment", .string(d.environment.rawValue)),
                    ("last_run", date(d.lastRun)),
                    ("last_outcome", .from(d.lastOutcome?.rawValue)),
                    ("next_due", date(d.nextDue)),
                    ("overdue", .bool(d.overdue)),
                    ("overdue_seconds", d.overdue ? d.nextDue.map { .int(Int(now.timeIntervalSince($0))) } ?? .null : .null),
                ])
            })),
            ("runbooks", .array(runbooks.map { r in
                .object([
                    ("runbook", .string(r.runbook)),
                    ("last_drilled", date(r.lastDrilled)),
                    ("last_drill", .from(r.lastDrill)),
                    ("via", .from(r.via)),
                    ("drills", .array(r.drills.map(JSON.string))),
                    ("age_seconds", r.lastDrilled.map { .int(Int(now.timeIntervalSince($0))) } ?? .null),
                    ("stale", .bool(r.stale)),
                    ("environment", .string(r.environment.rawValue)),
                    ("elsewhere", .array(r.elsewhere.map { e in
                        .object([
                            ("environment", .string(e.environment.rawValue)),
                            ("last_drilled", date(e.lastDrilled)),
                            ("last_drill", .string(e.lastDrill)),
                            ("via", .from(e.via)),
                        ])
                    })),
                ])
            })),
        ])
    }
}
