/// The exit statuses of `cli.md`, as a use case reports them. MusterApp
/// does not know swift-argument-parser: the command maps a status (returned
/// or thrown) to its `ExitCode`, in `MusterMain`.
public struct ExitStatus: Error, Equatable, Sendable {
    public let rawValue: Int32
    public init(_ rawValue: Int32) { self.rawValue = rawValue }

    public static let success = ExitStatus(0)
    /// Invalid files, or a failed run.
    public static let failure = ExitStatus(1)
    /// Usage error or a file that does not load; nothing was executed.
    public static let usage = ExitStatus(2)
    /// The run paused; `muster resume` continues it.
    public static let paused = ExitStatus(3)
}

/// An error a use case reports in one line before the command exits with `code`.
public struct CommandFailure: Error {
    public var message: String
    public var code: ExitStatus
    public init(message: String, code: ExitStatus = .usage) {
        self.message = message
        self.code = code
    }
}
