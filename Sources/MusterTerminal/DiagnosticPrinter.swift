public import MusterCore

/// Prints problems as `PATH:LINE:COL: error: MESSAGE`; on a terminal, also
/// the source line and a caret under the offending column.
public struct DiagnosticPrinter {
    public let style: Style

    public init(style: Style = .stderr) { self.style = style }

    public func render(_ d: Diagnostic, source: SourceText?) -> String {
        let at = d.mark.map { "\(d.path):\($0.line):\($0.column)" } ?? d.path
        let label = d.severity == .error ? style.red("error:") : style.yellow("warning:")
        var out = "\(style.bold(at + ":")) \(label) \(sanitize(d.message))"
        if style.isTerminal, let m = d.mark, let line = source?.line(m.line) {
            // A long line (minified or hostile) shows a window around the caret.
            let scalars = Array(line.unicodeScalars)
            let caret = max(0, min(m.column - 1, scalars.count))
            var lo = 0, hi = scalars.count
            if scalars.count > Self.window {
                lo = max(0, min(caret - Self.window / 2, scalars.count - Self.window))
                hi = lo + Self.window
            }
            let lead = lo > 0 ? "…" : ""
            let text = lead + sanitize(String(String.UnicodeScalarView(scalars[lo..<hi]))).replacingTabs() + (hi < scalars.count ? "…" : "")
            let prefix = String(repeating: " ", count: lead.count + caret - lo)
            out += "\n  \(text)\n  \(prefix)\(style.green("^"))"
        }
        return out
    }

    /// Characters of a source line shown under a problem, at most.
    static let window = 160

    public func print(_ diagnostics: [Diagnostic], source: SourceText?) {
        for d in diagnostics { printError(render(d, source: source)) }
    }
}

extension String {
    fileprivate func replacingTabs() -> String {
        String(unicodeScalars.map { $0 == "\t" ? " " : Character($0) })
    }
}
