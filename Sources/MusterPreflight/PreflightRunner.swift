#if canImport(Glibc)
@preconcurrency import Glibc
#endif
import Dispatch
import Synchronization
import MusterBasics
import MusterFormat
import MusterEngine

public struct PreflightResult: Sendable {
    public enum Status: String, Sendable { case pass, fail, skip }
    public var item: PreflightItem
    public var status: Status
    /// What was found, masked: the answer, the error, why it was skipped.
    public var detail: String
    public var seconds: Double
}

/// What the checks need from outside the core: the operator's environment,
/// files, the shell and HTTP (the same ones a run uses), a clock.
public struct PreflightParts: Sendable {
    public var environment: [String: String]
    public var readFile: @Sendable (String) -> String?
    public var isExecutable: @Sendable (String) -> Bool
    public var makeRunner: @Sendable () -> any CommandRunner
    public var makeHTTP: @Sendable () -> any HTTPTransport
    /// The CI providers (MusterCI), for each `ci` step's read-only call.
    public var ciService: (@Sendable (CIStepSettings) -> Result<any CIService, CIFailure>)?
    public var monotonic: @Sendable () -> Double
    public var operatorName: String

    public init(environment: [String: String], readFile: @escaping @Sendable (String) -> String?, isExecutable: @escaping @Sendable (String) -> Bool,
                makeRunner: @escaping @Sendable () -> any CommandRunner, makeHTTP: @escaping @Sendable () -> any HTTPTransport,
                ciService: (@Sendable (CIStepSettings) -> Result<any CIService, CIFailure>)? = nil,
                monotonic: @escaping @Sendable () -> Double, operatorName: String) {
        self.ciService = ciService
        self.environment = environment
        self.readFile = readFile
        self.isExecutable = isExecutable
        self.makeRunner = makeRunner
        self.makeHTTP = makeHTTP
        self.monotonic = monotonic
        self.operatorName = operatorName
    }
}

/// Runs every check at once, one thread each, each bounded by `timeout`:
/// a check that hangs is reported as timed out and holds no other back.
public enum PreflightRunner {
    public static func run(_ items: [PreflightItem], parts: PreflightParts, timeout: Double,
                           progress: (_ done: Int, _ total: Int) -> Void = { _, _ in }) -> [PreflightResult] {
        let secrets = resolveSecrets(items, parts)
        let box = ResultBox(count: items.count)
        let group = DispatchGroup()
        let start = parts.monotonic()
        for (i, item) in items.enumerated() {
            group.enter()
            detachThread {
                let began = parts.monotonic()
                let (status, detail) = check(item, secrets: secrets, parts: parts, timeout: timeout)
                box.set(i, PreflightResult(item: item, status: status, detail: detail, seconds: parts.monotonic() - began))
                group.leave()
            }
        }
        // A little beyond the checks' own limits, for a thread stuck where
        // no limit reaches (a DNS lookup, say).
        let deadline = start + timeout + 2
        while true {
            let done = box.done
            progress(done, items.count)
            if done == items.count || parts.monotonic() >= deadline { break }
            _ = group.wait(timeout: .now() + .milliseconds(100))
        }
        let results = box.results
        return items.enumerated().map { i, item in
            results[i] ?? PreflightResult(item: item, status: .fail, detail: "timed out: no answer within \(DurationFormat.format(Int(timeout)))", seconds: parts.monotonic() - start)
        }
    }

    static func check(_ item: PreflightItem, secrets: [String: String], parts: PreflightParts, timeout: Double) -> (PreflightResult.Status, String) {
        switch item.action {
        case .skip(let why):
            return (.skip, why)
        case .secret(let s):
            return resolve(s, parts).map { _ in (.pass, "set") } ?? (.fail, problem(with: s, parts))
        case .program(let name):
            if let found = locate(name, parts) { return (.pass, found) }
            return (.fail, "\(name) is not on PATH")
        default:
            let (ok, detail) = PreflightCheck(owner: item.owner, secrets: secrets, parts: parts).check(item, timeout: timeout)
            return (ok ? .pass : .fail, detail)
        }
    }

    /// Every declared secret that has a value, as a run would read it.
    static func resolveSecrets(_ items: [PreflightItem], _ parts: PreflightParts) -> [String: String] {
        var out: [String: String] = [:]
        var seen: Set<String> = []
        for item in items where seen.insert(item.owner.name).inserted {
            for s in item.owner.secrets where out[s.name] == nil { out[s.name] = resolve(s, parts) }
        }
        return out
    }

    /// The secret's value: its environment variable, else its file; nil when
    /// neither holds anything.
    static func resolve(_ s: Secret, _ parts: PreflightParts) -> String? {
        if let e = s.env, let v = parts.environment[e], !v.trimmingCharacters().isEmpty { return v }
        if let f = s.file, let v = parts.readFile(Preparation.expandHome(f, parts.environment)) {
            var t = v
            while t.hasSuffix("\n") || t.hasSuffix("\r") { t.removeLast() }
            if !t.trimmingCharacters().isEmpty { return t }
        }
        return nil
    }

    static func problem(with s: Secret, _ parts: PreflightParts) -> String {
        var why: [String] = []
        if let e = s.env { why.append(parts.environment[e] == nil ? "environment variable \(e) is not set" : "environment variable \(e) is empty") }
        if let f = s.file {
            why.append(parts.readFile(Preparation.expandHome(f, parts.environment)) == nil ? "file \(f) cannot be read" : "file \(f) is empty")
        }
        return why.joined(separator: "; ")
    }

    /// Where `name` is found on PATH (or the path itself, when it has a slash).
    static func locate(_ name: String, _ parts: PreflightParts) -> String? {
        if name.contains("/") { return parts.isExecutable(name) ? name : nil }
        for dir in (parts.environment["PATH"] ?? "").split(separator: ":") {
            let path = (dir.hasSuffix("/") ? String(dir) : dir + "/") + name
            if parts.isExecutable(path) { return path }
        }
        return nil
    }
}

private final class ResultBox: Sendable {
    private let slots: Mutex<[PreflightResult?]>
    init(count: Int) { slots = Mutex(Array(repeating: nil, count: count)) }
    func set(_ i: Int, _ r: PreflightResult) { slots.withLock { $0[i] = r } }
    var done: Int { slots.withLock { $0.count { $0 != nil } } }
    var results: [PreflightResult?] { slots.withLock { $0 } }
}
