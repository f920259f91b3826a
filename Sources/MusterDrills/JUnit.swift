import MusterBasics
import MusterFormat
import MusterEngine

/// A drill as JUnit XML, the one format every CI dashboard reads: one test
/// case per step; a failed step, or one over its `expect`, is a failure, and
/// a missed RTO fails the suite's own `rto` case.
public enum JUnit {
    public static func render(_ r: DrillRecord) -> String {
        var cases: [String] = []
        var failures = 0, skipped = 0
        for s in r.steps {
            var body = ""
            if s.outcome == "failed" {
                failures += 1
                body = "<failure message=\"step failed\"/>"
            } else if s.overExpect, let e = s.expectSeconds {
                failures += 1
                body = "<failure message=\"\(escape("took \(formatSeconds(s.seconds)), expected \(formatSeconds(Double(e)))"))\"/>"
            } else if s.outcome == "skipped" {
                skipped += 1
                body = "<skipped/>"
            }
            cases.append("    <testcase classname=\"\(escape(r.drill))\" name=\"\(escape(s.id))\" time=\"\(seconds(s.seconds))\">\(body)</testcase>")
        }
        if let rto = r.rtoSeconds {
            let met = r.rtoMet == true
            if !met { failures += 1 }
            let why = r.outcome == .recovered ? "recovered in \(formatSeconds(r.elapsedSeconds)), RTO \(formatSeconds(Double(rto)))" : "drill \(r.outcome.rawValue)"
            cases.append("    <testcase classname=\"\(escape(r.drill))\" name=\"rto\" time=\"\(seconds(r.elapsedSeconds))\">" + (met ? "" : "<failure message=\"\(escape(why))\"/>") + "</testcase>")
        }
        return """
        <?xml version="1.0" encoding="UTF-8"?>
        <testsuites>
          <testsuite name="\(escape(r.drill))" tests="\(cases.count)" failures="\(failures)" skipped="\(skipped)" time="\(seconds(r.elapsedSeconds))" timestamp="\(escape(r.startedAt))">
        \(cases.joined(separator: "\n"))
          </testsuite>
        </testsuites>

        """
    }

    /// Milliseconds are as fine as a drill's timing means anything.
    package static func seconds(_ x: Double) -> String { String((x * 1000).rounded() / 1000) }

    static func escape(_ s: String) -> String { markupEscaped(s) }
}

/// Text safe inside an XML or HTML element or a quoted attribute, for the
/// JUnit file and the HTML report alike. Control characters (which XML 1.0
/// cannot carry, and which mean nothing in a report) are dropped.
public func markupEscaped(_ s: String) -> String {
    var out = ""
    out.reserveCapacity(s.utf8.count)
    for u in s.unicodeScalars {
        switch u {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        case "'": out += "&#39;"
        default:
            if (u.value < 0x20 && u != "\n" && u != "\t") || (u.value >= 0x7F && u.value < 0xA0) { continue }
            out.unicodeScalars.append(u)
        }
    }
    return out
}
