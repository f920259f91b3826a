#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import MusterBasics
import MusterFormat
import MusterEngine
import MusterJournal

/// Requests from other machines, through the shared store: `muster approve`
/// and `muster takeover` elsewhere put one object each under
/// `PREFIX/runs/RUN_ID/requests/`, with a proof of who they are (a signed
/// STS call, see `IdentityCheck`) that this session checks before it
/// believes a name. The same RunInbox as the request folder of one host.
public final class StoreInbox: RunInbox {
    /// A request object: the request folder's body, when it was made, and the proof.
    public struct Body: Codable, Sendable {
        public var request: RequestBody
        public var at: Double
        public var proof: RequestProof

        public init(request: RequestBody, at: Double, proof: RequestProof) {
            self.request = request
            self.at = at
            self.proof = proof
        }
    }

    let store: any StoreClient
    let identity: any IdentityCheck
    let runID: String
    let settings: TeamSettings
    let wallTime: WallTime
    /// Says that a request was refused (the session's warning line).
    let warn: (String) -> Void
    /// Checked once each: what the identity provider said, or that it was refused.
    private var checked: [String: TeamRequest] = [:]
    private var refused: Set<String> = []
    private var made: [String: Double] = [:]

    public init(store: any StoreClient, identity: any IdentityCheck, runID: String, settings: TeamSettings, wallTime: @escaping WallTime,
                warn: @escaping (String) -> Void) {
        self.store = store
        self.identity = identity
        self.runID = runID
        self.settings = settings
        self.wallTime = wallTime
        self.warn = warn
    }

    public static func prefix(_ store: any StoreClient, runID: String) -> String { store.key("runs/\(runID)/requests/") }

    /// What binds a proof to one request: no other request can reuse it.
    public static func binding(runID: String, name: String) -> String { "muster \(runID) \(name)" }

    public func pending(taken: Set<String>) -> [TeamRequest] {
        let prefix = Self.prefix(store, runID: runID)
        guard let keys = try? store.list(prefix: prefix) else { return [] }
        var out: [TeamRequest] = []
        for key in keys {
            let name = String(key.dropFirst(prefix.count))
            guard name.hasSuffix(".json"), !taken.contains(name), !refused.contains(name) else { continue }
            // The name goes into the proof's binding header: plain characters only.
            guard name.count <= 200, name.unicodeScalars.allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "._-".unicodeScalars.contains($0)) }) else {
                refused.insert(name)
                continue
            }
            if let r = checked[name] { out.append(r); continue }
            guard let bytes = try? store.get(key), bytes.count <= RequestBody.largest,
                  let body = try? JSONDecoder().decode(Body.self, from: Data(bytes)), body.request.runID == runID else {
                refused.insert(name)
                continue
            }
            do {
                let who = try identity.verify(body.proof, binding: Self.binding(runID: runID, name: name))
                let b = body.request
                let r = TeamRequest(id: name, user: who.name, kind: b.kind, step: b.step, reason: b.reason, now: b.now ?? false,
                                    pid: nil, host: b.host, name: b.name, arn: who.arn, signed: b.signed)
                checked[name] = r
                made[name] = body.at
                out.append(r)
            } catch {
                refused.insert(name)
                warn("a request from another machine (\(name)) was refused: \(error.message)")
            }
        }
        return out
    }

    /// A request journaled is removed from the store: its proof carries the
    /// requester's session token (never their secret key), which has no
    /// business staying in the bucket.
    public func taken(_ request: TeamRequest) {
        try? store.delete(Self.prefix(store, runID: runID) + request.id)
    }

    /// A takeover from another machine counts while its maker has not
    /// withdrawn it (Ctrl-C deletes it) and for `takeoverLife` at most.
    public func isWaiting(_ request: TeamRequest) -> Bool {
        guard let at = made[request.id], wallTime() - at < settings.takeoverLife.seconds else { return false }
        return (try? store.get(Self.prefix(store, runID: runID) + request.id)) != nil
    }

    /// Leaves a request named `name` for the session executing `runID`,
    /// with a proof of who this machine's identity is, bound to it.
    public static func submit(_ request: RequestBody, name: String, at: Double, store: any StoreClient, identity: any IdentityCheck,
                              runID: String) throws(StoreFailure) {
        let proof = try identity.prove(binding: binding(runID: runID, name: name))
        let body = Body(request: request, at: at, proof: proof)
        let bytes = Array((try? JSONEncoder().encode(body)) ?? Data())
        guard case .written = try store.putIfAbsent(prefix(store, runID: runID) + name, bytes) else {
            throw StoreFailure(.failed, "a request named \(name) exists already in the store; try again")
        }
    }
}

/// Requests from both places a run takes them: this host's request folder and the store.
public final class Inboxes: RunInbox {
    let all: [RunInbox]
    /// Which inbox each request came from.
    private var source: [String: Int] = [:]
    public init(_ all: [RunInbox]) { self.all = all }
    public func pending(taken: Set<String>) -> [TeamRequest] {
        all.enumerated().flatMap { i, inbox in
            inbox.pending(taken: taken).map { r in
                source[r.id] = i
                return r
            }
        }
    }
    public func isWaiting(_ request: TeamRequest) -> Bool { source[request.id].map { all[$0].isWaiting(request) } ?? false }
    public func taken(_ request: TeamRequest) { source[request.id].map { all[$0].taken(request) } }
}
