#if canImport(Glibc)
@preconcurrency import Glibc
#endif
import Foundation
import MusterStore
import MusterTestSupport

/// moto (an S3 and STS stand-in) on 127.0.0.1 for as long as this object
/// lives, checking signatures and IAM policies (unless `open`), with the
/// bucket `muster-runs` and the identities moto_store.py makes.
final class MotoStore {
    let process = Process()
    let port: Int
    let alice: (key: String, secret: String)
    let mallory: (key: String, secret: String)
    let session: (key: String, secret: String, token: String)
    /// A folder standing for the machine's home: no real ~/.aws is read.
    let home: String

    init(open: Bool = false) throws {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("moto_store.py").path
        // The sandbox's tools: the machine's python3 if it has moto, else the venv sandbox/sandbox makes.
        let venv = NSHomeDirectory() + "/.cache/muster/aws-venv/bin/python3"
        let hasMoto = (try? sh("python3 -c 'import moto.server, boto3'", cwd: "/")) != nil
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [hasMoto || !FileManager.default.fileExists(atPath: venv) ? "python3" : venv, script] + (open ? ["--open"] : [])
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
        let json = (try? JSONSerialization.jsonObject(with: line)) as? [String: Any] ?? [:]
        func pair(_ name: String) -> [String] { json[name] as? [String] ?? ["", "", ""] }
        port = json["port"] as? Int ?? 0
        alice = (pair("alice")[0], pair("alice")[1])
        mallory = (pair("mallory")[0], pair("mallory")[1])
        session = (pair("session")[0], pair("session")[1], pair("session")[2])
        home = try temporaryDirectory()
        if port == 0 { throw StoreError(.failed, "moto did not start (is moto installed? sandbox/sandbox up installs it)") }
    }

    var endpoint: String { "http://127.0.0.1:\(port)" }

    /// An environment of a machine using the store as `who` (alice by default).
    func env(_ who: (key: String, secret: String)? = nil, _ extra: [String: String] = [:]) -> [String: String] {
        let who = who ?? alice
        var env = ["HOME": home, "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin",
                   "AWS_ENDPOINT_URL": endpoint, "AWS_REGION": "eu-west-1",
                   "AWS_ACCESS_KEY_ID": who.key, "AWS_SECRET_ACCESS_KEY": who.secret]
        for (k, v) in extra { env[k] = v }
        return env.filter { !$0.value.isEmpty }
    }

    func store(_ env: [String: String], _ path: String = "s3://muster-runs/team") throws -> S3Store {
        try S3Store(path: StorePath(parsing: path), settings: StoreSettings.resolve(environment: env))
    }

    func stop() {
        guard process.isRunning else { return }
        // SIGKILL: children of the test runner inherit a blocked SIGTERM.
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    deinit { stop() }
}

func temporaryDirectory() throws -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("muster-store-test-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
}

/// What `body` threw, as a StoreError.
func storeError(_ body: () throws -> Void) -> StoreError? {
    do { try body() } catch let e as StoreError { return e } catch { return StoreError(.failed, "not a StoreError: \(error)") }
    return nil
}
