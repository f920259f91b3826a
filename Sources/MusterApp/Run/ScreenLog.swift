#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import MusterBasics
import MusterFormat
import MusterEngine
import MusterJournal
import MusterDrills
import MusterPreflight

/// One line of `runs/RUN_ID/screen.jsonl`: what the operator's screen
/// showed (`show`), a question put to them (`ask`), and how it ended
/// (`answered`). `muster follow` renders these in another terminal, so the
/// follower sees the run as the operator does.
///
/// Answers are never written: an answer can be a secret typed again (a
/// masked value), and the journal already holds each answer, masked.
package struct ScreenEntry: Codable, Sendable {
    package var show: ConsoleMessage?
    package var ask: Asked?
    /// `line` (an answer came), `none` (no answer in time), `eof`, `signal`.
    package var answered: String?

    package init(show: ConsoleMessage? = nil, ask: Asked? = nil, answered: String? = nil) {
        self.show = show
        self.ask = ask
        self.answered = answered
    }

    package struct Asked: Codable, Sendable {
        package var question: String
        package var hint: String
        /// The line under the prompt: step, elapsed time against the RTO,
        /// the next escalation rung.
        package var status: String
        /// UTC wall-clock time it was asked.
        package var at: String
        /// The operator who is asked (the session's display name).
        package var by: String
    }

    package static func path(runDir: String) -> String { Paths.join(runDir, "screen.jsonl") }
}

/// Passes everything to the console it wraps, and writes each message shown
/// and each question asked to the run's screen log, batched like the
/// transcript: the executor must not slow down for a follower. Messages
/// reach `show` already masked by the executor, which is what makes the log
/// safe to keep (FollowTests checks a secret never reaches it).
package final class ScreenLog: RunConsole {
    package let inner: RunConsole
    private let file: BatchedFile
    private let operatorName: String
    private let encoder = JSONEncoder()

    package init?(_ inner: RunConsole, runDir: String, operatorName: String) {
        guard let f = BatchedFile(path: ScreenEntry.path(runDir: runDir), label: "muster.screen") else { return nil }
        self.inner = inner
        file = f
        self.operatorName = operatorName
    }

    package var isInteractive: Bool { inner.isInteractive }

    private func log(_ entry: ScreenEntry) {
        guard let data = try? encoder.encode(entry) else { return }
        file.append { b in
            b.append(contentsOf: data)
            b.append(10)
        }
    }

    package func show(_ message: ConsoleMessage) {
        if let text = Self.line(message) {
            file.append { b in
                b.append(contentsOf: text.utf8)
                b.append(10)
            }
        } else {
            log(ScreenEntry(show: message))
        }
        inner.show(message)
    }

    /// The messages every step shows (its header, command, output lines and
    /// result), written as their synthesized encoding writes them, without
    /// the encoder's cost: per output line it was three times the executor's
    /// own work, per step a tenth of its time. Keys may come in another
    /// order than the encoder's, which picks none either (the log's readers
    /// decode it). Nil for the rest, which the encoder writes.
    package static func line(_ message: ConsoleMessage) -> String? {
        func string(_ s: String) -> String { JSON.string(s).serialized() }
        switch message {
        case .output(let stderr, let line):
            return #"{"show":{"output":{"stderr":"# + (stderr ? "true" : "false") + #","line":"# + string(line) + "}}}"
        case .command(let script):
            return #"{"show":{"command":{"_0":"# + string(script) + "}}}"
        case .stepHeader(let index, let total, let number, let kind, let title, let id):
            return #"{"show":{"stepHeader":{"index":"# + String(index) + #","total":"# + String(total) + #","number":"# + string(number)
                + #","kind":"# + string(kind.rawValue) + #","title":"# + string(title) + #","id":"# + string(id) + "}}}"
        case .stepResult(.finished(let outcome), let seconds, let detail) where seconds.isFinite:
            // A finite Double's description is the shortest text that reads
            // back as the same number, as the encoder writes it.
            return #"{"show":{"stepResult":{"_0":{"finished":{"_0":"# + string(outcome.rawValue) + #"}},"seconds":"# + seconds.description
                + (detail.map { #","detail":"# + string($0) } ?? "") + "}}}"
        default:
            return nil
        }
    }

    /// Written at once, not half a second later: a follower must see the
    /// question while the operator reads it.
    private func asking(_ question: String, hint: String, status: String) {
        log(ScreenEntry(ask: .init(question: question, hint: hint, status: status, at: utcStamp(), by: operatorName)))
        file.flush()
    }

    private func answered(_ read: AnswerRead?) {
        let how = switch read {
        case .line: "line"
        case .eof: "eof"
        case .signal: "signal"
        case nil: "none"
        }
        log(ScreenEntry(answered: how))
        file.flush()
    }

    package func ask(_ question: String, hint: String, status: String) -> AnswerRead {
        asking(question, hint: hint, status: status)
        let read = inner.ask(question, hint: hint, status: status)
        answered(read)
        return read
    }

    package func ask(_ question: String, hint: String, status: String, within seconds: Double) -> AnswerRead? {
        asking(question, hint: hint, status: status)
        let read = inner.ask(question, hint: hint, status: status, within: seconds)
        answered(read)
        return read
    }

    package func flush() { file.flush() }

    package func askSecret(_ question: String, hint: String, status: String) -> AnswerRead {
        asking(question, hint: hint, status: status)
        let read = inner.askSecret(question, hint: hint, status: status)
        answered(read)
        return read
    }

    package func close() { file.close() }
}
