import MusterYAML
import MusterBasics

/// Reads a drill file; the checks against its runbook are in `Catalog`.
struct DrillParser {
    var r: Reader
    let fileStem: String?

    static let topKeys = ["muster", "drill", "runbook", "description", "schedule", "params", "rto", "mode", "faults", "expect_escalation", "environment", "scenario", "unavailable"]

    init(source: SourceText, fileStem: String?) {
        r = Reader(source: source)
        self.fileStem = fileStem
    }

    mutating func parse(_ root: Node) -> Drill? {
        guard let f = r.fields(root, "the drill", allowed: Self.topKeys, elsewhere: { key in
            RunbookParser.topKeys.contains(key) ? "'\(key)' is a runbook key; a drill names its runbook with 'runbook:' and sets 'params'" : nil
        }) else { return nil }
        if let v = r.require(f, "muster"), let n = r.int(v, "muster"), n != 1 {
            r.error(v.mark, "unsupported format version \(n); this muster reads version 1")
        }
        var drill = Drill(path: r.source.path, name: "", runbook: "", runbookMark: f.node.mark, schedule: nil, params: [], rto: nil, mode: .live, faults: [], expectEscalation: nil)
        if let v = r.require(f, "drill"), let s = r.nonEmptyString(v, "drill") {
            drill.name = s
            if !isStepID(s) {
                r.error(v.mark, "drill name '\(s)' must be lower-case letters, digits and dashes")
            } else if let stem = fileStem, stem != s {
                r.error(v.mark, "drill '\(s)' does not match the file name '\(stem).yaml'; rename one so they agree")
            }
        }
        if let v = r.require(f, "runbook"), let s = r.nonEmptyString(v, "runbook") {
            drill.runbook = s
            drill.runbookMark = v.mark
        }
        if let v = f["description"] { drill.description = r.string(v, "description") }
        if let v = f["scenario"] { drill.scenario = r.nonEmptyString(v, "scenario") }
        if let v = f["unavailable"], let list = r.stringList(v, "unavailable") {
            drill.unavailable = list.map { ($0.0, $0.1.mark) }
        }
        if let v = f["schedule"], let s = r.nonEmptyString(v, "schedule") {
            do {
                _ = try CronSchedule(s)
                drill.schedule = s
            } catch {
                r.error(v.mark, error.message)
            }
        }
        if let v = f["params"], let entries = r.stringMap(v, "params") {
            drill.params = entries.map { ($0.name, $0.value, $0.nameMark) }
        }
        if let v = f["rto"] { drill.rto = r.duration(v, "rto") }
        if let v = f["mode"], let s = r.string(v, "mode") {
            if let m = Drill.Mode(rawValue: s) {
                drill.mode = m
            } else {
                r.error(v.mark, "'mode' must be 'live' or 'rehearsal', not '\(s)'")
            }
        }
        if let v = f["environment"], let s = r.string(v, "environment") {
            if let e = DrillEnvironment(rawValue: s) {
                drill.environment = e
            } else {
                let all = DrillEnvironment.allCases.map { "'\($0.rawValue)'" }.joined(separator: ", ")
                r.error(v.mark, "'environment' must be one of \(all), not '\(s)'")
            }
        }
        if let v = f["faults"] {
            if let items = v.items {
                for item in items {
                    guard let ff = r.fields(item, "a fault", allowed: ["step", "fail", "times"]) else { continue }
                    let step = r.require(ff, "step").flatMap { r.nonEmptyString($0, "step") }
                    let fail = r.require(ff, "fail").flatMap { r.nonEmptyString($0, "fail") }
                    let times = ff["times"].flatMap { r.int($0, "times", min: 1, max: 100) } ?? 1
                    if let step, let fail {
                        drill.faults.append(.init(step: step, mark: ff["step"]!.mark, fail: fail, times: times))
                    }
                }
            } else {
                r.error(v.mark, "'faults' must be a list of {step, fail, times}, not \(v.kindName)")
            }
        }
        if let v = f["expect_escalation"], let ef = r.fields(v, "expect_escalation", allowed: ["within", "contact"]) {
            let within = r.require(ef, "within").flatMap { r.duration($0, "within") }
            let contact = r.require(ef, "contact").flatMap { r.nonEmptyString($0, "contact") }
            if let within, let contact {
                drill.expectEscalation = .init(within: within, contact: contact, mark: ef["contact"]!.mark)
            }
            if drill.faults.isEmpty {
                r.error(f.keyMark("expect_escalation") ?? v.mark, "'expect_escalation' is measured from the first injected fault, but this drill has no 'faults'")
            }
        }
        return drill
    }
}
