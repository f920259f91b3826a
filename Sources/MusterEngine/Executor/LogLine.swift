import MusterBasics
import MusterFormat

/// One journal event as a readable line.
public enum LogLine {
    public static func render(_ e: JournalEvent) -> String {
        var s = "\(e.at)  +\(leftPadded(formatSeconds(e.t), 7))  \(e.event.rawValue)"
        if let step = e.step { s += "  \(step)" }
        if [.guardBreached, .guardAnswered].contains(e.event), let g = e.value { s += "  guard \(g)" }
        if let r = e.run { s += "  \(r.runbook) by \(r.operatorName) on \(r.host), params: " + r.params.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ") }
        // Escalations journal the rung as the ladder numbers it (from 1);
        // checklist items are journaled from 0.
        if let i = e.item { s += e.event == .escalated ? "  rung \(i)" : "  item \(i + 1)" }
        if let a = e.answer { s += "  \(a)" }
        if e.auto == true { s += " (automatic)" }
        // A request taken in (approval, hand-off) names who it came from;
        // its `value` is the request's name, not an answer.
        let fromPerson = [.approvalGiven, .approvalDenied, .handoff].contains(e.event)
        if let n = e.name, !fromPerson { s += "  \(n)=\(e.value ?? "")" }
        if e.event == .approvalRequested, let who = e.value { s += "  needs \(who)" }
        if let a = e.attempt { s += "  attempt \(a)" }
        if let x = e.exit { s += "  exit \(x)" }
        if let x = e.status { s += "  status \(x)" }
        if let sec = e.seconds { s += "  \(formatSeconds(sec))" }
        if e.timedOut == true { s += "  timed out" }
        if let o = e.outcome { s += "  \(o)" }
        if let c = e.contact, !fromPerson { s += "  \(c)" }
        if let o = e.outputs, !o.isEmpty { s += "  outputs: " + o.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ") }
        if let b = e.by { s += "  by \(b)" + (fromPerson && e.name != nil && e.name != b ? " (\(e.name!))" : "") + (e.identity.map { " as \($0)" } ?? "") }
        if let t = e.text { s += "  — \(t)" }
        return s
    }

    private static func leftPadded(_ s: String, _ width: Int) -> String {
        s.count >= width ? s : String(repeating: " ", count: width - s.count) + s
    }
}
