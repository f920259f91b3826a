import Foundation
import MusterBasics
import MusterFormat
import MusterEngine
import MusterJournal
import MusterDrills
import MusterApp
import MusterTestSupport
import Testing

/// Drill records that do not trust the person who ran them: signed with
/// the operator's SSH key (real keys from ssh-keygen), checked against
/// `allowed_signers`, and their times held to the run id. Each attack is
/// the one docs/hostile-input.md names: the journal rewritten with its
/// chain recomputed, the record rebuilt to match, and `muster verify` run.
@Suite("signed drill records")
struct SignedRecordTests {
    static let runbook = """
    muster: 1
    name: failover
    title: Failover
    rto: 30m
    steps:
      - id: declare
        title: Declare
        manual: [Open the incident]
      - id: restore
        title: Restore
        run: echo restored
    """

    static let drill = """
    muster: 1
    drill: failover-drill
    runbook: failover
    """

    /// A key made with ssh-keygen, and its `allowed_signers` line.
    struct Key {
        let file: String
        let line: String
        init(_ name: String, in dir: String) throws {
            file = dir + "/" + name
            _ = try sh("ssh-keygen -q -t ed25519 -N '' -C \(name) -f \(file)", cwd: dir)
            line = "\(name) " + (try String(contentsOfFile: file + ".pub", encoding: .utf8)).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        var env: [String: String] { ["MUSTER_SIGNING_KEY": file] }
    }

    func sandbox(signers: [Key]) throws -> Sandbox {
        let s = try Sandbox(["failover": Self.runbook])
        try FileManager.default.createDirectory(atPath: s.dir + "/drills", withIntermediateDirectories: true)
        try Self.drill.write(toFile: s.dir + "/drills/failover-drill.yaml", atomically: true, encoding: .utf8)
        if !signers.isEmpty {
            try (signers.map(\.line).joined(separator: "\n") + "\n").write(toFile: s.dir + "/allowed_signers", atomically: true, encoding: .utf8)
        }
        return s
    }

    func drill(_ s: Sandbox, env: [String: String] = ["MUSTER_SIGNING_KEY": ""]) throws -> Result {
        let r = try s.run(["drill", "failover-drill"], stdin: "y\n", env: env)
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        return r
    }

    func recordPath(_ s: Sandbox) throws -> String {
        let dir = s.dir + "/drills/records/failover-drill"
        return dir + "/" + (try #require(try FileManager.default.contentsOfDirectory(atPath: dir).sorted().first { $0.hasSuffix(".json") }, "no record"))
    }

    func runID(_ s: Sandbox) throws -> String {
        try #require(try FileManager.default.contentsOfDirectory(atPath: s.dir + "/.muster/runs").sorted().last, "no run")
    }

    /// The attack: the whole drill moved to the day before (the day the
    /// audit asked for), every `at` in the journal and the record, the
    /// journal's chain recomputed with JournalChain.seal, the record's
    /// `journal_hash` set to the new head and the file renamed to its new
    /// start. With `renameRun`, the run id and its folder move too, so
    /// nothing in the two files disagrees with anything else.
    func moveToTheDayBefore(_ s: Sandbox, renameRun: Bool) throws -> String {
        let file = try recordPath(s)
        let oldID = try runID(s)
        let text = try String(contentsOfFile: file, encoding: .utf8)
        let started = try #require(text.range(of: #""started_at": "[0-9-]+T"#, options: .regularExpression).map { String(text[$0]) })
        let day = String(started.dropFirst(#""started_at": ""#.count).dropLast())
        let date = try #require(UTCTime.parse(day + "T12:00:00Z"))
        let before = String(UTCTime.format(date.addingTimeInterval(-86400)).prefix(10))
        let compact = { (d: String) in d.replacingOccurrences(of: "-", with: "") + "T" }
        func edit(_ line: String) -> String {
            var l = line.replacingOccurrences(of: day + "T", with: before + "T")
            if renameRun { l = l.replacingOccurrences(of: compact(day), with: compact(before)) }
            return l
        }
        let newID = renameRun ? edit(oldID) : oldID
        if renameRun {
            try FileManager.default.moveItem(atPath: s.dir + "/.muster/runs/" + oldID, toPath: s.dir + "/.muster/runs/" + newID)
        }
        let journal = s.dir + "/.muster/runs/\(newID)/journal.jsonl"
        var previous = ""
        var out: [String] = []
        for line in try String(contentsOfFile: journal, encoding: .utf8).split(separator: "\n") {
            let (body, _) = try #require(JournalChain.split(Array(line.utf8)))
            let sealed = JournalChain.seal(body: Array(edit(String(decoding: body, as: UTF8.self)).utf8), previous: previous)
            out.append(String(decoding: sealed.line, as: UTF8.self))
            previous = sealed.hash
        }
        try (out.joined(separator: "\n") + "\n").write(toFile: journal, atomically: true, encoding: .utf8)
        let oldHead = try #require(text.range(of: #""journal_hash": "[0-9a-f]{64}""#, options: .regularExpression).map { String(text[$0]) })
        let forged = edit(text).replacingOccurrences(of: oldHead, with: #""journal_hash": ""# + previous + "\"")
        try FileManager.default.removeItem(atPath: file)
        let base = URL(fileURLWithPath: file).lastPathComponent
        let moved = URL(fileURLWithPath: file).deletingLastPathComponent().path + "/" + base.replacingOccurrences(of: compact(day), with: compact(before))
        try forged.write(toFile: moved, atomically: true, encoding: .utf8)
        return moved
    }

    @Test func aRecordIsSignedByTheOperatorsKeyAndVerifyNamesTheSigner() throws {
        let keys = try temporaryDirectory()
        let alice = try Key("alice", in: keys)
        let s = try sandbox(signers: [alice])
        let r = try drill(s, env: alice.env)
        #expect(r.stdout.contains("Record signed by alice (SHA256:"), "\(r.stdout)")
        let file = try recordPath(s)
        let text = try String(contentsOfFile: file, encoding: .utf8)
        let rec = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect((rec["signature"] as? String)?.hasPrefix("-----BEGIN SSH SIGNATURE-----") == true)
        // The signature is the last key, after journal_hash.
        #expect(text.range(of: "\"journal_hash\"")!.lowerBound < text.range(of: "\"signature\"")!.lowerBound)
        #expect(text.hasSuffix("\"\n}\n"), "\(text.suffix(80))")

        let ok = try s.run(["verify", file, "--signed"])
        #expect(ok.status == 0, "\(ok.stdout)\(ok.stderr)")
        #expect(ok.stdout.contains("Signed by alice (key SHA256:"), "\(ok.stdout)")

        // What is signed can be checked without muster: the file with its
        // signature's value replaced by null, in namespace muster-record.
        let unsigned = try #require(text.range(of: #""signature": ".*"\n\}\n$"#, options: .regularExpression)).lowerBound
        try (String(text[..<unsigned]) + "\"signature\": null\n}\n").write(toFile: keys + "/unsigned", atomically: true, encoding: .utf8)
        try ((rec["signature"] as? String) ?? "").write(toFile: keys + "/sig", atomically: true, encoding: .utf8)
        try (alice.line + "\n").write(toFile: keys + "/allowed", atomically: true, encoding: .utf8)
        #expect(try sh("ssh-keygen -Y verify -f allowed -I alice -n muster-record -s sig < unsigned", cwd: keys).contains("Good \"muster-record\" signature for alice"))
    }

    @Test func withoutAllowedSignersTheRecordIsUnsignedAndVerifySaysSo() throws {
        let keys = try temporaryDirectory()
        let alice = try Key("alice", in: keys)
        let s = try sandbox(signers: [])
        let r = try drill(s, env: alice.env)
        #expect(!r.stdout.contains("Record signed") && !r.stderr.contains("unsigned"), "\(r.stdout)\(r.stderr)")
        let text = try String(contentsOfFile: try recordPath(s), encoding: .utf8)
        #expect(text.hasSuffix("\"signature\": null\n}\n"), "\(text.suffix(80))")
        let v = try s.run(["verify", try recordPath(s)])
        #expect(v.status == 0, "\(v.stdout)\(v.stderr)")
        #expect(v.stdout.contains("The record is not signed"), "\(v.stdout)")
        let strict = try s.run(["verify", try recordPath(s), "--signed"])
        #expect(strict.status == 1 && strict.stderr.contains("is NOT signed"), "\(strict.stderr)")
    }

    @Test func aKeyNotInAllowedSignersLeavesTheRecordUnsignedWithAWarning() throws {
        let keys = try temporaryDirectory()
        let alice = try Key("alice", in: keys), mallory = try Key("mallory", in: keys)
        let s = try sandbox(signers: [alice])
        let r = try drill(s, env: mallory.env)
        #expect(r.stderr.contains("the drill record is written unsigned") && r.stderr.contains("not in allowed_signers"), "\(r.stderr)")
        let text = try String(contentsOfFile: try recordPath(s), encoding: .utf8)
        #expect(text.hasSuffix("\"signature\": null\n}\n"))
    }

    /// The brief's attack on an unsigned record: started_at and the journal
    /// edited together, the chain recomputed. The record still matches its
    /// journal; its run id, stamped when the run began, does not.
    @Test func aRecordMovedToAnotherDayWithItsJournalRechainedDisagreesWithItsRunID() throws {
        let s = try sandbox(signers: [])
        _ = try drill(s)
        let forged = try moveToTheDayBefore(s, renameRun: false)
        let chain = try s.run(["verify", try runID(s)])
        #expect(chain.status == 0, "the recomputed chain holds: \(chain.stdout)\(chain.stderr)")
        let v = try s.run(["verify", forged])
        #expect(v.status == 1, "\(v.stdout)\(v.stderr)")
        #expect(v.stderr.contains("disagrees with its run id") && v.stderr.contains("the record's times were edited"), "\(v.stderr)")
    }

    /// The same attack carried through the run id and its folder: on an
    /// unsigned record nothing disagrees any more (what an unsigned record
    /// cannot prove; `--signed` refuses it); on a signed one, the signature
    /// no longer holds.
    @Test func aRecordRewrittenWholeFailsItsSignature() throws {
        let plain = try sandbox(signers: [])
        _ = try drill(plain)
        let unsignedForgery = try moveToTheDayBefore(plain, renameRun: true)
        #expect(try plain.run(["verify", unsignedForgery]).status == 0)
        #expect(try plain.run(["verify", unsignedForgery, "--signed"]).status == 1)

        let keys = try temporaryDirectory()
        let alice = try Key("alice", in: keys)
        let s = try sandbox(signers: [alice])
        _ = try drill(s, env: alice.env)
        let forged = try moveToTheDayBefore(s, renameRun: true)
        let v = try s.run(["verify", forged])
        #expect(v.status == 1, "\(v.stdout)\(v.stderr)")
        #expect(v.stderr.contains("signature of record") && v.stderr.contains("does not match the record's bytes"), "\(v.stderr)")
    }

    /// The journal's last stamp moved an hour on, chain recomputed and the
    /// record made to match: each event's `at` must agree with its `t`.
    @Test func aJournalStampThatDisagreesWithItsClockIsNamed() throws {
        let s = try sandbox(signers: [])
        _ = try drill(s)
        let file = try recordPath(s)
        let journal = s.dir + "/.muster/runs/\(try runID(s))/journal.jsonl"
        var lines = try String(contentsOfFile: journal, encoding: .utf8).split(separator: "\n").map(String.init)
        let last = try #require(try JSONSerialization.jsonObject(with: Data(lines.last!.utf8)) as? [String: Any])
        #expect(last["event"] as? String == "run_finished")
        let at = try #require(last["at"] as? String)
        let later = UTCTime.format(try #require(UTCTime.parse(at)).addingTimeInterval(3600))
        let previous = try #require(JournalChain.split(Array(lines[lines.count - 2].utf8))).hash
        let (body, _) = try #require(JournalChain.split(Array(lines.last!.utf8)))
        let sealed = JournalChain.seal(body: Array(String(decoding: body, as: UTF8.self).replacingOccurrences(of: "\"at\":\"\(at)\"", with: "\"at\":\"\(later)\"").utf8), previous: previous)
        lines[lines.count - 1] = String(decoding: sealed.line, as: UTF8.self)
        try (lines.joined(separator: "\n") + "\n").write(toFile: journal, atomically: true, encoding: .utf8)
        let text = try String(contentsOfFile: file, encoding: .utf8)
        let forged = text.replacingOccurrences(of: "\"finished_at\": \"\(at)\"", with: "\"finished_at\": \"\(later)\"")
            .replacingOccurrences(of: #""journal_hash": "[0-9a-f]{64}""#, with: "\"journal_hash\": \"\(sealed.hash)\"", options: .regularExpression)
        #expect(forged != text)
        try forged.write(toFile: file, atomically: true, encoding: .utf8)
        let v = try s.run(["verify", file])
        #expect(v.status == 1, "\(v.stdout)\(v.stderr)")
        #expect(v.stderr.contains("(run_finished) is stamped \(later)") && v.stderr.contains("the journal's times were edited"), "\(v.stderr)")
    }

    /// Re-signing the rewritten record: with a key allowed_signers does not
    /// list, refused; with a listed member's key, verify passes and names
    /// that member, not the operator: whose key vouched is what it proves.
    @Test func aRewrittenRecordResignedIsRefusedOrNamesWhoSignedIt() throws {
        let keys = try temporaryDirectory()
        let alice = try Key("alice", in: keys), bob = try Key("bob", in: keys), mallory = try Key("mallory", in: keys)
        let s = try sandbox(signers: [alice, bob])
        _ = try drill(s, env: alice.env)
        let forged = try moveToTheDayBefore(s, renameRun: true)
        func resign(_ key: Key) throws {
            let text = try String(contentsOfFile: forged, encoding: .utf8)
            let cut = try #require(text.range(of: #""signature": ".*"\n\}\n$"#, options: .regularExpression)).lowerBound
            let unsigned = String(text[..<cut]) + "\"signature\": null\n}\n"
            try unsigned.write(toFile: keys + "/unsigned", atomically: true, encoding: .utf8)
            _ = try sh("rm -f unsigned.sig && ssh-keygen -q -Y sign -f \(key.file) -n muster-record unsigned", cwd: keys)
            let sig = try String(contentsOfFile: keys + "/unsigned.sig", encoding: .utf8)
            let json = String(data: try JSONSerialization.data(withJSONObject: [sig], options: .withoutEscapingSlashes), encoding: .utf8)!.dropFirst().dropLast()
            try (String(text[..<cut]) + "\"signature\": \(json)\n}\n").write(toFile: forged, atomically: true, encoding: .utf8)
        }
        try resign(mallory)
        let refused = try s.run(["verify", forged])
        #expect(refused.status == 1 && refused.stderr.contains("is not in allowed_signers"), "\(refused.stderr)")
        try resign(bob)
        let named = try s.run(["verify", forged])
        #expect(named.status == 0, "\(named.stdout)\(named.stderr)")
        #expect(named.stdout.contains("Signed by bob (key SHA256:"), "\(named.stdout)")
    }

    /// A signature made for an approval cannot stand for a record.
    @Test func aSignatureFromAnotherNamespaceIsRefused() throws {
        let keys = try temporaryDirectory()
        let alice = try Key("alice", in: keys)
        let s = try sandbox(signers: [alice])
        _ = try drill(s, env: alice.env)
        let file = try recordPath(s)
        let text = try String(contentsOfFile: file, encoding: .utf8)
        let cut = try #require(text.range(of: #""signature": ".*"\n\}\n$"#, options: .regularExpression)).lowerBound
        try (String(text[..<cut]) + "\"signature\": null\n}\n").write(toFile: keys + "/unsigned", atomically: true, encoding: .utf8)
        _ = try sh("ssh-keygen -q -Y sign -f \(alice.file) -n muster-approval unsigned", cwd: keys)
        let sig = try String(contentsOfFile: keys + "/unsigned.sig", encoding: .utf8)
        let json = String(data: try JSONSerialization.data(withJSONObject: [sig], options: .withoutEscapingSlashes), encoding: .utf8)!.dropFirst().dropLast()
        try (String(text[..<cut]) + "\"signature\": \(json)\n}\n").write(toFile: file, atomically: true, encoding: .utf8)
        let v = try s.run(["verify", file])
        #expect(v.status == 1 && v.stderr.contains("made for 'muster-approval'"), "\(v.stderr)")
    }

    // MARK: - The store's clock

    /// Every UTC stamp in `text` moved `seconds` on (in a record, only
    /// `started_at` and `finished_at`: its store_times are the store's).
    static func shifted(_ text: String, by seconds: Double, recordKeys: Bool) -> String {
        let stamp = #"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z"#
        let pattern = recordKeys ? #"("(started_at|finished_at)": ")("# + stamp + ")" : "()()(" + stamp + ")"
        let re = try! NSRegularExpression(pattern: pattern)
        var out = text
        for m in re.matches(in: text, range: NSRange(text.startIndex..., in: text)).reversed() {
            let r = Range(m.range(at: 3), in: text)!
            out.replaceSubrange(Range(m.range(at: 3), in: out)!, with: UTCTime.format(UTCTime.parse(String(text[r]))!.addingTimeInterval(seconds)))
        }
        return out
    }

    /// A shared drill records when the store received its events; moved
    /// four minutes later (within the run id's slack), journal rechained
    /// and record rebuilt to match, it no longer agrees with the store's
    /// clock, which verify reads when the store is reachable.
    @Test func aSharedDrillCarriesTheStoresTimesAndAJournalMovedAgainstThemIsNamed() throws {
        let m = try TwoMachines()
        try FileManager.default.createDirectory(atPath: m.repo + "/drills", withIntermediateDirectories: true)
        try "muster: 1\ndrill: shared-drill\nrunbook: shared\n".write(toFile: m.repo + "/drills/shared-drill.yaml", atomically: true, encoding: .utf8)
        let r = try m.run("a", ["drill", "shared-drill", "--yes", "--store", m.url])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        let dir = m.repo + "/drills/records/shared-drill"
        let name = try #require(try FileManager.default.contentsOfDirectory(atPath: dir).first { $0.hasSuffix(".json") })
        let file = dir + "/" + name
        let text = try String(contentsOfFile: file, encoding: .utf8)
        let rec = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let times = try #require(rec["store_times"] as? [String: Any], "\(text)")
        let id = try #require(m.runID("a"))
        let events = TwoMachines.events(m.journal("a", id))
        #expect(times["first_seq"] as? Int == events.first?.seq)
        #expect(times["last_seq"] as? Int == events.last?.seq)
        #expect(UTCTime.parse(times["last_at"] as? String ?? "") != nil)

        let ok = try m.run("a", ["verify", file, "--store", m.url])
        #expect(ok.status == 0, "\(ok.stdout)\(ok.stderr)")
        #expect(ok.stdout.contains("by its own clock, as the journal says"), "\(ok.stdout)")
        let offline = try m.run("a", ["verify", file])
        #expect(offline.status == 0 && offline.stdout.contains("set MUSTER_STORE (or --store) to check that"), "\(offline.stdout)\(offline.stderr)")

        // The attack: every stamp four minutes on, the chain recomputed.
        let journal = "\(m.dir)/a/runs/\(id)/journal.jsonl"
        var previous = ""
        var lines: [String] = []
        for line in try String(contentsOfFile: journal, encoding: .utf8).split(separator: "\n") {
            let (body, _) = try #require(JournalChain.split(Array(line.utf8)))
            let sealed = JournalChain.seal(body: Array(Self.shifted(String(decoding: body, as: UTF8.self), by: 240, recordKeys: false).utf8), previous: previous)
            lines.append(String(decoding: sealed.line, as: UTF8.self))
            previous = sealed.hash
        }
        try (lines.joined(separator: "\n") + "\n").write(toFile: journal, atomically: true, encoding: .utf8)
        let forgedText = Self.shifted(text, by: 240, recordKeys: true)
            .replacingOccurrences(of: #""journal_hash": "[0-9a-f]{64}""#, with: "\"journal_hash\": \"\(previous)\"", options: .regularExpression)
        let started = try #require(UTCTime.parse(rec["started_at"] as? String ?? ""))
        let forged = dir + "/" + UTCTime.compact(started.addingTimeInterval(240)) + ".json"
        try FileManager.default.removeItem(atPath: file)
        try forgedText.write(toFile: forged, atomically: true, encoding: .utf8)
        // Without the store, nothing in the two files disagrees.
        let fooled = try m.run("a", ["verify", forged])
        #expect(fooled.status == 0, "\(fooled.stdout)\(fooled.stderr)")
        let caught = try m.run("a", ["verify", forged, "--store", m.url])
        #expect(caught.status == 1, "\(caught.stdout)\(caught.stderr)")
        #expect(caught.stderr.contains("does NOT agree with the shared store") && caught.stderr.contains("the journal's times were moved later"), "\(caught.stderr)")

        // The record's store_times edited to match: the store says otherwise.
        let lastAt = try #require(times["last_at"] as? String)
        let edited = forgedText.replacingOccurrences(of: "\"last_at\": \"\(lastAt)\"", with: "\"last_at\": \"\(UTCTime.format(UTCTime.parse(lastAt)!.addingTimeInterval(240)))\"")
        #expect(edited != forgedText)
        try edited.write(toFile: forged, atomically: true, encoding: .utf8)
        let kept = try m.run("a", ["verify", forged, "--store", m.url])
        #expect(kept.status == 1 && kept.stderr.contains("the record's store_times were edited"), "\(kept.stderr)")
    }
}
