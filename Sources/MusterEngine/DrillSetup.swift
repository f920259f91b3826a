import MusterBasics
import MusterFormat

/// The drill facts a run carries in its journal (`run_started`), so that a
/// drill resumed after a crash still knows it is a drill, injects the same
/// faults and writes its record where the first session would have.
public struct DrillSetup: Codable, Sendable, Equatable {
    public struct Fault: Codable, Sendable, Equatable {
        public var step: String
        public var fail: String
        public var times: Int
        public init(step: String, fail: String, times: Int) { self.step = step; self.fail = fail; self.times = times }
    }

    public struct ExpectedEscalation: Codable, Sendable, Equatable {
        public var withinSeconds: Int
        public var contact: String
        public init(withinSeconds: Int, contact: String) { self.withinSeconds = withinSeconds; self.contact = contact }
        enum CodingKeys: String, CodingKey { case withinSeconds = "within_seconds", contact }
    }

    public var name: String
    public var mode: String
    public var rtoSeconds: Int?
    public var faults: [Fault]
    public var expectEscalation: ExpectedEscalation?
    /// Where the record goes, repository-relative or absolute.
    public var recordsDir: String
    /// `--junit FILE`, absolute, rewritten whenever the record is.
    public var junit: String?
    /// `--commit-record`: commit the record to the repository when the
    /// drill ends, in whichever session that is.
    public var commitRecord: Bool?
    /// The drill file's `description`, shown under the banner when the
    /// drill starts.
    public var description: String?

    /// What a condition's `mode` reads: `rehearsal`, `training` (faults
    /// to practise on, an escalation to score, or a drill declared
    /// `environment: training`) or `drill`.
    public var conditionMode: String {
        if let testMode { return testMode }
        if mode == "rehearsal" { return "rehearsal" }
        return faults.isEmpty && expectEscalation == nil && (unavailable ?? []).isEmpty && replayOf == nil && environment != DrillEnvironment.training.rawValue ? "drill" : "training"
    }

    /// The `mode` a runbook test says its conditions see (`muster test`);
    /// never journaled.
    public var testMode: String?

    /// The runbook's `rpo` (nil in journals written before it was read).
    public var rpoSeconds: Int?
    /// Where the drill ran (DrillEnvironment), decided when it started
    /// with the values it ran with; nil in journals of earlier releases.
    public var environment: String?
    /// `-p` changed a value the drill file sets: the record says so, since
    /// such a run may not compare with the others.
    public var overrides: Bool?
    /// The drill's `scenario:`, journaled with it so followers see it too.
    public var scenario: String?
    /// Escalation rungs (by the text `unavailable:` gives) that do not answer.
    public var unavailable: [String]?
    /// `--replay RUN_ID`: the run whose automated steps this drill replays;
    /// journaled, so a resumed replay still runs nothing for real.
    public var replayOf: String?

    /// How many times faster than real time the stand-in it runs against
    /// moves (`MUSTER_TIME_SCALE`, which the sandbox sets): its waits poll
    /// that many times as often, so they see the same states a real wait
    /// would. Nil: as the runbook says.
    public var timeScale: Int?

    enum CodingKeys: String, CodingKey {
        case name, mode, rtoSeconds = "rto_seconds", faults, expectEscalation = "expect_escalation", recordsDir = "records_dir", junit
        case commitRecord = "commit_record", description, rpoSeconds = "rpo_seconds", environment, overrides, scenario, unavailable, replayOf = "replay_of"
        case timeScale = "time_scale"
    }

    /// A wait's poll interval in seconds under `timeScale`, at least a second.
    public func pollEvery(_ every: Int) -> Int {
        guard let timeScale, timeScale > 1 else { return every }
        return max(1, every / timeScale)
    }

    public init(name: String, mode: String, rtoSeconds: Int?, faults: [Fault], expectEscalation: ExpectedEscalation?, recordsDir: String, junit: String?) {
        self.name = name; self.mode = mode; self.rtoSeconds = rtoSeconds; self.faults = faults
        self.expectEscalation = expectEscalation; self.recordsDir = recordsDir; self.junit = junit
    }

    public init(drill: Drill, runbook: Runbook, recordsDir: String, junit: String?) {
        self.junit = junit
        name = drill.name
        mode = drill.mode.rawValue
        rtoSeconds = drill.rto ?? runbook.rto
        rpoSeconds = runbook.rpo
        faults = drill.faults.map { Fault(step: $0.step, fail: $0.fail, times: $0.times) }
        expectEscalation = drill.expectEscalation.map { ExpectedEscalation(withinSeconds: $0.within, contact: $0.contact) }
        description = drill.description
        scenario = drill.scenario
        unavailable = drill.unavailable.isEmpty ? nil : drill.unavailable.map(\.contact)
        self.recordsDir = recordsDir
    }

    public var rehearsal: Bool { mode == Drill.Mode.rehearsal.rawValue }

    /// Whether this drill makes rung `contact` not answer: its text is
    /// one of `unavailable:` or starts with one ("Secondary on-call"
    /// names "Secondary on-call (PagerDuty …)"), ignoring case.
    public func isUnavailable(_ contact: String) -> Bool {
        let c = contact.lowercased()
        return (unavailable ?? []).contains { c == $0.lowercased() || c.hasPrefix($0.lowercased()) }
    }

    /// The line that stays on screen so nobody takes a drill for an incident.
    public var banner: String {
        "DRILL \(name) · \(rehearsal ? "rehearsal: automated steps are shown, not run" : "live: automated steps really run")"
            + (rtoSeconds.map { " · RTO \(DurationFormat.format($0))" } ?? "")
            + (timeScale.map { " · time ×\($0): waits poll \($0) times as often" } ?? "") + " · not a real incident"
    }
}
