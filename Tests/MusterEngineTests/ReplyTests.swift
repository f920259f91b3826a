@testable import MusterEngine
import Testing

/// The answer protocol's table (`Question.verbs`) and the typed replies
/// agree: every verb a question offers reads as its reply, and a verb it
/// does not offer is not understood, never a crash.
@Suite("typed replies per question")
struct ReplyTests {
    /// A line for each verb, with words where it needs them.
    static func line(_ v: Verb) -> String { v.argument == nil ? v.letter : "\(v.letter) because" }

    func offered<R: Reply>(_ q: Question, _ type: R.Type) -> [(Verb, Result<R, Misunderstood>)] {
        q.verbs.map(\.verb).filter { $0 != .escalate }.map { ($0, q.parse(Self.line($0), as: R.self)) }
    }

    @Test func everyVerbAQuestionOffersReadsAsItsReply() {
        func expectAll<R: Reply>(_ q: Question, _ type: R.Type) {
            for (verb, result) in offered(q, type) {
                if case .failure(let m) = result { Issue.record("\(q): \(verb) is offered but not read: \(m.hint)") }
            }
        }
        expectAll(.checklistItem, ChecklistReply.self)
        expectAll(.gate, GateReply.self)
        expectAll(.failure(rollBack: true), FailureReply.self)
        expectAll(.failure(rollBack: false), FailureReply.self)
        expectAll(.rehearsal, RehearsalReply.self)
        expectAll(.rollbackConfirmation, RollbackReply.self)
        expectAll(.interrupt, InterruptReply.self)
        expectAll(.approvalWait, ApprovalWaitReply.self)
        expectAll(.storeUnreachable, StoreUnreachableReply.self)
        expectAll(.breach, BreachReply.self)
    }

    @Test func repliesSayWhatTheOperatorMeant() {
        #expect(Question.checklistItem.parse("", as: ChecklistReply.self) == .success(.done))
        #expect(Question.checklistItem.parse("n paged bob", as: ChecklistReply.self) == .success(.note("paged bob")))
        #expect(Question.gate.parse("y", as: GateReply.self) == .success(.run))
        #expect(Question.gate.parse("s not today", as: GateReply.self) == .success(.skip("not today")))
        #expect(Question.failure(rollBack: true).parse("b", as: FailureReply.self) == .success(.rollBack))
        #expect(Question.failure(rollBack: true).parse("d restarted by hand", as: FailureReply.self) == .success(.doneByHand("restarted by hand")))
        #expect(Question.rollbackConfirmation.parse("a", as: RollbackReply.self) == .success(.pause))
        #expect(Question.interrupt.parse("w", as: InterruptReply.self) == .success(.keepWaiting))
        #expect(Question.interrupt.parse("anything", as: InterruptReply.self) == .success(.stopStep))
        #expect(Question.storeUnreachable.parse("y", as: StoreUnreachableReply.self) == .success(.goOnAlone))
    }

    @Test func aVerbTheQuestionDoesNotOfferIsNotUnderstood() {
        // `b` where no rollback may start, `y` at the failure menu, `r` at a gate.
        #expect(Question.failure(rollBack: false).parse("b", as: FailureReply.self) == .failure(Misunderstood(hint: Question.failure(rollBack: false).notUnderstood)))
        #expect((try? Question.failure(rollBack: true).parse("y", as: FailureReply.self).get()) == nil)
        #expect((try? Question.gate.parse("r", as: GateReply.self).get()) == nil)
        // A table and a type out of step: the answer parses for the
        // question, but the reply type does not take it.
        #expect(Question.gate.parse("y", as: RollbackReply.self) == .success(.rollBack))
        #expect((try? Question.gate.parse("s why", as: RollbackReply.self).get()) == nil)
    }
}
