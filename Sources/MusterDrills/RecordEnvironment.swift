import MusterFormat

/// Which environment a record counts in, and which one a runbook's drills
/// must have run in to count as drilling it (runbook-format.md, Drill).
public enum RecordEnvironment {
    /// The record's own `environment`. A record written before records
    /// kept it takes its drill's as the drill file says now, or, with no
    /// drill file left, `training` when it scored a trainee or injected
    /// faults, else `production`: the guess muster made before it knew.
    public static func of(_ record: DrillRecord, definition: DrillEnvironment?) -> DrillEnvironment {
        if let own = record.environment.flatMap(DrillEnvironment.init(rawValue:)) { return own }
        if let definition { return definition }
        return record.training != nil || !record.faults.isEmpty ? .training : .production
    }

    /// The environment a runbook counts drills in: the one its scheduled
    /// drills name, the closest to production when they name several;
    /// `production` when none is scheduled. A sandbox or training drill
    /// never stands in for it.
    public static func counted(scheduled: [DrillEnvironment]) -> DrillEnvironment {
        scheduled.min() ?? .production
    }
}
