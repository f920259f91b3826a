import MusterBasics
import MusterFormat
import MusterEngine
import MusterJournal

/// A run as an OpenTelemetry trace, in OTLP/HTTP JSON
/// (`ExportTraceServiceRequest`), built from its journal alone so that
/// `muster trace RUN_ID` and the export at the end of a run send the same.
///
/// The run is the root span; each step a span (a step inside an included
/// runbook is a child of the `runbook` step that ran it); attempts (a
/// `wait` step's polling as `wait N`), retry delays, the waits on people
/// (checklist items, questions, gates, failure menus), pauses and rollbacks
/// are child spans; escalations, faults, notes and
/// pipelines are span events. Ids are derived from the run id and the
/// event that opened the span, so exporting twice sends the same trace.
/// The journal holds no secret (it is masked when written); `mask` masks
/// again with the secrets the exporting session knows.
public enum Trace {
    public struct Span: Sendable {
        public var key: String
        public var parent: String?
        public var name: String
        public var start: Double
        public var end: Double
        public var attributes: [(String, JSON)]
        public var events: [(at: Double, name: String, attributes: [(String, JSON)])] = []
        public var error: String?
    }

    /// Seconds since the run began → Unix nanoseconds, as OTLP JSON's string.
    /// Whole seconds and the rest apart: a Double holds Unix nanoseconds
    /// only to a quarter of a microsecond.
    static func nanos(_ startUnix: Double, _ t: Double) -> JSON {
        let whole = startUnix.rounded(.down)
        let rest = ((startUnix - whole) + t) * 1e9
        guard whole.isFinite, rest.isFinite, whole >= 0, whole < 9e9, rest >= 0, rest < 9e17 else { return .string("0") }
        return .string(String(UInt64(whole) * 1_000_000_000 + UInt64(rest.rounded())))
    }

    /// 32 hex digits, from the run id alone.
    public static func traceID(runID: String) -> String { String(SHA256Hash.hex(Array("muster trace \(runID)".utf8)).prefix(32)) }
    static func spanID(runID: String, key: String) -> String { String(SHA256Hash.hex(Array("muster span \(runID) \(key)".utf8)).prefix(16)) }

    /// The spans of a journal's events, parents before children.
    public static func spans(_ events: [JournalEvent], mask: (String) -> String = { $0 }) -> [Span] {
        guard let info = events.first(where: { $0.event == .runStarted })?.run else { return [] }
        var now = 0.0
        var spans: [Span] = []
        // Index in `spans` of what is open: steps by key, the attempt and
        // rollback of a step, a pause.
        var stepSpan: [String: Int] = [:]
        var openSteps: Set<Int> = []
        var attempt: [String: Int] = [:]
        var rollback: [String: Int] = [:]
        var paused: Int?
        var kinds: [String: String] = [:]
        var lastFailure: [String: Double] = [:]
        /// When each step began to wait for approval.
        var approvalSince: [String: Double] = [:]
        /// A `wait` step's attempt is its polling: named so.
        func attemptName(_ step: String, _ n: Int) -> String { kinds[step] == "wait" ? "wait \(n)" : "attempt \(n)" }
        var lastT = 0.0
        var outcome: String?
        func str(_ s: String?) -> JSON { .string(mask(s ?? "")) }
        func begin(_ key: String, parent: String?, name: String, at: Double, _ attributes: [(String, JSON)]) -> Int {
            spans.append(Span(key: key, parent: parent, name: name, start: at, end: at, attributes: attributes))
            return spans.count - 1
        }
        func finish(_ i: Int?, at: Double) -> Int? {
            guard let i else { return nil }
            spans[i].end = max(spans[i].start, at)
            return i
        }
        func closeAttempt(_ step: String, _ e: JournalEvent, failed: Bool = false) {
            guard let i = finish(attempt.removeValue(forKey: step), at: now) else { return }
            if let x = e.exit { spans[i].attributes.append(("process.exit.code", .int(x))) }
            if e.timedOut == true { spans[i].attributes.append(("muster.timed_out", .bool(true))) }
            if e.interrupted == true { spans[i].attributes.append(("muster.interrupted", .bool(true))) }
            if failed || e.outcome == "failed" { spans[i].error = mask(e.text ?? "attempt failed") }
        }
        func parentOf(step: String) -> String {
            // `parent/child` (a group's or an included runbook's step) and
            // `loop[item]` are under their parent's span.
            if let p = StepKey(step).parent?.raw, stepSpan[p] != nil { return "step \(p)" }
            return "run"
        }
        func eventHost(_ step: String?) -> Int {
            if let step, let i = stepSpan[step] { return i }
            return 0
        }

        var root = Span(key: "run", parent: nil, name: info.drill.map { "drill \($0.name)" } ?? "run \(info.runbook)", start: 0, end: 0, attributes: [
            ("muster.run_id", .string(info.runID)), ("muster.runbook", .string(info.runbook)), ("muster.runbook_path", .string(info.runbookPath)),
            ("muster.operator", .string(info.operatorName)), ("host.name", .string(info.host)), ("muster.yes", .bool(info.yes)),
        ])
        if let c = info.runbookCommit { root.attributes.append(("muster.runbook_commit", .string(c))) }
        if let d = info.drill {
            root.attributes += [("muster.drill", .string(d.name)), ("muster.drill.mode", .string(d.mode))]
            if let rto = d.rtoSeconds { root.attributes.append(("muster.rto_seconds", .int(rto))) }
        }
        for (k, v) in info.params.sorted(by: { $0.key < $1.key }) { root.attributes.append(("muster.param.\(k)", str(v))) }
        spans.append(root)
        var previous = 0.0
        for e in events {
            previous = now
            if let t = e.clock, t >= now { now = t }
            lastT = now
            let step = e.step ?? ""
            switch e.event {
            case .stepStarted:
                guard stepSpan[step] == nil else { continue }
                let i = begin("step \(step)", parent: parentOf(step: step), name: "step \(step)", at: now,
                              [("muster.step.id", .string(step)), ("muster.step.kind", str(e.text))])
                stepSpan[step] = i
                openSteps.insert(i)
                kinds[step] = e.text
                // An automated step's first attempt starts with the step.
                if let n = e.attempt { attempt[step] = begin("attempt \(step) \(e.seq)", parent: "step \(step)", name: attemptName(step, n), at: now, [("muster.attempt", .int(n))]) }
            case .stepFinished:
                // ... and a successful attempt ends with it.
                closeAttempt(step, e)
                if let i = finish(stepSpan[step].flatMap { openSteps.remove($0) }, at: now) {
                    spans[i].attributes.append(("muster.step.outcome", str(e.outcome)))
                    if e.outcome == "failed" { spans[i].error = mask(e.text ?? "step failed") }
                    if let o = e.outputs { spans[i].attributes.append(("muster.step.outputs", .string(o.keys.sorted().joined(separator: ",")))) }
                    if kinds[step] == "ci" { CICD.finished(&spans[i].attributes, e, mask: mask) }
                }
            case .attemptStarted:
                let n = e.attempt ?? 1
                if let failed = lastFailure[step], failed < now {
                    // The pause between a failed attempt and the next.
                    _ = finish(begin("retry delay \(step) \(e.seq)", parent: "step \(step)", name: "retry delay", at: failed, [("muster.wait", .string("machine"))]), at: now)
                }
                attempt[step] = begin("attempt \(step) \(e.seq)", parent: "step \(step)", name: attemptName(step, n), at: now, [("muster.attempt", .int(n))])
            case .attemptFinished:
                closeAttempt(step, e, failed: true)
                if kinds[step] == "ci", let i = stepSpan[step] { CICD.finished(&spans[i].attributes, e, mask: mask) }
                lastFailure[step] = now
            case .itemAnswered, .answered, .decided, .gateAnswered, .failureChoice:
                // The wait on a person: from the event before the answer to it.
                let name: String
                switch e.event {
                // Journaled from 0, numbered from 1 as `log` and the screen number them.
                case .itemAnswered: name = "checklist item \(e.item.map { String($0 + 1) } ?? "?")"
                case .answered: name = "ask \(e.name ?? "?")"
                case .decided: name = "decision"
                case .gateAnswered: name = "confirm gate"
                default: name = "failure choice"
                }
                if e.event == .failureChoice { lastFailure[step] = nil }  // the person's wait, not a retry delay
                var attributes: [(String, JSON)] = [("muster.wait", .string("people")), ("muster.answer", str(e.event == .decided ? e.value : e.answer))]
                if e.auto == true { attributes.append(("muster.auto", .bool(true))) }
                if let text = e.text { attributes.append(("muster.text", str(text))) }
                spans.append(Span(key: "prompt \(e.seq)", parent: stepSpan[step] != nil ? "step \(step)" : "run", name: name,
                                  start: previous, end: now, attributes: attributes))
            case .runPaused:
                paused = begin("paused \(e.seq)", parent: "run", name: "paused", at: now, [("muster.reason", str(e.text))])
            case .runResumed:
                if let i = finish(paused, at: now) {
                    paused = nil
                    spans[i].attributes.append(("muster.wait", .string("people")))
                }
            case .rollbackStarted:
                rollback[step] = begin("rollback \(step) \(e.seq)", parent: "run", name: "rollback \(step)", at: now, [("muster.step.id", .string(step))])
            case .rollbackFinished:
                if let i = finish(rollback.removeValue(forKey: step), at: now) {
                    spans[i].attributes.append(("muster.rollback.outcome", str(e.outcome)))
                    if e.outcome == "failed" { spans[i].error = mask(e.text ?? "rollback failed") }
                }
            case .escalated:
                spans[eventHost(e.step)].events.append((now, "escalated", [("muster.contact", str(e.contact))] + (e.auto == true ? [("muster.auto", .bool(true))] : [])))
            case .faultInjected:
                spans[eventHost(e.step)].events.append((now, "fault_injected", [("muster.fault", str(e.text))]))
            case .note:
                spans[eventHost(e.step)].events.append((now, "note", [("muster.text", str(e.text))]))
            case .runClosing:
                spans[0].events.append((now, "run_closing", [("muster.by", str(e.by)), ("muster.reason", str(e.text))]))
            case .conditionChecked:
                spans[eventHost(e.step)].events.append((now, "condition_checked", [("muster.holds", str(e.value)), ("muster.text", str(e.text))]))
            case .guardBreached:
                spans[0].events.append((now, "guard_breached", [("muster.guard", str(e.value)), ("muster.text", str(e.text))]))
            case .guardAnswered:
                spans[0].events.append((now, "guard_answered", [("muster.guard", str(e.value)), ("muster.answer", str(e.answer))]))
            case .pipelineStarted:
                spans[eventHost(e.step)].events.append((now, "pipeline_started", [("muster.pipeline", str(e.value ?? e.text))]))
                if let i = stepSpan[step] { CICD.started(&spans[i].attributes, e, mask: mask) }
            case .pipelineTriggering, .pipelineAbsent, .pipelineCancelled:
                spans[eventHost(e.step)].events.append((now, e.event.rawValue, [("muster.pipeline", str(e.pipeline?.description ?? e.text))]))
            case .runFinished:
                outcome = e.outcome
            case .runAbandoned:
                outcome = "abandoned"
                spans[0].events.append((now, "run_abandoned", [("muster.by", str(e.by)), ("muster.reason", str(e.text))]))
            case .approvalRequested:
                approvalSince[step] = now
            case .approvalGiven, .approvalDenied:
                // The wait on a second person: from the request to this answer.
                let denied = e.event == .approvalDenied
                var attributes: [(String, JSON)] = [("muster.wait", .string("people")), ("muster.approval.by", str(e.by)),
                                                    ("muster.approval.outcome", .string(denied ? "denied" : "approved"))]
                if denied { attributes.append(("muster.reason", str(e.text))) }
                spans.append(Span(key: "approval \(e.seq)", parent: stepSpan[step] != nil ? "step \(step)" : "run", name: denied ? "approval denied" : "approval",
                                  start: approvalSince[step] ?? previous, end: now, attributes: attributes))
            case .handoff:
                spans[0].events.append((now, "handoff", [("muster.to", str(e.by)), ("muster.reason", str(e.text))]))
            case .runUnshared, .runShared:
                spans[0].events.append((now, e.event.rawValue, [("muster.reason", str(e.text))]))
            case .runStarted:
                break
            }
        }
        // Spans still open (a crash, a pause) end where the journal ends.
        for i in Array(openSteps) + Array(attempt.values) + Array(rollback.values) + (paused.map { [$0] } ?? []) {
            spans[i].end = max(spans[i].start, lastT)
        }
        spans[0].end = lastT
        spans[0].attributes.append(("muster.outcome", .string(outcome ?? "unfinished")))
        if outcome == "failed" { spans[0].error = "run failed" }
        return spans
    }

    /// The OTLP/HTTP JSON request for a journal's events.
    /// `resource`: the resource's attributes in full (`service.name`
    /// first), when the environment adds to them; else the service's name
    /// and version.
    public static func request(_ events: [JournalEvent], serviceName: String, version: String, resource: [(String, String)]? = nil,
                               mask: (String) -> String = { $0 }) -> JSON? {
        guard let info = events.first(where: { $0.event == .runStarted })?.run,
              let startUnix = RecoveryPoint.seconds(info.startedAt) else { return nil }
        let traceID = traceID(runID: info.runID)
        func attrs(_ list: [(String, JSON)]) -> JSON {
            .array(list.map { k, v in
                let value: JSON
                switch v {
                case .bool(let b): value = .object([("boolValue", .bool(b))])
                case .int(let i): value = .object([("intValue", .string(String(i)))])
                case .double(let d): value = .object([("doubleValue", .double(d))])
                default: if case .string(let s) = v { value = .object([("stringValue", .string(s))]) } else { value = .object([("stringValue", .string(v.serialized()))]) }
                }
                return .object([("key", .string(k)), ("value", value)])
            })
        }
        let spans = spans(events, mask: mask).map { s -> JSON in
            var fields: [(String, JSON)] = [("traceId", .string(traceID)), ("spanId", .string(spanID(runID: info.runID, key: s.key)))]
            if let p = s.parent { fields.append(("parentSpanId", .string(spanID(runID: info.runID, key: p)))) }
            fields += [
                ("name", .string(s.name)), ("kind", .int(1)),
                ("startTimeUnixNano", nanos(startUnix, s.start)), ("endTimeUnixNano", nanos(startUnix, s.end)),
                ("attributes", attrs(s.attributes)),
            ]
            if !s.events.isEmpty {
                fields.append(("events", .array(s.events.map { .object([("timeUnixNano", nanos(startUnix, $0.at)), ("name", .string($0.name)), ("attributes", attrs($0.attributes))]) })))
            }
            fields.append(("status", s.error.map { .object([("code", .int(2)), ("message", .string($0))]) } ?? .object([("code", .int(1))])))
            return .object(fields)
        }
        return .object([("resourceSpans", .array([.object([
            ("resource", .object([("attributes", attrs(resource.map { $0.map { ($0.0, JSON.string($0.1)) } }
                                                         ?? [("service.name", .string(serviceName)), ("service.version", .string(version))]))])),
            ("scopeSpans", .array([.object([
                ("scope", .object([("name", .string("muster")), ("version", .string(version))])),
                ("spans", .array(spans)),
            ])])),
        ])]))])
    }
}
