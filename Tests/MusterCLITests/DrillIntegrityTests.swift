import Foundation
import MusterTestSupport
import Testing

/// What makes a drill's record worth comparing: who ran it, whether anybody
/// answered it, in which mode, and a fault the trainee meets as a real error.
@Suite("drill integrity")
struct DrillIntegrityTests {
    static let runbook = """
    muster: 1
    name: failover
    title: Failover
    rto: 30m
    params:
      region: {required: true}
    steps:
      - id: declare
        title: Declare
        manual: [Open the incident]
      - id: create
        title: Create
        run: echo created in {{ region }} > created.txt
      - id: probe
        title: Probe
        http: {url: "http://127.0.0.1:9/health/{{ region }}", status: 200}
    """

    static let drill = """
    muster: 1
    drill: failover-drill
    runbook: failover
    params: {region: eu-north-1}
    """

    func sandbox(drill: String = Self.drill) throws -> Sandbox {
        let s = try Sandbox(["failover": Self.runbook])
        try FileManager.default.createDirectory(atPath: s.dir + "/drills", withIntermediateDirectories: true)
        try drill.write(toFile: s.dir + "/drills/failover-drill.yaml", atomically: true, encoding: .utf8)
        return s
    }

    func records(_ s: Sandbox) throws -> [[String: Any]] {
        let dir = s.dir + "/drills/records/failover-drill"
        return try FileManager.default.contentsOfDirectory(atPath: dir).sorted().map { name in
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/" + name))) as! [String: Any]
        }
    }

    static let faults = """

    faults:
      - step: create
        fail: "AccessDeniedException: not authorized"
        times: 1
      - step: probe
        fail: "connection refused by the load balancer"
        times: 1
    """

    @Test func aYesDrillIsUnattendedAndAnAnsweredOneIsNot() throws {
        let s = try sandbox()
        let yes = try s.run(["drill", "failover-drill", "--yes"])
        #expect(yes.status == 1, "\(yes.stdout)\(yes.stderr)")  // the probe has no server: failed, with on_failure abort
        #expect(yes.stdout.contains("\nUnattended: --yes answered for the operator"), "\(yes.stdout)")
        #expect(try records(s).last?["unattended"] as? Bool == true)

        let t = try sandbox()
        let answered = try t.run(["drill", "failover-drill"], stdin: "y\ns no server here\n")
        #expect(answered.status == 0, "\(answered.stdout)\(answered.stderr)")
        #expect(!answered.stdout.lowercased().contains("unattended"), "\(answered.stdout)")
        let rec = try #require(try records(t).last)
        #expect(rec["unattended"] as? Bool == false)
        // After the documented keys.
        let text = try String(contentsOfFile: t.dir + "/drills/records/failover-drill/" + (try FileManager.default.contentsOfDirectory(atPath: t.dir + "/drills/records/failover-drill")[0]), encoding: .utf8)
        let training = try #require(text.range(of: "\"training\""))
        let unattended = try #require(text.range(of: "\"unattended\""))
        #expect(training.lowerBound < unattended.lowerBound)
    }

    @Test func aDrillResumedWithYesIsUnattended() throws {
        let s = try sandbox()
        let first = try s.run(["drill", "failover-drill"], stdin: "y\na\n")
        #expect(first.status == 3, "\(first.stdout)\(first.stderr)")
        #expect(try records(s).last?["unattended"] as? Bool == false)
        let resumed = try s.run(["resume", "--yes"])
        #expect(resumed.status == 1, "\(resumed.stdout)\(resumed.stderr)")
        #expect(try records(s).last?["unattended"] as? Bool == true)
    }

    @Test func modeOnTheCommandLineOverridesTheDrillFile() throws {
        let s = try sandbox()
        let r = try s.run(["drill", "failover-drill", "--mode", "rehearsal"], stdin: "y\ny\ny\n")
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("DRILL failover-drill · rehearsal"), "\(r.stdout)")
        #expect(!s.exists("created.txt"))
        #expect(try records(s).last?["mode"] as? String == "rehearsal")

        let t = try sandbox(drill: Self.drill + "\nmode: rehearsal\n")
        let live = try t.run(["drill", "failover-drill", "--mode", "live"], stdin: "y\ns no server here\n")
        #expect(live.status == 0, "\(live.stdout)\(live.stderr)")
        #expect(t.exists("created.txt"))
        #expect(try records(t).last?["mode"] as? String == "live")

        let bad = try t.run(["drill", "failover-drill", "--mode", "dress"])
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("live") && bad.stderr.contains("rehearsal"), "\(bad.stderr)")
        #expect(!bad.stdout.contains("DRILL"))
    }

    @Test func anInjectedFaultShowsTheCommandLineAsARealFailureDoes() throws {
        let s = try sandbox(drill: Self.drill + Self.faults)
        // Checklist; the fault at create: retry; the fault at probe: skip.
        let r = try s.run(["drill", "failover-drill"], stdin: "y\nr\ns no server\n")
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        let lines = r.stdout.components(separatedBy: "\n")
        let fault = try #require(lines.firstIndex(of: "    ! AccessDeniedException: not authorized"), "\(r.stdout)")
        #expect(lines[fault - 1] == "    $ echo created in eu-north-1 > created.txt", "\(r.stdout)")
        #expect(lines[fault + 1].hasPrefix("    ✗ failed in ") && lines[fault + 1].hasSuffix(": exited with status 1"), "\(r.stdout)")
        let refused = try #require(lines.firstIndex(of: "    ! connection refused by the load balancer"), "\(r.stdout)")
        #expect(lines[refused - 1] == "    $ GET http://127.0.0.1:9/health/eu-north-1", "\(r.stdout)")
        // Nothing on the screen says the failure was scripted, until the summary.
        let during = try #require(r.stdout.components(separatedBy: "\nDrill failover-drill (").first).lowercased()
        #expect(!during.contains("inject") && !during.contains("fault"), "\(r.stdout)")
    }

    @Test func theOperatorIsMusterOperatorElseGitsUserNameElseTheOSUser() throws {
        let home = try temporaryDirectory()
        try "[user]\n\tname = Gina Git\n\temail = gina@example.org\n".write(toFile: home + "/.gitconfig", atomically: true, encoding: .utf8)
        let empty = try temporaryDirectory()
        let osUser = try sh("id -un", cwd: empty).trimmingCharacters(in: .whitespacesAndNewlines)

        for (env, expected) in [(["MUSTER_OPERATOR": "Olga Ops", "HOME": home, "XDG_CONFIG_HOME": home], "Olga Ops"),
                                (["MUSTER_OPERATOR": "", "HOME": home, "XDG_CONFIG_HOME": home], "Gina Git"),
                                (["MUSTER_OPERATOR": "", "HOME": empty, "XDG_CONFIG_HOME": empty, "USER": "not-the-os-user"], osUser)] {
            let s = try sandbox()
            let r = try s.run(["drill", "failover-drill", "--yes"], env: env)
            #expect(r.status == 1, "\(r.stdout)\(r.stderr)")
            #expect(try records(s).last?["operator"] as? String == expected, "\(env)")
            let info = try #require(try s.journal().first?["run"] as? [String: Any])
            #expect(info["operator"] as? String == expected)
        }
    }
}
