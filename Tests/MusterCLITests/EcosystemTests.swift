import Foundation
import MusterTestSupport
import Testing

/// `.pre-commit-hooks.yaml` and `action.yml` through their own tools and run
/// for real: pre-commit's manifest check and `pre-commit try-repo` with the
/// built muster; GitHub's action schema (check-jsonschema, offline), zizmor
/// and shellcheck, then the action's scripts run by bash as a runner runs
/// them (`bash -e -o pipefail`, GITHUB_OUTPUT, RUNNER_TEMP). A broken copy
/// is shown to each checker first, so one that checks nothing fails.
@Suite("pre-commit hook and GitHub Action")
struct EcosystemTests {
    /// The folder of the built binary first on PATH, as an installed muster.
    var pathWithMuster: String {
        (musterBinary as NSString).deletingLastPathComponent + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
    }

    @Test func theHookManifestIsValidForPreCommit() throws {
        let bad = attempt("pre-commit validate-manifest '\(try broken(".pre-commit-hooks.yaml", "language: system", "language: sytem"))'")
        #expect(!bad.ok && bad.output.contains("sytem"), "\(bad.output)")
        let good = attempt("pre-commit validate-manifest .pre-commit-hooks.yaml")
        #expect(good.ok, "\(good.output)")
    }

    /// pre-commit runs the hook from this repository on the files it is
    /// given: a broken runbook fails the commit with its problems, a good
    /// one passes, and CI templates and records are not passed at all.
    @Test func theHookValidatesChangedRunbooksThroughPreCommit() throws {
        let repo = try fixtureRepo()
        try FileManager.default.createDirectory(atPath: repo + "/drills/ci", withIntermediateDirectories: true)
        try "name: not a drill\non: push\n".write(toFile: repo + "/drills/ci/github-actions.yml", atomically: true, encoding: .utf8)
        _ = try sh("git init -q && git add -A && git -c user.name=t -c user.email=t@example.com commit -q -m runbooks", cwd: repo)
        let env = ["PATH": pathWithMuster, "PRE_COMMIT_HOME": try temporaryDirectory(), "NO_COLOR": "1"]
        let tryRepo = "pre-commit try-repo '\(packageRoot)' muster-validate --color never"

        let bad = attempt("\(tryRepo) --files runbooks/broken.yaml runbooks/database-restore.yaml", cwd: repo, env: env)
        #expect(!bad.ok, "\(bad.output)")
        #expect(bad.output.contains("runbooks/broken.yaml:4:6: error: 'rto' has an invalid duration '45 minutes'"), "\(bad.output)")
        #expect(bad.output.contains("9 errors in 1 of 2 files"), "\(bad.output)")

        let good = attempt("\(tryRepo) --files runbooks/database-restore.yaml", cwd: repo, env: env)
        #expect(good.ok && good.output.contains("Passed"), "\(good.output)")

        let skipped = attempt("\(tryRepo) --files drills/ci/github-actions.yml", cwd: repo, env: env)
        #expect(skipped.ok && skipped.output.contains("(no files to check)Skipped"), "\(skipped.output)")
    }

    @Test func theActionMatchesGitHubsSchema() throws {
        let command = "check-jsonschema --builtin-schema vendor.github-actions"
        let bad = attempt("\(command) '\(try broken("action.yml", "using: composite", "using: compost"))'")
        #expect(!bad.ok && bad.output.contains("compost"), "\(bad.output)")
        let good = attempt("\(command) action.yml")
        #expect(good.ok, "\(good.output)")
    }

    @Test func theActionPassesZizmor() throws {
        let command = "zizmor --offline --no-progress"
        let bad = attempt("\(command) '\(try broken("action.yml", "\"$MUSTER_DRILL\" --yes", "\"${{ inputs.drill }}\" --yes"))'")
        #expect(!bad.ok && bad.output.contains("template-injection"), "\(bad.output)")
        let good = attempt("\(command) action.yml")
        #expect(good.ok, "\(good.output)")
    }

    /// The action's steps as files of bash, the way the runner writes them.
    func actionScripts(_ path: String = packageRoot + "/action.yml") throws -> [String] {
        let script = "import json, sys, yaml; print(json.dumps([s['run'] for s in yaml.safe_load(open(sys.argv[1]))['runs']['steps']]))"
        let out = try sh("python3 -c \"$SCRIPT\" '\(path)'", cwd: packageRoot, env: ["SCRIPT": script])
        return try #require(try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String])
    }

    @Test func theActionsScriptsPassShellcheck() throws {
        let scripts = try actionScripts()
        #expect(scripts.count == 2)
        let dir = try temporaryDirectory()
        for (i, text) in scripts.enumerated() {
            try text.write(toFile: "\(dir)/\(i).sh", atomically: true, encoding: .utf8)
        }
        let bad = try broken("action.yml", "\"${args[@]}\" < /dev/null", "${args[@]} < /dev/null")
        try (try actionScripts(bad))[1].write(toFile: "\(dir)/bad.sh", atomically: true, encoding: .utf8)
        let caught = attempt("shellcheck -s bash bad.sh", cwd: dir)
        #expect(!caught.ok && caught.output.contains("SC2068"), "\(caught.output)")
        let good = attempt("shellcheck -s bash 0.sh 1.sh", cwd: dir)
        #expect(good.ok, "\(good.output)")
    }

    /// Runs the action's steps in `cwd` as a runner would, with the inputs
    /// given as the environment the action maps them to: the muster step's
    /// exit status and what it wrote to GITHUB_OUTPUT and its log.
    func runAction(cwd: String, inputs: [String: String]) throws -> (status: Int32, outputs: [String: String], log: String) {
        let scripts = try actionScripts()
        let temp = try temporaryDirectory()
        let outputFile = temp + "/github_output"
        try "".write(toFile: outputFile, atomically: true, encoding: .utf8)
        var env = ProcessInfo.processInfo.environment
        env["PATH"] = pathWithMuster
        env["RUNNER_TEMP"] = temp
        env["GITHUB_OUTPUT"] = outputFile
        env["ACTION_PATH"] = packageRoot
        env["NO_COLOR"] = "1"
        for (k, v) in inputs { env[k] = v }
        env.removeValue(forKey: "MUSTER_STATE_DIR")
        var log = ""
        var status: Int32 = 0
        for script in scripts {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/bin/bash")
            p.arguments = ["--noprofile", "--norc", "-e", "-o", "pipefail", "-c", script]
            p.currentDirectoryURL = URL(fileURLWithPath: cwd)
            p.environment = env
            let out = Pipe()
            p.standardOutput = out
            p.standardError = out
            p.standardInput = FileHandle.nullDevice
            try p.run()
            log += String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            p.waitUntilExit()
            status = p.terminationStatus
            if status != 0 { break }
        }
        var outputs: [String: String] = [:]
        for line in try String(contentsOfFile: outputFile, encoding: .utf8).split(separator: "\n") {
            let pair = line.split(separator: "=", maxSplits: 1).map(String.init)
            if pair.count == 2 { outputs[pair[0]] = pair[1] }
        }
        return (status, outputs, log)
    }

    @Test func theActionValidatesAndAnnotatesEachProblem() throws {
        let repo = try fixtureRepo()
        let bad = try runAction(cwd: repo, inputs: ["MUSTER_COMMAND": "validate", "MUSTER_PATHS": "runbooks/broken.yaml\nrunbooks/database-restore.yaml"])
        #expect(bad.status == 1, "\(bad.log)")
        #expect(bad.outputs["status"] == "1")
        #expect(bad.log.contains("using \(musterBinary) 0.1.0"), "\(bad.log)")
        #expect(bad.log.contains("::error file=runbooks/broken.yaml,line=4,col=6::'rto' has an invalid duration '45 minutes'"), "\(bad.log)")
        #expect(bad.log.components(separatedBy: "::error file=").count - 1 == 9, "\(bad.log)")
        let result = try #require(bad.outputs["result"])
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: result))) as? [String: Any])
        #expect((doc["summary"] as? [String: Int])?["files"] == 2)

        let good = try runAction(cwd: repo, inputs: ["MUSTER_COMMAND": "validate", "MUSTER_PATHS": "runbooks/database-restore.yaml"])
        #expect(good.status == 0 && good.outputs["status"] == "0", "\(good.log)")
        #expect(!good.log.contains("::error"))

        let unknown = try runAction(cwd: repo, inputs: ["MUSTER_COMMAND": "deploy"])
        #expect(unknown.status == 2 && unknown.log.contains("::error::command must be validate or drill, not 'deploy'"), "\(unknown.log)")
    }

    /// A drill run unattended with parameters, one a line; a value with
    /// spaces and shell syntax arrives as one value, never as code.
    @Test func theActionRunsADrillWithItsParameters() throws {
        let s = try Sandbox(["failover": """
        muster: 1
        name: failover
        title: Failover
        rto: 30m
        params:
          incident_id: {required: true}
        steps:
          - id: note
            title: Note
            run: printf 'incident=%s\\n' {{ incident_id }} > note.txt
        """])
        try FileManager.default.createDirectory(atPath: s.dir + "/drills", withIntermediateDirectories: true)
        try "muster: 1\ndrill: failover-drill\nrunbook: failover\n".write(toFile: s.dir + "/drills/failover-drill.yaml", atomically: true, encoding: .utf8)
        let r = try runAction(cwd: s.dir, inputs: ["MUSTER_COMMAND": "drill", "MUSTER_DRILL": "failover-drill", "MUSTER_PARAMS": "incident_id=CHG 1; $(touch pwned)\n"])
        #expect(r.status == 0 && r.outputs["status"] == "0", "\(r.log)")
        #expect(try String(contentsOfFile: s.dir + "/note.txt", encoding: .utf8) == "incident=CHG 1; $(touch pwned)\n")
        #expect(!FileManager.default.fileExists(atPath: s.dir + "/pwned"))
        #expect(FileManager.default.fileExists(atPath: s.dir + "/drills/records/failover-drill"))

        let missing = try runAction(cwd: s.dir, inputs: ["MUSTER_COMMAND": "drill"])
        #expect(missing.status == 2 && missing.log.contains("::error::command: drill needs the drill's name"), "\(missing.log)")
    }
}
