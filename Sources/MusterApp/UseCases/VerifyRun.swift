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
import MusterTerminal

/// `muster verify`: checks a run's journal chain, its signatures and its
/// record against each other.
package struct VerifyRun {
    package var target: String
    package var journal: String?
    package var requireSignature: Bool
    package var json: Bool
    /// Opened where the command opened it: `--store`, else MUSTER_STORE.
    package var openStore: () throws -> SharedStore?

    package init(target: String, journal: String?, requireSignature: Bool, json: Bool, openStore: @escaping () throws -> SharedStore?) {
        self.target = target
        self.journal = journal
        self.requireSignature = requireSignature
        self.json = json
        self.openStore = openStore
    }

    package func run() throws {
        let out = VerifyOutput(json: json, target: target)
        do {
            try check(out)
        } catch let usage as CommandFailure {
            // No such run or file: a usage error on stderr, as without --json.
            throw usage
        } catch {
            out.finish()
            throw error
        }
        out.finish()
    }

    package func check(_ out: VerifyOutput) throws {
        let ws = Workspace()
        let store = RunStore(root: ws.root)
        try store.checkAccess(write: false)
        if target.hasSuffix(".json") || (Paths.exists(Paths.absolute(target, from: ws.cwd)) && !store.runIDs().contains(target)) {
            out.kind = "record"
            try verifyRecord(Paths.absolute(target, from: ws.cwd), store: store, ws: ws, out: out)
            return
        }
        out.kind = "journal"
        try store.requireRun(target, also: ", and no record file of that name")
        let path = store.journalPath(target)
        let bytes = try read(path)
        let v = JournalVerifier.verify(bytes)
        try report(v, name: sanitize(target), path: Paths.display(path, from: ws.cwd), out: out)
        try checkSignatures(path: path, runID: target, root: ws.root, out: out)
    }

    /// A chain proves nothing about who wrote a line: anyone who may
    /// append can chain a forged approval. Signatures do.
    package func checkSignatures(path: String, runID: String, root: String, out: VerifyOutput) throws {
        guard let events = try? FileJournal.read(path: path).events else { return }
        let signed = events.filter { $0.statement != nil || [.approvalGiven, .approvalDenied].contains($0.event) }
        out.signedEvents = signed.count
        guard !signed.isEmpty else { return }
        let (_, refused) = TrustedFold.check(events, runID: runID, root: root)
        if let first = refused.first {
            for line in TrustedFold.describe(refused) { out.detail(sanitize(line)) }
            throw out.fail("journal of \(sanitize(runID)) holds \(refused.count) event\(refused.count == 1 ? "" : "s") whose signature does not hold, the first \(first.named)")
        }
        out.say("Signatures: \(signed.count) signed event\(signed.count == 1 ? "" : "s") checked against allowed_signers, all hold.")
    }

    /// The record's signer by `allowed_signers`; nil for an unsigned
    /// record (refused with `--signed`). A signature that does not hold
    /// is exit 1, whatever the journal says.
    package func checkSignature(_ record: DrillRecord, text: [UInt8], name: String, root: String, out: VerifyOutput) throws -> Signer? {
        guard let signature = record.signature else {
            if requireSignature {
                throw out.fail("record \(sanitize(name)) is NOT signed, and --signed asks for a signature: it was written without a key or allowed_signers, or its signature was removed")
            }
            return nil
        }
        out.signed = true
        let listed = Signing.allowedSigners(root: root)
        guard Paths.exists(listed) else {
            throw out.fail("record \(sanitize(name)) is signed, but there is no \(Paths.display(listed, from: Paths.currentDirectory)) to check its signature against: run verify in the repository the record belongs to")
        }
        guard let bytes = RecordSignature.signedBytes(text) else {
            throw out.fail("record \(sanitize(name)) does NOT hold its signature as muster writes it (the last key, one string): the record was altered")
        }
        switch RecordSigning.check(bytes, signature: signature, allowedSigners: listed) {
        case .success(let signer):
            out.signer = signer
            return signer
        case .failure(let r):
            throw out.fail("the signature of record \(sanitize(name)) does NOT hold: \(sanitize(r.message))")
        }
    }

    /// The store's own times of a shared run (`--store`, else
    /// `MUSTER_STORE`), against the record and its journal; exit 1 when the
    /// store is read and disagrees. What was checked, or why not, in a line.
    package func checkStoreTimes(_ record: DrillRecord, events: [JournalEvent], name: String, out: VerifyOutput) throws -> String? {
        guard let id = record.runID else { return nil }
        let shared: SharedStore?
        do {
            shared = try openStore()
        } catch let failure as CommandFailure {
            return "Store times not checked: \(failure.message)"
        }
        guard let shared else {
            return record.storeTimes.map { "The record says the store received events \($0.firstSeq) to \($0.lastSeq) between \($0.firstAt) and \($0.lastAt); set MUSTER_STORE (or --store) to check that against the store." }
        }
        guard let received = RecordStoreTimes.received(shared, runID: id) else { return "Store times not checked: \(shared.url) could not be read." }
        if let problem = StoreTimesCheck.problem(record: record, events: events, received: received) {
            throw out.fail("record \(sanitize(name)) does NOT agree with the shared store \(shared.url): \(sanitize(problem))")
        }
        guard let last = events.last?.seq, let t = StoreTimesCheck.times(received: received, lastSeq: last) else {
            return "The shared store \(shared.url) holds no event of run \(sanitize(id)): the run was not shared there."
        }
        return "The shared store \(shared.url) received events \(t.firstSeq) to \(t.lastSeq) between \(t.firstAt) and \(t.lastAt), by its own clock, as the journal says."
    }

    package func read(_ path: String) throws -> [UInt8] {
        do { return try Paths.read(path) } catch { throw CommandFailure(message: "cannot read \(path): \(error)") }
    }

    /// Prints what the chain proves; throws exit 1 when it is broken.
    package func report(_ v: JournalVerification, name: String, path: String, out: VerifyOutput) throws {
        out.journal = path
        out.events = v.lines
        if let problem = v.problem {
            throw out.fail("journal of \(name) is NOT intact: \(sanitize(problem))")
        }
        guard let start = v.chainStartsAt, let last = v.finalHash else {
            throw out.fail("journal of \(name) has no hash chain: it was written before muster chained journals, or its hashes were removed; nothing in it can be verified")
        }
        out.chainStartsAt = start
        out.finalHash = last
        out.say("Journal of \(name) is intact: \(v.lines) events, chained from line \(start).")
        if start > 1 { out.say("Lines 1 to \(start - 1) were written before muster chained journals: they are not covered.") }
        out.say("Final hash: \(last)")
        out.say("Journal: \(path)")
    }

    package func verifyRecord(_ path: String, store: RunStore, ws: Workspace, out: VerifyOutput) throws {
        let record: DrillRecord
        let text = try read(path)
        do {
            record = try JSONDecoder().decode(DrillRecord.self, from: Data(text))
        } catch let failure as CommandFailure {
            throw failure
        } catch {
            throw CommandFailure(message: "\(Paths.display(path, from: ws.cwd)) is not a drill record: \(error)")
        }
        // Records are named by their start: a record under another's name
        // was renamed, or two were swapped (each would still match its journal).
        let stem = DrillRecord.fileStem(startedAt: record.startedAt)
        let base = Paths.basename(path)
        if !(base == stem + ".json" || (base.hasPrefix(stem + "-") && base.hasSuffix(".json"))) {
            throw out.fail("record \(sanitize(Paths.display(path, from: ws.cwd))) does NOT match its name: it started at \(sanitize(record.startedAt)), so it would be \(stem).json; records were renamed or swapped")
        }
        let signer = try checkSignature(record, text: text, name: Paths.display(path, from: ws.cwd), root: ws.root, out: out)
        let journalPath: String
        if let journal {
            journalPath = Paths.absolute(journal, from: ws.cwd)
        } else {
            guard let id = record.runID, store.runIDs().contains(id) else {
                throw CommandFailure(message: "the record's run \(sanitize(record.runID ?? "(none)")) has no journal in \(store.runsDir); give it with --journal FILE")
            }
            journalPath = store.journalPath(id)
        }
        let shown = Paths.display(journalPath, from: ws.cwd)
        out.journal = shown
        let r = RecordVerifier.verify(record: record, text: text, journal: try read(journalPath), journalName: shown)
        let name = Paths.display(path, from: ws.cwd)
        if let problem = r.problem {
            throw out.fail("record \(sanitize(name)) does NOT match its journal: \(sanitize(problem))")
        }
        out.events = r.coveredLines
        out.chainStartsAt = r.chain.chainStartsAt
        out.finalHash = record.journalHash ?? r.chain.finalHash
        let covered = (try? read(journalPath)).map { bytes in
            bytes.split(separator: UInt8(ascii: "\n")).prefix(r.coveredLines).compactMap { try? JSONDecoder().decode(JournalEvent.self, from: Data($0)) }
        } ?? []
        if let problem = RecordTimes.problem(record: record, events: covered) {
            throw out.fail("record \(sanitize(name)) does NOT hold together: \(sanitize(problem))")
        }
        let storeLine = try checkStoreTimes(record, events: covered, name: name, out: out)
        // The approvals a record lists are only those whose signature holds.
        if let id = record.runID { try checkSignatures(path: journalPath, runID: id, root: ws.root, out: out) }
        out.say("Record \(sanitize(name)) matches its journal \(sanitize(shown)): \(r.coveredLines) events, chain intact.")
        if let signer {
            out.say("Signed by \(sanitize(signer.principals.joined(separator: ", "))) (key \(signer.key)), listed in allowed_signers.")
        } else {
            out.say("The record is not signed: it proves no more than its journal, which whoever holds both files can rewrite (docs/evidence.md).")
        }
        if let storeLine { out.say(sanitize(storeLine)) }
        if record.journalHash == nil {
            out.say("The record carries no journal hash (written before muster recorded it): it was checked against the whole journal.")
        } else if r.coveredLines < r.chain.lines {
            out.say("The journal goes on for \(r.chain.lines - r.coveredLines) more events after the record was written (a later session).")
        }
    }
}
