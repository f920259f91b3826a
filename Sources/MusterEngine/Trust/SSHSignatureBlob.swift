#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import MusterBasics
import MusterFormat

/// What an armored SSH signature (`-----BEGIN SSH SIGNATURE-----`, the
/// SSHSIG format of OpenSSH's PROTOCOL.sshsig) says about itself: the
/// public key that made it and the namespace. Read here so the key's
/// fingerprint, which the rule compares, never comes from a field the
/// signer wrote beside the signature.
public struct SSHSignatureBlob: Sendable, Equatable {
    public var publicKey: [UInt8]
    public var namespace: String

    /// `SHA256:` and the unpadded base64 of the key's SHA-256, as
    /// `ssh-keygen -l` prints it.
    public var fingerprint: String {
        var b64 = Data(SHA256Hash.digest(publicKey)).base64EncodedString()
        while b64.hasSuffix("=") { b64.removeLast() }
        return "SHA256:" + b64
    }

    public init?(armored: String) {
        let blank: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" }
        let lines = armored.split(whereSeparator: \.isNewline).map { String($0.drop(while: blank).reversed().drop(while: blank).reversed()) }
        guard lines.first == "-----BEGIN SSH SIGNATURE-----", lines.last == "-----END SSH SIGNATURE-----", lines.count > 2,
              armored.utf8.count < 16 << 10,
              let blob = Data(base64Encoded: lines.dropFirst().dropLast().joined()) else { return nil }
        var r = Reader(bytes: Array(blob))
        guard r.take(6) == Array("SSHSIG".utf8), r.uint32() == 1, let key = r.string(), let ns = r.string(),
              let nsText = String(validating: ns, as: UTF8.self), !key.isEmpty else { return nil }
        publicKey = key
        namespace = nsText
    }

    /// SSH wire format: big-endian lengths before byte strings.
    struct Reader {
        let bytes: [UInt8]
        var at = 0
        mutating func take(_ n: Int) -> [UInt8]? {
            guard n >= 0, at + n <= bytes.count else { return nil }
            defer { at += n }
            return Array(bytes[at..<(at + n)])
        }
        mutating func uint32() -> UInt32? {
            take(4).map { $0.reduce(0) { $0 << 8 | UInt32($1) } }
        }
        mutating func string() -> [UInt8]? {
            guard let n = uint32(), n < 1 << 16 else { return nil }
            return take(Int(n))
        }
    }
}
