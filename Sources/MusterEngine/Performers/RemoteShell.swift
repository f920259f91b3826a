import MusterFormat

/// How a `run` step with `host:` runs on another machine: the OpenSSH
/// client, as the operator's own config, agent and known_hosts set it up.
///
/// Nothing a value holds is ever in a command line, here or there. The
/// remote command is the fixed `bash -s`; the values, the step's exported
/// parameters and the script travel on ssh's stdin as bash assignments in
/// which every byte that is not a plain letter, digit or `._-/` is written
/// `\xHH` inside `$'...'`, so bash takes them back byte for byte as data,
/// whatever they hold. A fixed prelude then runs the script as a local step
/// runs (`bash -euo pipefail -c`, values in `MUSTER_VALUE_name`), in a
/// process group of its own, and watches its stdin: Muster keeps that open
/// while the step runs, so when Muster stops the step (a timeout, `s`) the
/// ssh client dies with the local group, the connection closes, the stdin
/// ends, and the prelude stops the remote group too. sshd itself sends no
/// signal to a session without a terminal; without this the remote script
/// would run on after the step was given up.
package enum RemoteShell {
    /// The script ShellRunner runs here, fixed text: the host and the input
    /// arrive in its environment (`MUSTER_SSH_HOST`, `MUSTER_SSH_INPUT_0000`
    /// and on: see `environment`), which no other user can read, and the
    /// input is unset before ssh starts, so ssh's own environment (which a
    /// `SendEnv` could forward) never holds it. `--` ends ssh's options: the
    /// host, already held to a host name (HostAddress), could never be read
    /// as one anyway.
    package static let localScript = """
    exec 3< <(for muster_part in "${!MUSTER_SSH_INPUT_@}"; do printf '%s' "${!muster_part}"; done; exec sleep 2147483647)
    muster_feed=$!
    unset "${!MUSTER_SSH_INPUT_@}"
    muster_status=0
    ssh -T -- "$MUSTER_SSH_HOST" 'bash -s' <&3 3<&- || muster_status=$?
    exec 3<&-
    kill "$muster_feed" 2>/dev/null || true
    exit "$muster_status"
    """

    /// Runs on the host after the assignments, as one compound command, so
    /// bash has read all of it before it runs and the rest of stdin is the
    /// watcher's. `muster_stop` ends a process group: SIGTERM, up to 5 s,
    /// then SIGKILL (sshd's children may inherit SIGTERM blocked).
    static let prelude = """
    {
    muster_stop() {
      kill -TERM -- "-$1" 2>/dev/null || return 0
      kill -CONT -- "-$1" 2>/dev/null
      for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31 32 33 34 35 36 37 38 39 40 41 42 43 44 45 46 47 48 49 50; do
        kill -0 -- "-$1" 2>/dev/null || return 0
        sleep 0.1
      done
      kill -KILL -- "-$1" 2>/dev/null
      return 0
    }
    exec 3<&0 </dev/null
    setsid bash --norc -euo pipefail -c "$muster_script" bash 3<&- &
    muster_pid=$!
    { while read -r -u 3 _; do :; done; muster_stop "$muster_pid"; } >/dev/null 2>&1 &
    muster_watch=$!
    exec 3<&-
    muster_status=0
    wait "$muster_pid" 2>/dev/null || muster_status=$?
    kill -KILL "$muster_watch" 2>/dev/null
    muster_stop "$muster_pid" >/dev/null 2>&1
    exit "$muster_status"
    }

    """

    /// The input as environment variables for `localScript`, in parts: the
    /// kernel refuses to start a program with any one variable over 128 KiB,
    /// and escaping makes a value up to four times its size. Names sort in
    /// order (`${!prefix@}` lists them sorted). The input is ASCII, so a cut
    /// never splits a character.
    package static func environment(_ input: String) -> [String: String] {
        let bytes = Array(input.utf8)
        let part = 64 << 10
        var env: [String: String] = [:]
        var at = 0, n = 0
        repeat {
            let end = min(bytes.count, at + part)
            let digits = String(n)
            env["MUSTER_SSH_INPUT_" + String(repeating: "0", count: max(0, 4 - digits.count)) + digits] = String(decoding: bytes[at..<end], as: UTF8.self)
            at = end
            n += 1
        } while at < bytes.count
        return env
    }

    /// What ssh's stdin carries: the exported variables, the script, the
    /// prelude. Names that are not shell identifiers are left out (the
    /// parser allows none among values and parameters).
    package static func input(script: String, variables: [String: String]) -> String {
        var out = ""
        for (name, value) in variables.sorted(by: { $0.key < $1.key }) where isIdentifier(name) {
            // A name bash keeps read-only (UID) stays bash's, as it would here.
            out += "export \(name)=\(quoted(value)) 2>/dev/null\n"
        }
        out += "muster_script=\(quoted(script))\n"
        return out + prelude
    }

    /// `$'...'` with every byte but a plain letter, digit or `._-/` as `\xHH`.
    package static func quoted(_ value: String) -> String {
        var out = "$'"
        let hex = Array("0123456789abcdef".utf8)
        var bytes: [UInt8] = []
        for c in value.utf8 {
            let plain = (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c == UInt8(ascii: ".") || c == UInt8(ascii: "_")
                || c == UInt8(ascii: "-") || c == UInt8(ascii: "/")
            if plain {
                bytes.append(c)
            } else {
                bytes += [UInt8(ascii: "\\"), UInt8(ascii: "x"), hex[Int(c >> 4)], hex[Int(c & 15)]]
            }
        }
        out += String(decoding: bytes, as: UTF8.self)
        return out + "'"
    }
}
