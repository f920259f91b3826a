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

    @Test func aReportTableAlignsItsColumnsWhateverTheCellsHold() {
        let rows = ReportText(style: Style(color: false, isTerminal: false)).table([["step", "time"], ["promote", "1m2s"], ["a", "10s"]], rightAligned: [1])
        #expect(rows.count == 3)
        #expect(Set(rows.map { $0.count }).count == 1, "\(rows)")
        #expect(rows[2].hasSuffix("10s"))
    }
}
