import Foundation
import MusterTestSupport
import Testing

/// Issue 29: the sandbox's clock runs SANDBOX_TIME_SCALE times faster than
/// AWS, and exports MUSTER_TIME_SCALE so a drill's waits poll as much more
/// often and see the same states; never in a production drill.
@Suite("MUSTER_TIME_SCALE through the binary")
struct DrillTimeScaleCLITests {
    /// A wait that holds at its `target`-th poll, every 30s as written.
    static let runbook = """
    muster: 1
    name: slow
    title: Wait on something slow
    params:
      endpoint: {default: "https://api.example.com"}
      counter: {description: file counting the polls}
      target: {default: "1"}
    steps:
      - id: wait-ready
        title: Wait until it is ready
        wait:
          run: c={{ counter }}; n=$(cat "$c" 2>/dev/null || echo 0); n=$((n + 1)); echo "$n" > "$c"; echo "$n"
          until: "{{ target }}"
          every: 30s
          timeout: 10m
    """

    static let sandbox = """
    muster: 1
    drill: slow-sandbox
    runbook: slow
    params: {endpoint: "http://127.0.0.1:9/api", target: "3"}
    """

    static let production = """
    muster: 1
    drill: slow-production
    runbook: slow
    """

    @Test func aSandboxDrillPollsAsOftenAsTheScaleSaysAndAProductionDrillIgnoresIt() async throws {
        let g = try await GitRepo()
        try g.write("runbooks/slow.yaml", Self.runbook)
        try g.write("drills/slow-sandbox.yaml", Self.sandbox)
        try g.write("drills/slow-production.yaml", Self.production)
        try await g.git("git add -A && commit 2 'Add slow'")
        let counters = try temporaryDirectory()

        // Three polls, a second apart instead of 30 s: the third sees "3".
        let scaled = try await g.run(["drill", "slow-sandbox", "-p", "counter=\(counters)/sandbox"], stdin: "", env: ["MUSTER_TIME_SCALE": "60"])
        #expect(scaled.status == 0, "\(scaled.stdout)\(scaled.stderr)")
        #expect(scaled.stdout.contains("time ×60: waits poll 60 times as often"), "\(scaled.stdout)")
        #expect(scaled.stdout.contains("poll 2: 2") && scaled.stdout.contains("poll 3: 3"), "\(scaled.stdout)")
        // The journaled drill keeps the scale, for a resume.
        let journal = try #require(FileManager.default.enumerator(atPath: g.dir + "/.muster/runs")?.compactMap { $0 as? String }.first { $0.hasSuffix("journal.jsonl") })
        #expect(try String(contentsOfFile: g.dir + "/.muster/runs/" + journal, encoding: .utf8).contains("\"time_scale\":60"))

        // Production: the scale is ignored, with a warning (its one poll holds at once).
        let prod = try await g.run(["drill", "slow-production", "-p", "counter=\(counters)/production"], stdin: "", env: ["MUSTER_TIME_SCALE": "60"])
        #expect(prod.status == 0, "\(prod.stdout)\(prod.stderr)")
        #expect(prod.stderr.contains("MUSTER_TIME_SCALE=60 is ignored: this is a production drill"), "\(prod.stderr)")
        #expect(!prod.stdout.contains("time ×"), "\(prod.stdout)")

        // Not a whole number: a usage error, and nothing ran.
        let bad = try await g.run(["drill", "slow-sandbox", "-p", "counter=\(counters)/bad"], stdin: "", env: ["MUSTER_TIME_SCALE": "fast"])
        #expect(bad.status == 2, "\(bad.stdout)\(bad.stderr)")
        #expect(bad.stderr.contains("MUSTER_TIME_SCALE must be a whole number of 0 or more"), "\(bad.stderr)")
        #expect(!FileManager.default.fileExists(atPath: counters + "/bad"))
    }
}
