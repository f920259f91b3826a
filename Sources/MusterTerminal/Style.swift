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

/// The one way text from a runbook, a drill, a record, a server or a step
/// reaches a terminal: control characters and escape sequences are shown,
/// never obeyed, so a hostile field cannot clear the screen, retitle the
/// window or write the clipboard (OSC 52).
///
/// A one-line field (a title, a contact, a prompt; the default) also shows
/// line breaks as `⏎` and `^M` and squeezes runs of spaces, so a value cannot
/// start a line of its own that looks like a command about to run. `lines:
/// true` keeps newlines, tabs and spacing, for commands, output and notes.
public func sanitize(_ s: String, lines: Bool = false) -> String {
    // Printable ASCII, what nearly every line is, needs no look at Unicode
    // properties: only a run of spaces outside `lines` is changed.
    let utf8 = s.utf8
    if utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) {
        guard !lines, zip(utf8, utf8.dropFirst()).contains(where: { $0 == 0x20 && $1 == 0x20 }) else { return s }
    } else {
        guard s.unicodeScalars.contains(where: { needsCare($0, lines: lines) }) || !lines && s.contains("  ") else { return s }
    }
    var out = String.UnicodeScalarView()
    var lastWasSpace = false
    for u in s.unicodeScalars {
        if lines && (u == "\n" || u == "\t") {
            out.append(u)
        } else if !lines && u == "\n" {
            out.append("⏎")
        } else if !lines && (u == "\t" || u.properties.isWhitespace && !isControl(u)) {
            // Any run of blanks (tabs, no-break and wide spaces) is one space.
            if !lastWasSpace { out.append(" ") }
            lastWasSpace = true
            continue
        } else if u.value == 0x1B {
            out.append(contentsOf: "^[".unicodeScalars)
        } else if u.value < 0x20 {
            out.append("^")
            out.append(Unicode.Scalar(u.value + 64)!)
        } else if isControl(u) || isInvisibleLayout(u) {
            out.append(contentsOf: "\\u{\(String(u.value, radix: 16))}".unicodeScalars)
        } else {
            out.append(u)
        }
        lastWasSpace = false
    }
    return String(out)
}

private func needsCare(_ u: Unicode.Scalar, lines: Bool) -> Bool {
    if lines { return (isControl(u) && u != "\n" && u != "\t") || isInvisibleLayout(u) }
    return isControl(u) || isInvisibleLayout(u) || u.properties.isWhitespace && u != " "
}

/// C0, DEL and C1.
private func isControl(_ u: Unicode.Scalar) -> Bool {
    u.value < 0x20 || (u.value >= 0x7F && u.value < 0xA0)
}

/// Bidirectional overrides and isolates, and the line and paragraph
/// separators: invisible, yet they reorder or break what is shown.
private func isInvisibleLayout(_ u: Unicode.Scalar) -> Bool {
    (0x202A...0x202E).contains(u.value) || (0x2066...0x2069).contains(u.value) || u.value == 0x200E || u.value == 0x200F
        || u.value == 0x061C || u.value == 0x2028 || u.value == 0x2029
}

/// Writes to stderr unbuffered, as errors should be. `s` is shown through
/// `sanitize(lines: true)`: messages quote runbooks, records and servers.
public func printError(_ s: String) {
    writeError(sanitize(s, lines: true))
}

/// Writes text already made safe (and perhaps coloured) to stderr.
public func writeError(_ s: String) {
    fputs(s + "\n", Glibc.stderr)
}
