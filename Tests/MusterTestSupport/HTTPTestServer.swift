#if canImport(Glibc)
@preconcurrency import Glibc
#endif
import Foundation

/// An HTTP test server on 127.0.0.1, for as long as this object lives: a
/// Python script beside this file that prints its port on its first line.
/// server.py by default (`hookLog` collects the bodies it is posted);
/// ci_server.py stands in for GitHub, GitLab and Jenkins.
public final class HTTPTestServer {
    let process = Process()
    public let port: Int

    public init(script name: String = "server.py", environment extra: [String: String] = [:], hookLog: String? = nil) throws {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(name).path
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script]
        var env = ProcessInfo.processInfo.environment
        env["HOOK_LOG"] = hookLog
        for (k, v) in extra { env[k] = v }
        process.environment = env
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            line.append(chunk)
        }
        port = Int(String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
    }

    public var base: String { "http://127.0.0.1:\(port)" }

    deinit {
        // SIGKILL: children of the test runner inherit a blocked SIGTERM.
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}
