/// Where a team's runs live: `s3://BUCKET/PREFIX`, as `MUSTER_STORE` and
/// `--store` give it. The prefix may be empty; it never starts or ends with
/// `/` once parsed, so keys are `PREFIX/runs/…` without doubled slashes.
public struct StorePath: Sendable, Equatable, CustomStringConvertible {
    public var bucket: String
    public var prefix: String

    public init(bucket: String, prefix: String) {
        self.bucket = bucket
        self.prefix = prefix
    }

    /// Parses `s3://BUCKET[/PREFIX]`; the error says what is wrong and what
    /// a good value looks like.
    public init(parsing text: String) throws(StoreError) {
        let example = "write it as s3://BUCKET/PREFIX, e.g. s3://acme-muster-runs/payments"
        guard text.hasPrefix("s3://") else {
            throw StoreError(.configuration, "the store \(Self.quote(text)) is not an s3:// address; \(example)")
        }
        let rest = text.dropFirst(5)
        let bucket = String(rest.prefix { $0 != "/" })
        var prefix = Substring(rest.dropFirst(bucket.count))
        while prefix.first == "/" { prefix = prefix.dropFirst() }
        while prefix.last == "/" { prefix = prefix.dropLast() }
        if let problem = Self.bucketProblem(bucket) {
            throw StoreError(.configuration, "the store \(Self.quote(text)) names no usable bucket: \(problem); \(example)")
        }
        if !prefix.isEmpty, prefix.split(separator: "/", omittingEmptySubsequences: false).contains(where: { $0.isEmpty || $0 == "." || $0 == ".." }) {
            throw StoreError(.configuration, "the store \(Self.quote(text)) has an empty, `.` or `..` part in its prefix; \(example)")
        }
        if prefix.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f }) {
            throw StoreError(.configuration, "the store \(Self.quote(text)) has a control character in its prefix")
        }
        self.init(bucket: bucket, prefix: String(prefix))
    }

    public var description: String { prefix.isEmpty ? "s3://\(bucket)" : "s3://\(bucket)/\(prefix)" }

    /// The key of `path` under the prefix.
    public func key(_ path: String) -> String { prefix.isEmpty ? path : prefix + "/" + path }

    /// What breaks S3's bucket naming rules (3 to 63 characters of
    /// lowercase letters, digits, `-` and `.`, starting and ending with a
    /// letter or digit, no `..`, not an IP address), or nil.
    static func bucketProblem(_ name: String) -> String? {
        if name.isEmpty { return "the bucket name is missing" }
        guard (3...63).contains(name.count) else { return "a bucket name has 3 to 63 characters, \(quote(name)) has \(name.count)" }
        let allowed = Set("abcdefghijklmnopqrstuvwxyz0123456789-.")
        if let bad = name.first(where: { !allowed.contains($0) }) {
            return "a bucket name has only lowercase letters, digits, `-` and `.`; \(quote(name)) has \(quote(String(bad)))"
        }
        let ends = Set("abcdefghijklmnopqrstuvwxyz0123456789")
        guard let first = name.first, let last = name.last, ends.contains(first), ends.contains(last) else {
            return "a bucket name starts and ends with a letter or a digit"
        }
        if name.contains("..") { return "a bucket name has no `..`" }
        if name.split(separator: ".").count == 4, name.split(separator: ".").allSatisfy({ UInt8($0) != nil }) {
            return "a bucket name is not an IP address"
        }
        return nil
    }

    static func quote(_ text: String) -> String {
        "`" + String(text.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7f ? "?" : Character($0) }) + "`"
    }
}
