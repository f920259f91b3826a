import MusterBasics
import MusterFormat
import MusterEngine
import MusterTeam

/// A console that answers from a script (then end of input) and keeps
/// every message shown and question asked, for tests of what is said.
public final class ScriptedConsole: RunConsole {
    public var answers: [AnswerRead]
    public private(set) var shown: [ConsoleMessage] = []
    public private(set) var questions: [String] = []
    public var isInteractive: Bool { false }

    public init(_ answers: [AnswerRead] = []) { self.answers = answers }

    public func show(_ message: ConsoleMessage) { shown.append(message) }

    public func ask(_ question: String, hint: String, status: String) -> AnswerRead {
        questions.append(question)
        return answers.isEmpty ? .eof : answers.removeFirst()
    }

    /// The words of every info and warning line, one per line.
    public var text: String {
        shown.compactMap { m -> String? in
            switch m {
            case .info(let t), .warning(let t): t
            default: nil
            }
        }.joined(separator: "\n")
    }
}
