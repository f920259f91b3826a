import Foundation
import MusterFormat
@testable import MusterRender
import MusterTerminal
import MusterTesting
import Testing

/// The paper copy in its three forms, rendered in-process from one plan: each
/// names every step with its values filled in, and none lets a secret or a
/// terminal escape through.
@Suite("plan renderers: text, Markdown and JSON say the same")
struct PlanRenderTests {
    static let runbook = """
    muster: 1
    name: t
    title: Fail over to {{ region }}
    params:
      region: {default: eu-west-1}
    steps:
      - id: check
        title: Check the dashboards
        manual: ["Dashboards green in {{ region }}"]
      - id: promote
        title: "Promote \\u001b[31mthe standby"
        run: promote --region {{ region }}
        confirm: true
    """

    func plan() throws -> Plan {
        let rb = try loadRunbook(Self.runbook)
        let catalog = Catalog(currentDirectory: "/") { _ in "/" }
        return try Plan(runbook: rb, given: [:], catalog: catalog, root: "/")
    }

    @Test func everyFormNamesEveryStepWithItsValuesAndNoEscape() throws {
        let plan = try plan()
        let text = PlanText(style: Style(color: false, isTerminal: false)).render(plan)
        let markdown = PlanMarkdown().render(plan)
        let json = PlanJSON.render(plan).serialized()
        for form in [text, markdown, json] {
            #expect(form.contains("Check the dashboards"), "\(form)")
            #expect(form.contains("promote --region eu-west-1"), "\(form)")
        }
        #expect(text.contains("Fail over to eu-west-1"), "\(text)")
        #expect(markdown.contains("Dashboards green in eu-west-1"), "\(markdown)")
        // A terminal escape in a title is shown, never sent to the screen.
        #expect(!text.contains("\u{1b}[31m"), "\(text)")
        #expect(!markdown.contains("\u{1b}[31m"), "\(markdown)")
        let decoded = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
        let steps = try #require(decoded?["steps"] as? [[String: Any]])
        #expect(steps.map { $0["id"] as? String } == ["check", "promote"])
    }

    static let approved = """
    muster: 1
    name: t
    title: Restore
    rto: 1h
    rpo: 24h
    steps:
      - id: find
        title: Find the snapshot
        run: echo "snapshot_time=2026-12-05T00:00:00Z"
        outputs:
          snapshot_time: {regex: 'snapshot_time=(\\S+)', recovery_point: true}
          snapshot_id: {regex: 'id=(\\S+)'}
      - id: promote
        title: Promote the replica
        run: promote
        approval: {count: 2, from: [alice, bob, carol]}
      - id: switch
        title: Switch DNS
        run: switch
        approval: true
    """

    /// Issue 29: the paper copy said nothing of who must approve, the RPO or
    /// which output is the recovery point; every form says all three.
    @Test func everyFormSaysWhoApprovesTheRPOAndTheRecoveryPoint() throws {
        let rb = try loadRunbook(Self.approved)
        let plan = try Plan(runbook: rb, given: [:], catalog: Catalog(currentDirectory: "/") { _ in "/" }, root: "/")
        let text = PlanText(style: Style(color: false, isTerminal: false)).render(plan)
        let markdown = PlanMarkdown().render(plan)
        for form in [text, markdown] {
            #expect(form.contains("RPO 24h"), "\(form)")
            #expect(form.contains("approval: 2 different people of alice, bob, carol (muster approve)"), "\(form)")
            #expect(form.contains("approval: one person other than the operator (muster approve)"), "\(form)")
            #expect(form.contains("snapshot_time ← regex snapshot_time=(\\S+) (recovery point)"), "\(form)")
            #expect(!form.contains("snapshot_id ← regex id=(\\S+) (recovery point)"), "\(form)")
        }
        #expect(markdown.contains("- [ ] Approved by ______ and ______ (2 different people of alice, bob, carol) at ______ (UTC)"), "\(markdown)")
        #expect(markdown.contains("- [ ] Approved by ______ (one person other than the operator) at ______ (UTC)"), "\(markdown)")
        #expect(markdown.contains("Recovery point (the newest data it brings back): ______ (UTC)"), "\(markdown)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(PlanJSON.render(plan).serialized().utf8)) as? [String: Any])
        #expect(json["rpo_seconds"] as? Int == 86_400)
        let steps = try #require(json["steps"] as? [[String: Any]])
        let outputs = try #require(steps[0]["outputs"] as? [String: [String: Any]])
        #expect(outputs["snapshot_time"]?["recovery_point"] as? Bool == true && outputs["snapshot_id"]?["recovery_point"] as? Bool == false)
        #expect(steps[0]["approval"] is NSNull)
        let two = try #require(steps[1]["approval"] as? [String: Any])
        #expect(two["count"] as? Int == 2 && two["from"] as? [String] == ["alice", "bob", "carol"])
        let one = try #require(steps[2]["approval"] as? [String: Any])
        #expect(one["count"] as? Int == 1 && one["from"] as? [String] == [])
    }

    static let guarded = """
    muster: 1
    name: t
    title: Fail over
    params:
      status_url: {default: "https://status.example"}
    guards:
      - id: checkout-errors
        title: Checkout error rate stays under 2%
        http: {url: "{{ status_url }}/checkout/errors", body_contains: ok}
      - id: replica
        title: "Replica \\u001b[31manswers"
        run: pg_isready -h db
        every: 10s
        on_breach: abort
    steps:
      - id: rebuild
        title: Rebuild
        guards:
          - {id: lag, title: Lag stays low, run: 'test "$(cat lag)" -lt 30', every: 1m, on_breach: rollback}
        steps:
          - {id: create, title: Create, run: 'true'}
    """

    /// Each form lists the runbook's guards and a group's, with what they
    /// check, how often, and what a breach does.
    @Test func everyFormListsTheGuards() throws {
        let rb = try loadRunbook(Self.guarded)
        let plan = try Plan(runbook: rb, given: [:], catalog: Catalog(currentDirectory: "/") { _ in "/" }, root: "/")
        let text = PlanText(style: Style(color: false, isTerminal: false)).render(plan)
        let markdown = PlanMarkdown().render(plan)
        for form in [text, markdown] {
            #expect(form.contains("Checkout error rate stays under 2%"), "\(form)")
            #expect(form.contains("GET https://status.example/checkout/errors, expect status 2xx, body contains 'ok'"), "\(form)")
            #expect(form.contains("every 30s, timeout 30s · on breach: ask (continue, roll back or abort)"), "\(form)")
            #expect(form.contains("pg_isready -h db"), "\(form)")
            #expect(form.contains("every 10s, timeout 10s · on breach: stop the running steps and abort"), "\(form)")
            #expect(form.contains("Lag stays low"), "\(form)")
            #expect(form.contains("every 1m, timeout 30s · on breach: stop the running steps and roll back"), "\(form)")
            #expect(!form.contains("\u{1b}[31m"), "\(form)")
        }
        #expect(text.contains("Guards (checked while the steps run"), "\(text)")
        #expect(text.contains("guards, checked while its steps run:"), "\(text)")
        #expect(markdown.contains("## Guards"), "\(markdown)")
        #expect(markdown.contains("- [ ] **Lag stays low** (`lag`): run `test \"$(cat lag)\" -lt 30`"), "\(markdown)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(PlanJSON.render(plan).serialized().utf8)) as? [String: Any])
        let guards = try #require(json["guards"] as? [[String: Any]])
        #expect(guards.map { $0["id"] as? String } == ["checkout-errors", "replica"])
        #expect(guards[0]["every_seconds"] as? Int == 30 && guards[0]["on_breach"] as? String == "ask")
        #expect((guards[0]["http"] as? [String: Any])?["url"] as? String == "https://status.example/checkout/errors")
        #expect(guards[1]["run"] as? String == "pg_isready -h db" && guards[1]["on_breach"] as? String == "abort" && guards[1]["timeout_seconds"] as? Int == 10)
        let group = try #require((json["steps"] as? [[String: Any]])?.first?["guards"] as? [[String: Any]])
        #expect(group.map { $0["id"] as? String } == ["lag"] && group[0]["every_seconds"] as? Int == 60 && group[0]["on_breach"] as? String == "rollback")
    }

    @Test func aReportTableAlignsItsColumnsWhateverTheCellsHold() {
        let rows = ReportText(style: Style(color: false, isTerminal: false)).table([["step", "time"], ["promote", "1m2s"], ["a", "10s"]], rightAligned: [1])
        #expect(rows.count == 3)
        #expect(Set(rows.map { $0.count }).count == 1, "\(rows)")
        #expect(rows[2].hasSuffix("10s"))
    }
}
