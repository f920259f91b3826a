import MusterBasics
import MusterFormat

/// A `wait` step whose probe is a command, run beside other branches: the
/// polling loop runs in bash on the step's own thread, so a 30-minute wait
/// in one branch never holds up another. The probe's script is the
/// runbook's own (checked like any `run`), handed over in a variable with
/// its values in theirs; `until` is compared as data, never run. Each poll
/// is reported on stderr (`poll 3: CREATING`); the last probe's output, on
/// success, is the step's stdout, for its `outputs`.
enum WaitLoop {
    static let script = #"""
    n=0
    while :; do
      n=$((n + 1))
      out=$(bash -euo pipefail -c "$MUSTER_WAIT_PROBE") && st=0 || st=$?
      t=${out#"${out%%[![:space:]]*}"}
      t=${t%"${t##*[![:space:]]}"}
      if [ "$st" = 0 ] && { [ -z "${MUSTER_WAIT_UNTIL+x}" ] || [ "$t" = "${MUSTER_WAIT_UNTIL-}" ]; }; then
        printf 'poll %d: %s\n' "$n" "$t" >&2
        printf '%s\n' "$out"
        exit 0
      fi
      if [ "$st" = 0 ]; then printf 'poll %d: %s\n' "$n" "$t" >&2; else printf 'poll %d: exit %d\n' "$n" "$st" >&2; fi
      sleep "$MUSTER_WAIT_EVERY"
    done
    """#

    /// The loop's environment: the probe's own (its values), the probe,
    /// the poll interval and the awaited output.
    static func environment(probe: String, env: [String: String], every: Int, until: String?) -> [String: String] {
        var e = env
        e["MUSTER_WAIT_PROBE"] = probe
        e["MUSTER_WAIT_EVERY"] = String(every)
        if let until { e["MUSTER_WAIT_UNTIL"] = until } else { e["MUSTER_WAIT_UNTIL"] = nil }
        return e
    }

    /// Why a wait that ran out of time failed, naming its last poll.
    static func timedOut(_ w: WaitSpec, tail: [String]) -> String {
        let last = tail.last { $0.hasPrefix("poll ") }.flatMap { $0.split(separator: ":", maxSplits: 1).last.map { String($0).trimmingCharacters() } } ?? "no poll ended"
        return "waited \(DurationFormat.format(w.timeout)) and the condition never held (last: \(last))"
    }
}
