import MusterBasics
import MusterRender
import MusterDrills
import MusterTerminal

/// `muster report RUN_ID`: one run's report in the form asked for.
package struct ReportRun {
    package var runID: String
    package var markdown: Bool
    package var postmortem: Bool
    package var json: Bool
    package var html: String?

    package init(runID: String, markdown: Bool, postmortem: Bool, json: Bool, html: String?) {
        self.runID = runID
        self.markdown = markdown
        self.postmortem = postmortem
        self.json = json
        self.html = html
    }

    /// `20261127T090000Z-…`: how `muster run` names runs, so an unknown
    /// one is reported as a missing run, not a missing drill.
    package static func looksLikeRunID(_ s: String) -> Bool {
        let c = Array(s.utf8)
        guard c.count > 17, c[8] == UInt8(ascii: "T"), c[15] == UInt8(ascii: "Z"), c[16] == UInt8(ascii: "-") else { return false }
        return (c[0..<8] + c[9..<15]).allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
    }

    package func run(ws: Workspace, store: RunStore) throws {
        try store.checkAccess(write: false)
        let report = try RunReportSource.load(runID, ws: ws, store: store)
        if let html {
            let path = Paths.absolute(html, from: ws.cwd)
            guard Paths.isDirectory(Paths.dirname(path)) else {
                throw CommandFailure(message: "cannot write \(html): no folder \(Paths.display(Paths.dirname(path), from: ws.cwd))")
            }
            try FileWrites.writeAtomically(RunReportHTML.render(report), to: path)
        }
        if json {
            print(report.json.serialized(pretty: true))
        } else if postmortem {
            print(RunReportMarkdown().postmortem(report), terminator: "")
        } else if markdown {
            print(RunReportMarkdown().render(report), terminator: "")
        } else if let html {
            print("HTML report of \(sanitize(runID)) written to \(sanitize(html))")
        } else {
            print(RunReportText(style: .stdout).render(report), terminator: "")
        }
    }
}
