#if canImport(Glibc)
@preconcurrency import Glibc
#endif
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import MusterBasics
import MusterFormat
import MusterEngine
import MusterJournal
import MusterDrills
import MusterPreflight
import MusterProcess
import MusterStore
import MusterTeam
import MusterTerminal

/// A shared store this session reaches, and who it is there. Opening it
/// asks STS who the credentials are and checks the bucket, so a refusal
/// stops the command before anything runs, naming bucket and identity.
package final class SharedStore {
    package let path: StorePath
    package let log: EventLog
    /// The same store on the team protocol's port (MusterTeam).
    package let client: S3StoreClient
    /// Nil when the store (or STS) could not be reached at the start.
    package let identity: CallerIdentity?
    /// Why the store could not be reached at the start: a run then asks
    /// at its first event whether to go on alone.
    package let unreachable: StoreError?
    /// Why STS named no identity though the bucket answered (it does not
    /// serve GetCallerIdentity): sessions there are known by OS user and
    /// host only.
    package let unattested: StoreError?
    /// Where the credentials came from ("web identity, role arn:…").
    package let credentialSummary: String
    package var url: String { "s3://\(path.bucket)" + (path.prefix.isEmpty ? "" : "/\(path.prefix)") }

    package init(path: StorePath, env: [String: String]) throws {
        self.path = path
        let s3: S3Store
        do {
            s3 = try S3Store(path: path, settings: StoreSettings.resolve(environment: env, mfaCode: MFAQuestion.ask))
        } catch {
            throw CommandFailure(message: "the shared store \(Self.display(path)) cannot be used: \(error.message)")
        }
        // A session that is stopping gives the store 5 s, not its timeout.
        s3.stopping = { SignalWatch.ending }
        if let t = env["MUSTER_STORE_TIMEOUT"].flatMap(Double.init) { s3.timeout = min(max(t, 1), 300) }
        log = EventLog(store: s3)
        client = S3StoreClient(s3)
        var who: CallerIdentity?
        var unattested: StoreError?
        do {
            do {
                who = try s3.callerIdentity()
            } catch where error.kind == .refused || error.kind == .failed {
                // STS only names the session's principal, as context
                // (approvals are SSH signatures): a store without it
                // (MinIO, Ceph RGW, R2) still shares runs if its bucket
                // takes these credentials.
                unattested = error
            }
            try s3.headBucket()
            unreachable = nil
        } catch {
            // The store may be in the failing region: that is no reason
            // not to run. A refusal is: it needs a person to fix.
            guard error.kind == .unreachable else {
                // STS's words, when it refused too, name whose credentials.
                let sts = unattested.flatMap { $0.message == error.message ? nil : " (GetCallerIdentity: \($0.message))" } ?? ""
                throw CommandFailure(message: "the shared store \(Self.display(path)) cannot be used: \(error.message)\(sts)")
            }
            unreachable = error
        }
        identity = who
        self.unattested = unreachable == nil ? unattested : nil
        credentialSummary = s3.settings.credentialSummary
    }

    /// The event in an object of the store, which must be one journal line
    /// (newline included) with the sequence number of its key: anything
    /// else would damage the local journal it is appended to.
    package func event(_ bytes: [UInt8], seq: Int, runID: String) throws(CommandFailure) -> JournalEvent {
        do { return try StoreEvents(store: client).event(bytes, seq: seq, runID: runID) } catch { throw CommandFailure(message: error.message) }
    }

    package static func display(_ p: StorePath) -> String { "s3://\(p.bucket)" + (p.prefix.isEmpty ? "" : "/\(p.prefix)") }

    /// "shared through s3://… as ARN (OS user alice)", said at a session's start.
    package var banner: String {
        if let unattested {
            return "shared through \(url) as OS user \(osUser()) on \(hostName()); session identities are not attested by AWS there (its STS answered GetCallerIdentity with \(unattested.code ?? "an error"))"
        }
        guard let identity else { return "shared through \(url), which cannot be reached now (OS user \(osUser()))" }
        return "shared through \(url) as \(identity.arn) (OS user \(osUser()))"
    }

    /// Brings the local journal of `id` up to the store: events another
    /// machine wrote after the local last one are appended as written
    /// (a crash between the store's put and the local write loses nothing),
    /// after the local last line is settled with the store (LocalTail),
    /// and a run only the store has gets its local folder. Returns how many
    /// events were taken in; nil when neither has the run.
    @discardableResult
    package func catchUp(_ id: String, into runs: RunStore) throws -> Int? {
        let journalPath = runs.journalPath(id)
        let exists = Paths.exists(journalPath)
        var last = -1
        if exists {
            do {
                last = try FileJournal.read(path: journalPath).events.last?.seq ?? -1
                try FileJournal.dropIncompleteTail(path: journalPath)
            } catch {
                throw CommandFailure(message: error.message)
            }
            // The last line may be one the store never got, or lost to another machine's.
            do {
                if case .takenBack(let seq) = try LocalTail(store: client, runID: id).settle(journal: journalPath) { last = seq - 1 }
            } catch where error.kind == .unreachable {
                // Settled at the session's first event (SharedJournal), or put with the backlog.
            } catch {
                throw CommandFailure(message: "cannot settle run \(id)'s last event with the shared store \(url): \(error.message)")
            }
        }
        let foreign: [(seq: Int, bytes: [UInt8])]
        do {
            foreign = try log.events(runID: id, after: last)
        } catch {
            // Unreachable: a run this machine has goes on from its own journal.
            if exists, error.kind == .unreachable {
                printError("muster: warning: the shared store \(url) cannot be reached (\(error.message)); continuing from this machine's journal of run \(id)")
                return 0
            }
            throw CommandFailure(message: "cannot read run \(id) from the shared store \(url): \(error.message)")
        }
        if !exists {
            guard !foreign.isEmpty else { return nil }
            try runs.makeDirectory(runs.runsDir)
            guard StateModes.mkdir(runs.runDir(id)) || errno == EEXIST else {
                throw CommandFailure(message: "cannot create \(runs.runDir(id)): \(String(cString: strerror(errno)))")
            }
        }
        guard !foreign.isEmpty else { return 0 }
        for f in foreign { _ = try event(f.bytes, seq: f.seq, runID: id) }
        do {
            let journal = try FileJournal(path: journalPath)
            for e in foreign { try journal.write(line: e.bytes) }
        } catch {
            throw CommandFailure(message: error.message)
        }
        return foreign.count
    }
}

extension SharedStore {
    /// The store `given` (`--store`), else `MUSTER_STORE`, checked; nil when
    /// neither is set.
    package static func configured(given store: String?, env: [String: String] = ProcessInfo.processInfo.environment) throws -> SharedStore? {
        let given = store ?? env["MUSTER_STORE"].flatMap { $0.isEmpty ? nil : $0 }
        guard let given else { return nil }
        let from = store != nil ? "--store" : "MUSTER_STORE"
        let path: StorePath
        do {
            path = try StorePath(parsing: given)
        } catch {
            throw CommandFailure(message: "\(from): \(error.message)")
        }
        if let problem = TeamWiring.problem(in: env) { throw CommandFailure(message: problem) }
        return try SharedStore(path: path, env: env)
    }
}
