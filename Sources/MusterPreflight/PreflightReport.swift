#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import MusterBasics
import MusterFormat
import MusterEngine
import MusterDrills

/// Preflight results for machines: JSON for scripts, JUnit XML for CI
/// dashboards (one suite per runbook, one case per check), and the small
/// history `muster due` reads.
public enum PreflightReport {
    /// Results grouped by the runbook they were asked for, in order.
    public typealias Groups = [(runbook: String, results: [PreflightResult])]

    public static func passed(_ groups: Groups) -> Bool {
        groups.allSatisfy { $0.results.allSatisfy { $0.status != .fail } }
    }

    public static func json(_ groups: Groups) -> JSON {
        .object([
            ("ok", .bool(passed(groups))),
            ("runbooks", .array(groups.map { g in
                .object([
                    ("runbook", .string(g.runbook)),
                    ("ok", .bool(g.results.allSatisfy { $0.status != .fail })),
                    ("checks", .array(g.results.map { r in
                        .object([
                            ("status", .string(r.status.rawValue)),
                            ("kind", .string(r.item.kind.rawValue)),
                            ("runbook", .string(r.item.runbook)),
                            ("title", .string(r.item.title)),
                            ("steps", .array(r.item.steps.map(JSON.string))),
                            ("detail", .string(r.detail)),
                            ("fix", r.item.fix.map(JSON.string) ?? .null),
                            ("seconds", .double((r.seconds * 1000).rounded() / 1000)),
                        ])
                    })),
                ])
            })),
        ])
    }

    public static func junit(_ groups: Groups, timestamp: String) -> String {
        func e(_ s: String) -> String { markupEscaped(s) }
        var suites: [String] = []
        for g in groups {
            var cases: [String] = []
            for r in g.results {
                let name = (r.item.runbook == g.runbook ? "" : r.item.runbook + ": ") + r.item.title
                var body = ""
                switch r.status {
                case .pass: break
                case .skip: body = "<skipped message=\"\(e(r.detail))\"/>"
                case .fail:
                    let text = [r.item.steps.isEmpty ? nil : "needed by: " + r.item.steps.joined(separator: ", "), r.item.fix.map { "fix: " + $0 }]
                        .compactMap { $0 }.joined(separator: "\n")
                    body = "<failure message=\"\(e(r.detail))\">\(e(text))</failure>"
                }
                cases.append("    <testcase classname=\"preflight.\(e(g.runbook))\" name=\"\(e(name))\" time=\"\(JUnit.seconds(r.seconds))\">\(body)</testcase>")
            }
            let failures = g.results.count { $0.status == .fail }
            let skipped = g.results.count { $0.status == .skip }
            suites.append("  <testsuite name=\"preflight \(e(g.runbook))\" tests=\"\(cases.count)\" failures=\"\(failures)\" skipped=\"\(skipped)\" timestamp=\"\(e(timestamp))\">\n"
                          + cases.joined(separator: "\n") + (cases.isEmpty ? "" : "\n") + "  </testsuite>")
        }
        return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n" + suites.joined(separator: "\n") + "\n</testsuites>\n"
    }
}

/// When each runbook's preflight last ran and last passed, kept in
/// `.muster/preflight.json` so that `muster due` can say which runbooks
/// nobody has checked lately.
public struct PreflightHistory: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        public var lastRun: String?
        public var lastPassed: String?
        public init(lastRun: String? = nil, lastPassed: String? = nil) {
            self.lastRun = lastRun
            self.lastPassed = lastPassed
        }
    }

    public var entries: [String: Entry] = [:]

    public init(entries: [String: Entry] = [:]) { self.entries = entries }

    /// Reads what `serialized` wrote; anything unreadable is an empty history.
    public init(text: String) {
        guard let json = try? JSONDecoder().decode(JSON.self, from: Data(text.utf8)), case .object(let runbooks)? = json.at(path: "runbooks") else { return }
        for (name, value) in runbooks {
            entries[name] = Entry(lastRun: value.at(path: "last_run")?.text, lastPassed: value.at(path: "last_passed")?.text)
        }
    }

    public mutating func record(_ runbook: String, passed: Bool, at time: String) {
        var e = entries[runbook] ?? Entry()
        e.lastRun = time
        if passed { e.lastPassed = time }
        entries[runbook] = e
    }

    public var serialized: String {
        JSON.object([("runbooks", .object(entries.keys.sorted().map { name in
            let e = entries[name]!
            return (name, JSON.object([("last_run", e.lastRun.map(JSON.string) ?? .null), ("last_passed", e.lastPassed.map(JSON.string) ?? .null)]))
        }))]).serialized(pretty: true) + "\n"
    }
}
