#if canImport(Glibc)
@preconcurrency import Glibc
#endif
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Dispatch
import MusterBasics
import MusterFormat
import MusterEngine
import MusterJournal
import MusterDrills
import MusterPreflight
import MusterApp
import MusterProcess
import MusterStore
import MusterTerminal
import Synchronization

/// Requests from other machines, through the shared store: `muster approve`
/// and `muster takeover` elsewhere put one object each under
/// `PREFIX/runs/RUN_ID/requests/`, with a proof of who they are (a signed
/// STS call, see IdentityProof) that this session checks with AWS before it
/// believes a name. The same RunInbox as the request folder of one host.
final class StoreInbox: RunInbox {
    /// A request object: the request folder's body, when it was made, and the proof.
    struct Body: Codable {
        var request: RequestFolder.Body
        var at: Double
        var proof: IdentityProof
    }

    let store: S3Store
    let runID: String
    /// Checked once each: what AWS said, or that it was refused.
    private var checked: [String: TeamRequest] = [:]
    private var refused: Set<String> = []
    /// A takeover from another machine counts this long after it was made.
    static let takeoverLife = 600.0

    /// How long a session on another machine may be silent (no heartbeat)
    /// before a takeover stops waiting for it: `MUSTER_STORE_LEASE` seconds,
    /// default 45. It says it lives every third of that (at most every 10 s).
    static let lease: Double = ProcessInfo.processInfo.environment["MUSTER_STORE_LEASE"].flatMap(Double.init).map { min(max($0, 3), 3600) } ?? 45
    static var beat: Double { min(10, lease / 3) }

    init(store: S3Store, runID: String) {
        self.store = store
        self.runID = runID
    }

    static func prefix(_ store: S3Store, runID: String) -> String { store.path.key("runs/\(runID)/requests/") }

    /// What binds a proof to one request: no other request can reuse it.
    static func binding(runID: String, name: String) -> String { "muster \(runID) \(name)" }

    func pending(taken: Set<String>) -> [TeamRequest] {
        let prefix = Self.prefix(store, runID: runID)
        guard let keys = try? store.list(prefix: prefix).keys else { return [] }
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
            guard let bytes = try? store.get(key), bytes.count <= RequestFolder.largest,
                  let body = try? JSONDecoder().decode(Body.self, from: Data(bytes)), body.request.runID == runID else {
                refused.insert(name)
                continue
            }
            do {
                let who = try store.verify(body.proof, binding: Self.binding(runID: runID, name: name))
                let b = body.request
                let r = TeamRequest(id: name, user: who.name, kind: b.kind, step: b.step, reason: b.reason, now: b.now ?? false,
                                    pid: nil, host: b.host, name: b.name, arn: who.arn, signed: b.signed)
                checked[name] = r
                made[name] = body.at
                out.append(r)
            } catch {
                refused.insert(name)
                printError("muster: warning: a request from another machine (\(name)) was refused: \(error.message)")
            }
        }
        return out
    }

    private var made: [String: Double] = [:]

    /// A request journaled is removed from the store: its proof carries the
    /// requester's session token (never their secret key), which has no
    /// business staying in the bucket.
    func taken(_ request: TeamRequest) {
        try? store.delete(Self.prefix(store, runID: runID) + request.id)
    }

    /// A takeover from another machine counts while its maker has not
    /// withdrawn it (Ctrl-C deletes it) and for `takeoverLife` at most.
    func isWaiting(_ request: TeamRequest) -> Bool {
        guard let at = made[request.id], Date().timeIntervalSince1970 - at < Self.takeoverLife else { return false }
        return (try? store.get(Self.prefix(store, runID: runID) + request.id)) != nil
    }

    /// Leaves a request for the session executing `runID`, as this
    /// machine's AWS identity; returns its name.
    static func submit(_ request: RequestFolder.Body, store: S3Store, runID: String) throws -> String {
        let name = "\(utcStamp(compact: true))-\(osUser())-\(hostName())-\(UInt32.random(in: 0...UInt32.max)).json"
        do {
            let proof = try store.identityProof(binding: binding(runID: runID, name: name))
            let body = Body(request: request, at: Date().timeIntervalSince1970, proof: proof)
            let bytes = Array((try? JSONEncoder().encode(body)) ?? Data())
            guard try store.putIfAbsent(prefix(store, runID: runID) + name, bytes, contentType: "application/json") == .created else {
                throw CommandFailure(message: "a request named \(name) exists already in the store; try again")
            }
        } catch let e as StoreError {
            throw CommandFailure(message: e.message)
        }
        return name
    }

    /// Wakes the session when a request arrives from another machine (a
    /// listing every 2 s on a store of its own), and says the session is
    /// alive (`live.json`, every 10 s) for a takeover elsewhere to tell a
    /// live session from a dead one.
    func watch(settings: StoreSettings, live: [String: String]) {
        guard let poller = try? S3Store(path: store.path, settings: settings) else { return }
        let prefix = Self.prefix(store, runID: runID)
        let liveKey = store.path.key("runs/\(runID)/live.json")
        let beat = Mutex<Double>(0)
        watcher = RequestWatch(label: "muster.store-requests", every: min(2, Self.beat)) {
            let now = Date().timeIntervalSince1970
            if beat.withLock({ now - $0 >= Self.beat - 0.5 }) {
                var body = live
                body["at"] = String(now)
                if (try? poller.put(liveKey, Array(((try? JSONEncoder().encode(body)) ?? Data())), contentType: "application/json")) != nil {
                    beat.withLock { $0 = now }
                }
            }
            return (try? poller.list(prefix: prefix).keys).map(Set.init)
        }
    }

    private var watcher: RequestWatch?

    /// How long ago the session executing `runID` said it was alive; nil if it never did.
    static func silence(store: S3Store, runID: String) -> Double? {
        guard let bytes = try? store.get(store.path.key("runs/\(runID)/live.json")),
              let body = try? JSONDecoder().decode([String: String].self, from: Data(bytes)), let at = body["at"].flatMap(Double.init) else { return nil }
        return Date().timeIntervalSince1970 - at
    }
}

/// Requests from both places a run takes them: this host's request folder and the store.
final class Inboxes: RunInbox {
    let all: [RunInbox]
    /// Which inbox each request came from.
    private var source: [String: Int] = [:]
    init(_ all: [RunInbox]) { self.all = all }
    func pending(taken: Set<String>) -> [TeamRequest] {
        all.enumerated().flatMap { i, inbox in
            inbox.pending(taken: taken).map { r in
                source[r.id] = i
                return r
            }
        }
    }
    func isWaiting(_ request: TeamRequest) -> Bool { source[request.id].map { all[$0].isWaiting(request) } ?? false }
    func taken(_ request: TeamRequest) { source[request.id].map { all[$0].taken(request) } }
}
