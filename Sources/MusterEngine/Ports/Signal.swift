/// The signals a run tells apart, named once. The ports carry these cases;
/// only the real implementations (the signal pipe delivers bytes) and
/// `number` (exit codes, `kill`) see POSIX numbers.
public enum Signal: Equatable, Sendable {
    /// SIGHUP: the terminal (tmux, SSH) went away; not the operator's "stop".
    case hangUp
    /// SIGINT: Ctrl-C, which asks while a step waits.
    case interrupt
    case quit
    case terminate
    /// Not a POSIX signal: a request (an approval, a takeover) arrived, and
    /// wakes the session through the same pipe.
    case inboxWake
    case other(Int32)

    public init(_ number: Int32) {
        switch number {
        case 1: self = .hangUp
        case 2: self = .interrupt
        case 3: self = .quit
        case 15: self = .terminate
        case InboxWake.code: self = .inboxWake
        default: self = .other(number)
        }
    }

    public var number: Int32 {
        switch self {
        case .hangUp: 1
        case .interrupt: 2
        case .quit: 3
        case .terminate: 15
        case .inboxWake: InboxWake.code
        case .other(let n): n
        }
    }

    /// Why it paused a run, naming it as `kill -l` does.
    public var pauseText: String {
        switch self {
        case .interrupt: "interrupted (SIGINT)"
        case .hangUp: "terminal lost (SIGHUP)"
        case .terminate: "terminated (SIGTERM)"
        case .quit: "quit (SIGQUIT)"
        case .inboxWake, .other: "signal \(number)"
        }
    }

    /// The name alone, for "stopped by SIGTERM".
    public var shortName: String {
        switch self {
        case .hangUp: "SIGHUP"
        case .interrupt: "SIGINT"
        case .quit: "SIGQUIT"
        case .terminate: "SIGTERM"
        case .inboxWake: "a takeover (--now)"
        case .other(let n): "signal \(n)"
        }
    }
}
