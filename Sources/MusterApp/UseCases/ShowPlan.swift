import MusterBasics
import MusterRender
import MusterFormat
import MusterEngine
import MusterJournal
import MusterDrills
import MusterPreflight
import MusterTerminal

/// `muster show`: a runbook's plan (text, Markdown or JSON), or its forecast from past drills.
package struct ShowPlan {
    package enum Format { case text, markdown, json }

    package var runbook: String
    package var format: Format
    package var params: [String]
    package var rev: String?
    package var forecast: Bool
    package var recordsDir: String?

    package init(runbook: String, format: Format, params: [String], rev: String?, forecast: Bool, recordsDir: String?) {
        self.runbook = runbook
        self.format = format
        self.params = params
        self.rev = rev
        self.forecast = forecast
        self.recordsDir = recordsDir
    }

    package func run() throws {
        let ws = try Workspace(rev: rev)
        let given = try parseParams(params)
        let (rb, path) = try ws.loadRunbook(runbook)
        if forecast {
            try ShowForecast.print(rb, path: path, ws: ws, recordsDir: recordsDir, json: format == .json)
            return
        }
        let plan: Plan
        do {
            plan = try Plan(runbook: rb, given: given, catalog: ws.catalog, root: ws.catalog.root(forFileAt: path))
        } catch {
            switch error { case .badParameter(let m): throw CommandFailure(message: m) }
        }
        switch format {
        case .text: print(PlanText(style: .stdout).render(plan), terminator: "")
        case .markdown: print(PlanMarkdown().render(plan), terminator: "")
        case .json: print(PlanJSON.render(plan).serialized(pretty: true))
        }
    }
}
