import Foundation

/// Starts a Python script that stands in for a server (beside these files,
/// or given by path) and reads the first line it prints (its port, or a
/// JSON object): the one start-up every stand-in shares. Its stderr is
/// dropped; the caller stops it.
func startPythonHelper(_ script: String, arguments: [String] = [], python: String = "python3",
                       environment: [String: String]? = nil, into process: Process) throws -> String {
    let path = script.hasPrefix("/") ? script : URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(script).path
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [python, path] + arguments
    if let environment { process.environment = environment }
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
    return String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
}
