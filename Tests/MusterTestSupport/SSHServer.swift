#if canImport(Glibc)
@preconcurrency import Glibc
#endif
import Foundation

/// A real OpenSSH server on a free port of 127.0.0.1, for as long as this
/// object lives: its own host key, one client key, and a folder `bin` that,
/// first on PATH, makes a plain `ssh` know the server as `h` (127.0.0.1)
/// and as `h2` (127.0.0.2, the same server on a second address: two hosts
/// for steps that run on several). The client
/// reads its config from the passwd entry's home, not `$HOME`, so the
/// wrapper passes `-F`; the config pins the server's host key
/// (`StrictHostKeyChecking yes` against a known_hosts of its own), as an
/// operator's would. This machine stands in for the remote one: the remote
/// user is the current one, and `work` is a folder both sides see.
public final class SSHServer: @unchecked Sendable {
    /// sshd, ssh and ssh-keygen are installed (scripts/install-deps), and
    /// the tests run as root: sshd logs in only the user it runs as otherwise.
    public static var available: Bool {
        FileManager.default.isExecutableFile(atPath: "/usr/sbin/sshd") && FileManager.default.isExecutableFile(atPath: "/usr/bin/ssh")
            && FileManager.default.isExecutableFile(atPath: "/usr/bin/ssh-keygen") && getuid() == 0
    }

    public let dir: String
    public let work: String
    /// Put first on PATH: its `ssh` adds `-F` with the test's config.
    public var bin: String { dir + "/bin" }
    public private(set) var port = 0

    /// `forwardEnvironment`: the server accepts every variable and the client
    /// sends all it has (`AcceptEnv *`, `SendEnv *`), the most an operator's
    /// config could forward.
    public init(forwardEnvironment: Bool = false) throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("muster-sshd-\(UUID().uuidString)").path
        work = dir + "/work"
        for d in [dir + "/bin", work, "/run/sshd"] { try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true) }
        for key in ["host", "client"] { try Self.shell("ssh-keygen -q -t ed25519 -N '' -f '\(dir)/\(key)'") }
        try FileManager.default.copyItem(atPath: dir + "/client.pub", toPath: dir + "/authorized_keys")
        let hostKey = try String(contentsOfFile: dir + "/host.pub", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        var lastError = ""
        for _ in 0..<5 {
            let port = Int.random(in: 20000...60000)
            try """
            Port \(port)
            ListenAddress 127.0.0.1
            ListenAddress 127.0.0.2
            HostKey \(dir)/host
            AuthorizedKeysFile \(dir)/authorized_keys
            PidFile \(dir)/sshd.pid
            StrictModes no
            UsePAM no
            PasswordAuthentication no
            KbdInteractiveAuthentication no
            PermitRootLogin prohibit-password
            \(forwardEnvironment ? "AcceptEnv *" : "")
            """.write(toFile: dir + "/sshd_config", atomically: true, encoding: .utf8)
            try "[127.0.0.1]:\(port) \(hostKey)\n[127.0.0.2]:\(port) \(hostKey)\n".write(toFile: dir + "/known_hosts", atomically: true, encoding: .utf8)
            try """
            Host h h2
              Port \(port)
              User root
              IdentityFile \(dir)/client
              IdentitiesOnly yes
              UserKnownHostsFile \(dir)/known_hosts
              StrictHostKeyChecking yes
              BatchMode yes
              ConnectTimeout 5
              LogLevel ERROR
            \(forwardEnvironment ? "  SendEnv *" : "")
            Host h
              HostName 127.0.0.1
            Host h2
              HostName 127.0.0.2
            """.write(toFile: dir + "/ssh_config", atomically: true, encoding: .utf8)
            try "#!/bin/sh\nexec /usr/bin/ssh -F '\(dir)/ssh_config' \"$@\"\n".write(toFile: dir + "/bin/ssh", atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: dir + "/bin/ssh")
            // sshd puts itself in the background (its pid in the pid file):
            // Foundation's Process reaps its children one at a time, and a
            // long-lived child of its own would hold up every later one.
            try Self.shell("/usr/sbin/sshd -f '\(dir)/sshd_config' </dev/null >/dev/null 2>&1")
            // Ready when a command gets through.
            if eventually(within: 8, { (try? run("ssh h true", value: ""))?.0 == 0 }) {
                self.port = port
                return
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
    /// environment) in the work folder, which is also the remote side's;
    /// `touch pwned` in the code or the value touches a file there.
    public func run(_ code: String, value: String) throws -> (Int32, String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/bash")
        p.arguments = ["-euo", "pipefail", "-c", "cd '\(work)'; " + code.replacingOccurrences(of: "touch pwned", with: "touch \(work)/pwned")]
        p.currentDirectoryURL = URL(fileURLWithPath: work)
        p.environment = ["PATH": bin + ":/usr/bin:/bin", "MUSTER_VALUE_v": value.replacingOccurrences(of: "touch pwned", with: "touch \(work)/pwned"), "HOME": dir]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle(forWritingAtPath: "/dev/null")
        p.standardInput = FileHandle(forReadingAtPath: "/dev/null")
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self).replacingOccurrences(of: "touch \(work)/pwned", with: "touch pwned"))
    }

    /// Files named `pwned…` in the work folder.
    public func pwned() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: work)) ?? []).filter { $0.hasPrefix("pwned") }.sorted()
    }

    public func clean() {
        for f in pwned() { try? FileManager.default.removeItem(atPath: work + "/" + f) }
    }

    public func stop() {
        guard let text = try? String(contentsOfFile: dir + "/sshd.pid", encoding: .utf8), let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) else { return }
        kill(pid, SIGTERM)
        try? FileManager.default.removeItem(atPath: dir + "/sshd.pid")
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(atPath: dir)
    }
}
