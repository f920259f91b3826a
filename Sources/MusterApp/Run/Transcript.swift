#if canImport(Glibc)
@preconcurrency import Glibc
#endif
import MusterBasics
import MusterFormat
import MusterEngine
import MusterJournal
import MusterDrills
import MusterPreflight
import MusterTerminal

/// The output lines of a run's steps, as shown (masked, shortened), in
/// `runs/RUN_ID/output.log`: one `STEP<TAB>LINE` per line. The journal keeps
/// an attempt's last lines only when the attempt ends; after a crash or a
/// lost laptop, this is where a resume finds what the step was printing.
/// Written in batches (see `BatchedFile`).
package final class Transcript: Sendable {
    package static func path(runDir: String) -> String { Paths.join(runDir, "output.log") }

    private let file: BatchedFile

    package init?(runDir: String) {
        guard let f = BatchedFile(path: Self.path(runDir: runDir), label: "muster.transcript") else { return nil }
        file = f
    }

    package func append(step: String, line: String) {
        file.append { b in
            b.append(contentsOf: step.utf8)
            b.append(9)
            // One record per line, whatever the line holds, and no escape
            // sequence for whoever reads the file on a terminal.
            b.append(contentsOf: sanitize(line, lines: true).utf8.map { $0 == 10 || $0 == 13 ? 32 : $0 })
            b.append(10)
        }
    }

    package func flush() { file.flush() }

    package func close() { file.close() }

    /// The last `count` lines a step printed, from a transcript file.
    package static func lastLines(of step: String, runDir: String, count: Int = 10) -> [String] {
        guard let bytes = try? Paths.read(path(runDir: runDir)) else { return [] }
        let prefix = Array(step.utf8) + [9]
        var lines: [String] = []
        for line in bytes.split(separator: 10) where line.starts(with: prefix) {
            lines.append(String(decoding: line.dropFirst(prefix.count), as: UTF8.self))
            if lines.count > count { lines.removeFirst() }
        }
        return lines
    }
}

/// Passes everything to the terminal, and each step's output lines to the
/// transcript too.
package final class TranscriptConsole: RunConsole {
    package let inner: RunConsole
    package let transcript: Transcript
    private var step = ""

    package init(_ inner: RunConsole, transcript: Transcript) {
        self.inner = inner
        self.transcript = transcript
    }

    package var isInteractive: Bool { inner.isInteractive }

    package func show(_ message: ConsoleMessage) {
        switch message {
        case .stepHeader(_, _, _, _, _, let id): step = id
        case .output(_, let line): transcript.append(step: step, line: line)
        // A branch's line belongs to its own step, whichever header was last.
        case .laneOutput(_, let step, _, let line): transcript.append(step: step, line: line)
        default: break
        }
        inner.show(message)
    }

    package func ask(_ question: String, hint: String, status: String) -> AnswerRead {
        transcript.flush()
        return inner.ask(question, hint: hint, status: status)
    }

    package func ask(_ question: String, hint: String, status: String, within seconds: Double) -> AnswerRead? {
        transcript.flush()
        return inner.ask(question, hint: hint, status: status, within: seconds)
    }

    package func askSecret(_ question: String, hint: String, status: String) -> AnswerRead {
        transcript.flush()
        return inner.askSecret(question, hint: hint, status: status)
    }
}
