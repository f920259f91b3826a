#if canImport(Glibc)
@preconcurrency import Glibc
#endif
import Foundation
import MusterTestSupport
import Testing

/// The outside review's reproductions, through the binary: values reach
/// steps as data (heredocs, outputs), secrets in multi-line files with any
/// line ending are masked, and nothing derived from a secret is in `ps`.
@Suite("Values and secrets in steps")
struct ShellValueTests {
    @Test func anAnswerInAnUnquotedHeredocIsTextNotCode() throws {
        let s = try Sandbox(["status": """
        muster: 1
        name: status
        title: Status
        steps:
          - id: ask
            title: Which incident?
            manual: [Open the incident]
            ask: {incident: Incident ticket}
          - id: write
            title: Write the status
            run: |
              cat > status.txt <<EOF
              Incident {{ incident }} is being handled by {{ operator }}
              EOF
        """])
        let answer = "INC-1 $(touch pwned) `touch pwned2`"
        let r = try s.run(["run", "status", "--yes"], stdin: "\(answer)\n", env: ["USER": "alice"])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(!s.exists("pwned") && !s.exists("pwned2"), "the answer ran as code")
        let text = try String(contentsOfFile: s.dir + "/status.txt", encoding: .utf8)
        #expect(text.hasPrefix("Incident \(answer) is being handled by "), "\(text)")
    }

    /// A JSON body captured as an output, holding a newline and the
    /// heredoc's end marker, must not end the heredoc early.
    @Test func anOutputHoldingTheEndMarkerDoesNotEndTheHeredoc() throws {
        let s = try Sandbox(["marker": #"""
        muster: 1
        name: marker
        title: Marker
        steps:
          - id: fetch
            title: Fetch
            run: |
              printf '{"note": "ok\\nEOF\\ntouch pwned\\n"}\n'
            outputs:
              note: {json: note}
          - id: write
            title: Write
            run: |
              cat > note.txt <<EOF
              {{ note }}
              EOF
              # comment {{ note }}
              echo 'quoted {{ note }}' > quoted.txt
        """#])
        let r = try s.run(["run", "marker", "--yes"])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(!s.exists("pwned"))
        #expect(try String(contentsOfFile: s.dir + "/note.txt", encoding: .utf8) == "ok\nEOF\ntouch pwned\n\n")
        #expect(try String(contentsOfFile: s.dir + "/quoted.txt", encoding: .utf8) == "quoted ok\nEOF\ntouch pwned\n\n")
    }

    @Test func aTemplateWhereItWouldBecomeCodeIsAValidationErrorAtItsPosition() throws {
        let s = try Sandbox(["arith": FeatureRunbooks.templateAsCode])
        let r = try s.run(["validate", "runbooks/arith.yaml"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("arith.yaml:9:19: error: '{{ count }}' cannot be used here: a value inside arithmetic is evaluated as code"), "\(r.stderr)")
        #expect(r.stderr.contains("arith.yaml:14:7: error: '{{ count }}' cannot be used here: the heredoc ending at 'EOF' is quoted"), "\(r.stderr)")
        let run = try s.run(["run", "arith", "--yes"])
        #expect(run.status == 2, "a runbook that fails validation does not run")
    }

    /// Issue 22's acceptance: a value handed to ssh, and an untyped value in
    /// `declare -i`, are errors at their line and column naming the safe
    /// way; typed `int`, the second validates, and a value that is not an
    /// int is refused when it is set.
    @Test func sshAndDeclareIntAreRefusedUntilTheValueIsTyped() throws {
        let text = FeatureRunbooks.remote(type:)
        let s = try Sandbox(["remote": text("")])
        let r = try s.run(["validate", "runbooks/remote.yaml"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("remote.yaml:9:22: error: '{{ v }}' cannot be used here: ssh sends the rest of its command line to the remote shell, which runs it as code; send the value on stdin instead, where it stays data: printf '%s\\n' {{ v }} | ssh HOST 'read -r v;"), "\(r.stderr)")
        #expect(r.stderr.contains("remote.yaml:12:23: error: '{{ v }}' cannot be used here: declare -i evaluates the value as arithmetic, which runs code in a[$(cmd)]; declare the value `type: int`"), "\(r.stderr)")

        let typed = try Sandbox(["remote": text(", type: int").replacingOccurrences(of: "ssh h \"echo {{ v }}\"", with: "printf '%s\\n' {{ v }} | cat")])
        let ok = try typed.run(["validate", "runbooks/remote.yaml"])
        #expect(ok.status == 0, "\(ok.stderr)")
        let ran = try typed.run(["run", "remote", "--yes", "-p", "v=41"])
        #expect(ran.status == 0, "\(ran.stdout)\(ran.stderr)")
        #expect(ran.stdout.contains("42"))
        let hostile = try typed.run(["run", "remote", "--yes", "--new", "-p", "v=a[$(touch pwned)]"])
        #expect(hostile.status == 2)
        #expect(hostile.stderr.contains("is not an int"), "\(hostile.stderr)")
        #expect(!typed.exists("pwned"))
    }

    /// The realistic case: the service being recovered answers with a
    /// hostile lag. Typed `int`, it fails the step that read it; the step
    /// that does arithmetic with it never runs.
    @Test func aHostileOutputFailsItsTypeBeforeAnyStepUsesIt() throws {
        let s = try Sandbox(["lag": #"""
        muster: 1
        name: lag
        title: Lag
        steps:
          - id: measure
            title: Measure the lag
            run: |
              printf '{"lag": "BASH_VERSINFO[$(touch pwned)]"}\n'
            outputs:
              lag: {json: lag, type: int}
          - id: check
            title: Check the lag
            run: declare -i lag={{ lag }}; if (( lag < 30 )); then echo ok; fi; touch checked
        """#])
        let r = try s.run(["run", "lag", "--yes"])
        #expect(r.status == 1, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("output 'lag': the value is not an int"), "\(r.stdout)")
        #expect(!s.exists("pwned") && !s.exists("checked"))
    }

    /// A key file with CRLF (or CR) line endings printed line by line.
    @Test(arguments: ["\r\n", "\r", "\n"])
    func aMultiLineSecretIsMaskedWhateverItsLineEndings(_ eol: String) throws {
        let lines = ["FIRST-LINE-OF-THE-KEY", "SECOND-LINE-OF-THE-KEY", "THIRD-LINE-OF-THE-KEY"]
        let s = try Sandbox(["key": """
        muster: 1
        name: key
        title: Key
        secrets:
          KEY: {file: key.pem}
        steps:
          - id: print
            title: Print
            run: printf '%s\\n' "$KEY"; printf '%s\\n' "$KEY" | tr '\\r' '\\n'
        """])
        try (lines.joined(separator: eol) + eol).write(toFile: s.dir + "/key.pem", atomically: true, encoding: .utf8)
        let r = try s.run(["run", "key", "--yes"])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        for (name, text) in try s.stateFiles() + [("stdout", r.stdout), ("stderr", r.stderr)] {
            for l in lines { #expect(!text.contains(l), "\(name) shows \(l) (line ending \(eol.debugDescription))") }
        }
    }

    /// An output captured from `echo session=$API_KEY` and used as a
    /// template: while the next step runs, no process's arguments hold it.
    /// Synchronous on purpose: an async test can wait longer than the step
    /// lasts for a turn on a busy cooperative pool, and look at nothing.
    @Test func aValueDerivedFromASecretIsNeverInAProcesssArguments() throws {
        let secret = "sk-live-0123456789abcdef"
        let s = try Sandbox(["ps": """
        muster: 1
        name: ps
        title: ps
        secrets:
          API_KEY: {env: PS_API_KEY}
        steps:
          - id: login
            title: Log in
            run: echo "session=$API_KEY"
            outputs:
              session: {regex: 'session=(\\S+)'}
          - id: use
            title: Use the session
            run: |
              echo {{ session }} > /dev/null
              sleep 4 && echo "done {{ session }}"
        """])
        let p = musterProcess(["run", "ps", "--yes"], cwd: s.dir, env: ["PS_API_KEY": secret])
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        p.standardInput = FileHandle.nullDevice
        try p.run()
        var sawSleep = false
        // Every process's arguments, looked at again and again until muster ends.
        _ = try eventually(within: 90) {
            guard p.isRunning else { return true }
            for pid in try FileManager.default.contentsOfDirectory(atPath: "/proc") where Int(pid) != nil {
                guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { continue }
                let argv = String(decoding: data, as: UTF8.self)
                #expect(!argv.contains(secret), "pid \(pid) has the secret in its arguments")
                if argv.contains("sleep 4") { sawSleep = true }
            }
            return false
        }
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        #expect(sawSleep, "the step's bash was never seen, so the check looked at nothing")
    }

    @Test func aValueHoldingANulByteStopsTheStepInsteadOfBeingCut() throws {
        let s = try Sandbox(["nul": """
        muster: 1
        name: nul
        title: NUL
        steps:
          - id: make
            title: Make
            run: printf 'v=ab\\0cd\\n'
            outputs:
              v: {regex: 'v=(.*)'}
          - id: use
            title: Use
            run: printf '%s' {{ v }} > v.txt
        """])
        let r = try s.run(["run", "nul", "--yes"])
        #expect(r.status == 1, "\(r.stdout)")
        #expect(r.stdout.contains("holds a NUL byte"))
        #expect(!s.exists("v.txt"))
    }

    /// `env:` entries reach every step as written: `BASH_ENV: "{{ dir }}"`
    /// makes bash run the file a value names, `KUBECONFIG` and the git and
    /// AWS configuration files run commands of their own. Refused by the
    /// list parameter names go through, and nothing runs.
    @Test func anEnvNameThatDecidesWhatRunsIsRefusedLikeAParameterName() throws {
        let names = FeatureRunbooks.envNamesThatDecideWhatRuns
        let s = try Sandbox(["env": FeatureRunbooks.envDecidingWhatRuns])
        try "touch pwned\n".write(toFile: s.dir + "/evil.sh", atomically: true, encoding: .utf8)
        let r = try s.run(["validate", "runbooks/env.yaml"])
        #expect(r.status == 1)
        for name in names {
            #expect(r.stderr.contains("env name '\(name)' sets \(name), which decides what bash and the programs it starts run"), "\(name): \(r.stderr)")
        }
        #expect(r.stderr.contains("parameter name 'git_config_count' would be exported to the steps as GIT_CONFIG_COUNT"))
        #expect(r.stderr.contains("parameter name 'kubeconfig' would be exported to the steps as KUBECONFIG"))
        #expect(!r.stderr.contains("'AWS_REGION'"))
        let run = try s.run(["run", "env", "--yes"])
        #expect(run.status == 2, "\(run.stdout)\(run.stderr)")
        #expect(!s.exists("pwned"))
    }
}
