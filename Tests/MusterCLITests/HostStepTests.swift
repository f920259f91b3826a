#if canImport(Glibc)
@preconcurrency import Glibc
#endif
import Foundation
import MusterTestSupport
import Testing

/// `host:` on a `run` step, through the binary, against a real sshd on
/// 127.0.0.1 (SSHServer): this machine stands in for the remote one, so the
/// remote side's files and processes are visible to the test. Muster calls
/// the plain `ssh` on PATH; the server's `bin` puts a wrapper first that
/// adds the test's client config.
@Suite("run steps on another host (real sshd)", .serialized, .enabled(if: SSHServer.available))
struct HostStepTests {
    func sandbox(_ server: SSHServer, _ steps: String, params: String = "") throws -> Sandbox {
        try Sandbox(["remote": """
        muster: 1
        name: remote
        title: Remote
        params:
          region: {default: eu-west-1}
        \(params)
        steps:
        \(steps)
        """])
    }

    func run(_ s: Sandbox, _ server: SSHServer, _ args: [String]) throws -> Result {
        try s.run(args, env: ["PATH": server.bin + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")])
    }

    /// The script ran in the ssh session (SSH_CONNECTION names the server's
    /// port), with the step's parameters, its stdout and stderr shown and
    /// captured as outputs, and its exit status the step's.
    @Test func aHostStepRunsThereWithItsOutputsAndExitStatus() throws {
        let server = try SSHServer()
        let s = try sandbox(server, """
          - id: there
            title: On the host
            host: h
            run: |
              echo "conn=$SSH_CONNECTION"
              echo "region=$REGION value={{ region }} dir=$(pwd)"
              echo "to stderr" >&2
            outputs:
              remote_dir: {regex: 'dir=(\\S+)'}
          - id: here
            title: Here again
            run: echo "{{ remote_dir }}" > remote-dir.txt
          - id: fails
            title: Fails there
            host: root@h
            run: exit 3
        """)
        let r = try run(s, server, ["run", "remote", "--yes"])
        #expect(r.status == 1, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("on h, through ssh"), "\(r.stdout)")
        #expect(r.stdout.contains("127.0.0.1 \(server.port)"), "not in the ssh session: \(r.stdout)")
        #expect(r.stdout.contains("region=eu-west-1 value=eu-west-1 dir=/root"), "\(r.stdout)")
        #expect((r.stdout + r.stderr).contains("to stderr"))
        #expect(try String(contentsOfFile: s.dir + "/remote-dir.txt", encoding: .utf8) == "/root\n")
        let failed = try s.journal().first { $0["event"] as? String == "attempt_finished" && $0["step"] as? String == "fails" }
        #expect(failed?["exit"] as? Int == 3, "\(failed ?? [:])")
        // The plan says where each step runs.
        let show = try run(s, server, ["show", "remote"])
        #expect(show.stdout.contains("on h through ssh") && show.stdout.contains("on root@h through ssh"), "\(show.stdout)")
        let json = try run(s, server, ["show", "remote", "--format", "json"])
        #expect(json.stdout.contains(#""host": "root@h""#) || json.stdout.contains(#""host":"root@h""#), "\(json.stdout)")
    }

    /// Two hosts (the server's two addresses), one named by a parameter:
    /// each step runs on its own, and an approver or a `confirm` gate sees where.
    @Test func eachStepRunsOnItsOwnHostEvenATemplatedOne() throws {
        let server = try SSHServer()
        let s = try sandbox(server, """
          - id: first
            title: First
            host: h
            run: echo "first on ${SSH_CONNECTION% *}"
          - id: second
            title: Second
            host: "{{ node }}"
            confirm: true
            run: echo "second on ${SSH_CONNECTION% *}"
        """, params: "  node: {default: h}")
        let r = try s.run(["run", "remote", "-p", "node=h2"], stdin: "y\n", env: ["PATH": server.bin + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("first on ") && r.stdout.range(of: #"first on \S+ \d+ 127\.0\.0\.1\n"#, options: .regularExpression) != nil, "\(r.stdout)")
        #expect(r.stdout.range(of: #"second on \S+ \d+ 127\.0\.0\.2\n"#, options: .regularExpression) != nil, "\(r.stdout)")
        #expect(r.stdout.contains("on h2 through ssh"), "the confirm gate does not say where: \(r.stdout)")
    }

    /// Issue 25's acceptance: a `for_each` over two hosts runs the step on each.
    @Test func forEachOverTwoHostsRunsOnEach() throws {
        let server = try SSHServer()
        let s = try sandbox(server, """
          - id: restart
            title: Restart on {{ node }}
            for_each: {in: [h, h2], as: node}
            host: "{{ node }}"
            run: echo "{{ node }} is ${SSH_CONNECTION% *}"
        """)
        let r = try run(s, server, ["run", "remote", "--yes"])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.range(of: #"h is \S+ \d+ 127\.0\.0\.1\n"#, options: .regularExpression) != nil, "\(r.stdout)")
        #expect(r.stdout.range(of: #"h2 is \S+ \d+ 127\.0\.0\.2\n"#, options: .regularExpression) != nil, "\(r.stdout)")
        let done = try s.journal().filter { $0["event"] as? String == "step_finished" && $0["outcome"] as? String == "done" }.compactMap { $0["step"] as? String }
        #expect(done.contains("restart[h]") && done.contains("restart[h2]"), "\(done)")
        // An item that would be an ssh option fails its own item, before ssh starts.
        let bad = try sandbox(server, """
          - id: restart
            title: Restart on {{ node }}
            for_each: {in: [-oBatchMode], as: node}
            host: "{{ node }}"
            run: touch \(server.work)/ran
        """)
        let refused = try run(bad, server, ["run", "remote", "--yes"])
        #expect(refused.status == 1, "\(refused.stdout)\(refused.stderr)")
        #expect(refused.stdout.contains("cannot run: its host is '-oBatchMode': it starts with '-'"), "\(refused.stdout)")
        #expect(!FileManager.default.fileExists(atPath: server.work + "/ran"))
    }

    /// Issue 25's acceptance: the value reaches the remote bash as data.
    @Test func aHostileValueReachesTheRemoteSideAsData() throws {
        let server = try SSHServer()
        let pwned = server.work + "/pwned"
        let value = "x'; touch \(pwned); '$(touch \(pwned)2)`touch \(pwned)3`\"; touch \(pwned)4 #\nsecond line \\x41 $'\\x27'"
        let s = try sandbox(server, """
          - id: echo
            title: Echo
            host: h
            run: |
              printf '[%s]\\n' {{ v }}
              printf '%s' "{{ v }}" > \(server.work)/got
        """, params: "  v: {default: x}")
        let r = try run(s, server, ["run", "remote", "--yes", "-p", "v=\(value)"])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(server.pwned().isEmpty, "the value ran as code on the host")
        #expect(try String(contentsOfFile: server.work + "/got", encoding: .utf8) == value)
        #expect(r.stdout.contains("[x'; touch \(pwned); '$(touch \(pwned)2)"), "\(r.stdout)")
    }

    /// A value larger than one environment variable may hold once escaped
    /// (60,000 spaces become 240,000 bytes of `\\x20`) still arrives whole.
    @Test func aLargeValueArrivesWhole() throws {
        let server = try SSHServer()
        let s = try sandbox(server, """
          - id: make
            title: Make
            run: echo "v=[$(printf '%*s' 60000 '')]"
            outputs:
              big: {regex: 'v=\\[(.*)\\]'}
          - id: there
            title: There
            host: h
            run: printf '%s' "{{ big }}" | wc -c > \(server.work)/size
        """)
        let r = try run(s, server, ["run", "remote", "--yes"])
        #expect(r.status == 0, "\(r.stdout.suffix(2000))\(r.stderr)")
        #expect(try String(contentsOfFile: server.work + "/size", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines) == "60000")
    }

    /// A host step's rollback runs on its host, with the step's values.
    @Test func aRollbackRunsOnTheStepsHost() throws {
        let server = try SSHServer()
        let s = try sandbox(server, """
          - id: change
            title: Change
            host: h2
            run: touch \(server.work)/changed
            rollback: echo "${SSH_CONNECTION% *}" > \(server.work)/undone-{{ region }}
          - id: fail
            title: Fail
            run: exit 4
        """)
        let r = try s.run(["run", "remote"], stdin: "b\ny\n", env: ["PATH": server.bin + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")])
        #expect(r.status == 1, "\(r.stdout)\(r.stderr)")
        #expect(try s.journal().last?["outcome"] as? String == "rolled_back")
        let undone = try String(contentsOfFile: server.work + "/undone-eu-west-1", encoding: .utf8)
        #expect(undone.hasSuffix(" 127.0.0.2\n"), "the rollback did not run on h2: \(undone)")
    }

    /// When the step times out, the remote script's whole process group
    /// ends too, not only the local ssh client.
    @Test func aTimeoutStopsTheRemoteProcesses() throws {
        let server = try SSHServer()
        let s = try sandbox(server, """
          - id: long
            title: Long
            host: h
            timeout: 3s
            run: |
              sleep 300 &
              echo $! > \(server.work)/sleep.pid
              wait
        """)
        let r = try run(s, server, ["run", "remote", "--yes"])
        #expect(r.status == 1, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("timed out after 3s"), "\(r.stdout)")
        let pid = try #require(Self.pid(in: server.work + "/sleep.pid"))
        // The remote side stops the group once it sees the connection end
        // (SIGTERM, SIGKILL 5 s later at most): it is gone well within 20 s.
        try waitUntil("the remote sleep (pid \(pid)) to end after the step timed out", timeout: 20) { !Self.alive(pid) }
    }

    /// Stopping the step (SIGTERM here; Ctrl-C then `s` at a terminal takes
    /// the same way) stops the remote script too, and the run pauses.
    @Test func stoppingTheStepStopsTheRemoteProcesses() async throws {
        let server = try SSHServer()
        let pidFile = server.work + "/sleep.pid"
        let s = try sandbox(server, """
          - id: long
            title: Long
            host: h
            run: |
              sleep 300 &
              echo $! > \(pidFile)
              wait
        """)
        let live = try LiveMuster(["run", "remote", "--yes"], cwd: s.dir, env: ["PATH": server.bin + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")])
        try waitUntil("the remote script's pid: \(live.stdout)\(live.stderr)", timeout: 30) { ((try? String(contentsOfFile: pidFile, encoding: .utf8)) ?? "").hasSuffix("\n") }
        let pid = try #require(Self.pid(in: pidFile))
        #expect(Self.alive(pid))
        kill(live.pid, SIGTERM)
        #expect(await live.finish(within: 30).status == 3, "\(live.stdout)\(live.stderr)")
        #expect(live.stdout.contains("stopped by SIGTERM"), "\(live.stdout)")
        try waitUntil("the remote sleep (pid \(pid)) to end after the step was stopped", timeout: 20) { !Self.alive(pid) }
    }

    /// Neither here nor there does a command line hold the value: ssh's is
    /// fixed (`ssh -T -- h bash -s`), the remote bash's holds the script.
    @Test func psShowsNoValueWhileTheHostStepRuns() async throws {
        let server = try SSHServer()
        let release = server.work + "/release"
        let s = try sandbox(server, """
          - id: make
            title: Make a value no file holds
            run: echo "token=$((6 * 7))-zq-$((1000 + 234))"
            outputs:
              token: {regex: 'token=(\\S+)'}
          - id: hold
            title: Hold
            host: h
            run: |
              printf '%s\\n' {{ token }} > \(server.work)/got
              while [ ! -e \(release) ]; do sleep 0.1; done
        """)
        let live = try LiveMuster(["run", "remote", "--yes"], cwd: s.dir, env: ["PATH": server.bin + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")])
        defer { _ = FileManager.default.createFile(atPath: release, contents: nil) }
        try waitUntil("the remote side to get its input: \(live.stdout)\(live.stderr)", timeout: 30) { FileManager.default.fileExists(atPath: server.work + "/got") }
        let lines = Self.commandLines()
        #expect(lines.contains { $0.contains(" -T -- h bash -s") }, "no ssh client seen: \(lines.filter { $0.contains("ssh") })")
        #expect(!lines.contains { $0.contains("42-zq-1234") }, "\(lines.filter { $0.contains("42-zq-1234") })")
        _ = FileManager.default.createFile(atPath: release, contents: nil)
        #expect(await live.finish(within: 30).status == 0, "\(live.stdout)\(live.stderr)")
        #expect(try String(contentsOfFile: server.work + "/got", encoding: .utf8) == "42-zq-1234\n")
    }

    /// A host that would be an ssh option is refused before anything runs:
    /// written in the runbook, at validation; from a value, when the step runs.
    @Test func aHostThatWouldBeAnOptionIsRefused() throws {
        let server = try SSHServer()
        let s = try sandbox(server, """
          - id: literal
            title: Literal
            host: -oProxyCommand=touch \(server.work)/pwned
            run: "true"
          - id: check
            title: Check
            host: h
            http: {url: "https://example.invalid"}
          - id: typo
            title: Typo
            hots: h
            run: "true"
        """)
        let v = try run(s, server, ["validate", "runbooks/remote.yaml"])
        #expect(v.status == 1)
        #expect(v.stderr.contains("remote.yaml:14:5: error: 'host' belongs to run steps (it runs the script on another machine through ssh), not to a http step"), "\(v.stderr)")
        #expect(v.stderr.contains("remote.yaml:18:5: error: unknown key 'hots'") && v.stderr.contains("did you mean 'host'?"), "\(v.stderr)")
        #expect(v.stderr.contains("remote.yaml:10:11: error: 'host' cannot be '-oProxyCommand=touch \(server.work)/pwned': it starts with '-', which ssh would read as an option"), "\(v.stderr)")

        let t = try sandbox(server, """
          - id: templated
            title: Templated
            host: "{{ node }}"
            run: touch \(server.work)/ran
        """, params: "  node: {default: h}")
        let r = try run(t, server, ["run", "remote", "--yes", "-p", "node=-oProxyCommand=touch \(server.work)/pwned"])
        #expect(r.status == 1, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("cannot run: its host is '-oProxyCommand=touch \(server.work)/pwned': it starts with '-'"), "\(r.stdout)")
        #expect(server.pwned().isEmpty && !FileManager.default.fileExists(atPath: server.work + "/ran"))
        // The same runbook with a proper host runs there.
        let ok = try run(t, server, ["run", "remote", "--yes"])
        #expect(ok.status == 0, "\(ok.stdout)\(ok.stderr)")
        #expect(FileManager.default.fileExists(atPath: server.work + "/ran"))
    }

    /// Secrets stay on the operator's machine: a host step naming one or a
    /// secret answer, in its script, its rollback or its host, is a
    /// validation error.
    @Test func aHostStepCannotCarryASecret() throws {
        let s = try Sandbox(["remote": """
        muster: 1
        name: remote
        title: Remote
        secrets:
          API_TOKEN: {env: API_TOKEN}
        steps:
          - id: ask
            title: Ask
            manual: [Get the key]
            ask:
              unseal: {prompt: Unseal key, secret: true}
          - id: use
            title: Use
            host: h
            run: |
              curl -H "Authorization: $API_TOKEN" https://example.invalid
              echo {{ unseal }}
            rollback: echo "$API_TOKEN"
          - id: name
            title: Name
            host: "{{ unseal }}"
            run: "true"
        """])
        let v = try s.run(["validate", "runbooks/remote.yaml"])
        #expect(v.status == 1)
        #expect(v.stderr.contains("remote.yaml:15:10: error: this step runs on another host ('host') but names secret $API_TOKEN"), "\(v.stderr)")
        #expect(v.stderr.contains("remote.yaml:17:12: error: '{{ unseal }}' is a secret answer, and this step runs on another host"), "\(v.stderr)")
        #expect(v.stderr.contains("remote.yaml:18:15: error: this step runs on another host ('host') but names secret $API_TOKEN"), "\(v.stderr)")
        #expect(v.stderr.contains("remote.yaml:21:12: error: '{{ unseal }}' is a secret answer; a host name is sent to ssh"), "\(v.stderr)")
    }

    /// A value that holds a secret though no rule could see it coming (an
    /// output a local step printed it into) stops the host step before
    /// anything is sent.
    @Test func aValueHoldingASecretNeverLeaves() throws {
        let server = try SSHServer()
        let s = try Sandbox(["remote": """
        muster: 1
        name: remote
        title: Remote
        secrets:
          API_KEY: {env: HOST_TEST_API_KEY}
        steps:
          - id: session
            title: Open a session
            run: echo "session=$API_KEY"
            outputs:
              session: {regex: 'session=(\\S+)'}
          - id: use
            title: Use it there
            host: h
            run: printf '%s' {{ session }} > \(server.work)/got
        """])
        let r = try s.run(["run", "remote", "--yes"], env: ["HOST_TEST_API_KEY": "k3y-4-host-test", "PATH": server.bin + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")])
        #expect(r.status == 1, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("cannot run on h: the value of {{ session }} holds a secret, and secrets are never sent to another machine"), "\(r.stdout)")
        #expect(!FileManager.default.fileExists(atPath: server.work + "/got"))
        #expect(!(r.stdout + r.stderr).contains("k3y-4-host-test"))
    }

    /// Even when the operator's ssh config forwards every variable
    /// (`SendEnv *`), no secret and no value reaches the host through the
    /// environment: the secrets and their sources are left out of ssh's,
    /// and the input is unset before ssh starts.
    @Test func sendEnvForwardsNoSecret() throws {
        let server = try SSHServer(forwardEnvironment: true)
        let s = try Sandbox(["remote": """
        muster: 1
        name: remote
        title: Remote
        secrets:
          API_KEY: {env: HOST_TEST_API_KEY}
        steps:
          - id: there
            title: There
            host: h
            run: env > \(server.work)/env
        """])
        let r = try s.run(["run", "remote", "--yes"], env: ["HOST_TEST_API_KEY": "k3y-4-host-test", "HOST_TEST_PLAIN": "plain-4-host-test",
                                                            "PATH": server.bin + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        let env = try String(contentsOfFile: server.work + "/env", encoding: .utf8)
        #expect(env.contains("HOST_TEST_PLAIN=plain-4-host-test"), "SendEnv did not forward: \(env)")
        #expect(!env.contains("k3y-4-host-test") && !env.contains("MUSTER_SSH_INPUT"), "\(env)")
    }

    /// "Do I have access?": preflight logs in to each step's host the way
    /// the step will, and names the step that needs a host it cannot reach.
    @Test func preflightLogsInToEachHost() throws {
        let server = try SSHServer()
        let s = try sandbox(server, """
          - id: there
            title: There
            host: h
            run: touch \(server.work)/ran
          - id: nowhere
            title: Nowhere
            host: nosuch.invalid
            run: "true"
        """)
        let r = try run(s, server, ["preflight", "remote"])
        #expect(r.status == 1, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("✓ ssh to h logs in and runs bash"), "\(r.stdout)")
        #expect(r.stdout.contains("✗ ssh to nosuch.invalid logs in and runs bash"), "\(r.stdout)")
        #expect(r.stdout.contains("needed by: nowhere"), "\(r.stdout)")
        #expect(!FileManager.default.fileExists(atPath: server.work + "/ran"), "preflight ran the step")
    }

    /// The JSON Schema an editor checks with agrees with the validator:
    /// `host` on a run step, not beside `keep_running` or `rollback`, not on
    /// other kinds.
    @Test func theSchemaKnowsHost() throws {
        let schema = try muster(["schema"])
        #expect(schema.status == 0)
        let dir = try temporaryDirectory()
        try schema.stdout.write(toFile: dir + "/runbook.json", atomically: true, encoding: .utf8)
        let script = """
        import json, jsonschema
        rb = json.load(open('\(dir)/runbook.json'))
        def ok(step):
            doc = {'muster': 1, 'name': 'x', 'title': 'X', 'steps': [dict({'id': 'a', 'title': 'A'}, **step)]}
            return not list(jsonschema.Draft202012Validator(rb).iter_errors(doc))
        print(ok({'run': 'true', 'host': 'db-2.internal'}), ok({'run': 'true', 'host': '{{ node }}', 'timeout': '5m'}),
              ok({'run': 'true', 'host': 'h', 'keep_running': True}), ok({'run': 'true', 'host': 'h', 'rollback': 'x'}),
              ok({'http': {'url': 'https://x'}, 'host': 'h'}), ok({'manual': ['x'], 'host': 'h'}))
        """
        let out = try sh("python3 -c \"$SCRIPT\"", cwd: dir, env: ["SCRIPT": script])
        #expect(out.trimmingCharacters(in: .whitespacesAndNewlines) == "True True False True False False", "\(out)")
    }

    /// Alive and not a zombie waiting for its parent (init) to reap it.
    /// The pid a remote script wrote (`echo $! > FILE`), once it is whole.
    static func pid(in file: String) -> Int32? {
        (try? String(contentsOfFile: file, encoding: .utf8)).flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    static func alive(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = stat.lastIndex(of: ")") else { return false }
        let state = stat[stat.index(close, offsetBy: 2)...].first
        return state != "Z" && state != "X"
    }

    /// Every process's arguments, joined by spaces.
    static func commandLines() -> [String] {
        let pids = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).filter { Int($0) != nil }
        return pids.compactMap { pid in
            guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline"), !data.isEmpty else { return nil }
            return String(decoding: data.map { $0 == 0 ? 32 : $0 }, as: UTF8.self)
        }
    }
}
