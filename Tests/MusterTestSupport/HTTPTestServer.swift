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
        var env = ProcessInfo.processInfo.environment
        env["HOOK_LOG"] = hookLog
        for (k, v) in extra { env[k] = v }
        let line = try startPythonHelper(name, environment: env, into: process)
        port = Int(line) ?? 0
    }

    public var base: String { "http://127.0.0.1:\(port)" }

    deinit {
        // SIGKILL: children of the test runner inherit a blocked SIGTERM.
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}
