@testable import MusterBasics
@testable import MusterFormat
@testable import MusterEngine
@testable import MusterTesting
import Testing

/// The machine's side of "one pipeline per attempt": a trigger journaled
/// and never answered is looked up before anything triggers again.
@Suite("the run machine looks up an unanswered trigger before triggering again")
struct CITriggerMachineTests {
    typealias Events = RunMachineTests.Events

    func machine(_ keys: String = "", yes: Bool = false) throws -> RunMachine {
        let rb = try loadRunbook("""
        muster: 1
        name: t
        title: CI
        steps:
          - id: build
            title: Build
            ci: {provider: gitlab, url: "http://ci", project: a/b, ref: main, token: T}
        \(keys.isEmpty ? "" : "    " + keys)
        secrets:
          T: {env: T}
        """)
        return RunMachine(plan: FlatPlan(rb, includes: [:]), yes: yes)
    }

    let token = PipelineRef(provider: .gitlab, kind: "trigger", [.init("after", 700)])
    let pipeline = PipelineRef(provider: .gitlab, kind: "pipeline", [.init("id", 701)])

    @Test func aSessionThatEndedDuringTheTriggerLooksBeforeAskingOrRunningAgain() throws {
        for keys in ["", "idempotent: true"] {
            let m = try machine(keys)
            var ev = Events()
            ev.add(.stepStarted, "build") { $0.attempt = 1 }
            ev.add(.pipelineTriggering, "build") { $0.pipeline = token; $0.attempt = 1 }
            #expect(m.next(ev.state) == .lookUp("build", 1), "\(keys)")
            // Found: followed as the same attempt.
            var found = ev
            found.add(.pipelineStarted, "build") { $0.pipeline = pipeline }
            #expect(m.next(found.state) == .follow("build", 1))
            #expect(found.state.triggerMarks["build"] == nil)
            // Shown absent: triggered again within the attempt, unasked.
            ev.add(.pipelineAbsent, "build") { $0.pipeline = token }
            #expect(m.next(ev.state) == .trigger("build", 1))
            ev.add(.pipelineTriggering, "build") { $0.pipeline = token; $0.attempt = 1 }
            #expect(!ev.state.pipelineAbsent.contains("build"))
        }
    }

    @Test func anAttemptThatFailedAfterItsTokenWasJournaledLooksFirstOnEveryRetry() throws {
        let m = try machine("retries: 1")
        var ev = Events()
        ev.add(.stepStarted, "build") { $0.attempt = 1 }
        ev.add(.pipelineTriggering, "build") { $0.pipeline = token; $0.attempt = 1 }
        ev.add(.attemptFinished, "build") { $0.attempt = 1; $0.exit = 1; $0.text = "no answer" }
        // The automatic retry is a lookup, as attempt 2.
        #expect(m.next(ev.state) == .lookUp("build", 2))
        ev.add(.attemptStarted, "build") { $0.attempt = 2 }
        #expect(ev.state.triggerMarks["build"] != nil, "a new attempt keeps the unanswered token")
        // It could not tell: the attempt fails, retries spent, the menu;
        // `r` looks again, never triggers.
        ev.add(.attemptFinished, "build") { $0.attempt = 2; $0.exit = 1; $0.text = "could not tell" }
        #expect(m.next(ev.state) == .onFailure("build", .ask))
        ev.add(.failureChoice, "build") { $0.answer = "retry" }
        #expect(m.next(ev.state) == .lookUp("build", 3))
        // Answered: a later retry triggers anew.
        ev.add(.attemptStarted, "build") { $0.attempt = 3 }
        ev.add(.pipelineAbsent, "build") { $0.pipeline = token }
        #expect(m.next(ev.state) == .trigger("build", 3))
    }

    @Test func aStepFinishedByHandForgetsItsToken() throws {
        let m = try machine()
        var ev = Events()
        ev.add(.stepStarted, "build") { $0.attempt = 1 }
        ev.add(.pipelineTriggering, "build") { $0.pipeline = token; $0.attempt = 1 }
        ev.add(.stepFinished, "build") { $0.outcome = "done" }
        #expect(ev.state.triggerMarks.isEmpty)
        #expect(m.next(ev.state) == .finish(.completed))
    }

    @Test func theReplayCheckTakesTheLookupsEventsAsTheMachinesOwn() throws {
        let m = try machine("retries: 1")
        var events: [JournalEvent] = []
        func add(_ kind: JournalEvent.Kind, _ fill: (inout JournalEvent) -> Void = { _ in }) {
            var e = JournalEvent(seq: events.count + 1, event: kind)
            e.step = "build"
            fill(&e)
            events.append(e)
        }
        add(.stepStarted) { $0.attempt = 1 }
        add(.pipelineTriggering) { $0.pipeline = token; $0.attempt = 1 }
        add(.attemptFinished) { $0.attempt = 1; $0.exit = 1; $0.text = "no answer" }
        add(.attemptStarted) { $0.attempt = 2 }
        add(.pipelineStarted) { $0.pipeline = pipeline }
        add(.stepFinished) { $0.attempt = 2; $0.outcome = "done" }
        #expect(ReplayCheck.check(events, plan: m.plan) == [])
    }
}
