import MusterBasics
import MusterFormat

/// Decisions made before the first step: parameter values and secrets.
public enum Preparation {
    /// Checks `given` against the runbook's parameters, fills in defaults,
    /// and asks for each missing required value with `ask` (nil: no answer).
    public static func parameters(
        of rb: Runbook, given: [String: String], ask: (Param, _ problem: String?) -> String?
    ) throws(PreparationError) -> [String: String] {
        var values: [String: String] = [:]
        for (k, v) in given {
            guard let p = rb.param(k) else {
                let hint = suggestion(for: k, among: rb.params.map(\.name)).map { " (did you mean '\($0)'?)" } ?? ""
                throw PreparationError(message: "runbook '\(rb.name)' has no parameter '\(k)'\(hint)")
            }
            if let problem = p.problem(with: v) { throw PreparationError(message: problem.description) }
            values[k] = v
        }
        for p in rb.params where values[p.name] == nil {
            if let d = p.defaultValue {
                values[p.name] = d
                continue
            }
            // An answer that does not fit is asked again, with the reason.
            var problem: String?
            while true {
                guard let v = ask(p, problem) else {
                    throw PreparationError(message: "no value for required parameter '\(p.name)'; pass it with -p \(p.name)=VALUE")
                }
                problem = p.problem(with: v)?.description ?? (v.isEmpty ? "'\(p.name)' needs a value" : nil)
                if problem == nil {
                    values[p.name] = v
                    break
                }
            }
        }
        return values
    }

    /// Reads every declared secret (of the runbook and those it includes):
    /// its environment variable, else its file. A missing one stops the run
    /// before anything happens, naming it.
    public static func secrets(
        of runbooks: [Runbook], environment: [String: String], readFile: (String) -> String?
    ) throws(PreparationError) -> [String: String] {
        var out: [String: String] = [:]
        var missing: [String] = []
        for rb in runbooks {
            for s in rb.secrets where out[s.name] == nil {
                if let e = s.env, let v = environment[e], !v.isEmpty {
                    out[s.name] = v
                } else if let f = s.file, let v = readFile(expandHome(f, environment)) {
                    var t = v
                    while t.hasSuffix("\n") || t.hasSuffix("\r") { t.removeLast() }
                    out[s.name] = t
                } else {
                    var from: [String] = []
                    if let e = s.env { from.append("environment variable \(e)") }
                    if let f = s.file { from.append("file \(f)") }
                    missing.append("\(s.name) (set \(from.joined(separator: " or ")))" + (s.description.map { ": \($0)" } ?? ""))
                }
            }
        }
        guard missing.isEmpty else {
            throw PreparationError(message: "missing secret\(missing.count == 1 ? "" : "s"), nothing was run: \(missing.joined(separator: "; "))")
        }
        return out
    }

    package static func expandHome(_ path: String, _ env: [String: String]) -> String {
        guard path.hasPrefix("~/"), let home = env["HOME"] else { return path }
        return home + path.dropFirst(1)
    }
}

public struct PreparationError: Error, Sendable {
    public var message: String
}
