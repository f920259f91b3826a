import Foundation
import MusterBasics
import MusterFormat
import MusterEngine
import MusterJournal
import MusterDrills
import MusterApp
import MusterTestSupport
import Testing

/// Every text a runbook, a drill or a record can hold, set to a window
/// title, a clipboard write (OSC 52), a screen clear and a C1 CSI, then every
/// command that prints them. Nothing may reach stdout or stderr as a control
/// character but a newline or a tab.
@Suite("Escape sequences in every printed field")
struct EscapeSequenceTests {
    /// The payload as a YAML double-quoted escape, and as it is once read.
    static let yamlPayload = #"\e]0;PWNED\a\e]52;c;cHduZWQ=\a\e[2J\x9b2J"#
    static let payload = "\u{1B}]0;PWNED\u{07}\u{1B}]52;c;cHduZWQ=\u{07}\u{1B}[2J\u{9B}2J"

    /// `label` followed by the payload, as a YAML double-quoted scalar.
    static func h(_ label: String) -> String { "\"\(label) \(yamlPayload)\"" }

    static let runbook = """
    muster: 1
    name: hostile
    title: \(h("Title {{ p_desc }}"))
    description: \(h("Description"))
    owners: [\(h("Owner"))]
    rto: 1h
    escalation:
      - after: 0s
        contact: \(h("Contact"))
    notify: {webhook: HOSTILE_HOOK}
    params:
      p_desc: {description: \(h("Param")), default: \(h("Default"))}
      p_choice: {description: \(h("Choice")), choices: [\(h("Choice")), x], default: \(h("Choice"))}
      p_pattern: {description: \(h("Pattern")), pattern: "^Pat|\(yamlPayload)]", default: \(h("Pat"))}
    secrets:
      HOSTILE_TOKEN: {env: HOSTILE_TOKEN, file: \(h("/nonexistent/token")), description: \(h("Secret"))}
      HOSTILE_HOOK: {env: HOSTILE_HOOK, file: \(h("/nonexistent/hook")), description: \(h("Hook"))}
    env:
      HOSTILE_ENV: \(h("Env"))
    steps:
      - id: checklist
        title: \(h("Manual"))
        notes: \(h("Notes"))
        manual: [\(h("Item"))]
        ask: {answer: \(h("Prompt"))}
      - id: shell
        title: \(h("Run {{ answer }}"))
        notes: \(h("Run notes"))
        confirm: true
        run: \(h("printf '%s\\\\n' {{ answer }} \\\"$HOSTILE_ENV\\\" # comment"))
        rollback: \(h("true # rollback"))
        outputs: {got: {regex: "(.*)|\(yamlPayload)]"}}
      - id: poll
        title: \(h("Wait"))
        wait: {run: \(h("printf '%s\\\\n' \\\"$HOSTILE_ENV\\\" # probe")), until: \(h("Env")), every: 1s, timeout: 5s}
      - id: call
        title: \(h("HTTP"))
        on_failure: continue
        http:
          url: \(h("http://127.0.0.1:1/"))
          headers: {X-Hostile: \(h("Header"))}
          body: \(h("Body"))
          body_contains: \(h("Contains"))
      - id: pipeline
        title: \(h("CI"))
        on_failure: continue
        ci: {provider: jenkins, url: \(h("http://127.0.0.1:1/")), job: \(h("Job")), inputs: {k: \(h("Input"))}, token: HOSTILE_TOKEN}
      - id: inner
        title: \(h("Include"))
        runbook: inner
        with: {p_inner: \(h("With"))}
      - id: typed
        title: \(h("Typed output"))
        run: echo x
        outputs: {c: {regex: "(x)", choices: [\(h("Choice")), x], pattern: "(?:)|\(yamlPayload)]"}}
      - id: typed-ask
        title: \(h("Typed question"))
        manual: [\(h("Item"))]
        ask: {pick: {prompt: \(h("Pick")), choices: [\(h("Choice")), x], pattern: "(?:)|\(yamlPayload)]"}}
      - id: group
        title: \(h("Group"))
        notes: \(h("Group notes"))
        when: "p_desc != \\"Cond \(yamlPayload)\\""
        steps:
          - {id: looped, title: \(h("Loop {{ item }}")), for_each: {in: [a, b], as: item}, notes: \(h("Loop notes")), manual: [\(h("Loop item"))]}
    finally:
      - id: cleanup
        title: \(h("Finally"))
        notes: \(h("Finally notes"))
        manual: [\(h("Finally item"))]
    """

    static let inner = """
    muster: 1
    name: inner
    title: \(h("Inner {{ p_inner }}"))
    params:
      p_inner: {description: \(h("Inner param"))}
    steps:
      - id: inner-step
        title: \(h("Inner step {{ p_inner }}"))
        manual: [\(h("Inner item {{ p_inner }}"))]
    """

    static let drill = """
    muster: 1
    drill: hostile-drill
    runbook: hostile
    description: \(h("Drill"))
    schedule: "0 9 * * *"
    params: {p_desc: \(h("Drill param"))}
    faults:
      - {step: shell, fail: \(h("Fault"))}
    expect_escalation: {within: 5m, contact: \(h("Contact"))}
    scenario: \(h("Scenario"))
    unavailable: [\(h("Contact"))]
    """

    /// A record with every text field hostile, timestamps included.
    static var record: String {
        let p = "\(yamlPayload)".replacingOccurrences(of: #"\e"#, with: #"\u001b"#).replacingOccurrences(of: #"\a"#, with: #"\u0007"#)
            .replacingOccurrences(of: #"\x9b"#, with: #"\u009b"#)
        return """
        {"muster": 1, "drill": "hostile-drill \(p)", "runbook": "hostile \(p)", "runbook_path": "runbooks/\(p).yaml",
         "runbook_commit": "commit \(p)", "runbook_dirty": true, "mode": "mode \(p)", "operator": "operator \(p)",
         "started_at": "2026-01-01T00:00:00Z\(p)", "finished_at": "2026-01-01T00:10:00Z\(p)", "outcome": "recovered",
         "elapsed_seconds": 600, "rto_seconds": 60, "rto_met": false,
         "steps": [{"id": "step \(p)", "kind": "kind \(p)", "outcome": "outcome \(p)", "started_at": "at \(p)", "seconds": 5,
                    "attempts": 1, "expect_seconds": 1, "over_expect": true, "parent": "parent \(p)"},
                   {"id": "beside \(p)", "kind": "run", "outcome": "done", "started_at": "at \(p)", "seconds": 2,
                    "attempts": 1, "expect_seconds": null, "over_expect": false, "parent": "parent \(p)"}],
         "escalations": [{"at_seconds": 1, "contact": "escalated \(p)"}], "faults": [{"step": "fault \(p)", "at_seconds": 1}],
         "training": {"escalated_within": false, "contact_ok": false, "escalated_after_seconds": null},
         "run_id": "run \(p)", "runbook_hash": "hash \(p)",
         "human_seconds": 10, "automated_seconds": 590, "people_waits": [{"step": "wait \(p)", "at_seconds": 1, "seconds": 10}],
         "recovery_point": "point \(p)", "rpo_seconds": 100, "rpo_met": true, "critical_path": ["step \(p)"], "serial_seconds": 700, "rpo_objective_seconds": 60,
         "environment": "sandbox", "params": {"name \(p)": "value \(p)"}, "overrides": true, "journal_hash": "journal \(p)",
         "store_times": {"first_seq": 1, "first_at": "first \(p)", "last_seq": 2, "last_at": "last \(p)"}, "signature": "signature \(p)"}
        """
    }

    /// Texts that cannot hold a payload: names and ids the validator
    /// restricts, and references to them. Any other text field of the model
    /// must hold the payload somewhere in the hostile files.
    static let identifiers: Set<String> = [
        "Runbook.path", "Runbook.name", "Runbook.notifyWebhook", "Runbook.params.name", "Runbook.secrets.name", "Runbook.secrets.env",
        "Runbook.env.name", "Runbook.steps.id", "Runbook.steps.body.manual.ask.name", "Runbook.steps.body.http.method",
        "Runbook.steps.body.ci.settings.key", "Runbook.steps.body.ci.inputs.name", "Runbook.steps.body.ci.token",
        "Runbook.steps.body.runbook.runbook", "Runbook.steps.body.runbook.with.name", "Runbook.steps.automation.outputs.name",
        "Runbook.steps.body.http.headers.name", "Runbook.steps.body.wait.probe.http.method",
        "Runbook.title.references.name", "Runbook.steps.title.references.name", "Runbook.steps.body.run.references.name",
        "Runbook.steps.automation.rollback.references.name", "Runbook.steps.body.manual.items.references.name",
        "Runbook.steps.body.runbook.with.value.references.name", "Runbook.steps.notes.references.name",
        "Runbook.env.value.references.name", "Runbook.steps.body.wait.probe.run.references.name", "Runbook.steps.body.wait.until.references.name",
        "Runbook.steps.body.http.url.references.name", "Runbook.steps.body.http.headers.value.references.name",
        "Runbook.steps.body.http.body.references.name", "Runbook.steps.body.http.bodyContains.references.name",
        "Runbook.steps.body.ci.url.references.name", "Runbook.steps.body.ci.settings.value.references.name",
        "Runbook.steps.body.ci.inputs.value.references.name",
        // A host is checked to be a host name, address or ssh alias.
        "Runbook.steps.host", "Runbook.finally.host", "Runbook.steps.body.group.host",
        "Runbook.finally.id", "Runbook.steps.body.group.id", "Runbook.steps.body.group.forEach.name", "Runbook.steps.body.group.forEach.source.list",
        "Runbook.steps.body.group.title.references.name", "Runbook.steps.when.condition.root.kind.compare.kind.name",
        "Drill.path", "Drill.name", "Drill.runbook", "Drill.schedule", "Drill.params.name", "Drill.faults.step",
        // Read only when it is one of the four environments.
        "DrillRecord.environment",
    ]

    /// Every text in `value` by its path without indices, and whether it holds
    /// the payload; an absent optional text counts as one without.
    static func texts(_ value: Any, at path: String) -> [(String, Bool)] {
        if let s = value as? String { return [(path, s.contains(payload))] }
        let m = Mirror(reflecting: value)
        if m.displayStyle == .optional && m.children.isEmpty {
            let type = "\(type(of: value))"
            return type.contains("String") || type.contains("Template") ? [(path, false)] : []
        }
        var out: [(String, Bool)] = []
        for c in m.children {
            let label = c.label.map { $0.hasPrefix(".") ? String($0.dropFirst()) : $0 }
            // A template is its text: `raw` is not a field of its own.
            let skip = label == "raw" || m.displayStyle == .optional || m.displayStyle == .collection || m.displayStyle == .dictionary || label == nil
                || label!.allSatisfy(\.isNumber)
            out += texts(c.value, at: skip ? path : path + "." + label!)
        }
        return out
    }

    /// The text fields of `value` that no instance fills with the payload.
    static func uncovered(_ value: Any, _ root: String) -> [String] {
        let all = texts(value, at: root)
        let covered = Set(all.filter(\.1).map(\.0))
        return Set(all.map(\.0)).subtracting(covered).subtracting(identifiers).sorted()
    }

    /// The lines of `text` holding a control character other than newline
    /// and tab, made readable.
    static func controls(in text: String) -> [String] {
        text.split(separator: "\n").filter { line in
            line.unicodeScalars.contains { ($0.value < 0x20 && $0 != "\t") || (0x7F..<0xA0).contains($0.value) }
        }.map { String($0.debugDescription.prefix(300)) }
    }

    func sandbox() throws -> Sandbox {
        let s = try Sandbox(["hostile": Self.runbook, "inner": Self.inner])
        try FileManager.default.createDirectory(atPath: s.dir + "/drills/records/hostile-drill", withIntermediateDirectories: true)
        try Self.drill.write(toFile: s.dir + "/drills/hostile-drill.yaml", atomically: true, encoding: .utf8)
        try Self.record.write(toFile: s.dir + "/drills/records/hostile-drill/20260101T000000Z.json", atomically: true, encoding: .utf8)
        return s
    }

    @Test func theHostileFilesReachEveryTextFieldOfTheModel() throws {
        let s = try sandbox()
        let catalog = Catalog(currentDirectory: s.dir, rootFinder: { _ in s.dir })
        for file in ["runbooks/hostile.yaml", "runbooks/inner.yaml", "drills/hostile-drill.yaml"] {
            let entry = catalog.load(s.dir + "/" + file)
            #expect(entry.diagnostics.isEmpty, "\(file): \(entry.diagnostics.map(\.message))")
            switch entry.document {
            case .runbook(let rb)?:
                // The inner runbook is small; the outer one must reach everything.
                if file.hasSuffix("hostile.yaml") { #expect(Self.uncovered(rb, "Runbook") == [], "fields of Runbook without the payload") }
            case .drill(let d)?:
                #expect(Self.uncovered(d, "Drill") == [], "fields of Drill without the payload")
            case .test?:
                Issue.record("\(file) loaded as a runbook test")
            case nil:
                Issue.record("\(file) did not load")
            }
        }
        let record = try JSONDecoder().decode(DrillRecord.self, from: Data(Self.record.utf8))
        #expect(Self.uncovered(record, "DrillRecord") == [], "fields of DrillRecord without the payload")
    }

    @Test func noCommandPrintsAControlCharacterFromAnyField() throws {
        let s = try sandbox()
        try sh("git init -q && git add -A && git -c user.name='Author \(Self.payload)' -c user.email=a@example.com commit -q -m 'Subject \(Self.payload)'", cwd: s.dir)
        let env = ["HOSTILE_TOKEN": "user:tok-0123456789", "HOSTILE_HOOK": "http://127.0.0.1:1/hook", "MUSTER_OPERATOR": "Operator \(Self.payload)"]
        // Item, answer, confirm, then anything a failure or a prompt asks.
        let answers = (["y", "Answer \(Self.payload) $(touch pwned)", "y"] + Array(repeating: "y", count: 12)).joined(separator: "\n") + "\n"
        var outputs: [(String, Result)] = []
        for args in [["validate"], ["validate", "runbooks/hostile.yaml"], ["show", "hostile"], ["show", "hostile", "--format", "markdown"],
                     ["show", "hostile", "--format", "json"], ["run", "hostile", "--dry-run"]] {
            outputs.append((args.joined(separator: " "), try s.run(args, env: env)))
        }
        outputs.append(("run", try s.run(["run", "hostile"], stdin: answers, env: env)))
        outputs.append(("drill", try s.run(["drill", "hostile-drill"], stdin: "y\nAnswer\ny\nr\n" + answers, env: env)))
        outputs.append(("run without secrets", try s.run(["run", "hostile", "--yes"], env: ["MUSTER_OPERATOR": "x"])))
        let runs = try FileManager.default.contentsOfDirectory(atPath: s.dir + "/.muster/runs").sorted()
        for args in [["report"], ["report", "--json"], ["due"], ["due", "--json"], ["history", "hostile"], ["runs"], ["runs", "--json"]]
            + runs.map({ ["log", $0] }) + runs.map({ ["log", $0, "--json"] }) + runs.map({ ["resume", $0] }) {
            outputs.append((args.joined(separator: " "), try s.run(args, stdin: answers, env: env)))
        }
        #expect(outputs.contains { $0.1.stdout.contains("Owner ^[]0;PWNED^G") }, "the payload is shown as visible text")
        for (what, r) in outputs {
            #expect(Self.controls(in: r.stdout) == [], "muster \(what): stdout")
            #expect(Self.controls(in: r.stderr) == [], "muster \(what): stderr")
        }
        #expect(!s.exists("pwned"))
    }

    /// An output shown in a `confirm` step's title, drawing a command line of
    /// its own with a newline, a carriage return, or spaces to wrap on.
    @Test func aValueInATitleStaysOnTheTitlesLine() throws {
        let s = try Sandbox(["forge": #"""
        muster: 1
        name: forge
        title: Forge
        steps:
          - id: get
            title: Read the target
            run: |
              printf '{"nl": "db1\\n    $ rm -rf /", "cr": "db2\\r    $ rm -rf /", "sp": "db3%400s$ rm -rf /"}\n' ''
            outputs: {nl: {json: nl}, cr: {json: cr}, sp: {json: sp}}
          - id: drop
            title: "Drop {{ nl }} and {{ cr }} and {{ sp }}"
            confirm: true
            run: "true"
        """#])
        let r = try s.run(["run", "forge"], stdin: "y\n", env: [:])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        let header = r.stdout.split(separator: "\n").first { $0.contains("Drop db1") } ?? ""
        #expect(header.contains("Drop db1⏎ $ rm -rf / and db2^M $ rm -rf / and db3 $ rm -rf /"), "\(r.stdout)")
        for line in r.stdout.split(separator: "\n") {
            #expect(!line.trimmingCharacters(in: .whitespaces).hasPrefix("$ rm"), "a value drew a command line of its own: \(line)")
        }
    }

    /// A parameter whose value is also a secret's (typed by mistake): the
    /// run's header masks it like every other line.
    @Test func theRunHeaderTitleIsMasked() throws {
        let secret = "hunter2-very-secret"
        let s = try Sandbox(["head": """
        muster: 1
        name: head
        title: "Recover {{ target }}"
        params:
          target: {description: Target}
        secrets:
          API_TOKEN: {env: API_TOKEN}
        steps:
          - id: one
            title: "Step for {{ target }}"
            run: "true"
        """])
        let r = try s.run(["run", "head", "--yes", "-p", "target=\(secret)"], env: ["API_TOKEN": secret])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("Recover ***"), "\(r.stdout)")
        #expect(!r.stdout.contains(secret) && !r.stderr.contains(secret))
    }
}
