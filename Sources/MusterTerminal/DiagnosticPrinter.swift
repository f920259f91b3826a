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
            let text = sanitize(String(line)).replacingTabs()
            let prefix = String(line.unicodeScalars.prefix(max(0, m.column - 1)).map { $0 == "\t" ? " " : " " })
            out += "\n  \(text)\n  \(prefix)\(style.green("^"))"
        }
        return out
    }

    public func print(_ diagnostics: [Diagnostic], source: SourceText?) {
        for d in diagnostics { printError(render(d, source: source)) }
    }
}

extension String {
    fileprivate func replacingTabs() -> String {
        String(unicodeScalars.map { $0 == "\t" ? " " : Character($0) })
    }
}
