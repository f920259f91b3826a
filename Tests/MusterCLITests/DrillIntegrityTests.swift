import Foundation
import MusterTestSupport
import Testing

/// What makes a drill's record worth comparing, through the built binary:
/// `drill --yes` (the smoke test), a drill resumed with `--yes`, `--mode`
/// against the drill file, who the operator is. An answered drill's record
/// and a fault the trainee meets as a real error are
/// DrillIntegrityEngineTests' in-process.
@Suite("drill integrity")
struct DrillIntegrityTests {
    static let runbook = FeatureRunbooks.integrity

    static let drill = FeatureRunbooks.integrityDrill

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

    @Test func aYesDrillIsUnattended() throws {
        let s = try sandbox()
        let yes = try s.run(["drill", "failover-drill", "--yes"])
        #expect(yes.status == 1, "\(yes.stdout)\(yes.stderr)")  // the probe has no server: failed, with on_failure abort
        #expect(yes.stdout.contains("\nUnattended: --yes answered for the operator"), "\(yes.stdout)")
        #expect(try records(s).last?["unattended"] as? Bool == true)
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
