import MusterYAML
import MusterBasics

/// A runbook test (`runbooks/tests/NAME.yaml`): one path through a runbook,
/// run by `muster test` on a simulated clock with every automated step
/// faked, so a branch nobody has taken since it was written is proven in
/// CI, not found during the incident.
public struct RunbookTest: Sendable {
    public var path: String
    /// What it proves, in words.
    public var name = ""
    public var runbook = ""
    public var runbookMark: Mark?
    /// The `mode` conditions see: `incident` (the default), `drill`,
    /// `training`, `rehearsal`.
    public var mode = "incident"
    public var params: [(name: String, value: String)] = []
    /// Answers by question name (an `ask`), by step key (a checklist item
    /// answered other than `y`, a gate, a failure menu), or by guard key
    /// (a breach): the line an operator would type.
    public var answers: [(key: String, value: String, mark: Mark)] = []
    public var fakes: [(key: String, fake: Fake, mark: Mark)] = []
    public var expect = Expectation()

    /// What an automated step "does" instead of running.
    public struct Fake: Sendable, Equatable {
        public var exit: Int = 0
        public var stdout = ""
        /// Simulated seconds the step takes.
        public var after: Double = 0
        /// A `ci` step's pipeline result: success, failed, cancelled.
        public var ci: String?
        /// An `http` step's (or guard's) reply.
        public var httpStatus: Int?
        public var httpBody = ""
        /// A guard's check: holds until `from` seconds, then breaks.
        public var from: Double?
        public init() {}
    }

    public struct Expectation: Sendable {
        public var outcome: String?
        public var ran: [(key: String, mark: Mark)] = []
        public var skipped: [(key: String, mark: Mark)] = []
        public var rtoMet: Bool?
        public var criticalPath: [(key: String, mark: Mark)]?
        public init() {}
    }

    public static let outcomes = ["completed", "failed", "aborted", "rolled_back", "paused"]
    public static let modes = ["incident", "drill", "training", "rehearsal"]
    public static let ciResults = ["success", "failed", "cancelled"]
}

/// Reads a runbook test; its steps are checked against its runbook by
/// `RunbookTest.check`.
struct RunbookTestParser {
    var r: Reader

    static let topKeys = ["muster", "test", "runbook", "mode", "params", "answers", "fakes", "expect"]
    static let fakeKeys = ["exit", "stdout", "after", "ci", "http", "from"]
    static let expectKeys = ["outcome", "ran", "skipped", "rto_met", "critical_path"]

    init(source: SourceText) { r = Reader(source: source) }

    mutating func parse(_ root: Node) -> RunbookTest? {
        guard let f = r.fields(root, "the test", allowed: Self.topKeys) else { return nil }
        if let v = r.require(f, "muster"), let n = r.int(v, "muster"), n != 1 {
            r.error(v.mark, "unsupported format version \(n); this muster reads version 1")
        }
        var t = RunbookTest(path: r.source.path)
        if let v = r.require(f, "test"), let s = r.nonEmptyString(v, "test") { t.name = s }
        if let v = r.require(f, "runbook"), let s = r.nonEmptyString(v, "runbook") {
            t.runbook = s
            t.runbookMark = v.mark
        }
        if let v = f["mode"], let s = r.string(v, "mode") {
            if RunbookTest.modes.contains(s) { t.mode = s } else { r.error(v.mark, "'mode' must be one of \(RunbookTest.modes.joined(separator: ", ")), not '\(s)'") }
        }
        if let v = f["params"], let entries = r.stringMap(v, "params") { t.params = entries.map { ($0.name, $0.value) } }
        if let v = f["answers"], let entries = r.stringMap(v, "answers") { t.answers = entries.map { ($0.name, $0.value, $0.nameMark) } }
        if let v = f["fakes"] {
            if let pairs = v.pairs {
                for pair in pairs {
                    let (k, node) = (pair.key, pair.value)
                    guard let key = k.scalar, !key.isEmpty else {
                        r.error(k.mark, "a fake is named by its step's key (`rebuild/cluster/create`)")
                        continue
                    }
                    if let fake = parseFake(node, key: key) { t.fakes.append((key, fake, k.mark)) }
                }
            } else {
                r.error(v.mark, "'fakes' must be a map of step key to what it does ({exit: 0, stdout: \"...\", after: 5m}), not \(v.kindName)")
            }
        }
        if let v = f["expect"], let ef = r.fields(v, "expect", allowed: Self.expectKeys) {
            if let o = ef["outcome"], let s = r.string(o, "outcome") {
                if RunbookTest.outcomes.contains(s) { t.expect.outcome = s } else { r.error(o.mark, "'outcome' must be one of \(RunbookTest.outcomes.joined(separator: ", ")), not '\(s)'") }
            }
            func keys(_ name: String) -> [(key: String, mark: Mark)]? {
                guard let n = ef[name], let list = r.stringList(n, name) else { return nil }
                return list.map { ($0.0, $0.1.mark) }
            }
            t.expect.ran = keys("ran") ?? []
            t.expect.skipped = keys("skipped") ?? []
            t.expect.criticalPath = keys("critical_path")
            if let b = ef["rto_met"] { t.expect.rtoMet = r.bool(b, "rto_met") }
        }
        return t
    }

    mutating func parseFake(_ node: Node, key: String) -> RunbookTest.Fake? {
        guard let f = r.fields(node, "the fake of '\(key)'", allowed: Self.fakeKeys) else { return nil }
        var fake = RunbookTest.Fake()
        if let v = f["exit"], let n = r.int(v, "exit", min: 0, max: 255) { fake.exit = n }
        if let v = f["stdout"], let s = r.string(v, "stdout") { fake.stdout = s }
        if let v = f["after"], let d = r.duration(v, "after") { fake.after = Double(d) }
        if let v = f["from"], let d = r.duration(v, "from") { fake.from = Double(d) }
        if let v = f["ci"], let s = r.string(v, "ci") {
            if RunbookTest.ciResults.contains(s) { fake.ci = s } else { r.error(v.mark, "'ci' must be one of \(RunbookTest.ciResults.joined(separator: ", ")), not '\(s)'") }
        }
        if let v = f["http"], let hf = r.fields(v, "http", allowed: ["status", "body"]) {
            fake.httpStatus = r.require(hf, "status").flatMap { r.int($0, "status", min: 100, max: 599) }
            if let b = hf["body"], let s = r.string(b, "body") { fake.httpBody = s }
        }
        return fake
    }
}

extension RunbookTest {
    /// Reads a test file: the test, or what is wrong with it at line:col.
    public static func load(path: String, display: String, read: (String) throws -> [UInt8]) -> (test: RunbookTest?, diagnostics: [Diagnostic]) {
        let bytes: [UInt8]
        do {
            bytes = try read(path)
        } catch {
            return (nil, [Diagnostic(path: display, mark: nil, message: "cannot read this file: \(error)")])
        }
        let source = SourceText(path: display, bytes: bytes)
        let root: Node
        do {
            root = try YAMLLoader.load(bytes)
        } catch {
            return (nil, [Diagnostic(path: display, mark: error.mark, message: error.message)])
        }
        var p = RunbookTestParser(source: source)
        let t = p.parse(root)
        return (t, p.r.diagnostics.sorted())
    }

    /// What the test names that its runbook no longer has: a fake, an
    /// answer's step or an expected step, at the test's line and column.
    public func check(against plan: [String], questions: Set<String>, guards: Set<String>) -> [Diagnostic] {
        var out: [Diagnostic] = []
        let steps = Set(plan)
        func known(_ key: String) -> Bool {
            // A loop item's key (`redeploy[api]`) names its loop's step.
            steps.contains(key) || StepKey(key).loopItem.map { steps.contains($0.loop.raw) } == true
        }
        func unknown(_ key: String, _ mark: Mark, _ what: String, among: [String]) {
            let hint = suggestion(for: key, among: among).map { "; did you mean '\($0)'?" } ?? ""
            out.append(Diagnostic(path: path, mark: mark, message: "\(what) '\(key)' is not in runbook '\(runbook)'\(hint)"))
        }
        for f in fakes where !known(f.key) && !guards.contains(f.key) { unknown(f.key, f.mark, "the faked step", among: plan + guards.sorted()) }
        for a in answers where !known(a.key) && !questions.contains(a.key) && !guards.contains(a.key) {
            unknown(a.key, a.mark, "the answered question or step", among: plan + questions.sorted() + guards.sorted())
        }
        for (list, what) in [(expect.ran, "the step expected to run"), (expect.skipped, "the step expected to be skipped"), (expect.criticalPath ?? [], "the step on the expected critical path")] {
            for e in list where !known(e.key) { unknown(e.key, e.mark, what, among: plan) }
        }
        return out
    }
}
