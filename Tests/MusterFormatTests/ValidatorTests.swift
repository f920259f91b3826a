import Foundation
@testable import MusterBasics
@testable import MusterFormat
@testable import MusterEngine
@testable import MusterTesting
import MusterYAML
import Testing

private func m(_ line: Int, _ column: Int) -> Mark { Mark(line: line, column: column) }

/// What the validator makes of the valid fixtures: the parsed values, not
/// just the absence of errors.
@Suite("Validator: parsed values of the valid fixtures")
struct ParsedValueTests {
    let runbook: Runbook

    init() throws {
        let entry = catalog(for: "valid").load(Fixtures.path("valid/runbooks/region-failover.yaml"))
        runbook = try #require(entry.runbook)
    }

    func step(_ id: String) throws -> Step {
        try #require(runbook.steps.first { $0.id == id })
    }

    @Test func header() {
        #expect(runbook.name == "region-failover")
        #expect(runbook.path == "runbooks/region-failover.yaml")
        #expect(runbook.title.raw == "Fail over {{ runbook }} to {{ standby_region }}")
        #expect(runbook.title.references.map(\.name) == ["runbook", "standby_region"])
        #expect(runbook.title.references.map(\.mark) == [m(4, 18), m(4, 35)])
        #expect(runbook.owners == ["platform-oncall", "dba-oncall"])
        #expect(runbook.rto == 45 * 60)
        #expect(runbook.escalation == [
            Rung(after: 15 * 60, contact: "Secondary on-call (PagerDuty schedule platform-secondary)"),
            Rung(after: 30 * 60, contact: "Incident commander"),
        ])
        #expect(runbook.notifyWebhook == "SLACK_WEBHOOK")
        #expect(runbook.description?.hasPrefix("When eu-west-1 is lost") == true)
        #expect(runbook.env.map(\.name) == ["AWS_REGION", "INCIDENT"])
    }

    @Test func stepKindsInOrder() {
        #expect(runbook.steps.map(\.kind) == [.manual, .run, .wait, .wait, .http, .ci, .ci, .ci, .ci, .runbook, .runbook])
        // Groups and parallel steps have their own suite (FlowFormatTests),
        // decisions theirs (DecisionTests, DecisionMachineTests).
        #expect(Set(runbook.steps.map(\.kind)) == Set(StepKind.allCases).subtracting([.steps, .parallel, .decide]))
        #expect(runbook.steps.filter { $0.kind.isAutomated }.allSatisfy { $0.automation != nil })
        #expect(runbook.steps.filter { !$0.kind.isAutomated }.allSatisfy { $0.automation == nil })
    }

    @Test func paramsAndTheirRequiredness() throws {
        #expect(runbook.params.map(\.name) == ["standby_region", "incident_id", "cluster", "dry_run", "replicas"])
        let region = try #require(runbook.param("standby_region"))
        #expect(region.defaultValue == "eu-central-1")
        #expect(region.choices == ["eu-central-1", "eu-north-1"])
        #expect(region.pattern == "^[a-z]{2}-[a-z]+-[0-9]$")
        #expect(!region.required)
        #expect(region.mark == m(18, 3))
        #expect(runbook.param("incident_id")?.required == true)
        #expect(runbook.param("dry_run")?.required == true, "a parameter without a default must be given")
        #expect(runbook.param("replicas")?.required == false)
        #expect(runbook.param("replicas")?.defaultValue == "3")
    }

    @Test func paramProblems() throws {
        let region = try #require(runbook.param("standby_region"))
        #expect(region.problem(with: "eu-north-1") == nil)
        #expect(region.problem(with: "us-east-1")?.description == "'us-east-1' is not one of the choices for 'standby_region': eu-central-1, eu-north-1")
        let patterned = Param(name: "zone", mark: m(1, 1), description: nil, defaultValue: nil, choices: nil, pattern: "^[a-z]+-[0-9]$", required: true)
        #expect(patterned.problem(with: "eu-1") == nil)
        #expect(patterned.problem(with: "EU-1")?.description == "'EU-1' does not match the pattern of 'zone': ^[a-z]+-[0-9]$")
        #expect(patterned.problem(with: "EU-1")?.patternGaveUp == false)
    }

    /// A pattern that backtracks exponentially runs out of its budget
    /// instead of hanging: a value it would never match is refused with a
    /// message blaming the pattern, and a value it matches is still fine.
    @Test func aPatternOutOfItsBudgetIsBlamedNotTheValue() throws {
        let p = Param(name: "zone", mark: m(1, 1), description: nil, defaultValue: nil, choices: nil, pattern: "^(a+)+$", required: true)
        #expect(p.problem(with: String(repeating: "a", count: 40)) == nil)
        let problem = try #require(p.problem(with: String(repeating: "a", count: 40) + "b"))
        #expect(problem.patternGaveUp)
        #expect(problem.description.hasPrefix("the pattern of 'zone' (^(a+)+$) backtracks too much to check"))
    }

    /// Patterns are PCRE2: Perl syntax, searched (not anchored), Unicode text.
    @Test func patternsArePCRE2SearchedInUnicodeText() {
        let p = { (pattern: String) in Param(name: "x", mark: m(1, 1), description: nil, defaultValue: nil, choices: nil, pattern: pattern, required: true) }
        #expect(p("[0-9]{2}").problem(with: "release 42b") == nil)
        #expect(p("^\\p{L}+$").problem(with: "Zürich") == nil)
        #expect(p("^.{6}$").problem(with: "Zürich") == nil, "one character is one code point, not one byte")
        #expect(p("(?i)^prod$").problem(with: "PROD") == nil)
        #expect(p("^prod$").problem(with: "PROD") != nil)
    }

    @Test func secretsDefaultToAnEnvironmentVariableOfTheirName() {
        let byName = Dictionary(uniqueKeysWithValues: runbook.secrets.map { ($0.name, $0) })
        #expect(byName["GITHUB_TOKEN"]?.env == "GITHUB_TOKEN")
        #expect(byName["API_TOKEN"]?.env == "API_TOKEN")
        #expect(byName["API_TOKEN"]?.file == nil)
        #expect(byName["GITLAB_TOKEN"]?.file == "~/.config/acme/gitlab-token")
        #expect(byName["GITLAB_TOKEN"]?.env == nil)
        #expect(byName["SLACK_WEBHOOK"]?.env == "SLACK_URL")
    }

    @Test func manualStep() throws {
        let s = try step("declare")
        guard case .manual(let items, let ask) = s.body else {
            Issue.record("declare is not manual")
            return
        }
        #expect(items.map(\.raw) == ["Open an incident and note its ID", "Page the incident commander for {{ standby_region }}"])
        #expect(items[1].references.first?.mark == m(51, 41))
        #expect(ask.map(\.name) == ["ticket", "approver"])
        #expect(ask.map(\.prompt) == ["Incident ticket ID", "Who approved the failover?"])
        #expect(s.definedNames == ["ticket", "approver"])
        #expect(s.notes?.references.first?.mark == m(48, 48))
        #expect(s.mark == m(45, 5))
    }

    @Test func runStepWithEveryAutomationKey() throws {
        let s = try step("recreate-cluster")
        let a = try #require(s.automation)
        #expect(a.timeout == 20 * 60)
        #expect(a.expect == 12 * 60)
        #expect(a.retries == 2)
        #expect(a.retryDelay == 90)
        #expect(a.onFailure == .rollback)
        #expect(a.confirm)
        #expect(!a.idempotent)
        #expect(a.rollback?.raw == "aws eks delete-cluster --region {{ standby_region }} --name {{ cluster }}")
        #expect(a.outputs.map(\.name) == ["cluster_arn", "endpoint", "version"])
        #expect(a.outputs.map(\.source) == [.json("cluster.arn"), .json("cluster.endpoints.0.url"), .regex("version ([0-9.]+)")])
        guard case .run(let command) = s.body else {
            Issue.record("recreate-cluster is not run")
            return
        }
        // References inside a `run: |` block are placed on their own lines.
        #expect(command.references.map(\.name) == ["standby_region", "cluster", "ticket"])
        #expect(command.references.map(\.mark) == [m(60, 39), m(61, 16), m(61, 44)])
    }

    @Test func automationDefaults() throws {
        let a = try #require(try step("redeploy-jenkins").automation)
        #expect(a.timeout == Automation.defaultTimeout)
        #expect(a.timeout == 30 * 60)
        #expect(a.retries == 0)
        #expect(a.retryDelay == 10)
        #expect(a.expect == nil)
        #expect(a.onFailure == nil)
        #expect(!a.confirm)
        #expect(!a.idempotent)
        #expect(a.rollback == nil)
    }

    @Test func waitStepsTakeTheirOwnTimeout() throws {
        let active = try step("wait-active")
        guard case .wait(let w) = active.body, case .run(let probe) = w.probe else {
            Issue.record("wait-active does not poll a command")
            return
        }
        #expect(probe.references.map(\.name) == ["standby_region", "cluster"])
        #expect(w.until?.raw == "ACTIVE")
        #expect(w.every == 15)
        #expect(w.timeout == 25 * 60)
        #expect(active.automation?.timeout == 25 * 60)
        #expect(active.automation?.idempotent == true)
        #expect(active.automation?.onFailure == .abort)

        let healthy = try step("wait-healthy")
        guard case .wait(let h) = healthy.body, case .http(let check) = h.probe else {
            Issue.record("wait-healthy does not poll http")
            return
        }
        #expect(check.url.references.map(\.name) == ["endpoint"])
        #expect(check.status == 200)
        #expect(check.bodyContains?.raw == "ok")
        #expect(h.until == nil)
        #expect(h.every == 90)
        #expect(h.timeout == 2 * 3600 + 15 * 60 + 30)
        #expect(healthy.automation?.expect == 3600)
        #expect(healthy.automation?.onFailure == .continue)
    }

    @Test func httpStep() throws {
        let s = try step("smoke")
        guard case .http(let h) = s.body else {
            Issue.record("smoke is not http")
            return
        }
        #expect(h.method == "POST")
        #expect(h.status == 204)
        #expect(h.bodyContains?.raw == "ok")
        #expect(h.headers.map(\.name) == ["Authorization", "X-Incident"])
        #expect(h.headers[0].value.raw == "Bearer ${API_TOKEN}")
        #expect(h.body?.references.map(\.name) == ["approver"])
        #expect(s.automation?.retries == 3)
        #expect(s.automation?.onFailure == .ask)
    }

    @Test("ci providers and their defaults", arguments: [
        ("redeploy-buildbot", CIProvider.buildbot, "http://ci.internal:8010", ["builder": "deploy", "scheduler": "force-deploy"], nil as String?),
        ("redeploy-github", .github, "https://api.github.com", ["repo": "acme/platform", "workflow": "deploy.yml", "ref": "release"], "GITHUB_TOKEN"),
        ("redeploy-gitlab", .gitlab, "https://gitlab.example.com", ["project": "acme/platform", "ref": "main"], "GITLAB_TOKEN"),
        ("redeploy-jenkins", .jenkins, "https://jenkins.example.com/", ["job": "deploy"], nil),
    ])
    func ciStep(id: String, provider: CIProvider, url: String, settings: [String: String], token: String?) throws {
        let s = try step(id)
        guard case .ci(let ci) = s.body else {
            Issue.record("\(id) is not ci")
            return
        }
        #expect(ci.provider == provider)
        #expect(ci.url.raw == url)
        #expect(ci.settings.mapValues(\.raw) == settings)
        #expect(ci.token == token)
    }

    @Test func ciInputsAreTemplated() throws {
        guard case .ci(let ci) = try step("redeploy-buildbot").body else {
            Issue.record("no buildbot step")
            return
        }
        #expect(ci.inputs.map(\.name) == ["region", "version"])
        #expect(ci.inputs.map { $0.value.references.map(\.name) } == [["standby_region"], ["version"]])
        #expect(try step("redeploy-buildbot").automation?.timeout == 30 * 60)
    }

    @Test func buildbotSchedulerDefaultsToForce() throws {
        let dir = try TemporaryRepo()
        defer { dir.remove() }
        try dir.write("runbooks/bb.yaml", """
            muster: 1
            name: bb
            title: Buildbot
            steps:
              - id: deploy
                title: Deploy
                ci: {provider: buildbot, url: "http://ci:8010", builder: deploy}
            """)
        let entry = dir.catalog().load(dir.path("runbooks/bb.yaml"))
        #expect(entry.diagnostics.isEmpty)
        guard case .ci(let ci) = entry.runbook?.steps.first?.body else {
            Issue.record("no ci step")
            return
        }
        #expect(ci.settings["scheduler"]?.raw == "force")
        #expect(ci.settings["builder"]?.raw == "deploy")
    }

    @Test func runbookSteps() throws {
        guard case .runbook(let byName) = try step("restore-db").body,
              case .runbook(let byPath) = try step("restore-cache").body else {
            Issue.record("restore steps are not runbook steps")
            return
        }
        #expect(byName.runbook == "database-restore")
        #expect(byName.mark == m(147, 14))
        #expect(byName.with.map(\.name) == ["region", "ticket"])
        #expect(byName.with.map(\.mark) == [m(148, 12), m(148, 44)])
        #expect(byPath.runbook == "runbooks/cache-warm.yaml")
        #expect(byPath.with.isEmpty)
    }

    @Test func everyDurationForm() throws {
        let rb = try #require(catalog(for: "valid").load(Fixtures.path("valid/runbooks/durations.yaml")).runbook)
        #expect(rb.rto == 2 * 3600 + 15 * 60 + 30)
        #expect(rb.escalation.map(\.after) == [90, 15 * 60, 3600, 5400, 8130, 3 * 3600 + 5])
        let a = try #require(rb.steps.first?.automation)
        #expect(a.timeout == 5400)
        #expect(a.expect == 90)
        #expect(a.retryDelay == 0)
    }

    @Test func drill() throws {
        let entry = catalog(for: "valid").load(Fixtures.path("valid/drills/region-failover-quarterly.yaml"))
        let d = try #require(entry.drill)
        #expect(d.name == "region-failover-quarterly")
        #expect(d.runbook == "region-failover")
        #expect(d.runbookMark == m(3, 10))
        #expect(d.schedule == "0 9 1 */3 *")
        #expect(d.params.map(\.name) == ["standby_region", "incident_id"])
        #expect(d.params.map(\.value) == ["eu-north-1", "DRILL-1"])
        #expect(d.rto == 45 * 60)
        #expect(d.mode == .live)
        #expect(d.faults.map(\.step) == ["recreate-cluster", "restore"])
        #expect(d.faults.map(\.times) == [1, 1])
        #expect(d.faults.map(\.mark) == [m(10, 11), m(13, 11)])
        #expect(d.expectEscalation?.within == 300)
        #expect(d.expectEscalation?.contact == "Secondary on-call")

        let rehearsal = try #require(catalog(for: "valid").load(Fixtures.path("valid/drills/cache-rehearsal.yaml")).drill)
        #expect(rehearsal.mode == .rehearsal)
        #expect(rehearsal.faults.isEmpty)
        #expect(rehearsal.expectEscalation == nil)
    }
}

@Suite("Validator: behaviour across files")
struct CatalogTests {
    @Test func severalProblemsInOneFileAreAllReported() {
        let lines = Set(problems(of: "runbooks/kinds.yaml", in: "invalid").compactMap { $0.mark?.line })
        // One problem on each of these lines, from every step of the file.
        let expected: Set<Int> = [5, 11, 12, 13, 14, 16, 17, 21, 22, 23, 27, 28, 31, 34, 35, 36, 37, 38, 39]
        #expect(lines == expected)

        let templateLines = Set(problems(of: "runbooks/templates.yaml", in: "invalid").compactMap { $0.mark?.line })
        #expect(templateLines.isSuperset(of: [3, 10, 13, 17, 19, 23, 32, 33, 37, 40, 41, 42, 47, 48]))
    }

    @Test func diagnosticsAreSortedByPosition() {
        let marks = problems(of: "runbooks/templates.yaml", in: "invalid").compactMap(\.mark)
        #expect(marks == marks.sorted())
        #expect(!marks.isEmpty)
    }

    @Test func twoTemplatesOnOneLineHaveTheirOwnColumns() {
        let onLine17 = problems(of: "runbooks/templates.yaml", in: "invalid").filter { $0.mark?.line == 17 }
        #expect(onLine17.map { $0.mark?.column } == [21, 50])
        #expect(onLine17.map(\.message).allSatisfy { $0.contains("'cluster_name'") || $0.contains("'version'") })
    }

    @Test func diagnosticFormat() {
        let d = Diagnostic(path: "runbooks/x.yaml", mark: m(3, 7), message: "boom")
        #expect(d.formatted == "runbooks/x.yaml:3:7: error: boom")
        let w = Diagnostic(path: "runbooks/x.yaml", mark: nil, severity: .warning, message: "hm")
        #expect(w.formatted == "runbooks/x.yaml: warning: hm")
        #expect(w < d, "a whole-file problem sorts first")
    }

    @Test func rollbackWithoutARollbackCommandIsAWarning() throws {
        let dir = try TemporaryRepo()
        defer { dir.remove() }
        try dir.write("runbooks/warn.yaml", """
            muster: 1
            name: warn
            title: Warn
            steps:
              - id: go
                title: Go
                run: echo go
                on_failure: rollback
            """)
        let c = dir.catalog()
        let entry = c.load(dir.path("runbooks/warn.yaml"))
        #expect(entry.diagnostics.map(\.formatted) == [
            "runbooks/warn.yaml:8:5: warning: 'on_failure: rollback' rolls back earlier steps; this step has no 'rollback' command of its own",
        ])
        #expect(!entry.hasErrors)
        #expect(entry.runbook != nil)
    }

    @Test("template positions with CRLF line ends and a byte order mark", arguments: [
        ("crlf", "\r\n", ""),
        ("bom", "\n", "\u{FEFF}"),
    ])
    func lineEndsAndByteOrderMark(name: String, newline: String, prefix: String) throws {
        let dir = try TemporaryRepo()
        defer { dir.remove() }
        let lines = [
            "title: T {{ nope }}", "muster: 1", "name: \(name)", "steps:", "  - id: a", "    title: A", "    run: |",
            "      echo {{ x }}", "      echo é {{ y }}",
        ]
        try dir.write("runbooks/\(name).yaml", prefix + lines.joined(separator: newline) + newline)
        let entry = dir.catalog().load(dir.path("runbooks/\(name).yaml"))
        #expect(entry.diagnostics.map { $0.mark } == [m(1, 10), m(8, 12), m(9, 14)])
        #expect(entry.diagnostics.map(\.message).allSatisfy { $0.hasPrefix("unknown name") })
    }

    @Test func unreadableFiles() throws {
        let dir = try TemporaryRepo()
        defer { dir.remove() }
        try dir.write("runbooks/folder.yaml/.keep", "")
        let c = dir.catalog()
        let missing = c.load(dir.path("runbooks/nope.yaml"))
        #expect(missing.diagnostics.map(\.formatted) == ["runbooks/nope.yaml: error: cannot read this file: No such file or directory"])
        #expect(missing.document == nil)
        let folder = c.load(dir.path("runbooks/folder.yaml"))
        #expect(folder.diagnostics.map(\.formatted) == ["runbooks/folder.yaml: error: cannot read this file: Is a directory"])
    }

    @Test func fileNameMustMatchForYmlToo() throws {
        let dir = try TemporaryRepo()
        defer { dir.remove() }
        try dir.write("runbooks/short.yml", "muster: 1\nname: short\ntitle: T\nsteps:\n  - {id: a, title: A, manual: [x]}\n")
        #expect(problems(at: dir.path("runbooks/short.yml"), in: dir).isEmpty)
    }

    @Test func resolvingRunbooksByNameAndPath() {
        let root = Fixtures.path("invalid")
        let c = catalog(for: "invalid")
        #expect(c.runbookPath("target", root: root) == root + "/runbooks/target.yaml")
        #expect(c.runbookPath("runbooks/target.yaml", root: root) == root + "/runbooks/target.yaml")
        #expect(c.runbookPath("other/../runbooks/x.yml", root: root) == root + "/runbooks/x.yml")
        guard case .found(let rb, let path) = c.resolveRunbook("target", root: root) else {
            Issue.record("target does not resolve")
            return
        }
        #expect(rb.name == "target")
        #expect(c.displayPath(path) == "runbooks/target.yaml")
        guard case .missing(_, let hint) = c.resolveRunbook("targte", root: root) else {
            Issue.record("targte resolves")
            return
        }
        #expect(hint == "target")
        guard case .broken(_, let entry) = c.resolveRunbook("header", root: root) else {
            Issue.record("header is not broken")
            return
        }
        #expect(entry.hasErrors)
    }

    @Test("escalation contacts match a rung exactly or by its start, ignoring case", arguments: [
        ("Secondary on-call", "Secondary on-call (PagerDuty schedule platform-secondary)"),
        ("secondary ON-CALL", "Secondary on-call (PagerDuty schedule platform-secondary)"),
        ("incident commander", "Incident commander"),
        ("Tertiary", nil as String?),
    ])
    func rungMatching(contact: String, rung: String?) {
        let ladder = [
            Rung(after: 900, contact: "Secondary on-call (PagerDuty schedule platform-secondary)"),
            Rung(after: 1800, contact: "Incident commander"),
        ]
        #expect(Catalog.rung(matching: contact, in: ladder)?.contact == rung)
    }

    /// A runbook that includes itself several times once made a drill's
    /// fault check expand 4^16 runbooks, and `show` expand as many steps.
    @Test(.timeLimit(.minutes(1)))
    func includeCyclesDoNotMultiplyWork() throws {
        let dir = try TemporaryRepo()
        defer { dir.remove() }
        try dir.write("runbooks/loop.yaml", """
            muster: 1
            name: loop
            title: Loop
            steps:
              - {id: a, title: A, runbook: loop}
              - {id: b, title: B, runbook: loop}
              - {id: c, title: C, runbook: loop}
              - {id: d, title: D, runbook: loop}
            """)
        try dir.write("runbooks/outer.yaml", """
            muster: 1
            name: outer
            title: Outer
            steps:
              - {id: go, title: Go, runbook: loop}
            """)
        try dir.write("drills/loop-drill.yaml", """
            muster: 1
            drill: loop-drill
            runbook: loop
            faults:
              - {step: zzz, fail: boom}
            """)
        #expect(problems(at: dir.path("drills/loop-drill.yaml"), in: dir).map(\.formatted) == [
            "drills/loop-drill.yaml:5:12: error: fault names step 'zzz', which runbook 'loop' does not have",
        ])
        #expect(problems(at: dir.path("runbooks/loop.yaml"), in: dir).map(\.formatted) == [
            "runbooks/loop.yaml:5:32: error: include cycle: loop → loop",
            "runbooks/loop.yaml:6:32: error: include cycle: loop → loop",
            "runbooks/loop.yaml:7:32: error: include cycle: loop → loop",
            "runbooks/loop.yaml:8:32: error: include cycle: loop → loop",
        ])
        // outer itself has no cycle; its plan shows loop's steps once, not 4^16 times.
        let c = dir.catalog()
        let outer = try #require(c.load(dir.path("runbooks/outer.yaml")).runbook)
        let plan = try Plan(runbook: outer, given: [:], catalog: c, root: dir.root)
        #expect(plan.steps[0].children.map(\.number) == ["1.1", "1.2", "1.3", "1.4"])
        #expect(plan.steps[0].children.allSatisfy { $0.children.isEmpty })
        #expect(plan.stepCount == 5)
    }

    @Test func catalogCachesEachFile() {
        let c = catalog(for: "valid")
        let path = Fixtures.path("valid/runbooks/cache-warm.yaml")
        let a = c.load(path), b = c.load(path)
        #expect(a.source === b.source)
    }
}

@Suite("Plan")
struct PlanTests {
    @Test func includedRunbooksAreExpandedAndNumbered() throws {
        let c = catalog(for: "valid")
        let root = Fixtures.path("valid")
        let rb = try #require(c.load(Fixtures.path("valid/runbooks/region-failover.yaml")).runbook)
        let plan = try Plan(runbook: rb, given: ["standby_region": "eu-north-1", "incident_id": "INC-1"], catalog: c, root: root)
        #expect(plan.values["standby_region"] == "eu-north-1")
        #expect(plan.values["cluster"] == "prod")
        #expect(plan.values["runbook"] == "region-failover")
        #expect(plan.values["dry_run"] == nil)
        #expect(plan.steps.map(\.number) == (1...11).map(String.init))
        let db = plan.steps[9]
        #expect(db.included?.name == "database-restore")
        #expect(db.children.map(\.number) == ["10.1", "10.2"])
        // A fully known `with` value is passed on; one naming an answer is not.
        #expect(db.children[0].values["region"] == "eu-north-1")
        #expect(db.children[0].values["ticket"] == nil)
        #expect(db.children[0].values["snapshot"] == "latest")
        #expect(plan.steps[10].children.map(\.step.id) == ["warm"])
        #expect(plan.stepCount == 11 + 2 + 1)

        guard case .run(let command) = plan.steps[1].step.body else {
            Issue.record("step 2 is not run")
            return
        }
        #expect(plan.steps[1].shell(command) == "aws eks create-cluster --region eu-north-1 \\\n  --name prod --tags ticket={{ ticket }}\n")
        #expect(plan.steps[0].text(plan.steps[0].step.title) == "Declare incident INC-1")
    }

    @Test func badParametersAreRefused() throws {
        let c = catalog(for: "valid")
        let rb = try #require(c.load(Fixtures.path("valid/runbooks/region-failover.yaml")).runbook)
        #expect(throws: PlanError.self) {
            try Plan(runbook: rb, given: ["standby_regoin": "eu-north-1"], catalog: c, root: Fixtures.path("valid"))
        }
        do {
            _ = try Plan(runbook: rb, given: ["standby_region": "mars"], catalog: c, root: Fixtures.path("valid"))
            Issue.record("an invalid choice was accepted")
        } catch .badParameter(let message) {
            #expect(message == "'mars' is not one of the choices for 'standby_region': eu-central-1, eu-north-1")
        }
        do {
            _ = try Plan(runbook: rb, given: ["standby_regoin": "x"], catalog: c, root: Fixtures.path("valid"))
        } catch .badParameter(let message) {
            #expect(message == "runbook 'region-failover' has no parameter 'standby_regoin' (did you mean 'standby_region'?)")
        }
    }
}

/// A scratch repository for the few cases that need files of their own.
struct TemporaryRepo {
    let root: String

    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("muster-core-tests-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    }

    func path(_ relative: String) -> String { Paths.join(root, relative) }

    func write(_ relative: String, _ text: String) throws {
        let p = path(relative)
        try FileManager.default.createDirectory(atPath: Paths.dirname(p), withIntermediateDirectories: true)
        try text.write(toFile: p, atomically: true, encoding: .utf8)
    }

    func catalog() -> Catalog {
        let root = self.root
        return Catalog(currentDirectory: root, rootFinder: { _ in root })
    }

    func remove() { try? FileManager.default.removeItem(atPath: root) }
}

private func problems(at path: String, in repo: TemporaryRepo) -> [Diagnostic] {
    let c = repo.catalog()
    let entry = c.load(path)
    return entry.diagnostics + (entry.document == nil ? [] : c.crossCheck(entry, at: path))
}
