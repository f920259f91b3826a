import Foundation
import MusterStore
import MusterTestSupport
import Testing

/// Who approves from another machine is whom AWS says signed the proof:
/// the session checks it against STS (moto checking signatures here).
@Suite("identity proofs checked against STS", .serialized)
struct IdentityProofTests {
    @Test func aProofSaysWhoSignedItAndOnlyForItsRequest() throws {
        let moto = try MotoStore()
        let session = try moto.store(moto.env())                       // the run's session (alice's machine)
        let bob = try moto.store(moto.env((moto.session.key, moto.session.secret), ["AWS_SESSION_TOKEN": moto.session.token]))
        let proof = try bob.identityProof(binding: "muster approve run-1 req-1")
        // Verified by another store, with other credentials: the ARN is bob's.
        let who = try session.verify(proof, binding: "muster approve run-1 req-1")
        #expect(who.name == "bob", "\(who.arn)")
        #expect(who.arn.contains("assumed-role"), "\(who.arn)")
        // The same proof for another request, a tampered signature: refused.
        let replayed = storeError { _ = try session.verify(proof, binding: "muster approve run-1 req-2") }
        #expect(replayed?.kind == .refused, "\(String(describing: replayed))")
        var forged = proof
        forged.authorization = String(forged.authorization.dropLast(4)) + "0000"
        #expect(storeError { _ = try session.verify(forged, binding: "muster approve run-1 req-1") }?.kind == .refused)
        // A proof whose signature does not cover the binding proves nothing.
        var unbound = proof
        unbound.authorization = unbound.authorization.replacingOccurrences(of: ";x-muster-request", with: "")
        let e = storeError { _ = try session.verify(unbound, binding: "muster approve run-1 req-1") }
        #expect(e?.message.contains("does not cover this request") == true, "\(String(describing: e))")
        // Its fields become header values: a line break in one is refused before anything is sent.
        var injected = proof
        injected.amzDate += "\r\nX-Other: 1"
        #expect(storeError { _ = try session.verify(injected, binding: "muster approve run-1 req-1") }?.message.contains("not a SigV4 signature") == true)
        var injectedAuth = proof
        injectedAuth.authorization += "\r\nHost: evil.example"
        #expect(storeError { _ = try session.verify(injectedAuth, binding: "muster approve run-1 req-1") }?.message.contains("not a SigV4 signature") == true)
        // Long-term keys prove alice the same way; the secret is never in the proof.
        let alice = try session.identityProof(binding: "b")
        #expect(try bob.verify(alice, binding: "b").name == "alice")
        let encoded = String(decoding: try JSONEncoder().encode(alice), as: UTF8.self)
        #expect(!encoded.contains(moto.alice.secret))
    }
}
