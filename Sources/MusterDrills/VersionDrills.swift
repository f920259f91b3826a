import MusterBasics
import MusterFormat
import MusterEngine
import MusterJournal

/// How the drills of a runbook went, per git version of the runbook: what
/// `muster history` shows beside each commit, so a team sees whether a
/// change made recovery faster or slower.
public struct VersionDrills: Sendable, Equatable {
    /// Drill records that ran this version exactly (`runbook_dirty: false`).
    public var drills = 0
    public var recovered = 0
    /// The fastest recovered drill of this version that was attended (an
    /// unattended one measured nobody; see `DrillReport`).
    public var bestSeconds: Double?
    /// Names of the drills that ran it, sorted.
    public var drillNames: [String] = []
    /// Drills of this version held in environments that do not count for
    /// the runbook (a sandbox, a training drill): shown apart, never in
    /// `drills` or `bestSeconds`.
    public var elsewhere: [DrillEnvironment: Elsewhere] = [:]

    public struct Elsewhere: Sendable, Equatable {
        public var drills = 0
        public var bestSeconds: Double?
        public init() {}
    }

    public init() {}

    /// Tallies `records` by version. A record counts for the version whose
    /// commit it names (`runbook_commit`) at the path the runbook had in
    /// that commit, so a commit that changed two runbooks is not credited
    /// with the other runbook's drills. A record that ran uncommitted
    /// changes, or outside git, pins no version: it is counted in
    /// `unpinned` when it names one of the runbook's paths.
    ///
    /// Only records held in `counted` (the environment the runbook's
    /// scheduled drill names) count; the others are tallied in `elsewhere`.
    public static func tally(versions: [(commit: String, path: String)], records: [DrillRecord], counted: DrillEnvironment = .production,
                             environment: (DrillRecord) -> DrillEnvironment = { RecordEnvironment.of($0, definition: nil) })
        -> (byCommit: [String: VersionDrills], unpinned: Int) {
        var paths: [String: String] = [:]
        for v in versions where paths[v.commit] == nil { paths[v.commit] = v.path }
        let known = Set(versions.map(\.path))
        var out: [String: VersionDrills] = [:]
        var names: [String: Set<String>] = [:]
        var unpinned = 0
        for r in records {
            guard let commit = r.runbookCommit, !r.runbookDirty else {
                if known.contains(r.runbookPath) { unpinned += 1 }
                continue
            }
            guard let path = paths[commit], path == r.runbookPath else { continue }
            var v = out[commit] ?? VersionDrills()
            let env = environment(r)
            guard env == counted else {
                var e = v.elsewhere[env] ?? Elsewhere()
                e.drills += 1
                if r.outcome == .recovered, r.unattended != true { e.bestSeconds = min(e.bestSeconds ?? r.elapsedSeconds, r.elapsedSeconds) }
                v.elsewhere[env] = e
                out[commit] = v
                continue
            }
            v.drills += 1
            names[commit, default: []].insert(r.drill)
            if r.outcome == .recovered {
                v.recovered += 1
                if r.unattended != true { v.bestSeconds = min(v.bestSeconds ?? r.elapsedSeconds, r.elapsedSeconds) }
            }
            out[commit] = v
        }
        for (c, n) in names { out[c]?.drillNames = n.sorted() }
        return (out, unpinned)
    }
}
