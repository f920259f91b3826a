import Foundation
import MusterTestSupport
import Testing

@Suite("muster command line")
struct CommandLineTests {
    @Test func versionPrintsAndExitsZero() throws {
        let r = try muster(["--version"])
        #expect(r.status == 0)
        #expect(r.stdout == "0.1.0\n")
    }

    @Test func unknownFlagIsAUsageErrorWithExitTwo() throws {
        let r = try muster(["validate", "--bogus"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("Unknown option '--bogus'"))
    }

    @Test func unknownSubcommandIsAUsageError() throws {
        let r = try muster(["valdiate"])
        #expect(r.status == 2)
    }

    @Test func exampleRunbooksAndDrillsAreValid() throws {
        let r = try muster(["validate"])
        #expect(r.stderr == "")
        #expect(r.status == 0)
        #expect(r.stdout.hasPrefix("ok: "))
    }

    @Test func invalidFileReportsEveryProblemWithPositions() throws {
        let r = try muster(["validate", "runbooks/broken.yaml"], cwd: try fixtureRepo())
        #expect(r.status == 1)
        try assertSnapshot(r.stderr, named: "validate-broken.stderr")
    }

    @Test func syntaxErrorCarriesLibyamlsMessage() throws {
        let r = try muster(["validate", "runbooks/bad-syntax.yaml"], cwd: try fixtureRepo())
        #expect(r.status == 1)
        #expect(r.stderr.hasPrefix("runbooks/bad-syntax.yaml:4:6: error: "))
        #expect(r.stderr.contains("did not find expected ',' or ']'"))
    }

    @Test func missingPathIsAUsageError() throws {
        let r = try muster(["validate", "no/such/file.yaml"])
        #expect(r.status == 2)
        #expect(r.stderr == "muster: no/such/file.yaml: no such file or folder\n")
    }

    @Test func validateWithoutRunbookFoldersExplainsWhatToDo() throws {
        let dir = try temporaryDirectory()
        let r = try muster(["validate"], cwd: dir)
        #expect(r.status == 2)
        #expect(r.stderr.contains("no runbooks/ or drills/ folder"))
    }

    @Test func showUnknownRunbookSuggestsTheNearestName() throws {
        let r = try muster(["show", "database-restor"], cwd: try fixtureRepo())
        #expect(r.status == 2)
        #expect(r.stderr.contains("no runbook 'database-restor'"))
        #expect(r.stderr.contains("Did you mean 'database-restore'?"))
    }

    /// runbooks/tests/ holds runbook tests, not runbooks: a mistyped name
    /// is neither told about them nor pointed at one.
    @Test func anUnknownRunbookListsRunbooksNotRunbookTests() throws {
        let s = try Sandbox(["web": "muster: 1\nname: web\ntitle: Web\nsteps:\n  - {id: a, title: A, manual: [Check]}\n"])
        try FileManager.default.createDirectory(atPath: s.dir + "/runbooks/tests", withIntermediateDirectories: true)
        try "muster: 1\ntest: web-happy-path\nrunbook: web\n".write(toFile: s.dir + "/runbooks/tests/web-happy-path.yaml", atomically: true, encoding: .utf8)
        let unknown = try s.run(["show", "nosuch"])
        #expect(unknown.status == 2)
        #expect(unknown.stderr.contains("no runbook 'nosuch' (looked for runbooks/nosuch.yaml). Known runbooks: web.\n"), "\(unknown.stderr)")
        let typo = try s.run(["show", "web-happy-pat"])
        #expect(typo.status == 2)
        #expect(!typo.stderr.contains("web-happy-path"), "\(typo.stderr)")
    }

    @Test func showOfARunbookWithErrorsExitsTwoAndListsThem() throws {
        let r = try muster(["show", "broken"], cwd: try fixtureRepo())
        #expect(r.status == 2)
        #expect(r.stdout == "")
        #expect(r.stderr.contains("runbooks/broken.yaml:11:18: error: unknown name 'regoin'"))
        #expect(r.stderr.contains("does not load"))
    }

    @Test func showRejectsAParameterOutsideItsPattern() throws {
        let r = try muster(["show", "database-restore", "-p", "region=Mars"], cwd: try fixtureRepo())
        #expect(r.status == 2)
        #expect(r.stderr.contains("'Mars' does not match the pattern of 'region'"))
    }

    @Test func showFindsARunbookByPathToo() throws {
        let r = try muster(["show", "runbooks/database-restore.yaml", "-p", "region=eu-north-1"], cwd: try fixtureRepo())
        #expect(r.status == 0)
        #expect(r.stdout.contains("$ echo restoring in eu-north-1"))
    }

    @Test func showQuotesValuesInCommandsAndNeutralisesEscapes() throws {
        let r = try muster(["show", "hostile"], cwd: try fixtureRepo())
        #expect(r.status == 0)
        #expect(!r.stdout.contains("\u{1B}"))
        #expect(r.stdout.contains("Clear the screen ^[[2J^[]0;pwned^G here"))
        #expect(r.stdout.contains(#"$ echo 'x'\''; touch pwned; echo '\'''"#))
    }

    @Test(arguments: ["text", "markdown", "json"])
    func showRegionFailover(format: String) throws {
        let r = try muster(["show", "region-failover", "--format", format, "-p", "incident_id=INC-42"])
        #expect(r.status == 0, "\(r.stderr)")
        let ext = ["text": "txt", "markdown": "md", "json": "json"][format]!
        try assertSnapshot(r.stdout, named: "show-region-failover.\(ext)")
    }

    @Test func showJSONIsValidJSON() throws {
        let r = try muster(["show", "region-failover", "--format", "json"])
        #expect(r.status == 0)
        let object = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        #expect(object?["name"] as? String == "region-failover")
        #expect((object?["steps"] as? [Any])?.isEmpty == false)
    }

    @Test func exampleRunbooksValidateAgainstTheSchema() throws {
        let runbook = try muster(["schema"])
        let drill = try muster(["schema", "--drill"])
        let test = try muster(["schema", "--test"])
        #expect(runbook.status == 0 && drill.status == 0 && test.status == 0)
        let dir = try temporaryDirectory()
        try runbook.stdout.write(toFile: dir + "/runbook.json", atomically: true, encoding: .utf8)
        try drill.stdout.write(toFile: dir + "/drill.json", atomically: true, encoding: .utf8)
        try test.stdout.write(toFile: dir + "/test.json", atomically: true, encoding: .utf8)
        let script = """
        import glob, json, sys, yaml, jsonschema
        rb = json.load(open('\(dir)/runbook.json')); dr = json.load(open('\(dir)/drill.json')); te = json.load(open('\(dir)/test.json'))
        jsonschema.Draft202012Validator.check_schema(rb); jsonschema.Draft202012Validator.check_schema(dr); jsonschema.Draft202012Validator.check_schema(te)
        tests = sorted(glob.glob('runbooks/tests/*.yaml'))
        assert tests, 'no runbook tests'
        for path in tests:
            jsonschema.validate(yaml.safe_load(open(path)), te, cls=jsonschema.Draft202012Validator)
        assert list(jsonschema.Draft202012Validator(te).iter_errors({'muster': 1, 'test': 't', 'runbook': 'r', 'fakes': {'a': {'aftre': '5m'}}})), 'a misspelt fake key'
        n = 0
        for path in sorted(glob.glob('runbooks/*.yaml')) + sorted(glob.glob('drills/*.yaml')):
            doc = yaml.safe_load(open(path))
            jsonschema.validate(doc, dr if 'drill' in doc else rb, cls=jsonschema.Draft202012Validator)
            n += 1
        bad = yaml.safe_load(open('\(fixtures)/repo/runbooks/broken.yaml'))
        errors = list(jsonschema.Draft202012Validator(rb).iter_errors(bad))
        assert errors, 'the schema accepted a runbook with a misspelt key'
        print(n)
        """
        let out = try sh("python3 -c \"$SCRIPT\"", cwd: packageRoot, env: ["SCRIPT": script])
        #expect(Int(out.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0 >= 6)
    }

    @Test func validateFromASubfolderUsesTheGitTopLevel() throws {
        let dir = try temporaryDirectory()
        try sh("""
            git init -q . && mkdir -p runbooks docs/deep && cp '\(fixtures)/repo/runbooks/database-restore.yaml' runbooks/
            """, cwd: dir)
        let r = try muster(["validate"], cwd: dir + "/docs/deep")
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("1 file valid"))
        let show = try muster(["show", "database-restore"], cwd: dir + "/docs/deep")
        #expect(show.status == 0)
    }

    @Test func completionScriptsAreGenerated() throws {
        for shell in ["bash", "zsh", "fish"] {
            let r = try muster(["--generate-completion-script", shell])
            #expect(r.status == 0)
            #expect(r.stdout.contains("validate"))
        }
    }
}

/// The test helper itself: a child that writes more than a pipe holds to
/// stderr must not block while stdout is read.
@Suite("The muster() test helper")
struct MusterHelperTests {
    @Test func moreThanAPipeFullOnStderrDoesNotDeadlock() throws {
        let dir = try temporaryDirectory()
        let keys = (0..<1500).map { "unknown_key_number_\($0): value with some length to it" }.joined(separator: "\n")
        try "muster: 1\nname: big\ntitle: Big\n\(keys)\nsteps: []\n".write(toFile: dir + "/big.yaml", atomically: true, encoding: .utf8)
        let r = try muster(["validate", "big.yaml"], cwd: dir)
        #expect(r.status == 1)
        #expect(r.stderr.utf8.count > 64 << 10, "only \(r.stderr.utf8.count) bytes on stderr: the check needs more than a pipe holds")
    }
}
