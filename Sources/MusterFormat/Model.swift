public import MusterYAML
import MusterBasics

/// A runbook as `runbook-format.md` version 1 defines it. Values keep their
/// source marks where later checks or the executor may need to point at them.
public struct Runbook: Sendable {
    public var path: String
    public var name: String
    public var title: Template
    public var description: String?
    public var owners: [String]
    public var rto: Int?
    /// Recovery point objective: the most data, in seconds before the
    /// failure, a recovery may lose (see RecoveryPoint).
    public var rpo: Int?
    public var escalation: [Rung]
    public var notifyWebhook: String?
    public var params: [Param]
    public var secrets: [Secret]
    public var env: [(name: String, value: Template)]
    public var steps: [Step]
    /// Programs the automated steps need on PATH.
    public var requires: [String] = []
    /// Read-only checks run by `muster preflight` and before a run starts.
    public var preflight: [PreflightCheck] = []
    /// Steps that run when the run ends, however it ends.
    public var finally: [Step] = []
    /// Seconds after the start past which every prompt says so.
    public var deadline: Int?
    /// Read-only checks polled from the first step to the last.
    public var guards: [Guard] = []

    public func param(_ name: String) -> Param? { params.first { $0.name == name } }

    /// Every step of this runbook with its key, groups' steps under their
    /// group and `finally` last; included runbooks are not opened.
    public var keyedSteps: [(key: String, step: Step)] {
        var out: [(key: String, step: Step)] = []
        func add(_ steps: [Step], _ prefix: String) {
            for step in steps {
                out.append((prefix + step.id, step))
                add(step.children, prefix + step.id + "/")
            }
        }
        add(steps, "")
        add(finally, "")
        return out
    }
}

public struct Rung: Codable, Sendable, Hashable {
    public var after: Int
    public var contact: String
    public init(after: Int, contact: String) { self.after = after; self.contact = contact }
}

public struct Param: Sendable, Hashable {
    public var name: String
    public var mark: Mark
    public var description: String?
    public var defaultValue: String?
    public var choices: [String]?
    public var pattern: String?
    /// True when the value must come from `-p` or the operator: declared
    /// `required`, or simply without a default.
    public var required: Bool
    public var type: ValueType = .string

    public var rule: ValueRule { ValueRule(type: type, choices: choices, pattern: pattern) }

    /// Why `value` is not acceptable, or nil when it is.
    public func problem(with value: String) -> ValueProblem? { rule.problem(with: value, name: name) }
}

/// Why a parameter's value is refused.
public struct ValueProblem: Sendable, CustomStringConvertible {
    public var description: String
    /// The pattern, not the value, is at fault: it ran out of its budget.
    public var patternGaveUp = false
}

public struct Secret: Sendable, Hashable {
    public var name: String
    public var env: String?
    public var file: String?
    public var description: String?
}

public enum OnFailure: String, Sendable, CaseIterable {
    case ask, abort, `continue`, rollback
}

/// Keys shared by the automated kinds (`run`, `wait`, `http`, `ci`).
public struct Automation: Sendable {
    public var timeout: Int
    public var retries: Int
    public var retryDelay: Int
    public var expect: Int?
    public var confirm: Bool
    /// nil: `ask` when interactive, `abort` with `--yes`.
    public var onFailure: OnFailure?
    public var idempotent: Bool
    public var rollback: Template?
    public var outputs: [Output]
    /// `run` steps: processes the step leaves running are kept (a
    /// port-forward, a standby service) rather than stopped with its shell.
    public var keepRunning = false
    /// The two-person rule: the step waits until people other than the
    /// operator approve it with `muster approve`.
    public var approval: Approval?

    public static let defaultTimeout = 30 * 60
    public static let defaultRetryDelay = 10

    public init(timeout: Int, retries: Int, retryDelay: Int, expect: Int?, confirm: Bool, onFailure: OnFailure?, idempotent: Bool,
                rollback: Template?, outputs: [Output], keepRunning: Bool = false, approval: Approval? = nil) {
        self.timeout = timeout; self.retries = retries; self.retryDelay = retryDelay; self.expect = expect; self.confirm = confirm
        self.onFailure = onFailure; self.idempotent = idempotent; self.rollback = rollback; self.outputs = outputs
        self.keepRunning = keepRunning; self.approval = approval
    }
}

/// `approval: true` or `{count: N, from: [users]}`: who must say yes
/// before a step runs. Names are OS user names, the identity the operating
/// system attests for `muster approve`.
public struct Approval: Sendable, Equatable {
    public var count: Int
    /// Empty: anyone but the operator.
    public var from: [String]

    public init(count: Int = 1, from: [String] = []) {
        self.count = count
        self.from = from
    }

    /// "one of alice, bob" or "2 people other than the operator".
    public var who: String {
        let people = count == 1 ? "one person" : "\(count) different people"
        return from.isEmpty ? "\(people) other than the operator" : "\(people) of \(from.joined(separator: ", "))"
    }
}

public struct Output: Sendable {
    public enum Source: Sendable, Hashable { case regex(String), json(String) }
    public var name: String
    public var mark: Mark
    public var source: Source
    /// `recovery_point: true`: the value is the time of the newest data
    /// the recovery brings back.
    public var recoveryPoint = false
    /// `type`, `pattern`, `choices`: checked when the value is captured.
    public var rule = ValueRule()
}

public struct HTTPCheck: Sendable {
    public var method: String
    public var url: Template
    public var headers: [(name: String, value: Template)]
    public var body: Template?
    /// nil: any 2xx.
    public var status: Int?
    public var bodyContains: Template?
}

/// `guards:` (runbook-format.md, "Flow"): a read-only check polled while
/// the steps in its scope run, the Andon cord of a recovery.
public struct Guard: Sendable {
    public var id: String
    public var mark: Mark
    public var title: Template
    public var check: GuardCheck
    /// Seconds between two checks.
    public var every: Int = Guard.defaultEvery
    public var onBreach: OnBreach = .ask
    /// Seconds one check may take; nil: `effectiveTimeout`.
    public var timeout: Int?

    public static let defaultEvery = 30

    public init(id: String, mark: Mark, title: Template, check: GuardCheck, every: Int = Guard.defaultEvery, onBreach: OnBreach = .ask, timeout: Int? = nil) {
        self.id = id; self.mark = mark; self.title = title; self.check = check; self.every = every; self.onBreach = onBreach; self.timeout = timeout
    }

    /// A check that has not answered by the time the next is due is a
    /// breach, not a pile of checks: at most `every`, at most 30 s.
    public var effectiveTimeout: Int { timeout ?? min(every, 30) }
}

/// What a guard looks at.
public enum GuardCheck: Sendable {
    /// A GET or HEAD request; holds when the answer matches.
    case http(HTTPCheck)
    /// Holds when the command exits 0.
    case run(Template)
}

/// What a guard's breach does.
public enum OnBreach: String, Sendable, CaseIterable {
    /// Continue, roll back or abort, asked at once while running steps go on.
    case ask
    /// Running steps are stopped first, as `s` stops a step, then the run
    /// rolls back or aborts without asking.
    case rollback, abort
}

/// One declared `preflight` check: a read-only command or HTTP request,
/// and what to do when it fails.
public struct PreflightCheck: Sendable {
    public enum Probe: Sendable {
        case run(Template)
        case http(HTTPCheck)
    }
    public var title: Template
    public var mark: Mark
    public var probe: Probe
    /// Who grants the access, which command logs in.
    public var fix: String?
}

public struct WaitSpec: Sendable {
    public enum Probe: Sendable {
        case run(Template)
        case http(HTTPCheck)
    }
    public var probe: Probe
    /// nil: the probe command's exit status 0.
    public var until: Template?
    public var every: Int
    public var timeout: Int

    public static let defaultEvery = 10
}

public enum CIProvider: String, Sendable, CaseIterable {
    case buildbot, github, gitlab, jenkins
}

public struct CISpec: Sendable {
    public var provider: CIProvider
    public var url: Template
    /// Provider-specific keys (`builder`, `scheduler`, `repo`, `workflow`, `ref`,
    /// `project`, `job`), templated.
    public var settings: [String: Template]
    public var inputs: [(name: String, value: Template)]
    public var token: String?
    /// `cancel_on_stop: true`: a timeout, `s`, an abort or a rollback that
    /// stops the step cancels its pipeline through the provider's API.
    public var cancelOnStop = false
}

public struct IncludeSpec: Sendable {
    public var runbook: String
    public var mark: Mark
    public var with: [(name: String, value: Template, mark: Mark)]
}

public enum StepKind: String, Codable, Sendable, CaseIterable {
    case manual, run, wait, http, ci, runbook
    /// A decision: one of named options, and why (`decide:`).
    case decide
    /// A group: its `steps` run in order, keyed `group/child`.
    case steps
    /// Branches that run at the same time, keyed `step/branch`.
    case parallel

    public var isAutomated: Bool { self != .manual && self != .decide && self != .runbook && self != .steps && self != .parallel }
    /// Kinds made of other steps: their own outcome is their steps'.
    public var isContainer: Bool { self == .steps || self == .parallel }
}

public struct Step: Sendable {
    public enum Body: Sendable {
        case manual(items: [Template], ask: [Ask])
        case decide(Decision)
        case run(Template)
        case wait(WaitSpec)
        case http(HTTPCheck)
        case ci(CISpec)
        case runbook(IncludeSpec)
        case group([Step])
        case parallel(Parallel)
    }

    public var id: String
    public var mark: Mark
    public var title: Template
    public var notes: Template?
    public var body: Body
    /// Present for automated kinds only.
    public var automation: Automation?
    /// `when:`: the step runs only if this holds when its turn comes.
    public var when: WhenClause?
    /// `for_each:`: the step runs once per item, keyed `id[item]`.
    public var forEach: ForEach?
    /// `run` steps: the machine the script runs on, through ssh (RemoteShell);
    /// nil runs it here.
    public var host: Template? = nil
    /// `confirm: true` on a group, a `parallel` step or an included
    /// runbook: one gate before any of its steps begins.
    public var confirmWhole = false
    /// Groups and `parallel` steps: checks polled while their steps run.
    public var guards: [Guard] = []

    public var kind: StepKind {
        switch body {
        case .manual: .manual
        case .decide: .decide
        case .run: .run
        case .wait: .wait
        case .http: .http
        case .ci: .ci
        case .runbook: .runbook
        case .group: .steps
        case .parallel: .parallel
        }
    }

    /// The steps of a group, in order, or the branches of a `parallel`
    /// step; empty for every other kind.
    public var children: [Step] {
        switch body {
        case .group(let steps): steps
        case .parallel(let p): p.branches
        default: []
        }
    }

    /// The names this step defines whose type lets them stand in arithmetic.
    public var arithmeticNames: Set<String> {
        var names = Set((automation?.outputs ?? []).filter { $0.rule.type.isArithmeticSafe }.map(\.name))
        if case .manual(_, let ask) = body { names.formUnion(ask.filter { $0.rule.type.isArithmeticSafe }.map(\.name)) }
        return names
    }

    /// Names this step defines for later steps: `ask` answers, outputs,
    /// and a decision's option under the step's own id.
    public var definedNames: [String] {
        var names: [String] = []
        if case .manual(_, let ask) = body { names += ask.map(\.name) }
        if case .decide = body { names.append(id) }
        names += automation?.outputs.map(\.name) ?? []
        for child in children { names += child.definedNames }
        return names
    }
}

/// `decide:` on a step: the operator picks one of `options` and says why
/// in one line. The longest part of a failover is often deciding to press
/// the button; a decision journaled with its options, its reason and how
/// long it took is what a postmortem needs, and a tick is not.
public struct Decision: Sendable {
    public var options: [String]
    public var mark: Mark
    /// Drills only: the option taken when nobody decides within
    /// `defaultAfter` seconds of the question (time pressure a trainee feels).
    public var defaultOption: String?
    public var defaultAfter: Int?
    public init(options: [String], mark: Mark) {
        self.options = options
        self.mark = mark
    }

    /// The option a line names: its name (case-blind) or its number from 1.
    public func option(for line: String) -> String? {
        let t = line.trimmingSpaces()
        if let exact = options.first(where: { $0.lowercased() == t.lowercased() }) { return exact }
        if let n = Int(t), options.indices.contains(n - 1) { return options[n - 1] }
        return nil
    }
}

/// `parallel:` on a step: branches that run at the same time.
public struct Parallel: Sendable {
    /// What a branch's failure does to the others.
    public enum OnFailure: String, Sendable, CaseIterable {
        /// Running branches end their current step; nothing new starts.
        case finish
        /// Running branches are stopped at once, as `s` stops a step.
        case cancel
    }
    /// Branches running at once; nil: all of them.
    public var max: Int?
    public var onFailure: OnFailure = .finish
    public var branches: [Step]
}

/// `for_each:` on a step: what it repeats over and how.
public struct ForEach: Sendable {
    public enum Source: Sendable, Equatable {
        /// Items written in the runbook.
        case list([String])
        /// A parameter, answer or output holding a JSON array of strings or
        /// one item per line, read when the step's turn comes.
        case value(String)

        public var describe: String {
            switch self {
            case .list(let items): "[\(items.joined(separator: ", "))]"
            case .value(let name): "{{ \(name) }}"
            }
        }
    }
    public var source: Source
    /// `as`: the name each item has in the step's templates.
    public var name: String
    public var maxParallel = 1
    /// Items that may fail (and let the run go on) before no new one starts.
    public var maxFailures = 0
    public var mark: Mark

    /// An item is a name (a host, a service, a region): it becomes part of
    /// the step's key, `redeploy[api]`, which nothing else may break.
    public static func isItem(_ s: some StringProtocol) -> Bool {
        !s.isEmpty && s.utf8.count <= 64 && s.utf8.allSatisfy { c in
            (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c == 46 || c == 95 || c == 58 || c == 64 || c == 45
        }
    }

    public static let itemRule = "a name of letters, digits and . _ : @ - (at most 64)"

    /// The items a value holds: a JSON array of strings, else one per
    /// non-empty line; nil with why when one is not a name.
    public static func items(in value: String) -> (items: [String], problem: String?) {
        guard let items = ValueList.items(value) else { return ([], "it starts with '[' but is not a JSON array of plain values") }
        if let bad = items.first(where: { !isItem($0) }) {
            let shown = bad.count > 40 ? String(bad.prefix(40)) + "…" : bad
            return ([], "item '\(shown)' is not \(itemRule)")
        }
        var seen = Set<String>()
        if let twice = items.first(where: { !seen.insert($0).inserted }) { return ([], "item '\(twice)' is listed twice") }
        return (items, nil)
    }
}

/// A step's `when:` as written, where it was written.
public struct WhenClause: Sendable {
    public var text: String
    public var mark: Mark
    /// nil only in a file with errors.
    public var condition: Condition?
}

/// A drill: a timed exercise of one runbook.
public struct Drill: Sendable {
    public var path: String
    public var name: String
    public var runbook: String
    public var runbookMark: Mark
    public var schedule: String?
    public var params: [(name: String, value: String, mark: Mark)]
    public var rto: Int?
    public var mode: Mode
    public var faults: [Fault]
    public var expectEscalation: ExpectEscalation?
    /// Shown under the drill's banner before the first step.
    public var description: String?
    /// `scenario:`: the situation the trainee is in (Markdown), shown at the
    /// start and to followers, never hidden in YAML comments.
    public var scenario: String?
    /// `unavailable:`: escalation rungs that do not answer in this drill,
    /// so a trainee must go on to the next.
    public var unavailable: [(contact: String, mark: Mark)] = []
    /// As written; nil when the drill leaves it to `DrillEnvironment`.
    public var environment: DrillEnvironment?

    public enum Mode: String, Sendable, CaseIterable { case live, rehearsal }

    /// Faults to practise on or an escalation to score: practice, whatever it runs against.
    public var isTraining: Bool { !faults.isEmpty || expectEscalation != nil || !unavailable.isEmpty }

    /// The environment its records are counted in, with the values it runs
    /// with (its own `params`, and any `-p`).
    public func environment(params: [String: String]) -> DrillEnvironment {
        environment ?? DrillEnvironment.implied(training: isTraining, params: params)
    }

    public struct Fault: Sendable {
        public var step: String
        public var mark: Mark
        public var fail: String
        public var times: Int
    }

    public struct ExpectEscalation: Sendable {
        public var within: Int
        public var contact: String
        public var mark: Mark
    }
}

/// Names every template may use.
public let builtinNames = ["run_id", "operator", "runbook"]

extension Step {
    /// Steps that only look (a `wait`, an HTTP GET or HEAD): running one
    /// again after a crash repeats nothing, so a resume does it unasked.
    public var isReadOnly: Bool {
        switch body {
        case .wait: true
        case .http(let h): ["GET", "HEAD"].contains(h.method.uppercased())
        default: false
        }
    }
}
