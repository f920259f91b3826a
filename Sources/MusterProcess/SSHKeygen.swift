#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// Signs and verifies with OpenSSH's own `ssh-keygen -Y` (sshsig), so
/// approvals use the keys people already have, agent keys included, and
/// the `allowed_signers` format and checks (validity dates, namespaces,
/// certificate authorities) are OpenSSH's, not a reimplementation.
///
/// Data and signature pass through files in a private temporary folder,
/// never the command line (`ps`); the output comes back through
/// ChildProcess's pipes.
public enum SSHKeygen {
    public struct Failure: Error, Sendable {
        public var message: String
    }

    /// The armored signature of `data` by the key `keyFile` (a private key,
    /// or a public key whose private half ssh-agent holds).
    public static func sign(_ data: String, keyFile: String, namespace: String) throws(Failure) -> String {
        let r = try run(["-Y", "sign", "-f", keyFile, "-n", namespace], stdin: data, files: [:])
        guard r.status == 0, r.stdout.hasPrefix("-----BEGIN SSH SIGNATURE-----") else {
            throw Failure(message: "ssh-keygen could not sign with \(keyFile)" + (r.stderr.isEmpty ? "" : ": \(r.stderr)"))
        }
        return r.stdout
    }

    /// The principals `allowedSigners` gives the key that made `signature`
    /// (empty when it lists none).
    public static func principals(signature: String, allowedSigners: String) throws(Failure) -> [String] {
        let r = try run(["-Y", "find-principals", "-s", "@sig", "-f", allowedSigners], stdin: "", files: ["@sig": signature])
        guard r.status == 0 else { return [] }
        return r.stdout.split(whereSeparator: \.isNewline).flatMap { $0.split(separator: ",") }.map(String.init)
    }

    /// Whether `signature` is `principal`'s over `data` in `namespace`.
    public static func verify(_ data: String, signature: String, principal: String, namespace: String, allowedSigners: String) throws(Failure) -> Bool {
        try run(["-Y", "verify", "-f", allowedSigners, "-I", principal, "-n", namespace, "-s", "@sig"], stdin: data, files: ["@sig": signature]).status == 0
    }

    /// Public key text of `keyFile` (`ssh-keygen -y`, or the file itself
    /// for a `.pub`), for the line a person adds to `allowed_signers`.
    public static func publicKey(of keyFile: String) -> String? {
        if keyFile.hasSuffix(".pub") { return try? readText(keyFile) }
        guard let r = try? run(["-y", "-P", "", "-f", keyFile], stdin: "", files: [:]), r.status == 0 else { return nil }
        return r.stdout
    }

    struct Output { var status: Int32; var stdout: String; var stderr: String }

    /// Runs ssh-keygen with `files` written into a private folder (an
    /// argument naming one is replaced by its path).
    static func run(_ args: [String], stdin: String, files: [String: String]) throws(Failure) -> Output {
        var template = Array("/tmp/muster-sshsig-XXXXXX".utf8CString)
        guard let dirPtr = mkdtemp(&template) else { throw Failure(message: "cannot create a temporary folder: \(String(cString: strerror(errno)))") }
        let dir = String(cString: dirPtr)
        defer {
            for name in ["in"] + files.keys.map({ String($0.dropFirst()) }) { unlink(dir + "/" + name) }
            rmdir(dir)
        }
        func write(_ name: String, _ text: String) throws(Failure) {
            let fd = open(dir + "/" + name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
            guard fd >= 0 else { throw Failure(message: "cannot write \(dir)/\(name): \(String(cString: strerror(errno)))") }
            defer { close(fd) }
            let bytes = Array(text.utf8)
            guard bytes.withUnsafeBytes({ Glibc.write(fd, $0.baseAddress, $0.count) }) == bytes.count else {
                throw Failure(message: "cannot write \(dir)/\(name)")
            }
        }
        try write("in", stdin)
        for (name, text) in files { try write(String(name.dropFirst()), text) }
        let argv = ["ssh-keygen"] + args.map { files[$0] != nil ? dir + "/" + $0.dropFirst() : $0 }
        let ran: ChildProcess.Ran
        do { ran = try ChildProcess.run("ssh-keygen", argv: argv, stdin: dir + "/in") } catch {
            throw Failure(message: "cannot run ssh-keygen (\(error.message)): install OpenSSH's client (apt install openssh-client)")
        }
        let err = String(decoding: ran.stderr, as: UTF8.self).split(whereSeparator: \.isNewline).last.map(String.init) ?? ""
        return Output(status: ran.status, stdout: String(decoding: ran.stdout, as: UTF8.self), stderr: err)
    }

    static func readText(_ path: String) throws(Failure) -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw Failure(message: "cannot read \(path)") }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 8192)
        while true {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { break }
            bytes += buffer[0..<n]
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
