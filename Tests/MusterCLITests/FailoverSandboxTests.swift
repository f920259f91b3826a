import Foundation
import MusterTestSupport
import Testing

/// The whole sandbox (sandbox/sandbox: moto, Buildbot, the health endpoint)
/// on ports of its own, for as long as this object lives.
final class LocalCloud {
    let dir: String
    let env: [String: String]
    let ci: String
    let web: String

    init() throws {
        dir = try temporaryDirectory()
        let base = Int.random(in: 200...299) * 100
        let ports = ["SANDBOX_AWS_PORT": base, "SANDBOX_CI_PORT": base + 1, "SANDBOX_PB_PORT": base + 2, "SANDBOX_WEB_PORT": base + 3]
        var env = ["SANDBOX_DIR": dir + "/sandbox"]
        for (k, v) in ports { env[k] = String(v) }
        let assignments = env.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: " ")
        try detached("env \(assignments) '\(packageRoot)/sandbox/sandbox' up > '\(dir)/up.log' 2>&1", cwd: dir)
        // The exports the sandbox writes for aws, muster and the runbooks.
        var exported: [String: String] = [:]
        for line in try String(contentsOfFile: dir + "/sandbox/env", encoding: .utf8).split(separator: "\n") {
            guard line.hasPrefix("export "), let eq = line.firstIndex(of: "=") else { continue }
            let name = String(line[line.index(line.startIndex, offsetBy: 7)..<eq])
            var value = String(line[line.index(after: eq)...])
            if value.hasPrefix("\"") { value = String(value.dropFirst().dropLast()) }
            exported[name] = value.replacingOccurrences(of: "$PATH", with: ProcessInfo.processInfo.environment["PATH"] ?? "")
        }
        self.env = exported.merging(env) { $1 }
        ci = "http://127.0.0.1:\(base + 1)"
        web = "http://127.0.0.1:\(base + 3)"
    }

    deinit {
        _ = try? sandbox("down")
    }

    /// sandbox/sandbox with this cloud's ports and folder; its stderr.
    @discardableResult
    func sandbox(_ args: String) throws -> String {
        let assignments = env.filter { $0.key.hasPrefix("SANDBOX_") && !$0.key.hasSuffix("_URL") }.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: " ")
        return try detached("env \(assignments) '\(packageRoot)/sandbox/sandbox' \(args) 2>&1 >/dev/null", cwd: dir)
    }

    func aws(_ args: String) throws -> String {
        try sh("aws \(args)", cwd: dir, env: env).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

@Suite("The region failover, end to end against the sandbox", .serialized)
struct FailoverSandboxTests {
    @Test func theSandboxDrillFailsOverAndTheStandInCloudShowsIt() throws {
        let cloud = try LocalCloud()
        let state = try temporaryDirectory()
        var env = cloud.env
        env["MUSTER_STATE_DIR"] = state
        // Before: the public name points at the lost primary region.
        let zone = try cloud.aws("route53 list-hosted-zones-by-name --dns-name staging.example.com --query 'HostedZones[0].Id' --output text")
        let primaryTarget = "route53 list-resource-record-sets --hosted-zone-id \(zone) --query \"ResourceRecordSets[?Name=='api.staging.example.com.' && Failover=='PRIMARY'].ResourceRecords[0].Value | [0]\" --output text"
        #expect(try cloud.aws(primaryTarget) == "eu-west-1.api.staging.example.com")

        // Every checklist item and gate answered y from a pipe, as `yes y | scripts/demo` does.
        let answers = String(repeating: "y\n", count: 200)
        // --allow-dirty: a checkout with the runbook being edited is still tested.
        let r = try muster(["drill", "region-failover-sandbox", "--allow-dirty", "--records-dir", state + "/records",
                            "-p", "ci_url=\(cloud.ci)", "-p", "health_url=\(cloud.web)/api.staging.example.com/healthz"],
                           stdin: answers, env: env)
        #expect(r.status == 0, "\(r.stdout.suffix(3000))\(r.stderr)")
        // The drill checked access first, and everything answered.
        #expect(r.stdout.contains("Preflight: all"), "\(r.stdout.prefix(3000))")
        #expect(r.stdout.contains("RTO 1h15m met"), "\(r.stdout.suffix(1500))")

        // Time in the sandbox, at its default scale of 60: the cluster is
        // CREATING for 12 s, and the drill's waits poll 60 times as often
        // (every second), so wait-active sees CREATING at least twice before
        // ACTIVE; the node group, the snapshot copy and the restore are seen
        // coming up too. What each wait saw is in its journaled tail.
        #expect(r.stdout.contains("time ×60: waits poll 60 times as often"), "\(r.stdout.prefix(600))")
        let runs = try FileManager.default.contentsOfDirectory(atPath: state + "/runs")
        #expect(runs.count == 1, "\(runs)")
        let journal = try String(contentsOfFile: state + "/runs/" + runs[0] + "/journal.jsonl", encoding: .utf8)
        func polls(_ step: String) -> [String] {
            let finished = journal.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
                .last { $0["event"] as? String == "step_finished" && $0["step"] as? String == step }
            return ((finished?["tail"] as? [String]) ?? []).filter { $0.hasPrefix("poll ") }
        }
        let cluster = polls("rebuild/cluster/wait-active")
        #expect(cluster.filter { $0.hasSuffix(": CREATING") }.count >= 2, "\(cluster)")
        #expect(cluster.last?.hasSuffix(": ACTIVE") == true, "\(cluster)")
        #expect(polls("rebuild/cluster/wait-nodes").first?.hasSuffix(": CREATING") == true, "\(polls("rebuild/cluster/wait-nodes"))")
        for step in ["rebuild/database/restore-snapshot/wait-snapshot-copy", "rebuild/database/restore-snapshot/wait-instance"] {
            let seen = polls(step)
            #expect(seen.first?.hasSuffix(": creating") == true && seen.last?.hasSuffix(": available") == true, "\(step): \(seen)")
        }

        // After: the cluster is ACTIVE in the standby region, the database was
        // restored there, the failover record was switched, and the deploy
        // build on Buildbot succeeded.
        #expect(try cloud.aws("eks describe-cluster --region eu-central-1 --name staging-eu --query cluster.status --output text") == "ACTIVE")
        #expect(try cloud.aws("eks describe-nodegroup --region eu-central-1 --cluster-name staging-eu --nodegroup-name general --query nodegroup.status --output text") == "ACTIVE")
        #expect(try cloud.aws("rds describe-db-instances --region eu-central-1 --db-instance-identifier staging-db --query 'DBInstances[0].DBInstanceStatus' --output text") == "available")
        let endpoint = try cloud.aws("ssm get-parameter --region eu-central-1 --name /staging-eu/database/endpoint --query Parameter.Value --output text")
        #expect(endpoint.contains("eu-central-1"), "\(endpoint)")
        #expect(try cloud.aws(primaryTarget) == "eu-central-1.api.staging.example.com")
        let builds = try sh("curl -sf '\(cloud.ci)/api/v2/builds'", cwd: cloud.dir)
        let list = ((try JSONSerialization.jsonObject(with: Data(builds.utf8)) as? [String: Any])?["builds"] as? [[String: Any]]) ?? []
        #expect(list.count == 1)
        #expect(list.first?["results"] as? Int == 0)
        #expect(list.first?["complete"] as? Bool == true)

        // The record says so too, and the chat webhook heard the drill.
        let recordDir = state + "/records/region-failover-sandbox"
        let files = try FileManager.default.contentsOfDirectory(atPath: recordDir)
        #expect(files.count == 1)
        let record = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: recordDir + "/" + files[0]))) as? [String: Any]
        #expect(record?["outcome"] as? String == "recovered")
        let steps = (record?["steps"] as? [[String: Any]]) ?? []
        #expect(steps.count == 31, "29 steps (the parallel rebuild's branches and the included restore by their keys) and the two of finally")
        // No replica in the stand-in cloud: the snapshot is restored, and
        // the promotion is skipped by its condition before it began (a
        // record lists the steps that began).
        #expect(!steps.contains { $0["id"] as? String == "rebuild/database/promote-replica" }, "\(steps)")
        #expect(steps.first { $0["id"] as? String == "rebuild/database/restore-snapshot" }?["outcome"] as? String == "done")
        #expect(steps.first { $0["id"] as? String == "rebuild/cluster/create" }?["parent"] as? String == "rebuild/cluster")
        // The cluster and the database were rebuilt at once: the critical
        // path takes one branch of `rebuild`, never both.
        let path = (record?["critical_path"] as? [String]) ?? []
        #expect(path.contains("redeploy") && path.contains("switch-dns"), "\(path)")
        #expect(!(path.contains { $0.hasPrefix("rebuild/cluster/") } && path.contains { $0.hasPrefix("rebuild/database/") }), "\(path)")
        let serial = try #require(record?["serial_seconds"] as? Double)
        let elapsed = try #require(record?["elapsed_seconds"] as? Double)
        #expect(serial > 0 && elapsed > 0)
        // A drill's `finally` ran its drill-only step: `mode in ["drill", "training"]` held.
        let teardown = (record?["steps"] as? [[String: Any]])?.first { $0["id"] as? String == "drill-teardown" }
        #expect(teardown?["outcome"] as? String == "done", "\(record ?? [:])")
        // The snapshot restored from was seeded minutes ago: the data a
        // recovery would lose is a real number, within the 24h RPO.
        let lost = try #require(record?["rpo_seconds"] as? Double, "\(record ?? [:])")
        #expect(lost >= 0 && lost < 3600, "\(lost)")
        #expect(record?["rpo_met"] as? Bool == true)
        #expect(record?["rpo_objective_seconds"] as? Int == 86400)
        #expect((record?["recovery_point"] as? String)?.hasPrefix("20") == true)
        let hooks = try String(contentsOfFile: cloud.dir + "/sandbox/webhooks.log", encoding: .utf8)
        #expect(hooks.contains("DRILL region-failover-sandbox"))
        #expect(hooks.contains("run completed"))

        // `up` again seeds again, in one process: nothing is missing, so
        // nothing is created, and the failover stays as the drill left it.
        let again = try cloud.sandbox("up")
        #expect(again.components(separatedBy: "seeding the stand-in cloud").count == 2, "\(again)")
        #expect(try String(contentsOfFile: cloud.dir + "/sandbox/seed.log", encoding: .utf8) == "seed: done (\(cloud.env["AWS_ENDPOINT_URL"] ?? ""))\n")
        #expect(try cloud.aws(primaryTarget) == "eu-central-1.api.staging.example.com")

        // `up --reset` (what scripts/demo runs) empties the running cloud and
        // seeds it once: before the outage again, the standby region empty.
        let reset = try cloud.sandbox("up --reset")
        #expect(reset.contains("emptied the stand-in cloud"), "\(reset)")
        #expect(reset.components(separatedBy: "seeding the stand-in cloud").count == 2, "\(reset)")
        let newZone = try cloud.aws("route53 list-hosted-zones-by-name --dns-name staging.example.com --query 'HostedZones[0].Id' --output text")
        #expect(try cloud.aws(primaryTarget.replacingOccurrences(of: zone, with: newZone)) == "eu-west-1.api.staging.example.com")
        #expect(try cloud.aws("eks list-clusters --region eu-central-1 --query 'length(clusters)' --output text") == "0")
        let summary = try String(contentsOfFile: cloud.dir + "/sandbox/seed.txt", encoding: .utf8)
        #expect(summary.contains("staging primary_cluster eu-west-1 staging-eu\n"), "\(summary)")
        #expect(summary.contains("staging standby_subnets eu-central-1 subnet-"), "\(summary)")
    }

    @Test func theSeederRefusesWithoutAnEndpointSoItCannotTouchARealAccount() throws {
        let dir = try temporaryDirectory()
        let out = try sh("env -u AWS_ENDPOINT_URL python3 '\(packageRoot)/sandbox/seed-aws.py' 2>&1 || echo \"exit $?\"", cwd: dir)
        #expect(out.contains("AWS_ENDPOINT_URL is not set; refusing to seed what may be a real AWS account"), "\(out)")
        #expect(out.hasSuffix("exit 2\n"), "\(out)")
    }

    /// `muster preflight` against the sandbox: every check passes, and the
    /// stand-in cloud and Buildbot hold exactly what they held before.
    @Test func preflightPassesAgainstTheSandboxAndChangesNothing() throws {
        let cloud = try LocalCloud()
        var env = cloud.env
        env["MUSTER_STATE_DIR"] = try temporaryDirectory()
        // What a write by mistake would change: clusters, databases,
        // snapshots, parameters and records in the standby region, and builds.
        func state() throws -> (String, String) {
            let aws = try ["eks list-clusters --region eu-central-1", "rds describe-db-instances --region eu-central-1",
                           "rds describe-db-snapshots --region eu-central-1", "ssm describe-parameters --region eu-central-1",
                           "route53 list-hosted-zones"].map { try cloud.aws($0 + " --output json") }.joined(separator: "\n")
            return (aws, try sh("curl -sf '\(cloud.ci)/api/v2/builds'", cwd: cloud.dir))
        }
        let before = try state()
        let params = ["-p", "ci_url=\(cloud.ci)", "-p", "health_url=\(cloud.web)/api.staging.example.com/healthz",
                      "-p", "cluster=staging-eu", "-p", "hosted_zone=staging.example.com", "-p", "db_instance=staging-db"]
        let r = try muster(["preflight", "region-failover"] + params, env: env)
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("✓ Buildbot builder deploy at \(cloud.ci) answers"), "\(r.stdout)")
        #expect(r.stdout.contains("✓ AWS credentials work in the standby region eu-central-1"))
        #expect(r.stdout.contains("✓ database-restore: The snapshots of staging-db in eu-west-1 can be listed"), "\(r.stdout)")
        let after = try state()
        #expect(after.0 == before.0, "the stand-in cloud changed")
        #expect(after.1 == before.1, "Buildbot changed")

        // A builder that does not exist fails, with the step that needs it.
        let wrong = try muster(["preflight", "region-failover"] + params.map { $0.replacingOccurrences(of: cloud.ci, with: cloud.ci + "/nowhere") }, env: env)
        #expect(wrong.status == 1)
        #expect(wrong.stdout.contains("needed by: redeploy"), "\(wrong.stdout)")
    }
}
