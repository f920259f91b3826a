internal import Crypto

/// SHA-256 and HMAC-SHA256 from swift-crypto, behind one small type so that
/// the journal's hash chain, `SHA256SUMS`, the approval statement's command
/// hash and the STS identity proof all hash the same way, and no module
/// above this one needs to know which library does it.
public struct SHA256Hash: Sendable {
    private var hasher = Crypto.SHA256()

    public init() {}

    public mutating func update<C: Collection>(_ bytes: C) where C.Element == UInt8 {
        // The journal hashes each event on the hot path: contiguous input
        // is hashed in place, without a copy.
        if let done: Void = bytes.withContiguousStorageIfAvailable({ hasher.update(bufferPointer: UnsafeRawBufferPointer($0)) }) { return done }
        Array(bytes).withUnsafeBytes { hasher.update(bufferPointer: $0) }
    }

    public func finalize() -> [UInt8] { Array(hasher.finalize()) }

    /// The 32-byte digest of `bytes`.
    public static func digest<C: Collection>(_ bytes: C) -> [UInt8] where C.Element == UInt8 {
        var h = SHA256Hash()
        h.update(bytes)
        return h.finalize()
    }

    /// Lower-case hex digest of `bytes`.
    public static func hex<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        hexString(digest(bytes))
    }

    public static func hexString(_ digest: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(digest.count * 2)
        for b in digest { out.append(digits[Int(b >> 4)]); out.append(digits[Int(b & 15)]) }
        return String(decoding: out, as: UTF8.self)
    }

    /// HMAC-SHA256 (RFC 2104) of `message` under `key`.
    public static func hmac(key: [UInt8], message: [UInt8]) -> [UInt8] {
        Array(HMAC<Crypto.SHA256>.authenticationCode(for: message, using: SymmetricKey(data: key)))
    }
}
