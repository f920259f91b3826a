import MusterBasics
import MusterFormat

/// What the executor shows and asks. The core never prints: a terminal
/// renderer (or a test) implements this.
public protocol RunConsole: AnyObject {
    /// False when answers come from a pipe: nobody can be asked about a Ctrl-C.
    var isInteractive: Bool { get }
    func show(_ message: ConsoleMessage)
    /// Reads one answer line. `status` is the line shown with every prompt:
    /// step, elapsed time, next escalation rung.
    func ask(_ question: String, hint: String, status: String) -> AnswerRead
    /// The same, giving up after `seconds` (nil then): for a question asked
    /// while a step runs, whose timeout does not wait for the answer.
    func ask(_ question: String, hint: String, status: String, within seconds: Double) -> AnswerRead?
    /// The same for a secret (`ask` with `secret: true`): a terminal does
    /// not echo it, and where the console would show the answer it shows
    /// `***`. A console wrapping another passes it on as a secret.
    func askSecret(_ question: String, hint: String, status: String) -> AnswerRead
}

extension RunConsole {
    /// Consoles that cannot wait with a limit (answers from a script) answer at once.
    public func ask(_ question: String, hint: String, status: String, within seconds: Double) -> AnswerRead? {
        ask(question, hint: hint, status: status)
    }

    /// Consoles that never show an answer (a test's) ask as for any other.
    public func askSecret(_ question: String, hint: String, status: String) -> AnswerRead {
        ask(question, hint: hint, status: status)
    }
}

public enum AnswerRead: Sendable, Equatable {
    case line(String)
    /// Answers ran out: the run pauses.
    case eof
    /// A signal (SIGINT, SIGTERM, SIGHUP, SIGQUIT) arrived while waiting.
    case signal(Signal)
}

/// Codable (synthesized) so that a session's screen can be written down
/// and shown again by `muster follow` in another terminal: a case added
/// here is carried with no change there.
public enum ConsoleMessage: Codable, Sendable, Equatable {
    case runHeader(title: String, runID: String, steps: Int, resumed: Bool, drillBanner: String?)
    /// A runbook's `description`, or a drill's (`drill`: the scenario under
    /// its banner), Markdown as written: shown once, before the first step.
    case description(String, drill: Bool)
    case stepHeader(index: Int, total: Int, number: String, kind: StepKind, title: String, id: String)
    case notes(String)
    case checklistItem(String)
    /// The checklist item just asked was answered done: a terminal redraws
    /// it checked in place of the question; a pipe, whose transcript already
    /// holds the answer, shows nothing more.
    case itemChecked(String)
    case command(String)
    case output(stderr: Bool, line: String)
    /// A line printed by step `step`, running beside others in branch
    /// (or loop item) `lane`. A pipe shows it as `[lane] line`; a terminal
    /// keeps it for that branch's live line (`lanes`); the run's
    /// `output.log` keeps it under its own step.
    case laneOutput(lane: String, step: String, stderr: Bool, line: String)
    /// The steps running beside others now, one live line each: drawn in
    /// place on a terminal, redrawn as they go on; nothing on a pipe,
    /// whose lines already say it.
    case lanes([LaneLine])
    case stepResult(StepResult, seconds: Double, detail: String?)
    case info(String)
    /// A line that the next progress line replaces, on a terminal.
    case progress(String)
    case warning(String)
    case escalationBanner(contact: String, elapsed: Double)
    case ladder([Rung], elapsed: Double)
    case runResult(outcome: String, elapsed: Double, runID: String, resumeHint: Bool)
}

/// One branch's live line: `[database] Restore the snapshot · 1m12s · restoring table 3 of 9`.
public struct LaneLine: Codable, Sendable, Equatable {
    public var lane: String
    public var step: String
    public var title: String
    public var seconds: Double
    /// The last line it printed, if any.
    public var last: String?
    public init(lane: String, step: String, title: String, seconds: Double, last: String?) {
        self.lane = lane
        self.step = step
        self.title = title
        self.seconds = seconds
        self.last = last
    }
}

/// Runs one shell script; implemented on posix_spawn in MusterProcess.
/// `keepLeftovers`: processes the script leaves running are kept when it
/// succeeds (`keep_running`); otherwise they are stopped.
public protocol CommandRunner {
    func run(script: String, environment: [String: String], timeout: Double, keepLeftovers: Bool,
             onLine: (_ stderr: Bool, _ line: String) -> Void,
             onSignal: (Signal) -> Bool,
             onTick: () -> Void) throws(CommandError) -> CommandResult
    /// Starts the script beside others and returns at once (BackgroundCommand).
    func start(script: String, environment: [String: String], timeout: Double, keepLeftovers: Bool) -> BackgroundCommand
}

public struct CommandResult: Sendable {
    public var status: Int32
    public var timedOut: Bool
    public var interrupted: Bool
    public var seconds: Double
    /// Processes left in the script's process group when its shell exited.
    public var leftovers: [LeftoverProcess]
    /// True when they were kept running; otherwise they were stopped.
    public var keptLeftovers: Bool
    public init(status: Int32, timedOut: Bool, interrupted: Bool, seconds: Double, leftovers: [LeftoverProcess] = [], keptLeftovers: Bool = false) {
        self.status = status
        self.timedOut = timedOut
        self.interrupted = interrupted
        self.seconds = seconds
        self.leftovers = leftovers
        self.keptLeftovers = keptLeftovers
    }
}

/// A process a script's shell left behind.
public struct LeftoverProcess: Sendable, Equatable {
    public var pid: Int32
    /// Its command line, arguments joined by spaces.
    public var command: String
    /// The program's name alone (`python3`).
    public var name: String
    public init(pid: Int32, command: String, name: String) {
        self.pid = pid
        self.command = command
        self.name = name
    }
}

public struct CommandError: Error, Sendable {
    public var message: String
    public init(message: String) { self.message = message }
}

/// Sends one HTTP request; implemented on libcurl in MusterHTTP.
public protocol HTTPTransport {
    /// `confidential` names what holds a secret and must never reach another
    /// host than `url`'s, should the server redirect there.
    /// `onSignal` decides what a signal during the exchange means: true
    /// abandons it (the failure carries the signal), false goes on.
    func send(method: String, url: String, headers: [(name: String, value: String)], body: String?, timeout: Double,
              confidential: Confidential, onSignal: @escaping (Signal) -> Bool) throws(HTTPFailure) -> HTTPReply
}

/// The parts of a request that hold a secret.
public struct Confidential: Sendable {
    /// Header names, lowercase.
    public var headers: Set<String>
    public var body: Bool
    /// Whether an address holds a secret: a redirect to another host whose
    /// address does (a server that puts the request's path, a secret in its
    /// query, in its `Location`) is not followed.
    public var inAddress: @Sendable (String) -> Bool
    public init(headers: Set<String> = [], body: Bool = false, inAddress: @escaping @Sendable (String) -> Bool = { _ in false }) {
        self.headers = headers
        self.body = body
        self.inAddress = inAddress
    }
}

public struct HTTPReply: Sendable {
    public var status: Int
    public var body: String
    public var seconds: Double
    /// Response header fields in order (a CI provider's `Location`, say).
    public var headers: [(name: String, value: String)]
    public init(status: Int, body: String, seconds: Double, headers: [(name: String, value: String)] = []) {
        self.status = status
        self.body = body
        self.seconds = seconds
        self.headers = headers
    }

    /// The first header field named `name`, compared case-insensitively.
    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }
}

public struct HTTPFailure: Error, Sendable {
    public var message: String
    /// A signal arrived during the exchange: the run pauses.
    public var signal: Signal?
    /// The operator stopped the step at the Ctrl-C question.
    public var stopped: Bool
    public init(message: String, signal: Signal? = nil, stopped: Bool = false) {
        self.message = message
        self.signal = signal
        self.stopped = stopped
    }
}
