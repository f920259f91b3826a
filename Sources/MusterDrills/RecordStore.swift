#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import MusterBasics
import MusterFormat
import MusterEngine
import MusterJournal

/// One drill record read from disk, with where it came from and its start
/// as a date.
public struct LoadedRecord: Sendable {
    public var path: String
    public var record: DrillRecord
    public var startedAt: Date

    public init(path: String, record: DrillRecord, startedAt: Date) {
        self.path = path; self.record = record; self.startedAt = startedAt
    }
}

/// A record that could not be read: reported with its path and skipped.
public struct RecordProblem: Error, Sendable, Equatable {
    public var path: String
    public var message: String

    public init(path: String, message: String) { self.path = path; self.message = message }
    public var text: String { "\(path): \(message)" }
}

/// Reads the records under `drills/records/DRILL/*.json`. A record that does
/// not read (not JSON, a wrong type, a missing key, an unknown format
/// version, a stamp that is not a UTC time, or filed under another drill's
/// folder) becomes a problem naming its path; the others are still read.
public struct RecordStore: Sendable {
    public var directory: String
    /// How paths are shown in problems (relative to the current folder).
    public var display: @Sendable (String) -> String

    public init(directory: String, display: @escaping @Sendable (String) -> String = { $0 }) {
        self.directory = directory
        self.display = display
    }

    /// The drills that have a folder here, sorted.
    public func drillNames() -> [String] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return [] }
        return names.filter { !$0.hasPrefix(".") && Paths.isDirectory(Paths.join(directory, $0)) }.sorted()
    }

    /// Records of `drills` (all drills with a folder when nil), each drill's
    /// oldest first, and the problems met on the way.
    public func load(drills: [String]? = nil) -> (records: [String: [LoadedRecord]], problems: [RecordProblem]) {
        var out: [String: [LoadedRecord]] = [:]
        var problems: [RecordProblem] = []
        for drill in drills ?? drillNames() {
            let dir = Paths.join(directory, drill)
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir) else { continue }
            var list: [LoadedRecord] = []
            for name in names.sorted() where name.hasSuffix(".json") && !name.hasPrefix(".") {
                switch read(Paths.join(dir, name), drill: drill) {
                case .success(let r): list.append(r)
                case .failure(let p): problems.append(p)
                }
            }
            list.sort { ($0.startedAt, $0.path) < ($1.startedAt, $1.path) }
            out[drill] = list
        }
        return (out, problems)
    }

    /// One record, or why it does not read.
    public func read(_ path: String, drill: String?) -> Result<LoadedRecord, RecordProblem> {
        let shown = display(path)
        func problem(_ m: String) -> Result<LoadedRecord, RecordProblem> { .failure(RecordProblem(path: shown, message: m)) }
        let bytes: [UInt8]
        do {
            bytes = try Paths.read(path)
        } catch {
            return problem("cannot read this record: \(error)")
        }
        let record: DrillRecord
        do {
            record = try JSONDecoder().decode(DrillRecord.self, from: Data(bytes))
        } catch let error as DecodingError {
            return problem("not a drill record: \(Self.describe(error))")
        } catch {
            return problem("not a drill record: \(error)")
        }
        guard record.muster == 1 else {
            return problem("format version \(record.muster) is not supported; this muster reads version 1")
        }
        guard let started = UTCTime.parse(record.startedAt) else {
            return problem("started_at '\(record.startedAt)' is not an ISO 8601 time like 2026-11-27T09:00:00Z")
        }
        if let drill, record.drill != drill {
            return problem("record of drill '\(record.drill)' filed under '\(drill)'; move it to that drill's folder")
        }
        // A year is far beyond any drill; anything larger is an edited or
        // damaged record, and charts could not place it.
        let longest = 366.0 * 86400
        guard record.elapsedSeconds.isFinite, record.elapsedSeconds >= 0, record.elapsedSeconds <= longest else {
            return problem("elapsed_seconds \(record.elapsedSeconds) is not a duration (0 to one year)")
        }
        for step in record.steps where !(step.seconds.isFinite && step.seconds >= 0 && step.seconds <= longest) {
            return problem("step '\(step.id)' has seconds \(step.seconds), not a duration (0 to one year)")
        }
        for e in record.escalations where !(e.atSeconds.isFinite && e.atSeconds >= 0 && e.atSeconds <= longest) {
            return problem("an escalation has at_seconds \(e.atSeconds), not a time (0 to one year)")
        }
        for f in record.faults where !(f.atSeconds.isFinite && f.atSeconds >= 0 && f.atSeconds <= longest) {
            return problem("a fault has at_seconds \(f.atSeconds), not a time (0 to one year)")
        }
        // Objectives and budgets too: reports scale and convert them.
        if let rto = record.rtoSeconds, !(1...Int(longest)).contains(rto) {
            return problem("rto_seconds \(rto) is not a duration (1 s to one year)")
        }
        for step in record.steps {
            if let e = step.expectSeconds, !(0...Int(longest)).contains(e) {
                return problem("step '\(step.id)' has expect_seconds \(e), not a duration (0 to one year)")
            }
            if !(0...1_000_000).contains(step.attempts) {
                return problem("step '\(step.id)' has attempts \(step.attempts), not a count an executor writes")
            }
        }
        for a in record.approvals ?? [] where !([a.atSeconds, a.waitedSeconds].allSatisfy { $0.isFinite && $0 >= 0 && $0 <= longest }) {
            return problem("an approval of step '\(a.step)' has at_seconds \(a.atSeconds) and waited_seconds \(a.waitedSeconds), not times (0 to one year)")
        }
        for h in record.handoffs ?? [] where !(h.atSeconds.isFinite && h.atSeconds >= 0 && h.atSeconds <= longest) {
            return problem("a handoff has at_seconds \(h.atSeconds), not a time (0 to one year)")
        }
        for d in record.decisions ?? [] where !([d.atSeconds, d.waitedSeconds].allSatisfy { $0.isFinite && $0 >= 0 && $0 <= longest }) {
            return problem("a decision at step '\(d.step)' has at_seconds \(d.atSeconds) and waited_seconds \(d.waitedSeconds), not times (0 to one year)")
        }
        for (key, value) in [("human_seconds", record.humanSeconds), ("automated_seconds", record.automatedSeconds), ("time_to_decide_seconds", record.timeToDecideSeconds)] {
            if let v = value, !(v.isFinite && v >= 0 && v <= longest) { return problem("\(key) \(v) is not a duration (0 to one year)") }
        }
        // Steps in parallel add up to more than the run took, but not to a century.
        if let serial = record.serialSeconds, !(serial.isFinite && serial >= 0 && serial <= 100 * longest) {
            return problem("serial_seconds \(serial) is not a duration (0 to a hundred years)")
        }
        if let path = record.criticalPath {
            let ids = Set(record.steps.map(\.id))
            if let stray = path.first(where: { !ids.contains($0) }) {
                return problem("critical_path names step '\(stray.count > 60 ? String(stray.prefix(60)) + "…" : stray)', which the record's steps do not list")
            }
        }
        // The data a recovery would lose may be old, but not older than ten years.
        if let lost = record.rpoSeconds, !(lost.isFinite && abs(lost) <= 10 * longest) {
            return problem("rpo_seconds \(lost) is not a duration (within ten years)")
        }
        if let objective = record.rpoObjectiveSeconds, !(0...(10 * Int(longest))).contains(objective) {
            return problem("rpo_objective_seconds \(objective) is not a duration (0 to ten years)")
        }
        if let env = record.environment, DrillEnvironment(rawValue: env) == nil {
            let all = DrillEnvironment.allCases.map(\.rawValue).joined(separator: ", ")
            return problem("environment '\(env.count > 40 ? String(env.prefix(40)) + "…" : env)' is not one of \(all)")
        }
        if let after = record.training?.escalatedAfterSeconds, !(after.isFinite && after >= 0 && after <= longest) {
            return problem("training.escalated_after_seconds \(after) is not a time (0 to one year)")
        }
        return .success(LoadedRecord(path: shown, record: record, startedAt: started))
    }

    /// A decoding error in a person's words: which key, what was wrong.
    static func describe(_ error: DecodingError) -> String {
        func path(_ keys: [any CodingKey]) -> String {
            var s = ""
            for k in keys {
                if let i = k.intValue { s += "[\(i)]" } else { s += s.isEmpty ? k.stringValue : ".\(k.stringValue)" }
            }
            return s
        }
        switch error {
        case .typeMismatch(let type, let c):
            if c.codingPath.isEmpty { return "the record should be a JSON object" }
            return "'\(path(c.codingPath))' should be \(name(of: type))"
        case .valueNotFound(let type, let c):
            return "'\(path(c.codingPath))' should be \(name(of: type)), not null"
        case .keyNotFound(let key, let c):
            return "key '\(path(c.codingPath + [key]))' is missing"
        case .dataCorrupted(let c):
            if c.codingPath.isEmpty { return "not valid JSON" }
            if c.codingPath.last?.stringValue == "outcome" { return "'\(path(c.codingPath))' should be one of recovered, failed, aborted" }
            return "'\(path(c.codingPath))' has an invalid value (\(c.debugDescription))"
        @unknown default:
            return "\(error)"
        }
    }

    private static func name(of type: Any.Type) -> String {
        if type is String.Type { return "a string" }
        if type is Int.Type { return "a whole number" }
        if type is Double.Type { return "a number" }
        if type is Bool.Type { return "true or false" }
        let t = String(describing: type)
        if t.hasPrefix("Array") { return "a list" }
        if t.hasSuffix("Outcome") { return "one of recovered, failed, aborted" }
        return "an object"
    }
}
