import Foundation
@testable import MusterEngine
import Testing

/// What a host step sends on ssh's stdin, read back by a real `bash -s`
/// as the remote side reads it (no ssh in between: that is HostStepTests').
@Suite("Host step input")
struct RemoteShellInputTests {
    /// Runs `input` through `bash -s`, keeping its stdin open until it has
    /// finished, as Muster keeps ssh's open: the prelude reads the end of
    /// its stdin as the step being stopped.
    func remoteBash(_ input: String) throws -> (Int32, Data) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/bash")
        p.arguments = ["-s"]
        let inp = Pipe(), out = Pipe()
        p.standardInput = inp
        p.standardOutput = out
        p.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try p.run()
        inp.fileHandleForWriting.write(Data(input.utf8))
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        try inp.fileHandleForWriting.close()
        return (p.terminationStatus, data)
    }

    /// Every ASCII byte but NUL (no variable holds one; such a value is
    /// refused before it is sent), several scripts' worth of quoting, and
    /// multi-byte UTF-8 come back byte for byte, run as nothing.
    @Test func everyValueComesBackByteForByte() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("muster-remote-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let ascii = String(decoding: (1...127).map { UInt8($0) }, as: UTF8.self)
        let values = [ascii, "x'; touch \(dir)/pwned; '", "$(touch \(dir)/pwned)", "`touch \(dir)/pwned`", "\\x27\\'$'\\x27'", "a\nb\r\nc\n\n", "é€😀 \u{7f}", "", "}\n{ touch \(dir)/pwned; }"]
        for value in values {
            let input = RemoteShell.input(script: #"printf '%s' "$MUSTER_VALUE_v""#, variables: ["MUSTER_VALUE_v": value, "REGION": value])
            #expect(!input.contains("touch \(dir)"), "a value is in the input as text")
            let (status, out) = try remoteBash(input)
            #expect(status == 0)
            #expect(out == Data(value.utf8), "\(value.debugDescription) came back as \(String(decoding: out, as: UTF8.self).debugDescription)")
            #expect(!FileManager.default.fileExists(atPath: dir + "/pwned"), "\(value.debugDescription) ran")
        }
    }

    /// The script's exit status is the remote bash's, so ssh's; `set -e` and
    /// `pipefail` hold there as here; parameters arrive exported.
    @Test func theScriptRunsAsALocalStepDoes() throws {
        let input = { (script: String) in RemoteShell.input(script: script, variables: ["REGION": "eu-west-1"]) }
        #expect(try remoteBash(input("exit 7")).0 == 7)
        #expect(try remoteBash(input("false | true; echo not reached")) == (1, Data()))
        let (status, out) = try remoteBash(input("bash -c 'printf %s \"$REGION\"'"))
        #expect(status == 0 && out == Data("eu-west-1".utf8))
    }
}
