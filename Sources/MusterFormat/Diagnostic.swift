public import MusterYAML
import MusterBasics

/// One problem in one file, at the position of the offending key or value.
public struct Diagnostic: Sendable, Hashable, Comparable {
    public enum Severity: String, Sendable { case error, warning }

    public var path: String
    public var mark: Mark?
    public var severity: Severity
    public var message: String

    public init(path: String, mark: Mark?, severity: Severity = .error, message: String) {
        self.path = path
        self.mark = mark
        self.severity = severity
        self.message = message
    }

    /// `PATH:LINE:COL: error: MESSAGE`, the form editors and CI annotate.
    public var formatted: String {
        let at = mark.map { "\(path):\($0.line):\($0.column)" } ?? path
        return "\(at): \(severity.rawValue): \(message)"
    }

    /// Problems reported per file; a hostile file could otherwise make
    /// millions, each quoting a long value, and exhaust memory. A real
    /// runbook has a handful.
    public static let limit = 1000
    static let tooMany = "more than \(limit) problems; only the first \(limit) are reported"

    /// A message quoting a huge value keeps its start and end.
    static func clipped(_ message: String) -> String {
        guard message.utf8.count > 1200 else { return message }
        let scalars = message.unicodeScalars
        guard scalars.count > 1000 else { return message }
        return String(String.UnicodeScalarView(scalars.prefix(700))) + " … " + String(String.UnicodeScalarView(scalars.suffix(300)))
    }

    public static func < (a: Diagnostic, b: Diagnostic) -> Bool {
        if a.path != b.path { return a.path < b.path }
        return (a.mark ?? Mark(line: 0, column: 0)) < (b.mark ?? Mark(line: 0, column: 0))
    }
}

/// A file that could not be used, with every problem found in it.
public struct LoadFailure: Error, Sendable {
    public var diagnostics: [Diagnostic]
    public init(_ diagnostics: [Diagnostic]) { self.diagnostics = diagnostics }
}
