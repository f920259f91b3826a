import Foundation
import MusterTestSupport
import Testing

/// `ask: {unseal_key: {prompt: …, secret: true}}`: a secret typed during the
/// run (a Vault unseal key, a one-time password) reaches the steps that use
/// it, and nothing else: not the screen, the journal, the screen log, the
/// record, `muster log`; a resume asks for it again.
@Suite("Secret answers", .serialized)
struct SecretAskTests {
    static let key = "uNs3al/Key+Value=42"
    static let runbook = """
    muster: 1
    name: vault
    title: Unseal the vault
    steps:
      - id: unseal
        title: Get the unseal key
        manual: [Open the key envelope]
        ask:
          unseal_key: {prompt: Vault unseal key, secret: true}
      - id: ready
        title: Ready
        manual: [The vault pods are up]
      - id: use
        title: Unseal
        run: |
          printf '%s' "{{ unseal_key }}" > got.txt
          echo "unsealing with {{ unseal_key }}"
          printf '%s\\n' "$MUSTER_VALUE_unseal_key" | base64
    """

    func assertNowhere(_ s: Sandbox, _ texts: [String], _ secret: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        for text in texts { #expect(!text.contains(secret), "\(text.prefix(2000))", sourceLocation: sourceLocation) }
        for (name, text) in try s.stateFiles() { #expect(!text.contains(secret), "found in \(name)", sourceLocation: sourceLocation) }
    }

    @Test func aSecretAnswerIsUsedButNeverShownNorJournaledAndAResumeAsksAgain() throws {
        let s = try Sandbox(["vault": Self.runbook])
        // The first session ends at the checklist, after the key was given.
        let first = try s.run(["run", "vault"], stdin: "y\n\(Self.key)\n")
        #expect(first.status == 3, "\(first.stdout)\(first.stderr)")
        #expect(first.stdout.contains("Vault unseal key"))
        #expect(first.stdout.contains("it is not shown or journaled) > ***") || first.stdout.contains("\n***\n"), "\(first.stdout)")
        let answered = try #require(try s.journal().first { $0["event"] as? String == "answered" })
        #expect(answered["name"] as? String == "unseal_key")
        #expect(answered["value"] as? String == "***", "the journal says it was given, not what")
        #expect(answered["masked"] as? [String] == ["unseal_key"])
        try assertNowhere(s, [first.stdout, first.stderr], Self.key)

        // A resume asks again (the journal never had it), then uses the new answer.
        let id = try #require(try FileManager.default.contentsOfDirectory(atPath: s.dir + "/.muster/runs").sorted().last)
        let again = "second/Key+2="
        let resumed = try s.run(["resume", id], stdin: "\(again)\ny\n")
        #expect(resumed.status == 0, "\(resumed.stdout)\(resumed.stderr)")
        #expect(resumed.stdout.contains("Vault unseal key (asked again: the journal never holds it)"), "\(resumed.stdout)")
        #expect(try String(contentsOfFile: s.dir + "/got.txt", encoding: .utf8) == again, "the step got the key itself")
        #expect(resumed.stdout.contains("unsealing with ***"), "\(resumed.stdout)")
        let log = try s.run(["log", id])
        let json = try s.run(["log", id, "--json"])
        let base64 = Data((again + "\n").utf8).base64EncodedString()
        for secret in [Self.key, again, String(base64.prefix(12))] {
            try assertNowhere(s, [resumed.stdout, resumed.stderr, log.stdout, json.stdout], secret)
        }
    }
}
