#if canImport(Glibc)
@preconcurrency import Glibc
#endif
import Foundation

/// moto (an S3 and STS stand-in) on 127.0.0.1 for as long as this object
/// lives, checking signatures and IAM policies (unless `open`), with the
/// bucket `muster-runs` and the identities moto_store.py makes. `port`
/// starts it on a given port (a store restarted where it was).
public final class MotoStore: @unchecked Sendable {
    public let process = Process()
    public let port: Int
    public let alice: (key: String, secret: String)
    public let mallory: (key: String, secret: String)
    public let session: (key: String, secret: String, token: String)
    /// A folder standing for the machine's home: no real ~/.aws is read.
    public let home: String

    public init(open: Bool = false, port: Int? = nil) throws {
        let line = Data(try startPythonHelper("moto_store.py", arguments: (open ? ["--open"] : []) + (port.map { [String($0)] } ?? []),
                                              python: Self.python, into: process).utf8)
        let json = (try? JSONSerialization.jsonObject(with: line)) as? [String: Any] ?? [:]
        func pair(_ name: String) -> [String] { json[name] as? [String] ?? ["", "", ""] }
        self.port = json["port"] as? Int ?? 0
        alice = (pair("alice")[0], pair("alice")[1])
        mallory = (pair("mallory")[0], pair("mallory")[1])
        session = (pair("session")[0], pair("session")[1], pair("session")[2])
        home = FileManager.default.temporaryDirectory.appendingPathComponent("muster-moto-home-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        if self.port == 0 { throw MotoFailure(message: "moto did not start (is moto installed? scripts/install-deps installs it)") }
    }

    /// The sandbox's tools: the machine's python3 if it has moto, else the
    /// venv sandbox/sandbox makes. Asked once: importing moto takes seconds.
    private static let python: String = {
        let venv = NSHomeDirectory() + "/.cache/muster/aws-venv/bin/python3"
        let hasMoto = (try? sh("python3 -c 'import moto.server, boto3'", cwd: "/")) != nil
        return hasMoto || !FileManager.default.fileExists(atPath: venv) ? "python3" : venv
    }()

    public var endpoint: String { "http://127.0.0.1:\(port)" }

    private static let sharedLock = NSLock()
    nonisolated(unsafe) private static var sharedStores: [Bool: MotoStore] = [:]

    /// One moto per test process and kind (open or checked), started on
    /// first use: starting one costs seconds (Python imports moto), so
    /// tests that never stop it share it, each under a prefix of its own.
    /// It ends with the test process (moto_store.py watches its parent).
    public static func shared(open: Bool = false) throws -> MotoStore {
        try sharedLock.withLock {
            if let store = sharedStores[open], store.process.isRunning { return store }
            let store = try MotoStore(open: open)
            sharedStores[open] = store
            return store
        }
    }

    /// An environment of a machine using the store as `who` (alice by default).
    public func env(_ who: (key: String, secret: String)? = nil, _ extra: [String: String] = [:]) -> [String: String] {
        let who = who ?? alice
        var env = ["HOME": home, "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin",
                   "AWS_ENDPOINT_URL": endpoint, "AWS_REGION": "eu-west-1",
                   "AWS_ACCESS_KEY_ID": who.key, "AWS_SECRET_ACCESS_KEY": who.secret]
        for (k, v) in extra { env[k] = v }
        return env.filter { !$0.value.isEmpty }
    }

    public func stop() {
        guard process.isRunning else { return }
        // SIGKILL: children of the test runner inherit a blocked SIGTERM.
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    deinit { stop() }
}

public struct MotoFailure: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}

/// tcp_proxy.py in front of a server: `stop()` makes the server unreachable
/// (connection refused), `init(to:port:)` on the same port brings it back
/// with its state.
public final class TCPProxy {
    public let process = Process()
    public let port: Int

    /// `holdPut`: the answer to that PUT of an event (1 for the first,
    /// "all" for every one) is never passed back, though the server got the
    /// request (see tcp_proxy.py). `stallPut`: that PUT of an event never
    /// reaches the server and is never answered.
    public init(to target: Int, port: Int? = nil, holdPut: String? = nil, stallPut: Int? = nil) throws {
        // Appended one by one: as one `+` chain of optionals this line took
        // the type checker 5 to 14 s of every build.
        var args = [String(target)]
        if let port { args.append(String(port)) }
        if let holdPut { args += ["--hold-put", holdPut] }
        if let stallPut { args += ["--stall-put", String(stallPut)] }
        self.port = Int(try startPythonHelper("tcp_proxy.py", arguments: args, into: process)) ?? 0
        if self.port == 0 { throw MotoFailure(message: "the TCP proxy did not start") }
    }

    public func stop() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    deinit { stop() }
}
