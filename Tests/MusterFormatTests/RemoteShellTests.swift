import Foundation
import MusterBasics
import MusterFormat
import MusterEngine
import MusterTesting
import MusterYAML
import Testing

/// Values sent to another host: a real OpenSSH server on 127.0.0.1 (this
/// machine stands in for the remote one). The refused shapes really run a
/// value as code there, and the safe ways the refusals name keep it data.
@Suite("Values on another host (real sshd)", .serialized, .enabled(if: SSHServer.available))
struct RemoteShellTests {
    /// Single-line hostile values: `read -r` on the other side takes one line.
    static let hostile = ["INC-1 $(touch pwned-1)", "`touch pwned-2`", "x'; touch pwned-3; echo '", "x\"; touch pwned-4; echo \"", "a; touch pwned-5 #", "-oProxyCommand=touch pwned-6"]

    func template(_ text: String) -> Template {
        let node = Node(.scalar(text, plain: false), mark: Mark(line: 1, column: 1), endMark: Mark(line: 1, column: 1))
        return TemplateScanner(source: SourceText(path: "run", bytes: Array(text.utf8))).scan(node, text).0
    }

    @Test func refusedShapesRunTheValueRemotelyAndTheSafeWaysDoNot() throws {
        let server = try SSHServer()
        defer { server.stop() }
        // Written as a lexer that did not know ssh would write them, each runs the value on the host.
        let refused = [
            ("ssh h \"echo {{ v }}\"", "ssh h \"echo ${MUSTER_VALUE_v}\"", "$(touch pwned-remote)"),
            ("ssh h echo {{ v }}", "ssh h echo \"${MUSTER_VALUE_v}\"", "$(touch pwned-remote)"),
            ("ssh {{ v }} true", "ssh \"${MUSTER_VALUE_v}\" true", "-oProxyCommand=touch pwned-remote"),
        ]
        for (text, oldCode, value) in refused {
            #expect(template(text).shellCode() == nil, "accepted: \(text)")
            _ = try server.run(oldCode, value: value)
            #expect(server.pwned() == ["pwned-remote"], "\(text) did not run the value on the host")
            server.clean()
        }
        // The safe ways: on stdin, and a host after --.
        let onStdin = try #require(template("printf '%s\\n' {{ v }} | ssh h 'read -r v; printf \"%s\" \"$v\"'").shellCode())
        let hostAfterDashes = try #require(template("ssh -- {{ v }} true").shellCode())
        for value in Self.hostile {
            let (status, out) = try server.run(onStdin, value: value)
            #expect(status == 0)
            #expect(out == value, "\(value) arrived as \(out)")
            _ = try server.run(hostAfterDashes, value: value)
            #expect(server.pwned().isEmpty, "\(value) ran as code")
            server.clean()
        }
    }
}

/// sshd on a free port of 127.0.0.1, with its own host key, one client key,
/// and an `ssh` on PATH that knows the host as `h`.
final class SSHServer: @unchecked Sendable {
    static var available: Bool {
        FileManager.default.isExecutableFile(atPath: "/usr/sbin/sshd") && FileManager.default.isExecutableFile(atPath: "/usr/bin/ssh")
            && FileManager.default.isExecutableFile(atPath: "/usr/bin/ssh-keygen") && getuid() == 0
    }

    let dir: String
    let work: String

    init() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("muster-sshd-\(UUID().uuidString)").path
        work = dir + "/work"
        for d in [dir + "/bin", work, "/run/sshd"] { try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true) }
        for key in ["host", "client"] { try Self.shell("ssh-keygen -q -t ed25519 -N '' -f '\(dir)/\(key)'") }
        try FileManager.default.copyItem(atPath: dir + "/client.pub", toPath: dir + "/authorized_keys")
        var lastError = ""
        for _ in 0..<5 {
            let port = Int.random(in: 20000...60000)
            try """
            Port \(port)
            ListenAddress 127.0.0.1
            HostKey \(dir)/host
            AuthorizedKeysFile \(dir)/authorized_keys
            PidFile \(dir)/sshd.pid
            StrictModes no
            UsePAM no
            PasswordAuthentication no
            KbdInteractiveAuthentication no
            PermitRootLogin prohibit-password
            """.write(toFile: dir + "/sshd_config", atomically: true, encoding: .utf8)
            try """
            Host h
              HostName 127.0.0.1
              Port \(port)
              User root
              IdentityFile \(dir)/client
              StrictHostKeyChecking no
              UserKnownHostsFile /dev/null
              BatchMode yes
              ConnectTimeout 5
              LogLevel ERROR
            """.write(toFile: dir + "/ssh_config", atomically: true, encoding: .utf8)
            try "#!/bin/sh\nexec /usr/bin/ssh -F '\(dir)/ssh_config' \"$@\"\n".write(toFile: dir + "/bin/ssh", atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: dir + "/bin/ssh")
            // sshd puts itself in the background (its pid in the pid file):
            // Foundation's Process reaps its children one at a time, and a
            // long-lived child of its own would hold up every later one.
            try Self.shell("/usr/sbin/sshd -f '\(dir)/sshd_config' </dev/null >/dev/null 2>&1")
            // Ready when a command gets through (bounded: 50 tries).
            for _ in 0..<50 {
                if let (status, _) = try? run("ssh h true", value: ""), status == 0 { return }
                usleep(100_000)
            }
            lastError = "sshd on port \(port) did not answer"
            stop()
        }
        throw NSError(domain: "SSHServer", code: 1, userInfo: [NSLocalizedDescriptionKey: lastError])
    }

    static func shell(_ command: String) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", command]
        try p.run()
        p.waitUntilExit()
    }

    /// Runs `code` as a step does (`bash -euo pipefail -c`, the value in the
    /// environment) in the work folder, which is also the remote side's.
    func run(_ code: String, value: String) throws -> (Int32, String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/bash")
        p.arguments = ["-euo", "pipefail", "-c", "cd '\(work)'; " + code.replacingOccurrences(of: "touch pwned", with: "touch \(work)/pwned")]
        p.currentDirectoryURL = URL(fileURLWithPath: work)
        p.environment = ["PATH": dir + "/bin:/usr/bin:/bin", "MUSTER_VALUE_v": value.replacingOccurrences(of: "touch pwned", with: "touch \(work)/pwned"), "HOME": dir]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle(forWritingAtPath: "/dev/null")
        p.standardInput = FileHandle(forReadingAtPath: "/dev/null")
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self).replacingOccurrences(of: "touch \(work)/pwned", with: "touch pwned"))
    }

    func pwned() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: work)) ?? []).filter { $0.hasPrefix("pwned") }.sorted()
    }

    func clean() {
        for f in pwned() { try? FileManager.default.removeItem(atPath: work + "/" + f) }
    }

    func stop() {
        guard let text = try? String(contentsOfFile: dir + "/sshd.pid", encoding: .utf8), let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) else { return }
        kill(pid, SIGTERM)
        try? FileManager.default.removeItem(atPath: dir + "/sshd.pid")
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(atPath: dir)
    }
}
