import Foundation

/// Runs `command` with `bash -euo pipefail -c` in `cwd`, with the test's
/// environment plus `env`; returns stdout and stderr together, and throws
/// with that text when the command fails. The one process runner of the
/// test targets' helpers.
@discardableResult
public func sh(_ command: String, cwd: String, env: [String: String] = [:]) throws -> String {
    let p = Process()
    var environment = ProcessInfo.processInfo.environment
    for (k, v) in env { environment[k] = v }
    p.environment = environment
    p.executableURL = URL(fileURLWithPath: "/bin/bash")
    p.arguments = ["-euo", "pipefail", "-c", command]
    p.currentDirectoryURL = URL(fileURLWithPath: cwd)
    let out = Pipe()
    p.standardOutput = out
    p.standardError = out
    try p.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    let text = String(decoding: data, as: UTF8.self)
    if p.terminationStatus != 0 { throw ShellError(message: "`\(command)` failed: \(text)") }
    return text
}

public struct ShellError: Error {
    public var message: String
}
