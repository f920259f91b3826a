#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import MusterBasics
import MusterFormat

extension JSON: Decodable {
    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let i = try? c.decode(Int.self) { self = .int(i) }
        else if let d = try? c.decode(Double.self) { self = .double(d) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([JSON].self) { self = .array(a) }
        else {
            let o = try c.decode([String: JSON].self)
            self = .object(o.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
        }
    }

    /// The value at a dotted path (`cluster.arn`, `items.0.id`).
    public func at(path: String) -> JSON? {
        var cur = self
        for part in path.split(separator: ".") {
            switch cur {
            case .object(let pairs):
                guard let v = pairs.first(where: { $0.0 == part })?.1 else { return nil }
                cur = v
            case .array(let items):
                guard let i = Int(part), items.indices.contains(i) else { return nil }
                cur = items[i]
            default:
                return nil
            }
        }
        return cur
    }

    /// Scalars as plain text; collections as JSON.
    public var text: String {
        switch self {
        case .string(let s): s
        case .int(let i): String(i)
        case .double(let d): String(d)
        case .bool(let b): b ? "true" : "false"
        case .null: ""
        default: serialized()
        }
    }
}

/// Reads a step's declared outputs from its standard output.
enum OutputCapture {
    /// The values found; the names without one; a problem when a regex
    /// gave up (its budget ran out), which fails the step like a missing value.
    static func capture(_ outputs: [Output], stdout: String) -> (values: [String: String], missing: [String], problem: String?) {
        var values: [String: String] = [:]
        var missing: [String] = []
        var problem: String?
        var json: JSON??
        for o in outputs {
            switch o.source {
            case .regex(let pattern):
                switch Patterns.search(pattern, in: stdout) {
                case .found(let text): values[o.name] = text
                case .notFound: missing.append(o.name)
                case .gaveUp:
                    missing.append(o.name)
                    problem = problem ?? "the regex of output '\(o.name)' (\(pattern)) \(Patterns.gaveUpAdvice)"
                }
            case .json(let path):
                if json == nil { json = .some(try? JSONDecoder().decode(JSON.self, from: Data(stdout.utf8))) }
                if let doc = json ?? nil, let v = doc.at(path: path) {
                    values[o.name] = v.text
                } else {
                    missing.append(o.name)
                }
            }
        }
        // Checked when it is set: a reply that does not fit its type fails
        // the step that read it, before any later step can use it.
        for o in outputs where !o.rule.isEmpty {
            guard let v = values[o.name], let p = o.rule.problem(with: v, name: o.name, reveal: false) else { continue }
            values[o.name] = nil
            missing.append(o.name)
            problem = problem ?? "output '\(o.name)': \(p.description)"
        }
        return (values, missing, problem)
    }
}
