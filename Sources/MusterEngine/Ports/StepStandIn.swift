import MusterFormat

/// What an automated step "did", as a stand-in says: `muster test`'s
/// fakes. Nothing runs for real when a stand-in is wired in.
public struct StandInReply: Sendable {
    /// A command's exit status (a `run` step, a `wait`).
    public var exit: Int32
    /// What it printed, or an `http` reply's body: outputs are read from it.
    public var stdout: String
    /// How long it took, on the stand-in's own clock.
    public var seconds: Double
    /// An `http` step's reply status.
    public var httpStatus: Int?
    /// A `ci` step's pipeline result: `success`, `failed`, `cancelled`.
    public var ci: String?
    /// Why the stand-in could not say (no fake for the step).
    public var problem: String?
    public init(exit: Int32, stdout: String, seconds: Double, httpStatus: Int? = nil, ci: String? = nil, problem: String? = nil) {
        self.exit = exit
        self.stdout = stdout
        self.seconds = seconds
        self.httpStatus = httpStatus
        self.ci = ci
        self.problem = problem
    }
}

/// Stands in for every automated step, so a runbook's paths are proven on
/// a simulated clock (`muster test`): the executor asks it instead of a
/// runner, an HTTP client or a CI service, and everything else (the
/// machine, the journal, questions, outputs, conditions) is the real run's.
public protocol StepStandIn: AnyObject {
    /// Step `key`'s attempt, run alone: the stand-in's clock moves on by
    /// the time it takes.
    func reply(_ key: String, _ step: Step) -> StandInReply
    /// The same for a step running beside others: a command that ends
    /// when the stand-in's clock comes to its time.
    func start(_ key: String, _ step: Step) -> BackgroundCommand
    /// Which of the guards in force (`keys`) are breached now, and why:
    /// each breach said once, as a real guard's poller says it.
    func breached(_ keys: [String]) -> [(key: String, why: String)]
}

extension StandInReply {
    /// The attempt a reply stands for, judged as its step's kind judges a
    /// real one: an exit status, an HTTP reply against `status` and
    /// `body_contains`, a pipeline's result; outputs read as from the real thing.
    package func attempt(_ step: Step, _ a: Automation, values: [String: String]) -> Attempt {
        if let problem { return Attempt(ok: false, status: 127, seconds: seconds, problem: problem) }
        var r: Attempt
        switch step.body {
        case .http(let h):
            let status = httpStatus ?? 200
            let statusOK = h.status.map { $0 == status } ?? (200..<300).contains(status)
            let bodyOK = h.bodyContains.map { stdout.contains($0.expand(values)) } ?? true
            r = Attempt(ok: statusOK && bodyOK, status: 0, seconds: seconds, httpStatus: status, stdout: stdout,
                        problem: statusOK ? (bodyOK ? nil : "the reply's body does not contain what 'body_contains' expects") : "status \(status)")
            r.capture(a.outputs, from: stdout, what: "response")
        case .ci:
            let result = ci ?? (exit == 0 ? "success" : "failed")
            r = Attempt(ok: result == "success", status: result == "success" ? 0 : 1, seconds: seconds,
                        problem: result == "success" ? nil : "the pipeline ended: \(result)")
        default:
            r = Attempt(ok: exit == 0, status: exit, seconds: seconds, stdout: stdout,
                        tail: stdout.split(separator: "\n").suffix(20).map(String.init), problem: exit == 0 ? nil : "exited with status \(exit)")
            r.capture(a.outputs, from: stdout, what: "output")
        }
        return r
    }
}
