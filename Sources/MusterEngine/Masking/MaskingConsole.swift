import MusterBasics
import MusterFormat

/// Masks every text of every message and question on its way to the
/// console it wraps, and so to the screen log `muster follow` reads and
/// the transcript: the executor masks what it shows where it builds it,
/// and this is the net under all of those places, present and future.
/// Masking is idempotent, so text masked twice is the same.
final class MaskingConsole: RunConsole {
    let inner: RunConsole
    /// Grows when a secret answer is given.
    package var masker: Masker

    init(_ inner: RunConsole, masker: Masker) {
        self.inner = inner
        self.masker = masker
    }

    var isInteractive: Bool { inner.isInteractive }

    func show(_ message: ConsoleMessage) {
        inner.show(masker.isEmpty ? message : message.masked(masker.mask))
    }

    func ask(_ question: String, hint: String, status: String) -> AnswerRead {
        inner.ask(masker.mask(question), hint: masker.mask(hint), status: masker.mask(status))
    }

    func ask(_ question: String, hint: String, status: String, within seconds: Double) -> AnswerRead? {
        inner.ask(masker.mask(question), hint: masker.mask(hint), status: masker.mask(status), within: seconds)
    }

    func askSecret(_ question: String, hint: String, status: String) -> AnswerRead {
        inner.askSecret(masker.mask(question), hint: masker.mask(hint), status: masker.mask(status))
    }
}

extension ConsoleMessage {
    /// The message with `mask` applied to each of its texts.
    func masked(_ mask: (String) -> String) -> ConsoleMessage {
        switch self {
        case .runHeader(let title, let runID, let steps, let resumed, let banner):
            .runHeader(title: mask(title), runID: runID, steps: steps, resumed: resumed, drillBanner: banner.map(mask))
        case .description(let text, let drill): .description(mask(text), drill: drill)
        case .stepHeader(let index, let total, let number, let kind, let title, let id):
            .stepHeader(index: index, total: total, number: number, kind: kind, title: mask(title), id: id)
        case .notes(let text): .notes(mask(text))
        case .checklistItem(let text): .checklistItem(mask(text))
        case .itemChecked(let text): .itemChecked(mask(text))
        case .command(let text): .command(mask(text))
        case .output(let stderr, let line): .output(stderr: stderr, line: mask(line))
        case .laneOutput(let lane, let step, let stderr, let line): .laneOutput(lane: mask(lane), step: step, stderr: stderr, line: mask(line))
        case .lanes(let lines):
            .lanes(lines.map { LaneLine(lane: mask($0.lane), step: $0.step, title: mask($0.title), seconds: $0.seconds, last: $0.last.map(mask)) })
        case .stepResult(let result, let seconds, let detail): .stepResult(result, seconds: seconds, detail: detail.map(mask))
        case .info(let text): .info(mask(text))
        case .progress(let text): .progress(mask(text))
        case .warning(let text): .warning(mask(text))
        case .escalationBanner(let contact, let elapsed): .escalationBanner(contact: mask(contact), elapsed: elapsed)
        case .ladder(let rungs, let elapsed): .ladder(rungs.map { Rung(after: $0.after, contact: mask($0.contact)) }, elapsed: elapsed)
        case .runResult(let outcome, let elapsed, let runID, let hint): .runResult(outcome: mask(outcome), elapsed: elapsed, runID: runID, resumeHint: hint)
        }
    }
}
