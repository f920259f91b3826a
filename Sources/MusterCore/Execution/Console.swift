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
}

extension RunConsole {
    /// Consoles that cannot wait with a limit (answers from a script) answer at once.
    public func ask(_ question: String, hint: String, status: String, within seconds: Double) -> AnswerRead? {
        ask(question, hint: hint, status: status)
    }
}

public enum AnswerRead: Sendable, Equatable {
    case line(String)
    /// Answers ran out: the run pauses.
    case eof
    /// A signal (SIGINT, SIGTERM, SIGHUP, SIGQUIT) arrived while waiting.
    case signal(Int32)
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
    case stepResult(StepResult, seconds: Double, detail: String?)
    case info(String)
    /// A line that the next progress line replaces, on a terminal.
    case progress(String)
    case warning(String)
    case escalationBanner(contact: String, elapsed: Double)
    case ladder([Rung], elapsed: Double)
    case runResult(outcome: String, elapsed: Double, runID: String, resumeHint: Bool)
}

/// Runs one shell script; implemented on posix_spawn in MusterProcess.
/// `keepLeftovers`: processes the script leaves running are kept when it
/// succeeds (`keep_running`); otherwise they are stopped.
public protocol CommandRunner {
    func run(script: String, environment: [String: String], timeout: Double, keepLeftovers: Bool,
             onLine: (_ stderr: Bool, _ line: String) -> Void,
             onSignal: (Int32) -> Bool,
             onTick: () -> Void) throws(CommandError) -> CommandResult
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

/// Replaces every secret value with `***`, in output, journal and messages.
public struct Masker: Sendable {
    let secrets: [String]

    public init(secrets: some Sequence<String>) {
        // Output is masked line by line, so a secret with a trailing newline
        // or several lines (a key file) is masked by its lines; very short
        // lines would mask ordinary text and are left out.
        var all = Set<String>()
        for s in secrets {
            let t = s.trimmingCharacters()
            guard !t.isEmpty else { continue }
            all.insert(t)
            // On bytes: in Swift "\r\n" is one Character, which neither
            // `contains("\n")` nor a split on "\n" sees.
            let bytes = Array(t.utf8)
            if bytes.contains(10) || bytes.contains(13) {
                for line in bytes.split(whereSeparator: { $0 == 10 || $0 == 13 }) {
                    let l = String(decoding: line, as: UTF8.self).trimmingCharacters()
                    if l.count >= 4 { all.insert(l) }
                }
            }
        }
        // Longest first, so a secret that contains another is masked whole.
        self.secrets = all.sorted { $0.count > $1.count }
    }

    /// Replaces on UTF-8 bytes, not characters: a secret followed by a
    /// combining mark is one grapheme with it, and must be masked all the same.
    public func mask(_ s: String) -> String {
        var out = s
        for secret in secrets where out.containsBytesDynamic(secret) {
            let hay = Array(out.utf8), needle = Array(secret.utf8)
            var result: [UInt8] = []
            result.reserveCapacity(hay.count)
            var i = 0
            while i < hay.count {
                if i + needle.count <= hay.count, hay[i] == needle[0], Array(hay[i..<(i + needle.count)]) == needle {
                    result.append(contentsOf: "***".utf8)
                    i += needle.count
                } else {
                    result.append(hay[i])
                    i += 1
                }
            }
            out = String(decoding: result, as: UTF8.self)
        }
        return out
    }
}

/// Masks a stream of lines, including a secret that the stream splits over
/// two lines (a program that wraps its output, a token printed in two
/// halves): a line that ends with the start of a secret is held back until
/// the next line shows whether the rest follows. Only such lines wait; a
/// secret spread over three lines or encoded is beyond any masker.
public struct LineMasker {
    let masker: Masker
    var pending: String?
    /// Shorter beginnings are too common in ordinary text to hold a line for.
    static let minimumPrefix = 4

    public init(_ masker: Masker) { self.masker = masker }

    /// The lines ready to show, masked.
    public mutating func feed(_ raw: String) -> [String] {
        var line = raw
        var out: [String] = []
        if var held = pending {
            pending = nil
            for secret in masker.secrets {
                let chars = Array(secret)
                guard chars.count > 1 else { continue }
                for k in stride(from: chars.count - 1, through: 1, by: -1) {
                    let head = String(chars[..<k]), rest = String(chars[k...])
                    if held.hasSuffix(head), line.hasPrefix(rest) {
                        held = String(held.dropLast(head.count)) + "***"
                        line = "***" + String(line.dropFirst(rest.count))
                        break
                    }
                }
            }
            out.append(masker.mask(held))
        }
        if endsWithSecretStart(line) {
            pending = line
        } else {
            out.append(masker.mask(line))
        }
        return out
    }

    /// The held line, at the end of the stream.
    public mutating func finish() -> [String] {
        defer { pending = nil }
        return pending.map { [masker.mask($0)] } ?? []
    }

    func endsWithSecretStart(_ line: String) -> Bool {
        for secret in masker.secrets where secret.count > Self.minimumPrefix {
            let chars = Array(secret)
            for k in Self.minimumPrefix..<chars.count where line.hasSuffix(String(chars[..<k])) { return true }
        }
        return false
    }
}

extension String {
    func containsBytesDynamic(_ needle: String) -> Bool {
        var hay = self
        var n = needle
        return hay.withUTF8 { h in
            n.withUTF8 { nb in
                guard nb.count <= h.count, let first = nb.first else { return false }
                for i in 0...(h.count - nb.count) where h[i] == first {
                    if (1..<nb.count).allSatisfy({ h[i + $0] == nb[$0] }) { return true }
                }
                return false
            }
        }
    }
}

/// Sends one HTTP request; implemented on libcurl in MusterHTTP.
public protocol HTTPTransport {
    /// `confidential` names what holds a secret and must never reach another
    /// host than `url`'s, should the server redirect there.
    /// `onSignal` decides what a signal during the exchange means: true
    /// abandons it (the failure carries the signal), false goes on.
    func send(method: String, url: String, headers: [(name: String, value: String)], body: String?, timeout: Double,
              confidential: Confidential, onSignal: @escaping (Int32) -> Bool) throws(HTTPFailure) -> HTTPReply
}

/// The parts of a request that hold a secret.
public struct Confidential: Sendable {
    /// Header names, lowercase.
    public var headers: Set<String>
    public var body: Bool
    public init(headers: Set<String> = [], body: Bool = false) {
        self.headers = headers
        self.body = body
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
    public var signal: Int32?
    /// The operator stopped the step at the Ctrl-C question.
    public var stopped: Bool
    public init(message: String, signal: Int32? = nil, stopped: Bool = false) {
        self.message = message
        self.signal = signal
        self.stopped = stopped
    }
}
