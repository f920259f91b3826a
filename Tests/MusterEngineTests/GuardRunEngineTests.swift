import Foundation
import Synchronization
@testable import MusterBasics
@testable import MusterFormat
@testable import MusterEngine
@testable import MusterTesting
import MusterProcess
import MusterTestSupport
import Testing

/// Guards as a run meets them, in-process: the real poller on its own
/// threads checks a world the steps change, and a breach wakes the
/// session as the CLI's signal pipe would. The breach is caused by the
/// step itself (it breaks the world, then waits for the wake), so no test
/// waits on a clock. The breach at a terminal's question is TerminalTests'.
@Suite("guards, in-process")
struct GuardRunEngineTests {
    /// What the guard looks at, and the wake a breach sends.
    final class World: Sendable {
        private let broken = Mutex(false)
        private let woken = DispatchSemaphore(value: 0)
        private let checked = DispatchSemaphore(value: 0)
        var isBroken: Bool { broken.withLock { $0 } }
        /// The guard looked (its thread): `awaitCheck` hears of it.
        func look() -> Bool {
            checked.signal()
            return isBroken
        }
        func awaitCheck(within seconds: Double) -> Bool { checked.wait(timeout: .now() + seconds) == .success }
        func breakIt() { broken.withLock { $0 = true } }
        func wake() { woken.signal() }
        /// Waits for a wake; false if none came within `seconds` (a bound
        /// so that a guard that never breaches fails the test, not hangs it).
        func awaitWake(within seconds: Double) -> Bool { woken.wait(timeout: .now() + seconds) == .success }
    }

    /// The guard's check: `test ! -e broken`, against the world.
    struct GuardRunner: CommandRunner {
        let world: World
        func run(script: String, environment: [String: String], timeout: Double, keepLeftovers: Bool,
                 onLine: (Bool, String) -> Void, onSignal: (Signal) -> Bool, onTick: () -> Void) throws(CommandError) -> CommandResult {
            CommandResult(status: world.look() ? 1 : 0, timedOut: false, interrupted: false, seconds: 0.01)
        }
    }

    struct NoHTTP: HTTPTransport {
        func send(method: String, url: String, headers: [(name: String, value: String)], body: String?, timeout: Double,
                  confidential: Confidential, onSignal: @escaping (Signal) -> Bool) throws(HTTPFailure) -> HTTPReply {
            throw HTTPFailure(message: "no HTTP in this test")
        }
    }

    /// The steps: `touch broken; …` breaks the world and runs until a wake
    /// that the session says stops it; `sleep …` runs until the guard has
    /// looked once; every other script ends at once.
    final class StepRunner: CommandRunner {
        let world: World
        var ran: [String] = []
        var stopped: [String] = []
        /// Whether the guard looked while a `sleep …` step ran.
        var sawCheck: Bool?
        init(_ world: World) { self.world = world }
        func run(script: String, environment: [String: String], timeout: Double, keepLeftovers: Bool,
                 onLine: (Bool, String) -> Void, onSignal: (Signal) -> Bool, onTick: () -> Void) throws(CommandError) -> CommandResult {
            ran.append(script)
            if script.hasPrefix("sleep ") { sawCheck = world.awaitCheck(within: 20) }
            guard script.hasPrefix("touch broken; ") else { return CommandResult(status: 0, timedOut: false, interrupted: false, seconds: 0.01) }
            world.breakIt()
            while world.awaitWake(within: 20) {
                if onSignal(.inboxWake) {
                    stopped.append(script)
                    return CommandResult(status: 143, timedOut: false, interrupted: true, seconds: 0.01)
                }
            }
            return CommandResult(status: 0, timedOut: false, interrupted: false, seconds: 20)
        }
    }

    static func runbook(onBreach: String) -> String { FeatureRunbooks.guarded(name: "g", onBreach: onBreach) }

    /// Runs `rb` with `--yes` and the guards polling `world`.
    func run(_ rb: Runbook, world: World, journal: MemoryJournal, console: FakeConsole, runner: StepRunner) -> RunOutcome {
        let e = executor(rb, journal: journal, console: console, runner: runner, yes: true)
        e.guardParts = GuardParts(makeRunner: { GuardRunner(world: world) }, makeHTTP: { NoHTTP() }, wake: { world.wake() }, now: { monotonicSeconds() })
        return e.execute(resumed: false)
    }

    @Test func abortStopsTheStepAtWorkAndEndsTheRunFailedAfterItsFinally() throws {
        let rb = try loadRunbook(Self.runbook(onBreach: "abort"), name: "g")
        let world = World(), journal = MemoryJournal(), console = FakeConsole([]), runner = StepRunner(world)
        let outcome = run(rb, world: world, journal: journal, console: console, runner: runner)
        #expect(outcome == .failed("guard 'health' was breached: exited with status 1"), "\(outcome)")
        #expect(runner.stopped == ["touch broken; sleep 30; touch break.done"], "the step at work was stopped")
        #expect(runner.ran == ["touch prepared", "touch broken; sleep 30; touch break.done", "touch told"], "finally runs however the run ended; after never")
        #expect(console.plain.contains("GUARD BREACHED: The service answers ('health')"), "\(console.plain)")
        let events = journal.events.map { "\($0.event.rawValue) \($0.value ?? $0.step ?? "")" }
        let breached = try #require(events.firstIndex(of: "guard_breached health"), "\(events)")
        let answered = try #require(events.firstIndex(of: "guard_answered health"))
        #expect(breached < answered)
        #expect(!events.contains("step_started after"))
    }

    @Test func rollbackUndoesWhatWasDone() throws {
        let rb = try loadRunbook(Self.runbook(onBreach: "rollback"), name: "g")
        let world = World(), journal = MemoryJournal(), runner = StepRunner(world)
        _ = run(rb, world: world, journal: journal, console: FakeConsole([]), runner: runner)
        #expect(runner.ran.contains("touch prepare.undone"), "\(runner.ran)")
        #expect(runner.stopped == ["touch broken; sleep 30; touch break.done"])
        #expect(!runner.ran.contains("touch after.done"))
        #expect(journal.events.last { $0.event == .runFinished }?.outcome == "rolled_back")
    }

    @Test func aGuardThatHoldsChangesNothing() throws {
        let rb = try loadRunbook("""
        muster: 1
        name: g
        title: Guarded
        guards:
          - {id: fine, title: Always fine, run: "true", every: 1s}
        steps:
          - {id: a, title: A, run: 'sleep 1.5; touch a.done'}
        """, name: "g")
        let world = World(), journal = MemoryJournal(), runner = StepRunner(world)
        #expect(run(rb, world: world, journal: journal, console: FakeConsole([]), runner: runner) == .completed)
        #expect(runner.ran == ["sleep 1.5; touch a.done"])
        #expect(runner.sawCheck == true, "the guard looked while the step ran")
        #expect(!journal.events.contains { $0.event.rawValue.hasPrefix("guard_") })
    }
}
