#if canImport(Glibc)
@preconcurrency import Glibc
#endif
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// How to decorate text for one output stream: colour only on a terminal
/// and only without `NO_COLOR`, so pipes and screen readers get plain text.
public struct Style: Sendable {
    public let color: Bool
    public let isTerminal: Bool

    public init(fd: Int32, environment: [String: String] = ProcessInfo.processInfo.environment) {
        isTerminal = isatty(fd) == 1
        color = isTerminal && environment["NO_COLOR"].map(\.isEmpty) ?? true && environment["TERM"] != "dumb"
    }

    public init(color: Bool, isTerminal: Bool) {
        self.color = color
        self.isTerminal = isTerminal
    }

    public static var stdout: Style { Style(fd: 1) }
    public static var stderr: Style { Style(fd: 2) }

    private func sgr(_ code: String, _ s: String) -> String { color ? "\u{1B}[\(code)m\(s)\u{1B}[0m" : s }
    public func bold(_ s: String) -> String { sgr("1", s) }
    public func dim(_ s: String) -> String { sgr("2", s) }
    public func red(_ s: String) -> String { sgr("31", s) }
    public func green(_ s: String) -> String { sgr("32", s) }
    public func yellow(_ s: String) -> String { sgr("33", s) }
    public func cyan(_ s: String) -> String { sgr("36", s) }
}

/// Makes text from a runbook or a command safe to put on a terminal: control
/// characters and escape sequences are shown, never obeyed, so a hostile
/// title cannot clear the screen or retitle the window.
public func sanitize(_ s: String) -> String {
    guard s.unicodeScalars.contains(where: isControl) else { return s }
    var out = String.UnicodeScalarView()
    for u in s.unicodeScalars {
        if u == "\n" || u == "\t" || !isControl(u) {
            out.append(u)
        } else if u.value == 0x1B {
            out.append(contentsOf: "^[".unicodeScalars)
        } else if u.value < 0x20 {
            out.append("^")
            out.append(Unicode.Scalar(u.value + 64)!)
        } else {
            out.append(contentsOf: "\\u{\(String(u.value, radix: 16))}".unicodeScalars)
        }
    }
    return String(out)
}

private func isControl(_ u: Unicode.Scalar) -> Bool {
    (u.value < 0x20 && u != "\n" && u != "\t") || (u.value >= 0x7F && u.value < 0xA0)
}

/// Writes to stderr unbuffered, as errors should be.
public func printError(_ s: String) {
    fputs(s + "\n", Glibc.stderr)
}
