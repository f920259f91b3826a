import Foundation
@testable import MusterBasics
@testable import MusterFormat
@testable import MusterEngine
@testable import MusterApp
import MusterProcess

/// Real SSH keys (ssh-keygen, ed25519, no passphrase) in a temporary folder,
/// an `allowed_signers` naming some of them, and signatures made with them:
/// the two-person rule is tested with the signatures it checks in use.
final class TestKeys: Sendable {
    let dir: String
    let checker: SSHSignatureChecker

    /// `listed` go into allowed_signers (a name with a comma, "bob,robert",
    /// lists one key under two names); `unlisted` only get a key.
    init(listed: [String], unlisted: [String] = []) throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("muster-keys-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        var lines: [String] = []
        for names in listed + unlisted {
            let file = names.split(separator: ",")[0]
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/ssh-keygen")
            p.arguments = ["-q", "-t", "ed25519", "-N", "", "-C", String(file), "-f", "\(dir)/\(file)"]
            p.standardInput = FileHandle.nullDevice
            p.standardOutput = FileHandle.nullDevice
            try p.run()
            p.waitUntilExit()
            if listed.contains(names) {
                let pub = try String(contentsOfFile: "\(dir)/\(file).pub", encoding: .utf8).split(separator: " ").prefix(2).joined(separator: " ")
                lines.append("\(names) \(pub)")
            }
        }
        try (lines.joined(separator: "\n") + "\n").write(toFile: "\(dir)/allowed_signers", atomically: true, encoding: .utf8)
        checker = SSHSignatureChecker(allowedSigners: "\(dir)/allowed_signers")
    }

    deinit { try? FileManager.default.removeItem(atPath: dir) }

    func keyFile(_ name: String) -> String { "\(dir)/\(name)" }

    func sign(_ name: String, _ statement: SignedStatement) throws -> Signed {
        Signed(statement: statement.text, signature: try SSHKeygen.sign(statement.text, keyFile: keyFile(name), namespace: SignedStatement.namespace))
    }

    func fingerprint(_ signed: Signed) -> String { SSHSignatureBlob(armored: signed.signature)!.fingerprint }
}
