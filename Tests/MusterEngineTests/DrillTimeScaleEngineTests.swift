@testable import MusterBasics
@testable import MusterFormat
@testable import MusterEngine
@testable import MusterTesting
import Testing

/// A drill's time scale in-process: its waits poll that many times as
/// often on the test's clock, the banner says so, and the drill is
/// journaled with it. Reading MUSTER_TIME_SCALE, and ignoring it in a
/// production drill, is the drill command's (DrillTimeScaleCLITests).
@Suite("MUSTER_TIME_SCALE, in-process")
struct DrillTimeScaleEngineTests {
    /// A wait that holds at its third poll, every 30s as written.
    static let runbook = """
    muster: 1
    name: slow
    title: Wait on something slow
    steps:
      - id: wait-ready
        title: Wait until it is ready
        wait:
          run: count-the-polls
          until: "3"
          every: 30s
          timeout: 10m
    """

    /// Runs the wait with `timeScale`; how far the test's clock moved.
    func waited(timeScale: Int?) throws -> (seconds: Double, console: FakeConsole, journal: MemoryJournal) {
        let rb = try loadRunbook(Self.runbook, name: "slow")
        var drill = DrillSetup(name: "slow-sandbox", mode: "live", rtoSeconds: nil, faults: [], expectEscalation: nil, recordsDir: "drills/records", junit: nil)
        drill.timeScale = timeScale
        var polls = 0
        let runner = FakeRunner { _ in polls += 1; return (0, ["\(polls)"]) }
        let console = FakeConsole([]), journal = MemoryJournal(), clock = FakeClock()
        let start = clock.now
        #expect(executor(rb, journal: journal, console: console, runner: runner, clock: clock, drill: drill).execute(resumed: false) == .completed, "\(console.text)")
        #expect(polls == 3, "\(console.text)")
        return (clock.now - start, console, journal)
    }

    @Test func aScaledDrillPollsAsOftenAsTheScaleSays() throws {
        let (seconds, console, journal) = try waited(timeScale: 60)
        #expect(seconds == 2, "three polls a second apart, not 30 s: \(seconds)")
        #expect(console.plain.contains("poll 2: 2") && console.plain.contains("poll 3: 3"), "\(console.text)")
        #expect(console.shown.contains { if case .runHeader(_, _, _, _, let banner?) = $0 { banner.contains("time ×60: waits poll 60 times as often") } else { false } }, "\(console.text)")
        // The journaled drill keeps the scale, for a resume.
        #expect(journal.events.first?.run?.drill?.timeScale == 60)
    }

    @Test func withoutAScaleTheWaitPollsAsWritten() throws {
        let (seconds, console, _) = try waited(timeScale: nil)
        #expect(seconds == 60, "three polls 30 s apart: \(seconds)")
        #expect(!console.shown.contains { if case .runHeader(_, _, _, _, let banner?) = $0 { banner.contains("time ×") } else { false } })
    }
}
