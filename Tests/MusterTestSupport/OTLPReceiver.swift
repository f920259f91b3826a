import Foundation

/// An OTLP/HTTP trace receiver (otlp_receiver.py) that decodes what it gets
/// with the official opentelemetry-proto definitions, for as long as this
/// object lives.
public final class OTLPReceiver {
    public let server: HTTPTestServer
    public let log: String
    public var base: String { server.base }

    /// `slow`: seconds to wait before answering each request. `answers`:
    /// the statuses of the first requests, `"503:1"` with `Retry-After: 1`.
    public init(slow: Double = 0, answers: [String] = []) throws {
        log = NSTemporaryDirectory() + "otlp-\(UUID().uuidString).jsonl"
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        var env = ["RECORD_LOG": log]
        if slow > 0 { env["SLOW_SECONDS"] = String(slow) }
        if !answers.isEmpty { env["ANSWERS"] = answers.joined(separator: ",") }
        server = try HTTPTestServer(script: "otlp_receiver.py", environment: env)
    }

    /// The requests decoded so far, each as the receiver wrote it.
    public func requests() throws -> [[String: Any]] {
        let text = try String(contentsOfFile: log, encoding: .utf8)
        return text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    deinit { try? FileManager.default.removeItem(atPath: log) }
}
