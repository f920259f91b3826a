@testable import MusterBasics
@testable import MusterFormat
@testable import MusterEngine
@testable import MusterJournal
@testable import MusterApp
@testable import MusterTesting
import Testing

/// The answer protocol of cli.md, one parser for every question.
@Suite("answers")
struct AnswerTests {
    @Test func eachQuestionTakesItsVerbsAndNoOthers() {
        #expect(Question.checklistItem.parse("") == .success(.yes))
        #expect(Question.checklistItem.parse(" YES ") == .success(.yes))
        #expect(Question.checklistItem.parse("s  no access ") == .success(.skip("no access")))
        #expect(Question.checklistItem.parse("n Called Bob") == .success(.note("Called Bob")))
        #expect(Question.checklistItem.parse("e") == .success(.escalate))
        #expect(Question.checklistItem.parse("r") == .failure(Misunderstood(hint: "not understood: answer y (or Enter), s REASON, n TEXT, e or a")))
        #expect(Question.gate.parse("") == .failure(Misunderstood(hint: "not understood: answer y, s REASON or a (an empty line is not a yes here)")))
        #expect(Question.gate.parse("e").map { _ in true } == .failure(Misunderstood(hint: Question.gate.notUnderstood)))
        #expect(Question.failure(rollBack: true).parse("b") == .success(.rollBack))
        #expect(Question.failure(rollBack: false).parse("b") == .failure(Misunderstood(hint: "not understood: answer r, s REASON, d NOTE, e or a")))
        #expect(Question.failure(rollBack: true).parse("x").map { _ in true } == .failure(Misunderstood(hint: "not understood: answer r, s REASON, d NOTE, e, a or b")))
        #expect(Question.failure(rollBack: true).parse("d restarted it by hand") == .success(.doneByHand("restarted it by hand")))
        #expect(Question.rehearsal.parse("") == .success(.yes))
        #expect(Question.rollbackConfirmation.parse("") == .failure(Misunderstood(hint: "not understood: answer y or a (an empty line is not a yes here)")))
        #expect(Question.rollbackConfirmation.parse("y") == .success(.yes))
    }

    @Test func verbsThatNeedWordsSaySo() {
        #expect(Question.gate.parse("s") == .failure(Misunderstood(hint: "say why you skip it: s REASON")))
        #expect(Question.checklistItem.parse("n  ") == .failure(Misunderstood(hint: "write the note after n: n TEXT")))
        #expect(Question.failure(rollBack: false).parse("D") == .failure(Misunderstood(hint: "say what you did by hand: d NOTE")))
    }

    @Test func ctrlCStopsUnlessToldToWait() {
        #expect(Question.interrupt.parse("w") == .success(.keepWaiting))
        #expect(Question.interrupt.parse(" Wait") == .success(.keepWaiting))
        #expect(Question.interrupt.parse("") == .success(.stopStep))
        #expect(Question.interrupt.parse("anything") == .success(.stopStep))
    }

    @Test func hintsAreThePromptLines() {
        #expect(Question.checklistItem.hint == "y/Enter done · s REASON skip · n TEXT note · e escalate · a abort")
        #expect(Question.failure(rollBack: true).hint == "r retry · s REASON skip · d NOTE mark done by hand · e escalate · a abort (pause) · b roll back")
        #expect(Question.interrupt.hint == "s stop the step · w keep waiting")
    }
}
