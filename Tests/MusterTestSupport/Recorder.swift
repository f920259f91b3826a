import Foundation

/// A server that records what reached it (recorder.py): the other host of a
/// redirect, or a chat webhook, in tests that check what was sent where.
public final class Recorder {
    public let server: HTTPTestServer
    public let log: String
    public var base: String { server.base }
    public var port: Int { server.port }

    /// `redirect`: answer every request with this status and a Location on
    /// `to`; else with `reply` (by default 200 and `{"ok": true, "id": 1}`).
    public init(redirect: (code: Int, to: String)? = nil, reply: (status: Int, body: String)? = nil) throws {
        log = NSTemporaryDirectory() + "recorder-\(UUID().uuidString).jsonl"
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        var env = ["RECORD_LOG": log]
        if let redirect {
            env["REDIRECT_CODE"] = String(redirect.code)
            env["REDIRECT_TO"] = redirect.to
        }
        if let reply {
            env["REPLY_STATUS"] = String(reply.status)
            env["REPLY_BODY"] = reply.body
        }
        server = try HTTPTestServer(script: "recorder.py", environment: env)
    }

    public struct Request: Sendable {
        public var method: String
        public var path: String
        public var body: String
        public var headers: [String: String]
        /// Everything received, for "this text never arrived" checks.
        public var all: String { ([method, path, body] + headers.flatMap { [$0.key, $0.value] }).joined(separator: "\n") }
    }

    /// The requests received so far, in order.
    public func requests() throws -> [Request] {
        let text = try String(contentsOfFile: log, encoding: .utf8)
        return text.split(separator: "\n").compactMap { line in
            guard let o = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { return nil }
            return Request(method: o["method"] as? String ?? "", path: o["path"] as? String ?? "", body: o["body"] as? String ?? "",
                           headers: o["headers"] as? [String: String] ?? [:])
        }
    }

    deinit { try? FileManager.default.removeItem(atPath: log) }
}
