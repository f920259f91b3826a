import Foundation
import MusterTestSupport
import Testing

/// The runbook's `description` (and a drill's) is shown once, before the
/// first step: what the operator should know before anything runs.
@Suite("descriptions before the first step")
struct DescriptionTests {
    static let runbook = """
    muster: 1
    name: failover
    title: Failover
    description: "Brings the **standby** up in another region.\\n\\nCall the incident commander first. \\e]0;pwned\\a\\n"
    steps:
      - id: declare
        title: Declare
        manual: [Open the incident, Page the commander]
      - id: create
        title: Create
        run: echo created
    """

    static let drill = """
    muster: 1
    drill: failover-drill
    runbook: failover
    description: |
      Scenario: the primary region went dark at 02:40.
      Nobody has paged you yet.
    """

    func sandbox() throws -> Sandbox {
        let s = try Sandbox(["failover": Self.runbook])
        try FileManager.default.createDirectory(atPath: s.dir + "/drills", withIntermediateDirectories: true)
        try Self.drill.write(toFile: s.dir + "/drills/failover-drill.yaml", atomically: true, encoding: .utf8)
        return s
    }

    static let shown = """
    Brings the **standby** up in another region.

    Call the incident commander first. ^[]0;pwned^G
    """

    @Test func runShowsTheDescriptionAfterTheHeaderAndBeforeTheFirstStep() throws {
        let s = try sandbox()
        let r = try s.run(["run", "failover", "--yes"])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        let header = try #require(r.stdout.range(of: " · 2 steps\n"), "\(r.stdout)")
        let rest = r.stdout[header.upperBound...]
        #expect(rest.hasPrefix("\n" + Self.shown + "\n\n[1/2] Declare"), "\(r.stdout)")
        #expect(!r.stdout.contains("\u{1B}"))
    }

    @Test func aDrillShowsItsOwnDescriptionUnderTheBannerThenTheRunbooks() throws {
        let s = try sandbox()
        let r = try s.run(["drill", "failover-drill"], stdin: "y\na\n")
        #expect(r.status == 3, "\(r.stdout)\(r.stderr)")
        let lines = r.stdout.components(separatedBy: "\n")
        #expect(lines[0].hasPrefix("=== DRILL failover-drill · live"), "\(r.stdout)")
        let scenario = try #require(r.stdout.range(of: "Scenario: the primary region went dark at 02:40.\nNobody has paged you yet.\n"), "\(r.stdout)")
        let description = try #require(r.stdout.range(of: Self.shown), "\(r.stdout)")
        let firstStep = try #require(r.stdout.range(of: "[1/2] Declare"))
        #expect(scenario.upperBound <= description.lowerBound && description.upperBound <= firstStep.lowerBound, "\(r.stdout)")

        // Resuming does not repeat them; the banner stays.
        let resumed = try s.run(["resume"], stdin: "y\n")
        #expect(resumed.status == 0, "\(resumed.stdout)\(resumed.stderr)")
        #expect(resumed.stdout.hasPrefix("=== DRILL failover-drill"), "\(resumed.stdout)")
        #expect(!resumed.stdout.contains("Scenario:") && !resumed.stdout.contains("standby"), "\(resumed.stdout)")
    }
}
