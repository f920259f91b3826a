/// The walk over the steps: each step's values and environment, steps
/// finished in earlier sessions passed over with what they left behind,
/// and the chat webhook told of the run's milestones.
extension Executor {
    /// Posts a chat message (`{"text": ...}`, as Slack and compatible hooks
    /// take, escaped for them) to the runbook's webhook. A webhook that fails
    /// is reported and never stops the run.
    func notify(_ text: String) {
        guard let secret = setup.runbook.notifyWebhook, let url = setup.secrets[secret], let http else { return }
        let label = setup.drill.map { "DRILL \($0.name): \(setup.runbook.name)" } ?? setup.runbook.name
        let message = chatEscaped(masker.mask("[\(label)] \(text) (run \(setup.runID), \(formatSeconds(elapsed)) elapsed)"))
        let body = JSON.object([("text", .string(message))]).serialized()
        do {
            let reply = try send(http, method: "POST", url: url, headers: [("Content-Type", "application/json")], body: body, timeout: 5)
            if !(200..<300).contains(reply.status) {
                console.show(.warning("the notification webhook answered \(reply.status); the run goes on"))
            }
        } catch {
            if let sig = error.signal {
                // The post is abandoned, but the signal still means "stop".
                pendingSignal = pendingSignal ?? sig
                console.show(.warning("the notification webhook was abandoned: \(Self.signalName(sig))"))
                return
            }
            console.show(.warning("the notification webhook failed (\(masker.mask(error.message))); the run goes on"))
        }
    }

    /// Parameters, built-ins: the values every template of `rb` may use.
    func scopeValues(_ rb: Runbook, _ params: [String: String]) -> [String: String] {
        var v = params
        v["run_id"] = setup.runID
        v["operator"] = setup.operatorName
        v["runbook"] = rb.name
        return v
    }

    func environment(_ rb: Runbook, _ values: [String: String]) -> [String: String] {
        var env = setup.baseEnvironment
        for p in rb.params { if let v = values[p.name] { env[p.name.uppercased()] = v } }
        for (name, value) in rb.env { env[name] = value.expand(values) }
        for s in rb.secrets { if let v = setup.secrets[s.name] { env[s.name] = v } }
        env["MUSTER_RUN_ID"] = setup.runID
        return env
    }

    func runSteps(_ steps: [Step], runbook rb: Runbook, values start: [String: String], prefix: String) throws(Stop) {
        var values = start
        for step in steps {
            index += 1
            let key = prefix + step.id
            if let done = state.finished[key] {
                values.merge(state.values[key] ?? [:]) { $1 }
                for (name, _) in state.values[key] ?? [:] where state.masked.contains(key + "." + name) {
                    values[name] = try read("The value of {{ \(name) }} from step '\(key)' contained a secret, so the journal holds it masked. Enter it again",
                                            hint: "one line; it is not journaled")
                }
                if done == .done, let rollback = step.automation?.rollback {
                    rollbacks.append((key, rollback, values, environment(rb, values)))
                }
                if case .runbook(let spec) = step.body, let child = setup.includes[spec.runbook] {
                    index += Self.count(child.steps, includes: setup.includes)
                    restoreRollbacks(child.steps, runbook: child, values: childValues(child, spec, values), prefix: key + "/")
                }
                continue
            }
            try checkSignals()
            console.show(.stepHeader(index: index, total: total, number: "", kind: step.kind, title: masker.mask(step.title.expand(values)), id: key))
            checkBudget(from: key)
            // An automated step journals its start together with its first
            // attempt: one fsync fewer per step, nothing less recorded.
            if !state.started.contains(key), !step.kind.isAutomated { try record(.stepStarted, step: key) { $0.text = step.kind.rawValue } }
            if let notes = step.notes { console.show(.notes(masker.mask(notes.expand(values)))) }
            switch step.body {
            case .manual(let items, let ask):
                try manual(step, key: key, items: items, ask: ask, values: &values)
            case .runbook(let spec):
                guard let child = setup.includes[spec.runbook] else { throw .fail("runbook '\(spec.runbook)' was not loaded") }
                try runSteps(child.steps, runbook: child, values: childValues(child, spec, values), prefix: key + "/")
                try record(.stepFinished, step: key) { $0.stepOutcome = .done }
            default:
                try automated(step, key: key, runbook: rb, values: &values)
            }
        }
    }

    /// What an included runbook's templates see: its defaults, then `with`.
    func childValues(_ child: Runbook, _ spec: IncludeSpec, _ values: [String: String]) -> [String: String] {
        var childParams: [String: String] = [:]
        for p in child.params { if let d = p.defaultValue { childParams[p.name] = d } }
        for w in spec.with { childParams[w.name] = w.value.expand(values) }
        return scopeValues(child, childParams)
    }

    /// Registers the rollback commands of steps finished in earlier
    /// sessions, inside included runbooks too, as `runSteps` does while it
    /// runs them.
    func restoreRollbacks(_ steps: [Step], runbook rb: Runbook, values start: [String: String], prefix: String) {
        var values = start
        for step in steps {
            let key = prefix + step.id
            values.merge(state.values[key] ?? [:]) { $1 }
            if case .runbook(let spec) = step.body, let child = setup.includes[spec.runbook] {
                restoreRollbacks(child.steps, runbook: child, values: childValues(child, spec, values), prefix: key + "/")
            } else if state.finished[key] == .done, let rollback = step.automation?.rollback {
                rollbacks.append((key, rollback, values, environment(rb, values)))
            } else if key == state.lastFailed, state.finished[key] == .failed, let rollback = step.automation?.rollback {
                failedStepRollback = (key, rollback, values, environment(rb, values))
            }
        }
    }
}
