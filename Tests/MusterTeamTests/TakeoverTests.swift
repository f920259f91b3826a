import Dispatch
import MusterBasics
import MusterFormat
import MusterEngine
import MusterJournal
import MusterTeam
import MusterTesting
import Synchronization
import Testing

/// Taking a run over from another machine: a live session is asked, a
/// silent one is not waited for, and the hand-off itself is one event
/// that only one taker can write.
@Suite struct TakeoverTests {
    let store = MemoryStore()
    let clock = TestClock()

    /// A run of three events, written by its first session.
    func startedRun() throws -> Session {
        let s = try Session(store: store, dir: try temporaryFolder(), clock: clock)
        try s.write(.runStarted)
        try s.write(.stepStarted)
        try s.write(.runPaused)
        return s
    }

    /// A taker on another machine, caught up with the store.
    func taker() throws -> Session {
        let t = try Session(store: store, dir: try temporaryFolder(), lastSeq: 2, clock: clock)
        for line in storeEvents(store) { try t.local.write(line: line) }
        return t
    }

    @Test func exactlyOneOfTwoConcurrentTakeoversWins() throws {
        _ = try startedRun()
        let (a, b) = (try taker(), try taker())
        // Both puts of event 3 are in flight together before either lands.
        let arrived = DispatchGroup()
        arrived.enter()
        arrived.enter()
        let both = DispatchSemaphore(value: 0)
        let hold: @Sendable () -> Void = {
            arrived.leave()
            both.wait()
        }
        store.inject(.slow(hold), on: .putIfAbsent, times: 2)
        let outcomes = Mutex<[String: Result<Void, JournalError>]>([:])
        let done = DispatchGroup()
        for (name, session) in [("a", a), ("b", b)] {
            let s = UncheckedSession(session)
            DispatchQueue.global().async(group: done) {
                let r = Result<Void, JournalError> { () throws(JournalError) in try s.session.write(.handoff, value: name) }
                outcomes.withLock { $0[name] = r }
            }
        }
        arrived.wait()
        both.signal()
        both.signal()
        done.wait()
        let results = outcomes.withLock { $0 }
        let winners = results.filter { if case .success = $0.value { true } else { false } }.map(\.key)
        #expect(winners.count == 1)
        let winner = try #require(winners.first)
        let loser = winner == "a" ? b : a
        guard case .failure(let lost) = results[winner == "a" ? "b" : "a"] else { Issue.record("both won"); return }
        // The loser learns who won, with the winner's hand-off to fold.
        #expect(lost.superseded?.map(\.event) == [.handoff])
        #expect(lost.superseded?.first?.value == winner)
        #expect(storeEvents(store).count == 4)
        #expect(loser.lines == storeEvents(store))
    }

    @Test func liveSessionIsAskedNotTakenOver() async throws {
        _ = try startedRun()
        let watch = SessionWatch(store: store, runID: "r1", live: ["host": "bastion-1"], settings: TeamSettings(), clock: clock, wallTime: wallTime(clock))
        let task = Task { await watch.run(onArrival: {}) }
        await clock.untilSleeping()
        for _ in 0..<50 {
            clock.advance(by: .seconds(2))
            await clock.untilSleeping()
        }
        let silence = Liveness.silence(store: store, runID: "r1", now: wallTime(clock)())
        #expect(Liveness.verdict(silence: silence, lease: .seconds(45)) == .ask)
        task.cancel()
    }

    @Test func staleSessionIsTakenOverAndStopsWhenItComesBack() async throws {
        let first = try startedRun()
        let watch = SessionWatch(store: store, runID: "r1", live: [:], settings: TeamSettings(), clock: clock, wallTime: wallTime(clock))
        let task = Task { await watch.run(onArrival: {}) }
        await clock.untilSleeping()
        // Cut off from the store: its heartbeat stops.
        task.cancel()
        clock.advance(by: .seconds(46))
        let silence = Liveness.silence(store: store, runID: "r1", now: wallTime(clock)())
        #expect(Liveness.verdict(silence: silence, lease: .seconds(45)) == .takeOver(silence: 46))
        let t = try taker()
        try t.write(.handoff, value: "bob")
        // The old session's next event loses the put: it learns of the hand-off.
        let error = #expect(throws: JournalError.self) { try first.write(.stepFinished) }
        #expect(error?.superseded?.map(\.event) == [.handoff])
        #expect(first.lines == storeEvents(store))
    }

    @Test func sessionNeverHeardFromIsTakenOverAtOnce() {
        #expect(Liveness.verdict(silence: nil, lease: .seconds(45)) == .takeOver(silence: nil))
        #expect(!Liveness.fellSilent(nil, lease: .seconds(45)))
    }

    @Test func conflictingPutSettlesOnTheWinnersEvent() throws {
        _ = try startedRun()
        let t = try taker()
        // A put that finds another writer's bytes landed just before it (S3's 412).
        let other = try startedRun2Handoff()
        // On the hand-off's put (event 3), not on the put that confirms the
        // taker's last line is in the store (SharedJournal.confirmLast).
        store.inject(.preconditionFailed(other), on: .putIfAbsent, keyContaining: "000000000003")
        let error = #expect(throws: JournalError.self) { try t.write(.handoff, value: "mine") }
        #expect(error?.superseded?.first?.value == "carol")
        #expect(t.lines == storeEvents(store))
    }

    /// Event 3 as another taker (carol) wrote it, not yet in the store.
    func startedRun2Handoff() throws -> [UInt8] {
        let scratch = MemoryStore()
        let s = try Session(store: scratch, dir: try temporaryFolder(), clock: clock)
        try s.write(.runStarted)
        try s.write(.stepStarted)
        try s.write(.runPaused)
        // The same chain as the run's first session: its lines are those bytes.
        try s.write(.handoff, value: "carol")
        return s.lines[3]
    }
}

/// Hands a session to another thread: each test thread writes through its own.
struct UncheckedSession: @unchecked Sendable {
    let session: Session
    init(_ session: Session) { self.session = session }
}
