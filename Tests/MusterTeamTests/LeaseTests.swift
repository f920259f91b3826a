import MusterBasics
import MusterFormat
import MusterEngine
import MusterJournal
import MusterTeam
import MusterTesting
import Testing

/// The lease of a shared run: a session's heartbeat says it lives, and its
/// events are put only where no other machine's are.
@Suite struct LeaseTests {
    let store = MemoryStore()
    let clock = TestClock()

    func watch(settings: TeamSettings = TeamSettings()) -> SessionWatch {
        SessionWatch(store: store, runID: "r1", live: ["host": "bastion-1"], settings: settings, clock: clock, wallTime: wallTime(clock))
    }

    func silence() -> Double? { Liveness.silence(store: store, runID: "r1", now: wallTime(clock)()) }

    @Test func leaseIsTakenByTheFirstHeartbeat() async throws {
        #expect(silence() == nil)
        #expect(Liveness.verdict(silence: silence(), lease: .seconds(45)) == .takeOver(silence: nil))
        let w = watch()
        let task = Task { await w.run(onArrival: {}) }
        await clock.untilSleeping()
        #expect(silence() == 0)
        #expect(Liveness.verdict(silence: silence(), lease: .seconds(45)) == .ask)
        let body = try #require(store.object(store.key("runs/r1/live.json")))
        #expect(String(decoding: body, as: UTF8.self).contains("\"host\":\"bastion-1\""))
        task.cancel()
    }

    @Test func heartbeatRenewsTheLeaseWellPastItsLength() async {
        var settings = TeamSettings()
        settings.lease = .seconds(45)
        let w = watch(settings: settings)
        let task = Task { await w.run(onArrival: {}) }
        await clock.untilSleeping()
        // Three minutes, a poll (2 s) at a time: never silent longer than a beat (10 s).
        for _ in 0..<90 {
            clock.advance(by: .seconds(2))
            await clock.untilSleeping()
            let heard = silence()
            #expect(heard != nil && heard! <= 10)
        }
        #expect(Liveness.verdict(silence: silence(), lease: settings.lease) == .ask)
        let beats = store.calls.filter { $0.0 == .put }.count
        #expect(beats >= 18 && beats <= 19, "one beat every 10 s (less half a second of slack), not every poll: \(beats)")
        task.cancel()
    }

    @Test func leaseIsLostOnceTheHeartbeatStopsForLongerThanTheLease() async {
        var settings = TeamSettings()
        settings.lease = .seconds(30)
        let w = watch(settings: settings)
        let task = Task { await w.run(onArrival: {}) }
        await clock.untilSleeping()
        task.cancel()
        // The session died: nobody beats any more.
        clock.advance(by: .seconds(30))
        #expect(Liveness.verdict(silence: silence(), lease: settings.lease) == .ask, "silent exactly the lease: still alive")
        #expect(!Liveness.fellSilent(silence(), lease: settings.lease))
        clock.advance(by: .seconds(1))
        #expect(Liveness.verdict(silence: silence(), lease: settings.lease) == .takeOver(silence: 31))
        #expect(Liveness.fellSilent(silence(), lease: settings.lease))
    }

    @Test func heartbeatThatTheStoreLosesIsTriedAgainAtTheNextPoll() async {
        store.inject(.unreachable, on: .put)
        let w = watch()
        let task = Task { await w.run(onArrival: {}) }
        await clock.untilSleeping()
        #expect(silence() == nil)
        clock.advance(by: .seconds(2))
        await clock.untilSleeping()
        #expect(silence() == 0)
        task.cancel()
    }

    @Test func leaseSettingFromTheEnvironmentIsBounded() {
        #expect(TeamSettings.lease(fromEnvironment: nil) == .seconds(45))
        #expect(TeamSettings.lease(fromEnvironment: "6") == .seconds(6))
        #expect(TeamSettings.lease(fromEnvironment: "0") == .seconds(3))
        #expect(TeamSettings.lease(fromEnvironment: "99999") == .seconds(3600))
        #expect(TeamSettings.lease(fromEnvironment: "soon") == .seconds(45))
        var s = TeamSettings()
        s.lease = .seconds(6)
        #expect(s.beat == .seconds(2))
    }

    @Test func secondSessionIsRefusedTheEventTheFirstWrote() throws {
        let a = try Session(store: store, dir: try temporaryFolder(), clock: clock)
        let b = try Session(store: store, dir: try temporaryFolder(), clock: clock)
        try a.write(.runStarted)
        try a.write(.note, value: "alice")
        let error = #expect(throws: JournalError.self) { try b.write(.runStarted, value: "bob") }
        // It learns what the first wrote, takes it in, and writes on after it.
        #expect(error?.superseded?.map(\.seq) == [0, 1])
        #expect(error?.message.contains("another machine wrote event 0 of run r1 first") == true)
        #expect(b.lines == a.lines)
        #expect(storeEvents(store) == a.lines)
    }
}
