import MusterBasics
import MusterDrills

/// Runbook tests as JUnit XML, for the CI dashboards that already show the
/// drills': one test case per test, its differences as the failure, and a
/// test file that does not load as an error case of its own.
public enum RunbookTestJUnit {
    public static func render(_ results: [RunbookTestResult], broken: [String]) -> String {
        var cases: [String] = []
        for r in results {
            let body = r.passed ? "" : "<failure message=\"\(markupEscaped(r.differences[0]))\">\(markupEscaped(r.differences.joined(separator: "\n")))</failure>"
            cases.append("    <testcase classname=\"\(markupEscaped(r.runbook))\" name=\"\(markupEscaped(r.name))\" file=\"\(markupEscaped(r.path))\" time=\"0\">\(body)</testcase>")
        }
        for file in broken {
            cases.append("    <testcase classname=\"runbook-tests\" name=\"\(markupEscaped(file))\" file=\"\(markupEscaped(file))\" time=\"0\"><error message=\"the test does not load or no longer matches its runbook (muster validate --tests)\"/></testcase>")
        }
        let failures = results.filter { !$0.passed }.count
        return """
        <?xml version="1.0" encoding="UTF-8"?>
        <testsuites>
          <testsuite name="muster test" tests="\(cases.count)" failures="\(failures)" errors="\(broken.count)" skipped="0" time="0">
        \(cases.joined(separator: "\n"))
          </testsuite>
        </testsuites>

        """
    }
}
