import Foundation
import MusterCore
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
