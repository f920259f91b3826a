#if canImport(Glibc)
@preconcurrency import Glibc
#endif
import Foundation
import Testing

/// Where the package lives, found from this file so tests run from any cwd.
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
let fixtures = packageRoot + "/Tests/MusterCLITests/Fixtures"
let snapshots = packageRoot + "/Tests/MusterCLITests/Snapshots"

/// The built `muster` binary beside the test bundle.
let musterBinary: String = {
    let candidates = [
        Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("muster").path,
        Bundle.main.bundleURL.appendingPathComponent("muster").path,
        packageRoot + "/.build/debug/muster",
    ]
    return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? candidates.last!
}()

struct Result {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Runs the built binary with `arguments` in `cwd`, feeding `stdin`, with a
/// clean, colourless environment.
func muster(_ arguments: [String], cwd: String = packageRoot, stdin: String = "", env: [String: String] = [:]) throws -> Result {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: musterBinary)
    p.arguments = arguments
    p.currentDirectoryURL = URL(fileURLWithPath: cwd)
    var environment = ProcessInfo.processInfo.environment
    environment["NO_COLOR"] = "1"
    environment.removeValue(forKey: "MUSTER_STATE_DIR")
    for (k, v) in env { environment[k] = v }
    p.environment = environment
    let out = Pipe(), err = Pipe(), inp = Pipe()
    p.standardOutput = out
    p.standardError = err
    p.standardInput = inp
    try p.run()
    inp.fileHandleForWriting.write(Data(stdin.utf8))
    try inp.fileHandleForWriting.close()
    // Read both pipes before waiting so a large output cannot block the child.
    let o = out.fileHandleForReading.readDataToEndOfFile()
    let e = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return Result(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
}

/// Compares `actual` with a golden file; `MUSTER_RECORD=1` rewrites it.
func assertSnapshot(_ actual: String, named name: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let path = snapshots + "/" + name
    if ProcessInfo.processInfo.environment["MUSTER_RECORD"] == "1" {
        try actual.write(toFile: path, atomically: true, encoding: .utf8)
        return
    }
    guard let expected = try? String(contentsOfFile: path, encoding: .utf8) else {
        Issue.record("missing snapshot \(name); run with MUSTER_RECORD=1 to create it", sourceLocation: sourceLocation)
        return
    }
    #expect(actual == expected, "output differs from Snapshots/\(name); if the change is intended, re-record with MUSTER_RECORD=1", sourceLocation: sourceLocation)
}

/// Runs a shell command, for setting up git repositories and the like.
@discardableResult
func sh(_ command: String, cwd: String, env: [String: String] = [:]) throws -> String {
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

struct ShellError: Error { var message: String }

func temporaryDirectory() throws -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("muster-test-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
}

/// A copy of `Fixtures/repo` outside any git repository, so that names are
/// looked up in it and not in the package's own `runbooks/`.
func fixtureRepo() throws -> String {
    let dir = try temporaryDirectory()
    try sh("cp -R '\(fixtures)/repo/.' .", cwd: dir)
    return dir
}
