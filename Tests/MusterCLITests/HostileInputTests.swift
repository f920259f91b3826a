#if canImport(Glibc)
@preconcurrency import Glibc
#endif
import Foundation
import MusterTestSupport
import Testing

/// The hostile-input catalogue of docs/hostile-input.md, for the cases not
/// covered by the loader, validator and run tests: what a step prints, what
/// the machine lacks, and what happens to the journal itself.
@Suite("Hostile input")
struct HostileInputTests {
    static let loud = #"""
    muster: 1
    name: loud
    title: "Title with \e[2J a clear-screen and \e]0;pwned\a a window title"
    steps:
      - id: esc
        title: "Step title \e[31m in red"
        run: printf '\033[2J\033]0;pwned\007\033[31mred\r\n'
      - id: huge
        title: One enormous line
        run: head -c 20000000 /dev/zero | tr '\0' 'a'; echo; echo after
    """#

    @Test func escapeSequencesInTitlesAndOutputNeverReachTheTerminal() throws {
        let s = try Sandbox(["loud": Self.loud])
        let r = try s.run(["run", "loud", "--yes"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(!r.stdout.contains("\u{1B}"), "an escape character reached the screen")
        #expect(!r.stdout.contains("\u{07}"))
        #expect(r.stdout.contains("^[[2J"), "escapes are shown as visible text")
        for (_, text) in try s.stateFiles() { #expect(!text.contains("\u{1B}[2J\u{1B}]0;pwned")) }
    }

    /// Issue 11, finding 9: a pattern with nested repetition backtracked
    /// for minutes on a default it does not match, so one pull request could
    /// stall CI. PCRE2's match limit refuses it at the pattern's position.
    @Test(.timeLimit(.minutes(1)))
    func aCatastrophicPatternIsRefusedNotRun() throws {
        let s = try Sandbox(["greedy": """
        muster: 1
        name: greedy
        title: Greedy
        params:
          p:
            pattern: '^(a+)+$'
            default: "\(String(repeating: "a", count: 30))b"
        steps:
          - id: a
            title: t
            run: echo
        """])
        let v = try s.run(["validate", "runbooks/greedy.yaml"])
        #expect(v.status == 1)
        #expect(v.stderr.hasPrefix("runbooks/greedy.yaml:6:14: error: the pattern of 'p' (^(a+)+$) backtracks too much to check"), "\(v.stderr)")
    }

    /// The same budget at run time: a `-p` value and a step's output.
    @Test(.timeLimit(.minutes(1)))
    func aCatastrophicPatternAtRunTimeSaysSoAndRunsNothing() throws {
        let s = try Sandbox(["greedy": """
        muster: 1
        name: greedy
        title: Greedy
        params:
          p:
            pattern: '^(x+x+)+y$'
            required: false
            default: xxy
        steps:
          - id: out
            title: Captures with a greedy regex
            run: printf 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab\\n'
            outputs:
              word: {regex: '^(a|aa)+$'}
          - id: after
            title: Never runs
            run: touch ran
        """])
        let p = try s.run(["run", "greedy", "--yes", "-p", "p=" + String(repeating: "x", count: 40) + "zy"])
        #expect(p.status == 2)
        #expect(p.stderr.contains("the pattern of 'p' (^(x+x+)+y$) backtracks too much to check"), "\(p.stderr)")
        let r = try s.run(["run", "greedy", "--yes"])
        #expect(r.status == 1)
        #expect(r.stdout.contains("the regex of output 'word' (^(a|aa)+$) backtracks too much to check"), "\(r.stdout)")
        #expect(!FileManager.default.fileExists(atPath: s.dir + "/ran"))
    }

    /// Issue 11: a 5,000-deep chain of includes overflowed the stack
    /// (SIGSEGV) in validate, show and run. Deeper than 16 is an error.
    @Test(.timeLimit(.minutes(2)))
    func aDeepIncludeChainIsRefusedNotACrash() throws {
        var files: [String: String] = [:]
        for i in 0..<5000 {
            let step = i == 4999 ? "run: echo bottom" : "runbook: r\(i + 1)"
            files["r\(i)"] = "muster: 1\nname: r\(i)\ntitle: R\(i)\nsteps:\n  - id: s\n    title: S\n    \(step)\n"
        }
        let s = try Sandbox(files)
        // (Validating the whole folder reports 4,983 such files.)
        let v = try s.run(["validate", "runbooks/r0.yaml", "runbooks/r4983.yaml"])
        #expect(v.status == 1, "\(v.stderr.suffix(500))")
        #expect(v.stderr.contains("runbooks/r0.yaml:7:14: error: runbooks nest more than 16 deep here (r0 → r1 → r2 → r3 → … → r16 → r17)"), "\(v.stderr.prefix(2000))")
        #expect(!v.stderr.contains("runbooks/r4983.yaml:"), "16 levels below r4983 are fine")
        for args in [["show", "r0"], ["run", "r0", "--yes"]] {
            let r = try s.run(args)
            #expect(r.status == 2, "\(args): \(r.stderr.prefix(500))")
            #expect(r.stderr.contains("runbooks nest more than 16 deep"), "\(args)")
        }
        let shallow = try s.run(["run", "r4983", "--yes"])
        #expect(shallow.status == 0, "\(shallow.stderr)")
        #expect(shallow.stdout.contains("bottom"))
    }

    @Test func anEnormousOutputLineIsShortenedAndTheRunGoesOn() throws {
        let s = try Sandbox(["loud": Self.loud])
        let r = try s.run(["run", "loud", "--yes"])
        #expect(r.status == 0)
        #expect(r.stdout.utf8.count < 100_000, "the 20 MB line reached the screen whole")
        #expect(r.stdout.contains("more bytes not shown"))
        #expect(r.stdout.contains("| after"))
        let journal = try s.stateFiles().first { $0.0.hasSuffix("journal.jsonl") }?.1 ?? ""
        #expect(journal.utf8.count < 100_000)
    }

    @Test func aSecretPrintedInTwoHalvesIsMaskedEverywhere() throws {
        let s = try Sandbox(["split": """
        muster: 1
        name: split
        title: Split
        secrets:
          API_TOKEN: {env: SPLIT_TOKEN}
        steps:
          - id: leak
            title: Prints the token in two halves
            run: printf 'token=%s\\n%s end\\n' "${API_TOKEN:0:9}" "${API_TOKEN:9}"; exit 1
        """])
        let r = try s.run(["run", "split", "--yes"], env: ["SPLIT_TOKEN": "tok-abcdef-0123456789"])
        #expect(r.status == 1)
        #expect(r.stdout.contains("token=***"), "\(r.stdout)")
        #expect(r.stdout.contains("*** end"))
        for (name, text) in try s.stateFiles() + [("stdout", r.stdout), ("stderr", r.stderr)] {
            #expect(!text.contains("tok-abcde"), "\(name) holds the first half")
            #expect(!text.contains("f-0123456789"), "\(name) holds the second half")
        }
    }

    @Test func aMissingBashFailsTheStepAndSaysWhatToDo() throws {
        let s = try Sandbox(["loud": Self.loud])
        let r = try s.run(["run", "loud", "--yes"], env: ["MUSTER_BASH": "/nonexistent/bash"])
        #expect(r.status == 1)
        #expect(r.stdout.contains("cannot start /nonexistent/bash: No such file or directory"))
        #expect(r.stdout.contains("set MUSTER_BASH"))
    }

    /// `yes y | muster run x` meeting a failure menu, which takes no `y`:
    /// without a limit the run would loop for ever on a pipe.
    @Test func answersThatKeepMissingOnAPipePauseTheRun() throws {
        let s = try Sandbox(["loud": Self.loud])
        let r = try s.run(["run", "loud"], stdin: String(repeating: "y\n", count: 1000), env: ["MUSTER_BASH": "/nonexistent/bash"])
        #expect(r.status == 3, "\(r.stdout.suffix(500))")
        #expect(r.stdout.contains("3 answers in a row were not understood"))
        #expect(r.stdout.components(separatedBy: "not understood: answer r").count - 1 == 3)
    }

    @Test func aJournalEditedByHandIsNamedAndNeverSkipped() throws {
        let s = try Sandbox(["loud": Self.loud])
        // An older paused run, then a newer one whose journal gets damaged.
        let first = try s.run(["run", "loud"], stdin: "", env: ["MUSTER_BASH": "/nonexistent/bash"])
        #expect(first.status == 3)
        waitForTheNextSecond()
        let second = try s.run(["run", "loud"], stdin: "", env: ["MUSTER_BASH": "/nonexistent/bash"])
        #expect(second.status == 3)
        let runs = try FileManager.default.contentsOfDirectory(atPath: s.dir + "/.muster/runs").sorted()
        let newest = try #require(runs.last)
        let path = "\(s.dir)/.muster/runs/\(newest)/journal.jsonl"
        var lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
        lines[1] = "{\"seq\": 2, \"event\": \"this is not an event"
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)

        let named = try s.run(["resume", newest])
        #expect(named.status == 2)
        #expect(named.stderr.contains("journal.jsonl:2: this journal line is not a valid event"))
        let bare = try s.run(["resume"])
        #expect(bare.status == 2, "a bare resume must not pick up the older run: \(bare.stdout)")
        #expect(bare.stderr.contains("the newest run, \(newest), cannot be resumed"))
        let listed = try s.run(["runs"])
        #expect(listed.stdout.contains(newest))
        #expect(listed.stdout.contains("damaged"))
    }
}

/// A full disk while journaling, on a real (tiny) tmpfs: needs root to mount.
@Suite("A full disk while journaling", .serialized, .enabled(if: getuid() == 0, "mounting a tmpfs needs root"))
struct FullDiskTests {
    static func runbook(steps: Int) -> String {
        "muster: 1\nname: chatty\ntitle: Chatty\nsteps:\n" + (1...steps).map {
            "  - id: step-\($0)\n    title: Step \($0) of a long run\n    run: echo \"step-\($0)\" >> \"$COUNT\"\n    idempotent: true\n"
        }.joined()
    }

    func tinyDisk(_ s: Sandbox, freePages: Int) throws -> String {
        let disk = s.dir + "/disk"
        try FileManager.default.createDirectory(atPath: disk, withIntermediateDirectories: true)
        _ = try sh("mount -t tmpfs -o size=64k tmpfs '\(disk)'", cwd: s.dir)
        _ = try sh("head -c \((16 - freePages) * 4096) /dev/zero > '\(disk)/filler'", cwd: s.dir)
        return disk
    }

    @Test func theRunStopsWhenTheJournalCannotGrowAndResumesOnceThereIsRoom() throws {
        let s = try Sandbox(["chatty": Self.runbook(steps: 40)])
        let disk = try tinyDisk(s, freePages: 2)
        defer { _ = try? sh("umount '\(disk)'", cwd: s.dir) }
        let env = ["MUSTER_STATE_DIR": disk + "/state", "COUNT": s.dir + "/count.txt"]
        let r = try s.run(["run", "chatty", "--yes"], env: env)
        #expect(r.status == 3, "\(r.stdout)\(r.stderr)")
        let said = r.stdout + r.stderr
        #expect(said.contains("No space left on device"))
        #expect(said.contains("the run stops here so that nothing happens unrecorded"))
        let before = try String(contentsOfFile: s.dir + "/count.txt", encoding: .utf8).split(separator: "\n")
        #expect(before.count > 1 && before.count < 40, "the disk should fill up part way: \(before.count) steps ran")

        _ = try sh("rm '\(disk)/filler'", cwd: s.dir)
        let again = try s.run(["resume", "--yes"], env: env)
        #expect(again.status == 0, "\(again.stdout)\(again.stderr)")
        let ran = try String(contentsOfFile: s.dir + "/count.txt", encoding: .utf8).split(separator: "\n").map(String.init)
        let counts = Dictionary(ran.map { ($0, 1) }, uniquingKeysWith: +)
        #expect(counts.count == 40, "every step ran")
        // Only the step whose end could not be journaled may run twice (it is idempotent).
        let twice = counts.filter { $0.value > 1 }
        #expect(twice.count <= 1 && twice.values.allSatisfy { $0 == 2 }, "\(twice)")
    }

    @Test func whenNotEvenTheStartFitsNothingRunsAndNothingIsLeftToResume() throws {
        let s = try Sandbox(["chatty": Self.runbook(steps: 2)])
        let disk = try tinyDisk(s, freePages: 1)
        defer { _ = try? sh("umount '\(disk)'", cwd: s.dir) }
        let env = ["MUSTER_STATE_DIR": disk + "/state", "COUNT": s.dir + "/count.txt"]
        let r = try s.run(["run", "chatty", "--yes"], env: env)
        #expect(r.status == 2, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("nothing was run. Make room and start it again"))
        #expect(!r.stdout.contains("muster resume"))
        #expect(!FileManager.default.fileExists(atPath: s.dir + "/count.txt"))
    }
}
