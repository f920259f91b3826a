import MusterBasics

public import MusterFormat

import MusterEngine

/// Prints problems as `PATH:LINE:COL: error: MESSAGE`; on a terminal, also
/// the source line and a caret under the offending column.
public struct DiagnosticPrinter {
    public let style: Style

    public init(style: Style = .stderr) { self.style = style }

    public func render(_ d: Diagnostic, source: SourceText?) -> String {
        let at = d.mark.map { "\(d.path):\($0.line):\($0.column)" } ?? d.path
        let label = d.severity == .error ? style.red("error:") : style.yellow("warning:")
        var out = "\(style.bold(sanitize(at) + ":")) \(label) \(sanitize(d.message, lines: true))"
        // A long line (minified or hostile) shows a window around the caret.
        if style.isTerminal, let m = d.mark, let line = source?.excerpt(line: m.line, column: m.column, width: Self.window) {
            let lead = line.before ? "…" : ""
            let text = lead + sanitize(line.text.replacingTabs(), lines: true) + (line.after ? "…" : "")
            let prefix = String(repeating: " ", count: lead.count + line.caret)
            out += "\n  \(text)\n  \(prefix)\(style.green("^"))"
        }
        return out
    }

    /// Characters of a source line shown under a problem, at most.
    static let window = 160

    public func print(_ diagnostics: [Diagnostic], source: SourceText?) {
        for d in diagnostics { writeError(render(d, source: source)) }
    }
}

extension String {
    fileprivate func replacingTabs() -> String {
        String(unicodeScalars.map { $0 == "\t" ? " " : Character($0) })
    }
}
