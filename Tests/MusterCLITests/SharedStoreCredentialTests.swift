import Foundation
import MusterJournal
import MusterTestSupport
import Testing

/// Shared runs with the credentials teams actually have, as the real
/// binary runs them: a pod's web identity (moto's STS), an instance's role
/// (IMDSv2 on a local port), and a store whose STS lacks GetCallerIdentity
/// (MinIO's answer, from aws_metadata.py).
@Suite("Shared runs with every AWS credential source", .serialized)
struct SharedStoreCredentialTests {
    static let oncall = "arn:aws:iam::123456789012:role/oncall"

    /// Machine `a`'s environment with no AWS keys at all.
    func keyless(_ m: TwoMachines, _ extra: [String: String]) {
        m.extraEnv = ["AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_SESSION_TOKEN": "", "AWS_PROFILE": ""].merging(extra) { $1 }
    }

    @Test func withOnlyAWebIdentityASharedRunStartsAsTheAssumedRole() throws {
        let m = try TwoMachines()
        let token = "eyJhbGciOiJSUzI1NiJ9.irsa-\(UUID().uuidString)"
        try token.write(toFile: m.dir + "/token", atomically: true, encoding: .utf8)
        keyless(m, ["AWS_WEB_IDENTITY_TOKEN_FILE": m.dir + "/token", "AWS_ROLE_ARN": Self.oncall, "AWS_ROLE_SESSION_NAME": "pod-7"])
        let r = try m.run("a", ["run", "shared", "--yes", "--store", m.url])
        let assumed = "arn:aws:sts::123456789012:assumed-role/oncall/pod-7"
        #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
        #expect(r.stdout.contains("shared through \(m.url) as \(assumed)"), "\(r.stdout)")
        let id = try #require(m.runID("a"))
        let events = TwoMachines.events(m.journal("a", id))
        #expect(events.first { $0.event == .runStarted }?.run?.identity == assumed)
        #expect(try m.storeBytes(id) == m.journal("a", id))
        #expect(!(r.stdout + r.stderr).contains(token))
        #expect(!String(decoding: m.journal("a", id), as: UTF8.self).contains(token))

        // preflight names the source, and no secret.
        let p = try muster(["preflight"], cwd: m.repo, env: m.env("a").merging(["MUSTER_STORE": m.url]) { $1 })
        #expect(p.status == 0, "\(p.stdout)\n\(p.stderr)")
        #expect(p.stdout.contains("credentials: web identity, role \(Self.oncall), known to AWS as \(assumed)"), "\(p.stdout)")
        #expect(!(p.stdout + p.stderr).contains(token))
    }

    @Test func withOnlyAnInstanceMetadataServiceASharedRunStarts() throws {
        let m = try TwoMachines()
        let log = m.dir + "/imds.log"
        let imds = try HTTPTestServer(script: "aws_metadata.py", environment: ["MODE": "imds", "LOG": log])
        keyless(m, ["AWS_EC2_METADATA_SERVICE_ENDPOINT": imds.base])
        let r = try m.run("a", ["run", "shared", "--yes", "--store", m.url])
        #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
        #expect(r.stdout.contains("shared through \(m.url) as arn:"), "\(r.stdout)")
        let id = try #require(m.runID("a"))
        #expect(try m.storeBytes(id) == m.journal("a", id))
        let asked = ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n")
        #expect(asked.first == "PUT /latest/api/token OK")
        #expect(!asked.contains { $0.hasSuffix("REFUSED") }, "every GET carried the IMDSv2 token")
        #expect(!(r.stdout + r.stderr).contains("metadata-secret"))
    }

    @Test func aStoreWhoseStsLacksGetCallerIdentitySharesRunsAndSaysSoOnce() throws {
        let m = try TwoMachines()
        let sts = try HTTPTestServer(script: "aws_metadata.py", environment: ["MODE": "nosts"])
        m.extraEnv["AWS_ENDPOINT_URL_STS"] = sts.base
        let r = try m.run("a", ["run", "shared", "--yes", "--store", m.url])
        #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
        let said = (r.stdout + r.stderr).components(separatedBy: "not attested by AWS").count - 1
        #expect(said == 1, "\(r.stdout)\n\(r.stderr)")
        #expect(r.stdout.contains("NotImplemented"), "\(r.stdout)")
        let id = try #require(m.runID("a"))
        let local = m.journal("a", id)
        #expect(TwoMachines.events(local).last?.event == .runFinished)
        #expect(!TwoMachines.events(local).contains { $0.event == .runUnshared })
        #expect(try m.storeBytes(id) == local)
        // Another machine follows it through the same store.
        let f = try m.run("b", ["follow", id, "--store", m.url])
        #expect(f.status == 0 && f.stdout.contains("run_finished"), "\(f.stdout)\n\(f.stderr)")
    }

    @Test func noCredentialsAnywhereStopBeforeAnythingRunsSaidOnce() throws {
        let m = try TwoMachines()
        keyless(m, ["AWS_EC2_METADATA_DISABLED": "true"])
        let r = try m.run("a", ["run", "shared", "--yes", "--store", m.url])
        #expect(r.status == 2, "\(r.stdout)\n\(r.stderr)")
        #expect(r.stderr.components(separatedBy: "no AWS credentials").count - 1 == 1, "\(r.stderr)")
        #expect(m.count == 0)
        // preflight finds it out first.
        let p = try muster(["preflight"], cwd: m.repo, env: m.env("a").merging(["MUSTER_STORE": m.url]) { $1 })
        #expect(p.status == 1, "\(p.stdout)\n\(p.stderr)")
        #expect(p.stdout.contains("✗ shared store \(m.url)") && p.stdout.contains("no AWS credentials"), "\(p.stdout)")
    }

    @Test func anAssumeRoleProfileWithMFAAsksForTheCodeOnTheTerminal() throws {
        let m = try TwoMachines()
        let aws = m.moto.home + "/.aws"
        try FileManager.default.createDirectory(atPath: aws, withIntermediateDirectories: true)
        try "[base]\naws_access_key_id = AKIDBASE\naws_secret_access_key = base-secret\n".write(toFile: aws + "/credentials", atomically: true, encoding: .utf8)
        try "[profile oncall]\nrole_arn = \(Self.oncall)\nsource_profile = base\nrole_session_name = carol\nmfa_serial = arn:aws:iam::123456789012:mfa/carol\n"
            .write(toFile: aws + "/config", atomically: true, encoding: .utf8)
        keyless(m, ["AWS_PROFILE": "oncall"])
        let quoted = m.env("a").filter { !$0.value.isEmpty }.map { "\($0.key)='\($0.value)'" }.sorted().joined(separator: " ")
        let term = try Tmux(cwd: m.repo)
        try term.type("env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY \(quoted) \(musterBinary) run shared --yes --store \(m.url); echo \"exit\"\"=$?\"")
        _ = try term.waitFor("MFA code for arn:aws:iam::123456789012:mfa/carol (AWS profile oncall):")
        try term.type("123456")
        let screen = try term.waitFor("exit=", seconds: 60)
        #expect(screen.contains("exit=0"), "\(screen)")
        #expect(screen.contains("shared through \(m.url) as arn:aws:sts::123456789012:assumed-role/oncall/carol"), "\(screen)")
        // Without a terminal nobody is asked: the profile is an error.
        let r = try m.run("a", ["run", "shared", "--yes", "--store", m.url])
        #expect(r.status == 2 && r.stderr.contains("mfa_serial"), "\(r.stdout)\n\(r.stderr)")
    }
}
