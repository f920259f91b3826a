import MusterBasics

/// What a word is to the command it belongs to, for the template check.
///
/// Allowed by position, not refused by a list of bad shapes: a template may
/// be a word argument of a command that takes its arguments as data. It is
/// refused as the command itself, as a variable name (`read`, `printf -v`,
/// `declare`, `unset`, `[[ -v ]]`), in a script handed to another shell or
/// interpreter (`bash -c`, `ssh`, `su -c`, `awk`, `sed`, `watch`, heredocs and
/// pipes into them), and in arithmetic unless its value is typed as a number.
/// Commands that run another command (`sudo`, `timeout 60`, `env`, `xargs`,
/// `find -exec`, `kubectl exec --`) are looked through to the one they run.
enum ShellCommandRules {
    enum Verdict: Equatable {
        case data
        /// Evaluated as arithmetic: allowed for a value typed int, number or bool.
        case arithmetic(String)
        case code(String)
    }

    static let shells: Set<String> = ["bash", "sh", "zsh", "dash", "ksh", "mksh", "ash", "fish", "csh", "tcsh", "busybox", "rbash"]
    /// Interpreters and their flag that takes a program as the next word.
    static let interpreters: [String: Set<String>] = [
        "python": ["-c"], "python2": ["-c"], "python3": ["-c"], "perl": ["-e", "-E"], "ruby": ["-e"], "node": ["-e", "--eval", "-p", "--print"],
        "php": ["-r"], "lua": ["-e"], "tclsh": [], "Rscript": ["-e"], "osascript": ["-e"], "pwsh": ["-c", "-Command"], "powershell": ["-c", "-Command"],
        "awk": ["-e", "--source"], "gawk": ["-e", "--source"], "mawk": [], "nawk": [], "sed": ["-e", "--expression"], "jq": [], "gdb": ["-ex"], "expect": ["-c"],
    ]
    /// Commands whose whole argument list is run by a shell, here or on another host.
    static let joiners: [String: String] = [
        "ssh": "ssh sends the rest of its command line to the remote shell, which runs it as code",
        "slogin": "slogin sends the rest of its command line to the remote shell, which runs it as code",
        "autossh": "autossh sends the rest of its command line to the remote shell, which runs it as code",
        "watch": "watch hands its arguments to sh -c",
        "parallel": "GNU parallel hands its arguments to a shell",
        "eval": "eval runs its arguments as code",
        "let": "let evaluates its arguments as arithmetic, which runs code in a[$(…)]",
        "trap": "trap runs its argument as code when the trap fires",
        "alias": "an alias is code",
        "source": "source runs the file it is given",
        ".": ". runs the file it is given",
        "fc": "fc runs commands",
        "bind": "bind -x runs commands",
        "complete": "complete -C runs commands",
        "compgen": "compgen -C runs commands",
        "coproc": "coproc runs its command",
        "exec": "exec replaces the shell with the command it names",
        "su": "su -c hands its command to a shell",
        "pkexec": "pkexec runs the command it names",
        "script": "script -c hands its command to a shell",
    ]
    /// Commands that run the command after their own options and operands.
    /// The number is how many operands they take first.
    static let wrappers: [String: Int] = [
        "command": 0, "builtin": 0, "nohup": 0, "setsid": 0, "time": 0, "stdbuf": 0, "ionice": 0, "chrt": 1, "taskset": 1,
        "nice": 0, "timeout": 1, "env": 0, "sudo": 0, "doas": 0, "runuser": 0, "chroot": 1, "flock": 1, "strace": 0, "ltrace": 0,
        "unbuffer": 0, "xargs": 0, "nsenter": 0, "firejail": 0, "caffeinate": 0, "systemd-run": 0, "faketime": 1, "catchsegv": 0,
    ]
    /// Each wrapper's options whose value is the next word; others use `optionsWithValues`.
    static let wrapperOptions: [String: Set<String>] = [
        "sudo": ["-u", "-g", "-C", "-D", "-h", "-p", "-r", "-t", "-U", "-T", "--user", "--group", "--chdir", "--prompt", "--role", "--type", "--other-user", "--close-from", "--command-timeout", "--host"],
        "doas": ["-u", "-C"],
        "timeout": ["-s", "-k", "--signal", "--kill-after"],
        "nice": ["-n", "--adjustment"],
        "env": ["-u", "-C", "--unset", "--chdir"],
        "runuser": ["-u", "-g", "-G", "-s", "-w", "--user", "--group", "--supp-group", "--shell", "--whitelist-environment"],
        "stdbuf": ["-i", "-o", "-e"],
        "ionice": ["-c", "-n", "-p", "-P", "-u"],
        "xargs": ["-I", "-d", "-n", "-P", "-L", "-s", "-E", "-a", "--max-args", "--max-procs", "--delimiter", "--replace", "--arg-file", "--max-lines", "--max-chars", "--eof"],
        "flock": ["-w", "-E", "--timeout", "--conflict-exit-code"],
        "nsenter": ["-t", "-S", "-G", "--target", "--setuid", "--setgid"],
        "setsid": [], "nohup": [], "command": [], "builtin": [], "time": ["-f", "-o"], "strace": ["-e", "-o", "-p", "-s", "-u"],
    ]
    /// Wrapper options that hand a string to a shell (or split it into a command): code.
    static let wrapperCommandOptions: [String: Set<String>] = [
        "env": ["-S", "--split-string"], "flock": ["-c", "--command"], "runuser": ["-c", "--command"], "sudo": [], "xargs": [],
    ]
    /// Wrapper options whose value is the next word, for wrappers not listed above.
    static let optionsWithValues: Set<String> = [
        "-u", "-g", "-C", "-D", "-h", "-p", "-r", "-t", "-U", "-n", "-s", "-k", "-I", "-d", "-P", "-L", "-E", "-a", "-i", "-o", "-e", "-c",
        "--signal", "--kill-after", "--user", "--group", "--chdir", "--max-args", "--max-procs", "--delimiter", "--replace", "--arg-file",
    ]
    /// Builtins whose arguments are variable names, where a name like
    /// `a[$(cmd)]` runs cmd.
    static let nameTakers: Set<String> = ["read", "mapfile", "readarray", "getopts", "unset", "wait", "printf", "export", "readonly", "declare", "typeset", "local", "test", "[", "[[", "shopt", "enable", "hash", "type", "ulimit"]
    static let reserved: Set<String> = ["if", "then", "else", "elif", "do", "while", "until", "!", "{", "}", "time", "fi", "done", "esac"]

    static let dataAdvice = "pass the value as data instead: as an argument after the script (sh -c '… \"$1\"' _ {{ name }}), on stdin (printf '%s\\n' {{ name }} | …), or through its environment variable (\"$MUSTER_VALUE_{{ name }}\", inherited by local commands)"

    /// The verdict for the word of `cmd` that contains `target`.
    static func verdict(_ cmd: ShellCommandWords, target: Int, integerNames: Set<String>, b: [UInt8]) -> Verdict {
        let words = cmd.words
        // Words are in order: the one holding `target` by bisection.
        var lo = 0, hi = words.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if words[mid].end <= target { lo = mid + 1 } else { hi = mid }
        }
        guard lo < words.count, words[lo].contains(target) else { return .data }
        let k = lo
        let w = words[k]
        if w.redirect == .heredoc { return .code("a template cannot be a heredoc's delimiter; write a fixed word, e.g. <<EOF") }
        // A script after -c, whatever runs it and however it was reached
        // (sudo -u x bash -c, runuser -l x -c, timeout 60 sh -ec): code.
        if k > 0 {
            let prev = words[k - 1].string
            let exact = prev == "-c" || prev == "--command"
            let combined = words[k - 1].isOption && !prev.hasPrefix("--") && prev.contains("c")
            if let runner = words[..<(k - 1)].first(where: { (combined && shells.contains($0.commandName)) || (exact && ["su", "runuser", "script", "flock"].contains($0.commandName)) }) {
                return .code("\(runner.commandName) \(prev) hands the next word to a shell as its program, so the value would run; \(dataAdvice)")
            }
        }

        // Assignments before the command: their values are data, unless the
        // name is an integer variable (declare -i) or an array element.
        var c = 0
        while c < words.count, words[c].redirect != nil || ShellWords.isAssignment(words[c]) || reserved.contains(words[c].string) {
            if c == k { return assignment(w, target: target, integerNames: integerNames) }
            c += 1
        }
        guard c < words.count else { return .data }

        // Resolve wrappers to the command they run.
        var start = c
        var depth = 0
        while depth < 8 {
            let name = words[start].commandName
            guard let operands = wrappers[name] else { break }
            var j = start + 1
            let valued = wrapperOptions[name] ?? optionsWithValues
            while j < words.count, words[j].redirect == nil {
                let t = words[j]
                if t.string == "--" { j += 1; break }
                if name == "env", ShellWords.isAssignment(t) { j += 1; continue }
                if t.isOption {
                    if wrapperCommandOptions[name]?.contains(t.string) == true, j + 1 == k {
                        return .code("\(name) \(t.string) hands the next word to a shell (or splits it into a command), so the value would run; \(dataAdvice)")
                    }
                    if valued.contains(t.string) || wrapperCommandOptions[name]?.contains(t.string) == true { j += 1 }
                    j += 1
                    continue
                }
                break
            }
            j += operands
            if k > start, k < j { return .data }
            guard j < words.count else { return .data }
            start = j
            depth += 1
        }
        if k == start { return .code("the value would be the name of the command that runs; write the command, and pass the value as its argument") }
        if k < start { return .data }
        let name = words[start].commandName

        // Commands that run a command given further along (find -exec, kubectl exec -- …).
        for j in (start + 1)..<k {
            let s = words[j].string
            if ["-exec", "-execdir", "-ok", "-okdir"].contains(s) || (s == "--" && ["kubectl", "docker", "podman", "nerdctl", "crictl", "oc", "ip", "nsenter", "lxc", "incus", "machinectl", "toolbox", "distrobox"].contains(name)) {
                var sub = ShellCommandWords(end: cmd.end)
                sub.words = Array(words[(j + 1)...])
                return verdict(sub, target: target, integerNames: integerNames, b: b)
            }
        }
        // Docker and Podman: exec/run CONTAINER COMMAND …, options with values not listed here.
        if ["docker", "podman", "nerdctl"].contains(name), let sub = words[(start + 1)...].first(where: { shells.contains($0.commandName) || interpreters[$0.commandName] != nil }), sub.start < w.start {
            var inner = ShellCommandWords(end: cmd.end)
            inner.words = Array(words[words.firstIndex { $0.start == sub.start }!...])
            return verdict(inner, target: target, integerNames: integerNames, b: b)
        }

        if let why = joiners[name] {
            if name == "ssh" || name == "slogin" || name == "autossh" {
                if k > 0, words[k - 1].string == "--", onlyOptions(words, from: start + 1, to: k - 1, withValues: sshOptionsWithValues) { return .data }
                return .code("\(why); send the value on stdin instead, where it stays data: printf '%s\\n' {{ name }} | ssh HOST 'read -r v; … \"$v\" …'. A host is written after --, as ssh -- {{ name }} … (else a value like -oProxyCommand=… is an option that runs code)")
            }
            if name == "exec", words[(start + 1)..<k].contains(where: { !$0.isOption }) {
                var inner = ShellCommandWords(end: cmd.end)
                inner.words = Array(words[(start + 1)...])
                return verdict(inner, target: target, integerNames: integerNames, b: b)
            }
            return .code("\(why), so the value would run; \(dataAdvice)")
        }
        if shells.contains(name) { return handOff(name, words, k, start, flags: ["-c"], shell: true) }
        if let why = joiners[name] { return .code("\(why), so the value would run; \(dataAdvice)") }
        // A file to redirect to or from, a here-string: data to any other command.
        if w.redirect != nil, interpreters[name] == nil { return .data }
        if let flags = interpreters[name] { return handOff(name, words, k, start, flags: flags, shell: false) }
        if name == "runuser", words[(start + 1)..<k].contains(where: { $0.string == "-c" || $0.string == "--command" }) {
            return .code("runuser -c hands its command to a shell, so the value would run; \(dataAdvice)")
        }
        if nameTakers.contains(name) { return builtin(name, words, k, start, target: target, integerNames: integerNames) }
        return .data
    }

    static let sshOptionsWithValues: Set<String> = ["-b", "-B", "-c", "-D", "-E", "-e", "-F", "-I", "-i", "-J", "-L", "-l", "-m", "-O", "-o", "-p", "-Q", "-R", "-S", "-W", "-w"]

    /// The words in from..<to are options, and the values of those that take one.
    static func onlyOptions(_ words: [ShellWord], from: Int, to: Int, withValues: Set<String>) -> Bool {
        var j = from
        while j < to {
            guard words[j].isOption else { return false }
            j += withValues.contains(words[j].string) ? 2 : 1
        }
        return j == to
    }

    /// A value handed to a shell or interpreter: the script is code, the
    /// arguments after it are data.
    static func handOff(_ name: String, _ words: [ShellWord], _ k: Int, _ start: Int, flags: Set<String>, shell: Bool) -> Verdict {
        var j = start + 1
        var programGiven = false
        while j < k {
            let s = words[j].string
            if words[j].redirect != nil { j += 1; continue }
            let isFlag = flags.contains(s) || (shell && words[j].isOption && !s.hasPrefix("--") && s.contains("c"))
            if isFlag {
                if j + 1 == k { return .code("\(name) \(s) runs the next word as a program, so the value would run; \(dataAdvice)") }
                programGiven = true
                j += 2
                continue
            }
            if s == "-f" || s == "--file" || s == "-s" { j += s == "-s" ? 1 : 2; programGiven = programGiven || s != "-s"; continue }
            if words[j].isOption { j += 1; continue }
            if !programGiven { programGiven = true }  // a script file, whose arguments follow
            j += 1
        }
        if j == k, words[k].redirect == .herestring, !programGiven {
            return .code("\(name) reads the here-string as its program, so the value would run; \(dataAdvice)")
        }
        if !programGiven, words[k].redirect == nil {
            return .code("the value would be the program or script file \(name) runs; name the script in the runbook and pass the value as its argument")
        }
        return .data
    }

    static func assignment(_ w: ShellWord, target: Int, integerNames: Set<String>) -> Verdict {
        guard let name = ShellWords.assignmentName(w.text) else { return .data }
        if let eq = w.text.firstIndex(of: 61), let lb = w.text.firstIndex(of: 91), lb < eq {
            // The template is in the subscript when it comes before the `=`.
            if let m = w.text.firstIndex(where: { $0 == ShellWord.templateMark || $0 == ShellWord.computedMark }), m < eq { return .arithmetic(subscriptHelp) }
        }
        if integerNames.contains(name) { return .arithmetic("'\(name)' is declared an integer (declare -i), so bash evaluates what is assigned to it as arithmetic, which runs code in a[$(cmd)]; declare the value `type: int`, or drop -i") }
        return .data
    }

    static let subscriptHelp = "an array subscript is evaluated as arithmetic by bash, which runs code in the value (a[$(cmd)]); declare the value `type: int`, or use an associative array (declare -A) with the value in a variable: k={{ name }}; m[$k]=…"

    static func builtin(_ name: String, _ words: [ShellWord], _ k: Int, _ start: Int, target: Int, integerNames: Set<String>) -> Verdict {
        let w = words[k]
        let prev = words[k - 1].string
        let args = words[(start + 1)...]
        switch name {
        case "printf":
            return prev == "-v" ? .code("printf -v takes a variable name, and a name like a[$(cmd)] runs cmd; write a fixed name") : .data
        case "read", "mapfile", "readarray":
            if ["-p", "-d"].contains(prev) { return .data }
            return .code("\(name) takes variable names, and a name like a[$(cmd)] runs cmd; write fixed names")
        case "getopts", "unset", "shopt", "enable", "hash", "type", "ulimit":
            return .code("\(name) takes names, not data, and a name like a[$(cmd)] runs cmd; write fixed names")
        case "wait":
            return prev == "-p" ? .code("wait -p takes a variable name; write a fixed name") : .data
        case "declare", "typeset", "local", "export", "readonly":
            let flags = args.prefix { $0.isOption }.map(\.string).joined()
            if flags.contains("n") { return .code("\(name) -n makes a reference to the variable the value names, and a name like a[$(cmd)] runs cmd; write a fixed name") }
            guard let eq = w.text.firstIndex(of: 61), ShellWords.assignmentName(w.text) != nil,
                  let m = w.text.firstIndex(where: { $0 == ShellWord.templateMark || $0 == ShellWord.computedMark }), m > eq
            else { return .code("\(name) reads this word as NAME=VALUE and evaluates a name like a[$(cmd)] as code; write the name yourself: \(name) x={{ name }}") }
            if let lb = w.text.firstIndex(of: 91), lb < eq { return .arithmetic(subscriptHelp) }
            if flags.contains("a") || flags.contains("A") { return .code("\(name) -a/-A reads a quoted value as an array assignment, which runs code in [$(cmd)]=; assign the value to a plain variable first") }
            if flags.contains("i") { return .arithmetic("\(name) -i evaluates the value as arithmetic, which runs code in a[$(cmd)]; declare the value `type: int`, or drop -i") }
            if let n = ShellWords.assignmentName(w.text), integerNames.contains(n) { return .arithmetic("'\(n)' is declared an integer (declare -i), so what is assigned to it is evaluated as arithmetic; declare the value `type: int`") }
            return .data
        case "test", "[", "[[":
            if ["-v", "-R"].contains(prev) { return .code("\(prev) takes a variable name, and a name like a[$(cmd)] runs cmd; write a fixed name") }
            let arithmeticOps: Set<String> = ["-eq", "-ne", "-lt", "-le", "-gt", "-ge"]
            var i = start + 1
            var ops = false
            while i < words.count, words[i].string != "]]" && words[i].string != "]" {
                if arithmeticOps.contains(words[i].string) { ops = true }
                i += 1
            }
            if ops {
                return .arithmetic("inside \(name) an arithmetic comparison (-eq, -lt, …) evaluates its operands as code (a[$(cmd)]); declare the value `type: int`, or compare with = after checking it: n={{ name }}; [[ $n =~ ^[0-9]+$ ]] || exit 1")
            }
            return .data
        default:
            return .data
        }
    }

    /// Commands that run what arrives on their standard input: a template
    /// upstream of them in a pipeline becomes code.
    static func readsProgramFromStdin(_ cmd: ShellCommandWords) -> String? {
        var words = cmd.words.filter { $0.redirect == nil }
        while let first = words.first, ShellWords.isAssignment(first) || reserved.contains(first.string) { words.removeFirst() }
        var depth = 0
        while let first = words.first, let operands = wrappers[first.commandName], depth < 8 {
            let name = first.commandName
            let valued = wrapperOptions[name] ?? optionsWithValues
            words.removeFirst()
            while let o = words.first, o.isOption {
                words.removeFirst()
                if o.string == "--" { break }
                // sudo -s / -i with no command: a shell reading standard input.
                if ["sudo", "doas"].contains(name), ["-s", "-i", "--shell", "--login"].contains(o.string), !words.contains(where: { !$0.isOption }) { return name }
                if valued.contains(o.string), !words.isEmpty { words.removeFirst() }
            }
            words.removeFirst(min(operands, words.count))
            depth += 1
        }
        guard let first = words.first else { return nil }
        // su and runuser without -c: the user's shell reads standard input.
        if ["su", "runuser"].contains(first.commandName), !words.contains(where: { ["-c", "--command"].contains($0.string) }) { return first.commandName }
        let name = first.commandName
        let rest = words.dropFirst()
        if shells.contains(name) || interpreters[name] != nil {
            let flags = interpreters[name] ?? ["-c"]
            let hasProgram = rest.contains { flags.contains($0.string) || (shells.contains(name) && $0.isOption && !$0.string.hasPrefix("--") && $0.string.contains("c")) || (!$0.isOption && $0.string != "-") }
            return hasProgram ? nil : name
        }
        if name == "ssh" || name == "slogin" {
            let operands = rest.filter { !$0.isOption }
            return operands.count <= 1 ? "ssh" : nil
        }
        if name == "source" || name == ".", rest.contains(where: { $0.string == "/dev/stdin" || $0.string == "-" }) { return name }
        return nil
    }
}
