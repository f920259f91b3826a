import Foundation
import MusterBasics
import MusterFormat
import MusterEngine
import MusterTesting
import MusterYAML
import Testing

/// Values are data in `run` scripts: hostile values placed at every template
/// position of a corpus of real scripts, run by real bash exactly as a step
/// runs (`bash -euo pipefail -c`, values in the environment). Every hostile
/// value tries to create a file; none may, and where the script prints the
/// value it must arrive byte for byte.
@Suite("Values in shell scripts are data")
struct ShellInjectionTests {
    /// A script, and what it prints for a value `v` (nil: not checked).
    struct Script: Sendable {
        var text: String
        var prints: (@Sendable (String) -> String)?
    }

    static let corpus: [Script] = [
        Script(text: "echo {{ v }}") { $0 + "\n" },
        Script(text: "printf '%s|' {{ v }} x{{ v }}y --flag={{ v }}") { "\($0)|x\($0)y|--flag=\($0)|" },
        Script(text: "echo \"Incident {{ v }} is handled\"") { "Incident \($0) is handled\n" },
        Script(text: "echo 'Incident {{ v }} is handled'") { "Incident \($0) is handled\n" },
        Script(text: "echo $'tab\\t{{ v }}'") { "tab\t\($0)\n" },
        Script(text: "cat > status.txt <<EOF\nIncident {{ v }} is being handled by {{ v }}\nEOF\ncat status.txt") { "Incident \($0) is being handled by \($0)\n" },
        Script(text: "cat <<-END\n\t{{ v }}\n\tEND\necho after") { "\($0)\nafter\n" },
        Script(text: "cat <<EOF | tr a a\nline one\n{{ v }}\nEOF\ncat <<EOF2\nsecond {{ v }}\nEOF2") { "line one\n\($0)\nsecond \($0)\n" },
        Script(text: "# deploying {{ v }} now\necho ok") { _ in "ok\n" },
        Script(text: "echo ok # for {{ v }}\necho done") { _ in "ok\ndone\n" },
        Script(text: "x=$(printf '%s' {{ v }}); printf '%s' \"$x\"") { String(String.UnicodeScalarView($0.unicodeScalars.reversed().drop { $0 == "\n" }.reversed())) },
        Script(text: "printf '%s' \"$(printf '%s' \"{{ v }}\")\"") { String(String.UnicodeScalarView($0.unicodeScalars.reversed().drop { $0 == "\n" }.reversed())) },
        Script(text: "x=`printf '%s' {{ v }}`; echo done") { _ in "done\n" },
        Script(text: "case {{ v }} in\n  \"$MUSTER_VALUE_v\") echo same ;;\n  *) echo other ;;\nesac") { _ in "same\n" },
        Script(text: "v={{ v }}; printf '%s' \"${v}\"") { $0 },
        Script(text: "printf '%s' \"${UNSET_NAME:-{{ v }}}\"") { $0 },
        Script(text: "printf '%s' ${UNSET_NAME:-{{ v }}}") { $0 },
        Script(text: "if [[ {{ v }} == \"$MUSTER_VALUE_v\" ]]; then echo equal; fi") { _ in "equal\n" },
        Script(text: "for i in 1 2; do echo \"$i {{ v }}\"; done") { "1 \($0)\n2 \($0)\n" },
        Script(text: "f() { printf '%s' \"$1\"; }\nf {{ v }}") { $0 },
        Script(text: "arr=({{ v }} b); printf '%s' \"${arr[0]}\"") { $0 },
        Script(text: "declare -A m; m[k]={{ v }}; printf '%s' \"${m[k]}\"") { $0 },
        Script(text: "echo $(( 1 + 1 )) {{ v }}") { "2 \($0)\n" },
        Script(text: "cat <<'EOF'\n$HOME stays\nEOF\necho {{ v }}") { "$HOME stays\n\($0)\n" },
        Script(text: "echo <<<{{ v }} >/dev/null; cat <<<{{ v }}") { "\($0)\n" },
        // The safe ways the refusals point to, and shapes the old lexer misread.
        Script(text: "sh -c 'printf \"%s\" \"$1\"' _ {{ v }}") { $0 },
        Script(text: "timeout 5 bash -c 'printf \"%s\" \"$1\"' _ \"{{ v }}\"") { $0 },
        Script(text: "printf '%s' {{ v }} | cat") { $0 },
        Script(text: "x=\"$(case a in a) printf '%s' {{ v }} ;; esac)\"; printf '%s' \"$x\"") { String(String.UnicodeScalarView($0.unicodeScalars.reversed().drop { $0 == "\n" }.reversed())) },
        Script(text: "echo $(true)# {{ v }}") { "# \($0)\n" },
        Script(text: "echo `true`# {{ v }}") { "# \($0)\n" },
        Script(text: "declare x={{ v }}; printf '%s' \"$x\"") { $0 },
        Script(text: "f() { local x={{ v }}; printf '%s' \"$x\"; }; f") { $0 },
        Script(text: "[[ -z {{ v }} || -n {{ v }} ]] && echo yes") { _ in "yes\n" },
        Script(text: "if test -n {{ v }} || test -z {{ v }}; then echo yes; fi") { _ in "yes\n" },
        Script(text: "read -r line <<< {{ v }}; echo done") { _ in "done\n" },
        Script(text: "printf '%s' \"${UNSET:+x}${UNSET:={{ v }}}\"") { $0 },
        Script(text: "aws_args=(--name {{ v }}); printf '%s|' \"${aws_args[@]}\"") { "--name|\($0)|" },
        Script(text: "cat <<EOF | tr -d ''\n{{ v }}\nEOF") { "\($0)\n" },
        Script(text: "nice -n 5 timeout -s KILL 60 printf '%s' {{ v }}") { $0 },
        Script(text: "env -u NOPE A=1 printf '%s' {{ v }}") { $0 },
        Script(text: "[[ ( {{ v }} == \"$MUSTER_VALUE_v\" ) ]] && echo same") { _ in "same\n" },
    ]

    /// Places where bash would evaluate a value as code or not expand it:
    /// refused, with no code to run.
    static let refused = [
        "echo $(( {{ v }} + 1 ))",
        "(( x = {{ v }} ))",
        "echo $[ {{ v }} ]",
        "[[ {{ v }} -eq 1 ]]",
        "[[ 1 -lt {{ v }} ]] && echo y",
        "arr[{{ v }}]=1",
        "echo ${arr[{{ v }}]}",
        "eval {{ v }}",
        "let x={{ v }}",
        "eval \"echo {{ v }}\"",
        "eval 'echo {{ v }}'",
        "trap 'echo {{ v }}' EXIT",
        "x=1; trap \"echo {{ v }}\" EXIT",
        "bash <<EOF\necho {{ v }}\nEOF",
        "ssh -T host <<-EOF\n\tdeploy {{ v }}\n\tEOF",
        "cat <<'EOF'\n{{ v }}\nEOF",
        "cat <<\"EOF\"\nnot {{ v }}\nEOF",
        "cat <<\\EOF\n{{ v }}\nEOF",
        "cat <<{{ v }}\nx\n",
        "for (( i = 0; i < {{ v }}; i++ )); do :; done",
        // Issue 22: shapes where bash evaluates a value again.
        "printf -v {{ v }} x",
        "declare -i n={{ v }}",
        "f() { local -i n={{ v }}; }; f",
        "declare -n r={{ v }}",
        "declare {{ v }}",
        "export {{ v }}",
        "read {{ v }} <<< x",
        "read -r a {{ v }} <<< x",
        "mapfile {{ v }} < /dev/null",
        "unset {{ v }}",
        "[[ -v {{ v }} ]]",
        "test -v {{ v }}",
        "[ -v {{ v }} ]",
        "echo ${x:{{ v }}}",
        "echo \"${x:1:{{ v }}}\"",
        "echo ${a[ {{ v }} ]}",
        "a[0+{{ v }}]=1",
        "declare -i n; n={{ v }}",
        "[[ {{ v }} -eq 1 ]]>/dev/null",
        "[[ a == b || {{ v }} -gt 1 ]]",
        "[ {{ v }} -eq 1 ]",
        "if eval {{ v }}; then :; fi",
        "! eval {{ v }}",
        "builtin eval {{ v }}",
        "command eval \"{{ v }}\"",
        "e\"v\"al {{ v }}",
        "ev\\\nal {{ v }}",
        "echo $(\\\n( {{ v }} ))",
        "bash <<< {{ v }}",
        "/bin/bash <<EOF\necho {{ v }}\nEOF",
        "timeout 60 bash <<EOF\necho {{ v }}\nEOF",
        "timeout 60 bash -c \"echo {{ v }}\"",
        "runuser -u nobody -- bash -c \"echo {{ v }}\"",
        "runuser -l nobody -c \"echo {{ v }}\"",
        "python3 - <<EOF\nprint('{{ v }}')\nEOF",
        "cat <<EOF | bash\necho {{ v }}\nEOF",
        "echo {{ v }} | bash",
        "printf '%s' {{ v }} | sudo sh",
        "echo \"$(echo {{ v }})\" | sh -s",
        "bash -c \"echo {{ v }}\"",
        "bash -c 'echo {{ v }}'",
        "sh -ec \"echo {{ v }}\"",
        "bash -c \"$(printf '%s' {{ v }})\"",
        "x=1 bash -c \"echo '{{ v }}'\"",
        "sudo sh -c \"echo {{ v }}\"",
        "sudo -u postgres bash -c \"echo {{ v }}\"",
        "su -c \"echo {{ v }}\" postgres",
        "su postgres -c \"echo {{ v }}\"",
        "ssh h \"echo '{{ v }}'\"",
        "ssh -T h echo {{ v }}",
        "ssh {{ v }} uptime",
        "ssh h <<EOF\necho {{ v }}\nEOF",
        "kubectl exec -it pod -- sh -c \"echo {{ v }}\"",
        "docker exec web sh -c \"echo {{ v }}\"",
        "docker exec -u root web bash -lc \"echo {{ v }}\"",
        "xargs sh -c \"echo {{ v }}\" < /dev/null",
        "find . -exec sh -c \"echo {{ v }}\" \\;",
        "find . -exec {{ v }} \\;",
        "watch \"echo {{ v }}\"",
        "python3 -c \"print('{{ v }}')\"",
        "perl -e 'print \"{{ v }}\"'",
        "awk '{print \"{{ v }}\"}' /dev/null",
        "sed \"s/a/{{ v }}/e\" /dev/null",
        "{{ v }} --version",
        "x=1 {{ v }}",
        "sudo {{ v }}",
        "timeout 5 {{ v }}",
        "env A=1 {{ v }}",
        "$(echo {{ v }}) --version",
        "echo $(true)#; {{ v }}",
        "echo `true`#; {{ v }}",
        "echo \"${x/{{ v }}/}\"",
        "echo \"${x#{{ v }}}\"",
        "echo ${x%%{{ v }}}",
        "echo ${!{{ v }}}",
        "source {{ v }}",
        ". {{ v }}",
        "bash {{ v }}",
        "exec {{ v }}",
        "trap -- \"{{ v }}\" EXIT",
        "alias x={{ v }}",
        "echo \"$(case a in a) echo ;; esac; eval {{ v }})\"",
        "[[ ( {{ v }} -eq 1 ) ]]",
        "[[ ( a == b ) || ( {{ v }} -gt 1 ) ]]",
        "env -S \"{{ v }}\"",
        "env -i PATH=/bin -S \"{{ v }}\"",
        "flock /tmp/l -c \"echo {{ v }}\"",
        "sudo -u bob -i bash -c \"echo {{ v }}\"",
        "echo {{ v }} | sudo -s",
        "echo {{ v }} | sudo -u bob -i",
        "echo {{ v }} | su postgres",
        "nice -n 5 timeout -s KILL 60 sh -c \"echo {{ v }}\"",
    ]

    /// With `v` typed int, number or bool, these stand where bash evaluates
    /// text again; each prints what it should for the value 5.
    static let arithmetic: [(String, String)] = [
        ("declare -i n={{ v }}; echo $((n + 1))", "6\n"),
        ("f() { local -i n={{ v }}; echo $n; }; f", "5\n"),
        ("echo $(( {{ v }} + 1 ))", "6\n"),
        ("(( {{ v }} > 4 )) && echo big", "big\n"),
        ("[[ {{ v }} -eq 5 ]] && echo five", "five\n"),
        ("a=(x y z w v u); echo ${a[{{ v }}]}", "u\n"),
        ("x=abcdefgh; echo ${x:{{ v }}}", "fgh\n"),
    ]

    /// Each tries to create `pwned-N` in the working folder.
    static let hostile = [
        "INC-1 $(touch pwned-1)",
        "`touch pwned-2`",
        "x'; touch pwned-3; echo '",
        "x\"; touch pwned-4; echo \"",
        "a\nEOF\ntouch pwned-5\ncat <<EOF\n",
        "a\nEND\ntouch pwned-6\n",
        "a\r\ntouch pwned-7\r\n",
        "${IFS}$(touch${IFS}pwned-8)",
        "a[$(touch pwned-9)]",
        "\\\"; touch pwned-10 #",
        "x\\\ntouch pwned-11",
        "}; touch pwned-12; echo {",
        "')\"; touch pwned-13; (echo '",
        "$'\\x27'; touch pwned-14",
        "EOF",
        "*",
        "",
        " leading and trailing ",
        "é\u{301} ☕ \u{1b}[2J",
    ]

    func run(_ code: String, value: String, in dir: URL) throws -> (status: Int32, out: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/bash")
        p.arguments = ["-euo", "pipefail", "-c", code]
        p.currentDirectoryURL = dir
        p.environment = ["PATH": "/usr/bin:/bin", "MUSTER_VALUE_v": value]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        p.standardInput = FileHandle.nullDevice
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// Scanned as the validator scans a `run` value.
    func template(_ text: String) -> Template {
        let node = Node(.scalar(text, plain: false), mark: Mark(line: 1, column: 1), endMark: Mark(line: 1, column: 1))
        return TemplateScanner(source: SourceText(path: "run", bytes: Array(text.utf8))).scan(node, text).0
    }

    func pwned(in dir: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasPrefix("pwned") }
    }

    @Test(arguments: Array(corpus.indices))
    func everyHostileValueStaysData(_ index: Int) throws {
        let script = Self.corpus[index]
        let t = template(script.text)
        #expect(!t.references.isEmpty)
        let code = try #require(t.shellCode(), "refused: \(script.text)")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("muster-inject-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        for value in Self.hostile {
            let (status, out) = try run(code, value: value, in: dir)
            #expect(try pwned(in: dir).isEmpty, "value \(value.debugDescription) ran code in: \(script.text)")
            #expect(status == 0, "value \(value.debugDescription) broke: \(script.text)")
            if let prints = script.prints {
                #expect(Array(out.utf8) == Array(prints(value).utf8), "value \(value.debugDescription) in: \(script.text)")
            }
        }
    }

    /// Random values built from hostile fragments, at every position.
    @Test func randomHostileValuesStayData() throws {
        let fragments = ["$(", ")", "`", "'", "\"", "\n", "\r", "EOF", "END", "\\", "touch pwned-r", ";", "#", "${", "}", "$((", "<<", " ", "\t", "&", "|", "a"]
        var rng = SplitMix(seed: 11)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("muster-inject-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        for _ in 0..<150 {
            let value = (0..<Int(rng.next() % 12 + 1)).map { _ in fragments[Int(rng.next() % UInt64(fragments.count))] }.joined()
            let script = Self.corpus[Int(rng.next() % UInt64(Self.corpus.count))]
            let code = try #require(template(script.text).shellCode())
            let (status, out) = try run(code, value: value, in: dir)
            #expect(try pwned(in: dir).isEmpty, "value \(value.debugDescription) ran code in: \(script.text)")
            #expect(status == 0)
            if let prints = script.prints { #expect(Array(out.utf8) == Array(prints(value).utf8), "value \(value.debugDescription) in: \(script.text)") }
        }
    }

    @Test(arguments: refused)
    func placesWhereAValueWouldBecomeCodeAreRefused(_ text: String) {
        let t = template(text)
        #expect(t.shellCode() == nil, "accepted: \(text)")
        #expect(t.shellContexts.contains { if case .unsafe = $0 { true } else { false } })
    }

    /// The refusal is not a guess about hostile values: each refused place
    /// really runs code that a value carries, were it accepted.
    @Test func theRefusedPlacesReallyRunCode() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("muster-inject-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        for text in ["a=(0); echo $(( ${MUSTER_VALUE_v} + 1 ))", "a=(0); [[ \"${MUSTER_VALUE_v}\" -eq 1 ]]", "a=(0); arr=(); arr[\"${MUSTER_VALUE_v}\"]=1"] {
            _ = try run(text, value: "a[$(touch pwned-arith)]", in: dir)
            #expect(try pwned(in: dir) == ["pwned-arith"], "\(text) did not run the value")
            try FileManager.default.removeItem(at: dir.appendingPathComponent("pwned-arith"))
        }
    }

    @Test(arguments: Array(arithmetic.indices))
    func aValueTypedAsANumberMayStandInArithmetic(_ index: Int) throws {
        let (text, expected) = Self.arithmetic[index]
        #expect(template(text).shellCode() == nil, "accepted untyped: \(text)")
        let typed = template(text).withArithmeticNames(["v"])
        let code = try #require(typed.shellCode(), "refused typed: \(text)")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("muster-inject-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let (status, out) = try run(code, value: "5", in: dir)
        #expect(status == 0)
        #expect(out == expected, "\(text)")
    }

    /// The new refusals are not guesses either: written as the old lexer
    /// wrote them, a value runs in each.
    @Test func theIssue22ShapesReallyRunCode() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("muster-inject-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let v = "\"${MUSTER_VALUE_v}\""
        let shapes = [
            "printf -v \(v) x", "declare -i n=\(v)", "f() { local -i n=\(v); }; f", "declare \(v)", "read \(v) <<< x",
            "[[ -v \(v) ]]", "test -v \(v)", "a=(0); x=ab; echo \"${x:${MUSTER_VALUE_v}}\"", "a[0+\(v)]=1", "declare -i n; n=\(v)",
            "unset \(v)", "declare -n r=\(v); echo \"$r\"", "bash -c \"echo ${MUSTER_VALUE_v}\"",
        ]
        for text in shapes {
            let value = text.contains("bash -c") ? "$(touch pwned-shape)" : text.hasPrefix("declare \"") ? "a[$(touch pwned-shape)]=1" : "a[$(touch pwned-shape)]"
            _ = try run("a=(0); " + text, value: value, in: dir)
            #expect(try pwned(in: dir) == ["pwned-shape"], "\(text) did not run the value")
            try? FileManager.default.removeItem(at: dir.appendingPathComponent("pwned-shape"))
        }
    }

    @Test func theDisplayShowsValuesWhereTheyStand() {
        let t = template("cat <<EOF\nIncident {{ v }}\nEOF\necho {{ v }} '{{ v }}'")
        #expect(t.shellDisplay(["v": "INC 1"]) == "cat <<EOF\nIncident INC 1\nEOF\necho 'INC 1' 'INC 1'")
        #expect(t.shellCode() == "cat <<EOF\nIncident ${MUSTER_VALUE_v}\nEOF\necho \"${MUSTER_VALUE_v}\" ''\"${MUSTER_VALUE_v}\"''")
    }
}

/// A small seeded generator: the same values on every run.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
