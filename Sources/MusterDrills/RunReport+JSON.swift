import MusterBasics
import MusterFormat
import MusterEngine
import MusterJournal

extension RunReport {
    /// `muster report RUN_ID --json`: the record's numbers under the keys a
    /// record uses, the steps with people's and machines' time, and the
    /// timeline. Seconds to tenths, as records keep them.
    public var json: JSON {
        let r = record
        func s(_ x: Double) -> JSON { .double((x * 10).rounded() / 10) }
        func opt(_ x: Double?) -> JSON { x.map(s) ?? .null }
        let head: [(String, JSON)] = [
            ("run_id", .string(runID)),
            ("kind", .string(kind.rawValue)),
            ("drill", .from(drill)),
            ("runbook", .string(r.runbook)),
            ("runbook_path", .string(r.runbookPath)),
            ("runbook_commit", .from(r.runbookCommit)),
            ("runbook_dirty", .bool(r.runbookDirty)),
            ("runbook_known", .bool(runbookKnown)),
            ("operator", .string(r.operatorName)),
            ("host", .string(host)),
            ("started_at", .string(r.startedAt)),
            ("finished_at", finished ? .string(r.finishedAt) : .null),
            ("state", .string(state)),
            ("elapsed_seconds", s(r.elapsedSeconds)),
            ("human_seconds", opt(r.humanSeconds)),
            ("automated_seconds", opt(r.automatedSeconds)),
            ("rto_seconds", .from(r.rtoSeconds)),
            ("rto_met", r.rtoMet.map(JSON.bool) ?? .null),
            ("rpo_objective_seconds", .from(r.rpoObjectiveSeconds)),
            ("recovery_point", .from(r.recoveryPoint)),
            ("rpo_seconds", opt(r.rpoSeconds)),
            ("rpo_met", r.rpoMet.map(JSON.bool) ?? .null),
        ]
        let stepList: JSON = .array(steps.map { st in
                .object([
                    ("id", .string(st.id)), ("title", .from(st.title)), ("kind", .string(st.kind)), ("outcome", .string(st.outcome)),
                    ("start_seconds", s(st.startSeconds)), ("seconds", s(st.seconds)), ("people_seconds", s(st.peopleSeconds)),
                    ("machine_seconds", s(st.machineSeconds)), ("attempts", .int(st.attempts)), ("expect_seconds", .from(st.expectSeconds)),
                    ("over_expect", .bool(st.overExpect)),
                ])
            })
        let people: [(String, JSON)] = [
            ("decisions", .array(decisions.map { d in
                .object([("step", .string(d.step)), ("option", .string(d.option)), ("reason", .string(d.reason)), ("by", .string(d.by)),
                         ("at_seconds", s(d.atSeconds)), ("waited_seconds", s(d.waitedSeconds))])
            })),
            ("escalations", .array(r.escalations.map { .object([("at_seconds", s($0.atSeconds)), ("contact", .string($0.contact))]) })),
            ("approvals", .array((r.approvals ?? []).map { a in
                .object([("step", .string(a.step)), ("by", .string(a.by)), ("at_seconds", s(a.atSeconds)), ("waited_seconds", s(a.waitedSeconds))])
            })),
            ("denials", .array(denials.map { d in
                .object([("step", .string(d.step)), ("by", .string(d.by)), ("at_seconds", s(d.atSeconds)), ("reason", .from(d.reason))])
            })),
            ("handoffs", .array((r.handoffs ?? []).map { h in
                .object([("from", .string(h.from)), ("to", .string(h.to)), ("at_seconds", s(h.atSeconds)), ("reason", .from(h.reason))])
            })),
            ("guard_breaches", .array(guardBreaches.map { g in
                .object([("guard", .string(g.guardKey)), ("at_seconds", s(g.atSeconds)), ("why", .string(g.why)), ("answer", .from(g.answer))])
            })),
        ]
        let rest: [(String, JSON)] = [
            ("faults", .array(r.faults.map { .object([("step", .string($0.step)), ("at_seconds", s($0.atSeconds))]) })),
            ("training", r.training.map { t in
                .object([("escalated_within", .bool(t.escalatedWithin)), ("contact_ok", .bool(t.contactOK)),
                         ("escalated_after_seconds", opt(t.escalatedAfterSeconds))])
            } ?? .null),
            ("critical_path", r.criticalPath.map { .array($0.map(JSON.string)) } ?? .null),
            ("timeline", .array(moments.map { m in
                .object([("at", .string(m.at)), ("at_seconds", s(m.atSeconds)), ("kind", .string(m.kind.rawValue)), ("step", .from(m.step)),
                         ("text", .string(m.text))])
            })),
        ]
        return .object(head + [("steps", stepList)] + people + rest)
    }
}
