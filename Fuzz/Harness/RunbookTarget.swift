#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import MusterBasics
import MusterFormat
import MusterEngine
import MusterTerminal
import MusterYAML

/// Fuzz target 1: the runbook and drill loader and the validator.
///
/// Input: a YAML file's bytes. They are written to `runbooks/fuzz.yaml` in a
/// scratch repository that also holds a valid runbook (`base`, with
/// parameters, choices, a pattern and an escalation ladder) and one that
/// includes the fuzzed file (`loop`), and checked as `muster validate` does:
/// `Catalog.load` (libyaml, then the runbook or drill parser, as the
/// document's keys say), `crossCheck` (includes, cycles, `with`, a drill's
/// runbook, params and faults), every diagnostic rendered with its source
/// line and caret. A valid runbook is then planned as `muster show` does and
/// every template in the plan expanded, plain and shell-quoted; a valid
/// drill gets its `DrillSetup`. Checked: a refused file has an error, and
/// every diagnostic points at a line and column that exist.
public final class RunbookTarget: Sendable {
    public let root: String
    public var fuzzPath: String { root + "/runbooks/fuzz.yaml" }

    public static let base = """
    muster: 1
    name: base
    title: Base runbook for the fuzzer in {{ region }}
    rto: 30m
    escalation:
      - after: 5m
        contact: Primary on-call
      - after: 15m
        contact: Secondary on-call (PagerDuty)
    params:
      region:
        choices: [eu-west-1, us-east-1]
      ticket:
        pattern: "^INC-[0-9]+$"
        default: INC-1
    secrets:
      TOKEN: {env: FUZZ_TOKEN}
    steps:
      - id: check
        title: Check {{ region }}
        run: echo {{ region }} {{ ticket }}
        outputs:
          host: {regex: "host=(\\\\S+)"}
      - id: confirm
        title: Confirm on {{ host }}
        manual:
          - Look at {{ host }}
        ask:
          answer: What happened?
      - id: ping
        title: Ping
        http:
          url: https://example.invalid/{{ answer }}
          headers: {Authorization: "Bearer ${TOKEN}"}

    """

    public static let loop = """
    muster: 1
    name: loop
    title: Includes the fuzzed runbook
    steps:
      - id: again
        title: Again
        runbook: fuzz

    """

    /// Makes the scratch repository under `TMPDIR` (or /tmp).
    public init() {
        var template = Array(((getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp") + "/muster-fuzz-XXXXXX").utf8CString)
        guard let dir = mkdtemp(&template) else { fatalError("cannot create a scratch folder: \(String(cString: strerror(errno)))") }
        root = String(cString: dir)
        mkdir(root + "/runbooks", 0o700)
        mkdir(root + "/drills", 0o700)
        Self.store(Array(Self.base.utf8), to: root + "/runbooks/base.yaml")
        Self.store(Array(Self.loop.utf8), to: root + "/runbooks/loop.yaml")
    }

    /// Deletes the scratch repository.
    public func remove() {
        for f in ["runbooks/fuzz.yaml", "runbooks/base.yaml", "runbooks/loop.yaml"] { unlink(root + "/" + f) }
        rmdir(root + "/runbooks")
        rmdir(root + "/drills")
        rmdir(root)
    }

    static func store(_ bytes: [UInt8], to path: String) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { fatalError("cannot write \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var done = 0
        while done < bytes.count {
            let n = bytes[done...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            guard n > 0 else { fatalError("cannot write \(path): \(String(cString: strerror(errno)))") }
            done += n
        }
    }

    public func check(_ data: [UInt8]) -> [String] {
        var problems: [String] = []
        func fail(_ message: String) { problems.append(message) }

        Self.store(data, to: fuzzPath)
        let root = self.root
        let catalog = Catalog(currentDirectory: root, rootFinder: { _ in root })
        let entry = catalog.load(fuzzPath)
        var diagnostics = entry.diagnostics
        if entry.document != nil { diagnostics += catalog.crossCheck(entry, at: fuzzPath) }
        diagnostics.sort()

        if entry.document == nil, !diagnostics.contains(where: { $0.severity == .error }) {
            fail("the file was refused without an error")
        }
        let printer = DiagnosticPrinter(style: Style(color: true, isTerminal: true))
        var lengths: [Int: Int] = [:]  // characters per line, each line counted once
        for d in diagnostics {
            if let m = d.mark {
                if let length = lengths[m.line] ?? entry.source.line(m.line)?.unicodeScalars.count {
                    lengths[m.line] = length
                    if m.column < 1 || m.column > length + 1 {
                        fail("\(d.formatted): column \(m.column) is not in line \(m.line), which has \(length) characters")
                    }
                } else {
                    fail("\(d.formatted): line \(m.line) does not exist")
                }
            }
            _ = printer.render(d, source: entry.source)
        }
        guard !diagnostics.contains(where: { $0.severity == .error }) else { return problems }

        // What `show` and `drill` go on to do with a valid file.
        if let rb = entry.runbook {
            do {
                let plan = try Plan(runbook: rb, given: [:], catalog: catalog, root: root)
                expandAll(plan.steps)
                _ = rb.title.expand(plan.values)
                for e in rb.env { _ = e.value.expand(plan.values) }
            } catch {
                fail("a valid runbook has no plan without parameters: \(error)")
            }
        }
        if let drill = entry.drill, case .found(let rb, _) = catalog.resolveRunbook(drill.runbook, root: root) {
            _ = DrillSetup(drill: drill, runbook: rb, recordsDir: "drills/records", junit: nil).banner
        }
        return problems
    }

    private func expandAll(_ steps: [PlanStep]) {
        for ps in steps {
            for t in templates(of: ps.step) {
                _ = ps.text(t)
                _ = ps.shell(t)
            }
            expandAll(ps.children)
        }
    }

    private func templates(of step: Step) -> [Template] {
        var out = [step.title] + (step.notes.map { [$0] } ?? []) + (step.automation?.rollback.map { [$0] } ?? [])
        func http(_ h: HTTPCheck) -> [Template] {
            [h.url] + h.headers.map(\.value) + (h.body.map { [$0] } ?? []) + (h.bodyContains.map { [$0] } ?? [])
        }
        switch step.body {
        case .manual(let items, _): out += items
        case .run(let t): out.append(t)
        case .wait(let w):
            switch w.probe {
            case .run(let t): out.append(t)
            case .http(let h): out += http(h)
            }
            out += w.until.map { [$0] } ?? []
        case .http(let h): out += http(h)
        case .ci(let c): out += [c.url] + c.settings.values + c.inputs.map(\.value)
        case .runbook(let spec): out += spec.with.map(\.value)
        case .group, .parallel, .decide: break
        }
        return out
    }
}
