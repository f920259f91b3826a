import Foundation
@testable import MusterBasics
@testable import MusterFormat
@testable import MusterEngine
@testable import MusterJournal
@testable import MusterDrills
@testable import MusterRender
@testable import MusterTerminal
@testable import MusterTesting
import MusterTestSupport
import Testing

/// What `muster report RUN_ID` makes of a run's journal, in-process: an
/// incident run driven by the executor on MusterTesting's fakes, then its
/// report built from the journal and rendered as Markdown, JSON and HTML;
/// a two-minute journal's timeline; notes that try to be markup. The CLI's
/// part (the state folder, a runbook changed since the run, a training
/// drill, unknown run ids, real OS users, git) stays in RunReportTests.
@Suite("muster report RUN_ID, in-process")
struct RunReportEngineTests {
    static let runbook = FeatureRunbooks.restore

    /// The run's report as the command builds it: the journal, the runbook
    /// as run (step facts and titles) and its objectives.
    func report(_ events: [JournalEvent], _ rb: Runbook) throws -> RunReport {
        var titles: [String: String] = [:]
        for e in FlatPlan(rb, includes: [:]).entries { titles[e.key] = e.step.title.expand([:]) }
        return try #require(RunReport.build(events: events, steps: StepFacts.of(rb, includes: [:]), titles: titles, rtoSeconds: rb.rto, rpoSeconds: rb.rpo))
    }

    /// The restore run with `answers`: the snapshot is 30 minutes old, the restore fails with 3.
    func run(_ answers: [String]) throws -> (RunReport, FakeConsole) {
        let rb = try loadRunbook(Self.runbook, name: "restore")
        let runner = FakeRunner { script in
            if script.contains("snapshot_time=") { return (0, ["snapshot_time=2026-11-27T08:30:00Z"]) }
            if script.contains("exit 3") { return (3, ["restoring"]) }
            return (0, [])
        }
        let console = FakeConsole(answers), journal = MemoryJournal()
        let outcome = executor(rb, journal: journal, console: console, runner: runner).execute(resumed: false)
        #expect(outcome == .completed, "\(console.text)")
        return (try report(journal.events, rb), console)
    }

    /// An incident run: an escalation and a note at the first item, a
    /// failed restore marked done by hand.
    func incident() throws -> RunReport {
        try run(["e", "1", "n paged via phone", "y", "y", "d restored by hand from the console", "y"]).0
    }

    @Test func anIncidentRunInMarkdownAndJSON() throws {
        let r = try incident()
        let md = RunReportMarkdown().render(r)
        #expect(md.hasPrefix("# Run run-1\n\nIncident run of restore: **completed in "), "\(md)")
        for heading in ["## Timeline", "## Decisions", "## Escalations", "## Approvals", "## Hand-offs", "## Guard breaches", "## Events"] {
            #expect(md.contains("\n\(heading)\n"), "\(heading): \(md)")
        }
        #expect(md.contains("| `declare` Declare the incident | +0s | "), "\(md)")
        #expect(md.contains("| Step | Start | Took | People | Machine | Outcome |"))

        let o = try #require(try JSONSerialization.jsonObject(with: Data(r.json.serialized(pretty: true).utf8)) as? [String: Any])
        #expect(o["run_id"] as? String == "run-1" && o["kind"] as? String == "incident" && o["state"] as? String == "completed")
        #expect(o["rto_seconds"] as? Int == 3600 && o["rto_met"] as? Bool == true && o["rpo_met"] as? Bool == true)
        let steps = try #require(o["steps"] as? [[String: Any]])
        #expect(steps.map { $0["id"] as? String } == ["declare", "snapshot", "restore-the-primary-database-from-the-newest-snapshot", "verify"])
        for st in steps {
            let took = try #require(st["seconds"] as? Double), people = try #require(st["people_seconds"] as? Double)
            let machine = try #require(st["machine_seconds"] as? Double)
            #expect(abs(people + machine - took) < 0.15, "\(st)")
        }
        #expect((o["escalations"] as? [[String: Any]])?.first?["contact"] as? String == "Secondary on-call")
        #expect((o["decisions"] as? [Any])?.isEmpty == true)
        let kinds = try #require(o["timeline"] as? [[String: Any]]).map { $0["kind"] as? String ?? "" }
        #expect(kinds.first == "started" && kinds.last == "finished" && kinds.contains("escalation") && kinds.contains("failure"), "\(kinds)")
    }

    @Test func anIncidentRunInHTML() throws {
        let html = RunReportHTML.render(try incident())
        #expect(html.hasPrefix("<!DOCTYPE html>") && !html.contains("<script"))
        #expect(html.contains("<svg class=\"chart gantt\""))
        // Step names are never cut.
        #expect(html.contains(">restore-the-primary-database-from-the-newest-snapshot</text>"), "\(html)")
        #expect(html.contains("<h3>Decisions</h3>") && html.contains("<h3>Hand-offs</h3>") && html.contains("<h3>Guard breaches</h3>"))
    }

    /// A run that took two minutes, with a one-hour RTO: its timeline fills
    /// the chart's width (the journal as an old muster wrote it, without
    /// the hash chain).
    @Test func aTwoMinuteRunFillsTheTimelineAndNamesTheRTOAtTheEdge() throws {
        let id = "20261206T090000Z-restore"
        let run = #"{"run_id":"\#(id)","runbook":"restore","runbook_path":"runbooks/restore.yaml","runbook_hash":"","runbook_commit":null,"operator":"alice","host":"h","params":{},"yes":false,"started_at":"2026-12-06T09:00:00Z"}"#
        let lines = [
            #"{"seq":1,"at":"2026-12-06T09:00:00Z","t":0,"event":"run_started","run":\#(run)}"#,
            #"{"seq":2,"at":"2026-12-06T09:00:00Z","t":0,"event":"step_started","step":"declare","text":"manual"}"#,
            #"{"seq":3,"at":"2026-12-06T09:00:30Z","t":30,"event":"item_answered","step":"declare","item":0,"answer":"done"}"#,
            #"{"seq":4,"at":"2026-12-06T09:00:31Z","t":31,"event":"item_answered","step":"declare","item":1,"answer":"done"}"#,
            #"{"seq":5,"at":"2026-12-06T09:00:31Z","t":31,"event":"step_finished","step":"declare","outcome":"done"}"#,
            #"{"seq":6,"at":"2026-12-06T09:00:31Z","t":31,"event":"step_started","step":"snapshot","text":"run"}"#,
            #"{"seq":7,"at":"2026-12-06T09:01:50Z","t":110,"event":"step_finished","step":"snapshot","outcome":"done"}"#,
            #"{"seq":8,"at":"2026-12-06T09:01:50Z","t":110,"event":"step_started","step":"verify","text":"manual"}"#,
            #"{"seq":9,"at":"2026-12-06T09:02:00Z","t":120,"event":"item_answered","step":"verify","item":0,"answer":"done"}"#,
            #"{"seq":10,"at":"2026-12-06T09:02:00Z","t":120,"event":"step_finished","step":"verify","outcome":"done"}"#,
            #"{"seq":11,"at":"2026-12-06T09:02:00Z","t":120,"event":"run_finished","outcome":"completed"}"#,
        ]
        let events = try lines.map { try JSONDecoder().decode(JournalEvent.self, from: Data($0.utf8)) }
        let html = RunReportHTML.render(try report(events, try loadRunbook(Self.runbook, name: "restore")))
        let svg = try #require(html.components(separatedBy: "<svg class=\"chart gantt\"").dropFirst().first?.components(separatedBy: "</svg>").first)
        let width = try #require(firstMatch(#"viewBox="0 0 ([0-9.]+) "#, in: svg).flatMap(Double.init))
        // The bars: x and width of each step's rect.
        let bars = svg.components(separatedBy: "<g class=\"step ").dropFirst().compactMap { g -> (Double, Double)? in
            guard let x = firstMatch(#"<rect x="([0-9.]+)""#, in: g).flatMap(Double.init),
                  let w = firstMatch(#" width="([0-9.]+)""#, in: g).flatMap(Double.init) else { return nil }
            return (x, w)
        }
        #expect(bars.count == 3, "\(svg)")
        let left = try #require(bars.map(\.0).min()), right = try #require(bars.map { $0.0 + $0.1 }.max())
        // From the label column to the chart's right margin (20) less the 3% beyond the end.
        #expect((right - left) / (width - 20 - left) > 0.95, "bars span \(left)…\(right) of \(width)")
        // The one-hour RTO is far beyond the end: named at the edge, not drawn.
        #expect(svg.contains("RTO 1h, 58m after the end →"), "\(svg)")
        #expect(!svg.contains("<line class=\"rto\""))
    }

    /// A note or reason is data: markup, table pipes and escape sequences
    /// in it reach no form of the report as such.
    @Test func journalTextIsNeverMarkupNorAnEscapeSequence() throws {
        let hostile = "<script>alert(1)</script> | [x](javascript:1) \u{1B}]0;owned\u{07}\u{1B}[31mred"
        let (r, console) = try run(["n \(hostile)", "y", "y", "d \(hostile)", "y"])
        #expect(r.record.outcome == .recovered, "\(console.text)")
        let forms = [
            ("text", RunReportText(style: Style(color: false, isTerminal: false)).render(r)),
            ("--markdown", RunReportMarkdown().render(r)),
            ("--postmortem", RunReportMarkdown().postmortem(r)),
            ("--html", RunReportHTML.render(r)),
        ]
        for (form, text) in forms {
            #expect(!text.contains("\u{1B}") && !text.contains("\u{07}"), "\(form): \(text)")
            // On a terminal `<script>` is only text; in Markdown and HTML it must not be markup.
            if form != "text" { #expect(!text.contains("<script"), "\(form): \(text)") }
            #expect(text.contains("alert(1)"), "\(form): the note is there, as text: \(text)")
            if form == "--markdown" || form == "--postmortem" {
                #expect(text.contains("&lt;script&gt;alert(1)&lt;/script&gt; \\| [x]"), "\(form): \(text)")
            }
        }
    }
}

/// The first capture group of `pattern`'s first match in `text`.
private func firstMatch(_ pattern: String, in text: String) -> String? {
    guard let re = try? NSRegularExpression(pattern: pattern), let m = re.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)),
          m.numberOfRanges > 1, let r = Range(m.range(at: 1), in: text) else { return nil }
    return String(text[r])
}
