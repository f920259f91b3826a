#if canImport(Glibc)
@preconcurrency import Glibc
#endif
import Foundation

/// The HTTP test server (server.py beside this file) on 127.0.0.1, for as
/// long as this object lives. `hookLog` collects the bodies it is posted.
public final class HTTPTestServer {
    let process = Process()
    public let port: Int

    public init(hookLog: String? = nil) throws {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("server.py").path
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script]
        var env = ProcessInfo.processInfo.environment
        env["HOOK_LOG"] = hookLog
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
