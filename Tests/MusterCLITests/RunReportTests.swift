#if canImport(Glibc)
@preconcurrency import Glibc
#endif
import Foundation
import MusterTestSupport
import Testing

/// `muster report RUN_ID` through the built binary: an incident run's
/// report beside `log`, `trace` and `show` (the smoke test), a runbook
/// changed since the run, a training drill's score, unknown run ids, the
/// postmortem draft of a run with an approval and a hand-off between real
/// OS users. What the report says in each form, from a journal, is
/// RunReportEngineTests' in-process.
@Suite("muster report RUN_ID")
struct RunReportTests {
    static let runbook = FeatureRunbooks.restore

    /// An incident run: an escalation and a note at the first item, a
    /// failed restore marked done by hand.
    func incident() throws -> (Sandbox, String) {
        let s = try Sandbox(["restore": Self.runbook])
        let r = try s.run(["run", "restore"], stdin: "e\n1\nn paged via phone\ny\ny\nd restored by hand from the console\ny\n")
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        return (s, try s.runID())
    }

    @Test func anIncidentRunInText() throws {
        let (s, id) = try incident()
        let r = try s.run(["report", id])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr == "")
        let out = r.stdout
        #expect(out.hasPrefix("Run \(id)  ·  incident run of restore  ·  completed in "), "\(out)")
        #expect(out.contains("rto       RTO 1h: met, "), "\(out)")
        // The recovery point is 30 minutes old, give or take the second it was read in.
        #expect(out.contains("rpo       RPO 1h: ") && out.contains(" of data lost (recovery point ") && out.contains("), within the RPO"), "\(out)")
        #expect(out.contains(" waiting on people, "), "\(out)")
        // Full step names, each with people's and machines' time.
        #expect(out.contains("\n  TIMELINE  "), "\(out)")
        #expect(out.contains("\n  restore-the-primary-database-from-the-newest-snapshot  "), "\(out)")
        #expect(out.contains("DECISIONS  none recorded"), "\(out)")
        #expect(out.contains("ESCALATIONS\n  +"), "\(out)")
        #expect(out.contains("Secondary on-call"), "\(out)")
        #expect(out.contains("APPROVALS  none") && out.contains("HAND-OFFS  none") && out.contains("GUARD BREACHES  none"), "\(out)")
        // The events: checklist items numbered from 1, as `log` and `trace` do.
        #expect(out.contains("declare: note on item 1: paged via phone"), "\(out)")
        #expect(out.contains("restore-the-primary-database-from-the-newest-snapshot: attempt 1 failed (exit 3)"), "\(out)")
        #expect(out.contains("marked done by hand: restored by hand from the console"), "\(out)")
        // The other forms are flags on the same command (their content is RunReportEngineTests').
        let md = try s.run(["report", id, "--markdown"])
        #expect(md.status == 0 && md.stdout.hasPrefix("# Run \(id)\n\nIncident run of restore: **completed in "), "\(md.stdout)\(md.stderr)")
        let log = try s.run(["log", id])
        #expect(log.stdout.contains("note  declare  item 1"), "\(log.stdout)")
        #expect(log.stdout.contains("item_answered  declare  item 2"), "\(log.stdout)")
        let trace = try s.run(["trace", id])
        #expect(trace.stdout.contains("\"checklist item 1\"") && trace.stdout.contains("\"checklist item 2\""), "\(trace.stdout)")
        #expect(!trace.stdout.contains("\"checklist item 0\""))
        let show = try s.run(["show", "restore"])
        #expect(show.stdout.contains("[ ] 1. Open the incident channel") && show.stdout.contains("[ ] 2. Page the commander"), "\(show.stdout)")
        let paper = try s.run(["show", "restore", "--format", "markdown"])
        #expect(paper.stdout.contains("- [ ] 1. Open the incident channel\n- [ ] 2. Page the commander"), "\(paper.stdout)")
    }

    /// The runbook changed since the run: the report says what it lacks and goes on from the journal.
    @Test func withoutTheRunbookAsRunTheReportComesFromTheJournalAlone() throws {
        let (s, id) = try incident()
        try (Self.runbook + "\n  - id: later\n    title: Later\n    manual: [Added after the run]\n").write(toFile: s.dir + "/runbooks/restore.yaml", atomically: true, encoding: .utf8)
        let r = try s.run(["report", id])
        #expect(r.status == 0)
        #expect(r.stderr.hasPrefix("muster: warning: the version of runbooks/restore.yaml that run \(id) ran (blob "), "\(r.stderr)")
        #expect(r.stdout.contains("  note      the runbook as run could not be read: no titles, expect times, RTO or recovery point"), "\(r.stdout)")
        #expect(!r.stdout.contains("rto       "), "no RTO without the runbook: \(r.stdout)")
        #expect(r.stdout.contains("\n  restore-the-primary-database-from-the-newest-snapshot  "), "the steps still come from the journal: \(r.stdout)")
    }

    /// A training drill's run: its report is a drill's, with the trainee's score on the page.
    @Test func aTrainingDrillsReportCarriesItsScore() throws {
        let s = try Sandbox(["restore": Self.runbook])
        try FileManager.default.createDirectory(atPath: s.dir + "/drills", withIntermediateDirectories: true)
        try """
        muster: 1
        drill: restore-training
        runbook: restore
        faults:
          - {step: snapshot, fail: "AccessDenied", times: 1}
        expect_escalation: {within: 5m, contact: Secondary on-call}
        """.write(toFile: s.dir + "/drills/restore-training.yaml", atomically: true, encoding: .utf8)
        // The fault fails the snapshot: escalate (rung 1), then retry.
        let d = try s.run(["drill", "restore-training", "--allow-dirty"], stdin: "y\ny\ne\n1\nr\nd done by hand\ny\n")
        #expect(d.status == 0, "\(d.stdout)\(d.stderr)")
        let id = try s.runID()
        let js = try s.run(["report", id, "--json"])
        let o = try #require(try JSONSerialization.jsonObject(with: Data(js.stdout.utf8)) as? [String: Any], "\(js.stderr)")
        #expect(o["kind"] as? String == "drill" && o["drill"] as? String == "restore-training")
        let training = try #require(o["training"] as? [String: Any])
        #expect(training["escalated_within"] as? Bool == true && training["contact_ok"] as? Bool == true)
        let text = try s.run(["report", id])
        #expect(text.stdout.contains("·  drill restore-training of restore  ·  completed in "), "\(text.stdout)")
        #expect(text.stdout.contains("  training  escalated ") && text.stdout.contains(" after the first fault: in time, to the right rung"), "\(text.stdout)")
        let page = try s.run(["report", id, "--html", "t.html"])
        #expect(page.status == 0 && page.stdout == "HTML report of \(id) written to t.html\n", "\(page.stdout)\(page.stderr)")
        let html = try String(contentsOfFile: s.dir + "/t.html", encoding: .utf8)
        #expect(html.contains("training score: <span class=\"good\">escalated "), "\(html)")
        // The drill's history page carries it too.
        #expect(try s.run(["report", "restore-training", "--html", "d.html"]).status == 0)
        #expect(try String(contentsOfFile: s.dir + "/d.html", encoding: .utf8).contains("training score: <span class=\"good\">escalated "))
    }

    @Test func anUnknownRunIsAUsageError() throws {
        let (s, id) = try incident()
        let typo = String(id.dropLast()) + "x"
        let r = try s.run(["report", typo])
        #expect(r.status == 2)
        #expect(r.stdout == "")
        #expect(r.stderr == "muster: no run \(typo) in \(s.dir)/.muster/runs. Did you mean \(id)? `muster runs` lists them\n", "\(r.stderr)")
        let pm = try s.run(["report", "nonsense", "--postmortem"])
        #expect(pm.status == 2 && pm.stderr.hasPrefix("muster: no run nonsense in \(s.dir)/.muster/runs."), "\(pm.stderr)")
        let none = try s.run(["report", "--markdown"])
        #expect(none.status == 2 && none.stderr.contains("--markdown reports one run: give its id"), "\(none.stderr)")
        let both = try s.run(["report", id, "--markdown", "--json"])
        #expect(both.status == 2 && both.stderr.contains("give one of them"), "\(both.stderr)")
        let evidence = try s.run(["report", id, "--evidence", "audit"])
        #expect(evidence.status == 2 && evidence.stderr.contains("--evidence DIR bundles drills' records"), "\(evidence.stderr)")
    }
}

/// The postmortem draft of an incident run whose step waited for an
/// approval and that changed hands: real OS users, as on a bastion.
@Suite("muster report RUN_ID --postmortem", .serialized,
       .enabled(if: getuid() == 0, "creating OS users and switching to them needs root"))
struct PostmortemTests {
    static let runbook = """
    muster: 1
    name: handover
    title: Drop the old primary
    steps:
      - id: check
        title: Check the replica
        manual: [Replica is caught up]
      - id: drop
        title: Drop the old primary
        run: echo dropping
        approval: true
        on_failure: abort
      - id: announce
        title: Announce
        manual: [Tell everyone]
    """

    @Test func aPostmortemDraftHasTheApprovalAndTheHandOff() async throws {
        let b = try Bastion(runbooks: ["handover": Self.runbook])
        let op = try b.live(Bastion.op, ["run", "handover"])
        op.send("y")
        Bastion.waitFor(op, "muster approve")
        let id = try #require(b.runID)
        #expect(try b.muster(Bastion.ic, ["approve", id]).status == 0)
        Bastion.waitFor(op, "[ ] Tell everyone")
        let taker = try b.live(Bastion.ic, ["takeover", id, "--reason", "shift change"])
        #expect(await op.finish().status == 3)
        Bastion.waitFor(taker, "[ ] Tell everyone")
        taker.send("y")
        #expect(await taker.finish(within: 30).status == 0, "\(taker.stdout)\(taker.stderr)")

        let r = try b.muster(Bastion.sec, ["report", id, "--postmortem"])
        #expect(r.status == 0, "\(r.stderr)")
        let pm = r.stdout
        #expect(pm.hasPrefix("# Postmortem (draft): handover\n"), "\(pm)")
        for heading in ["## Summary", "## Impact", "## Timeline", "## Steps: people and machine time", "## What went well",
                        "## What went slowly or wrong", "## Action items"] {
            #expect(pm.contains("\n\(heading)\n"), "\(heading): \(pm)")
        }
        #expect(pm.contains("- Impact window: from _first alert or detection time (fill in)_ to "), "\(pm)")
        #expect(pm.contains("Incident run of handover (run `\(id)`), operated by "), "\(pm)")
        // The timeline: the approval (who, after how long) and the hand-off (from whom, to whom, why), in order.
        let timeline = try #require(pm.components(separatedBy: "\n## Timeline\n").last?.components(separatedBy: "\n## ").first)
        let asked = try #require(timeline.range(of: "drop: waiting for approval"))
        let approved = try #require(timeline.range(of: "drop: approved by \(Bastion.ic) after "))
        let handed = try #require(timeline.range(of: "handed over from \(Bastion.op) to \(Bastion.ic): shift change"))
        #expect(asked.lowerBound < approved.lowerBound && approved.lowerBound < handed.lowerBound, "\(timeline)")
        #expect(pm.contains("The approval of `drop` took "), "\(pm)")
        #expect(pm.contains("| Action | Owner | Due | Ticket |"), "\(pm)")
        // The same run's report lists both in their sections.
        let text = try b.muster(Bastion.sec, ["report", id])
        #expect(text.stdout.contains("APPROVALS\n  +"), "\(text.stdout)")
        #expect(text.stdout.contains("drop: approved by \(Bastion.ic), after waiting "), "\(text.stdout)")
        #expect(text.stdout.contains("HAND-OFFS\n  +"), "\(text.stdout)")
        #expect(text.stdout.contains("\(Bastion.op) → \(Bastion.ic): shift change"), "\(text.stdout)")
    }
}

/// `report --evidence`: each runbook a drill included, at the commit its
/// journal names, and MISSING.txt for one that cannot be had.
@Suite("evidence of included runbooks")
struct IncludedEvidenceTests {
    @Test func theBundleHoldsEveryIncludedRunbookAtItsCommitAndSaysWhichItCannot() async throws {
        let g = try await GitRepo()
        let drilled = try await g.git("git rev-parse HEAD").trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(try muster(["drill", "failover-drill"], cwd: g.dir, stdin: "y\n").status == 0)
        // The included runbook changes after the drill: the bundle holds the version drilled.
        try g.write("runbooks/part.yaml", GitRepo.part("v2"))
        try await g.git("git add runbooks && commit 2 'part v2'")
        let r = try muster(["report", "failover-drill", "--evidence", "audit"], cwd: g.dir)
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        let part = g.dir + "/audit/runbooks/\(drilled.prefix(12))/runbooks/part.yaml"
        #expect(try String(contentsOfFile: part, encoding: .utf8) == GitRepo.part("v1"))
        #expect(try String(contentsOfFile: g.dir + "/audit/SHA256SUMS", encoding: .utf8).contains("  runbooks/\(drilled.prefix(12))/runbooks/part.yaml\n"))
        #expect(!FileManager.default.fileExists(atPath: g.dir + "/audit/MISSING.txt"))

        // A drill that included a runbook in no commit (--allow-dirty): MISSING.txt names it.
        try g.write("runbooks/failover.yaml", GitRepo.failover + "\n  - id: extra\n    title: Extra\n    runbook: extra\n")
        try g.write("runbooks/extra.yaml", GitRepo.part("x", name: "extra"))
        try await g.git("git add runbooks/failover.yaml && commit 3 'include extra'")
        waitForTheNextSecond()
        let dirty = try muster(["drill", "failover-drill", "--allow-dirty"], cwd: g.dir, stdin: "y\n")
        #expect(dirty.status == 0, "\(dirty.stdout)\(dirty.stderr)")
        let again = try muster(["report", "failover-drill", "--evidence", "audit2"], cwd: g.dir)
        #expect(again.status == 0, "\(again.stderr)")
        let missing = try String(contentsOfFile: g.dir + "/audit2/MISSING.txt", encoding: .utf8)
        #expect(missing.contains("- runbook runbooks/extra.yaml (included as extra by drills/records/failover-drill/"), "\(missing)")
        #expect(missing.contains("in no commit when it ran, nothing to take it from"), "\(missing)")
        #expect(again.stderr.contains("muster: warning: evidence: runbook runbooks/extra.yaml (included as extra"), "\(again.stderr)")
    }
}
