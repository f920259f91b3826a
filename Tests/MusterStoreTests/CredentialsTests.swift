import Foundation
import MusterStore
import MusterTestSupport
import Testing

@Suite("Credentials, identity and refusals against moto checking signatures", .serialized)
struct CredentialsTests {
    @Test func credentialsFromTheEnvironmentSayWhoTheyAre() throws {
        let moto = try MotoStore()
        let store = try moto.store(moto.env())
        try store.headBucket()
        let me = try store.callerIdentity()
        #expect(me.arn == "arn:aws:iam::123456789012:user/alice")
        #expect(me.name == "alice")
        #expect(store.identity == me)
        // A signed query (moto checks it; a prefix with `/` is checked in
        // EventLogTests on an open moto, see moto_store.py).
        #expect(try store.putIfAbsent("teamkey", Array("x".utf8)) == .created)
        #expect(try store.list(prefix: "team", pageSize: 5).keys == ["teamkey"])
    }

    @Test func aProfileInTheSharedFilesIsRead() throws {
        let moto = try MotoStore()
        let aws = moto.home + "/.aws"
        try FileManager.default.createDirectory(atPath: aws, withIntermediateDirectories: true)
        try """
        [default]
        aws_access_key_id = wrong
        aws_secret_access_key = wrong

        # the on-call engineer's keys
        [oncall]
        aws_access_key_id = \(moto.alice.key)
        aws_secret_access_key = \(moto.alice.secret)
        """.write(toFile: aws + "/credentials", atomically: true, encoding: .utf8)
        try """
        [profile oncall]
        region = eu-west-1
        endpoint_url = \(moto.endpoint)
        s3 =
          addressing_style = path
        """.write(toFile: aws + "/config", atomically: true, encoding: .utf8)
        let env = ["HOME": moto.home, "AWS_PROFILE": "oncall"]
        let settings = try StoreSettings.resolve(environment: env)
        #expect(settings.region == "eu-west-1")
        #expect(settings.endpoint == moto.endpoint)
        #expect(settings.pathStyle)
        #expect(try settings.credentials().source == "profile oncall in \(aws)/credentials")
        let store = try moto.store(env)
        #expect(try store.callerIdentity().name == "alice")
        #expect(try store.putIfAbsent("team/p", Array("x".utf8)) == .created)

        // Files elsewhere, named by the variables; keys in the config file.
        try FileManager.default.moveItem(atPath: aws + "/config", toPath: moto.home + "/cfg")
        try "[profile oncall]\nregion = eu-west-1\nendpoint_url = \(moto.endpoint)\naws_access_key_id = \(moto.alice.key)\naws_secret_access_key = \(moto.alice.secret)\n"
            .write(toFile: moto.home + "/cfg", atomically: true, encoding: .utf8)
        let moved = ["HOME": moto.home, "AWS_PROFILE": "oncall", "AWS_CONFIG_FILE": moto.home + "/cfg", "AWS_SHARED_CREDENTIALS_FILE": moto.home + "/none"]
        #expect(try moto.store(moved).callerIdentity().name == "alice")

        let missing = storeError { _ = try StoreSettings.resolve(environment: ["HOME": moto.home, "AWS_PROFILE": "nobody"]) }
        #expect(missing?.message.contains("AWS profile nobody (AWS_PROFILE) is in neither") == true, "\(String(describing: missing))")
    }

    @Test func credentialProcessGivesSessionCredentials() throws {
        let moto = try MotoStore()
        let script = moto.home + "/creds process"
        // As `aws configure export-credentials --format process` prints them.
        try """
        #!/bin/sh
        [ "$1" = "--profile" ] && [ "$2" = "on call" ] || { echo "bad arguments: $*" >&2; exit 3; }
        printf '{"Version": 1, "AccessKeyId": "%s", "SecretAccessKey": "%s", "SessionToken": "%s", "Expiration": "2099-01-01T00:00:00Z"}' \
          "\(moto.session.key)" "\(moto.session.secret)" "\(moto.session.token)"
        """.write(toFile: script, atomically: true, encoding: .utf8)
        chmod(script, 0o755)
        try "[profile sso]\nregion = eu-west-1\ncredential_process = '\(script)' --profile \"on call\"\n"
            .write(toFile: moto.home + "/config", atomically: true, encoding: .utf8)
        let env = ["HOME": moto.home, "AWS_PROFILE": "sso", "AWS_CONFIG_FILE": moto.home + "/config", "AWS_ENDPOINT_URL": moto.endpoint,
                   "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"]
        let store = try moto.store(env)
        #expect(try store.callerIdentity().arn == "arn:aws:sts::123456789012:assumed-role/oncall/bob")
        #expect(try store.putIfAbsent("team/sso", Array("x".utf8)) == .created)

        // Credentials about to expire are asked for again before each request.
        let soon = ISO8601DateFormatter().string(from: Date().addingTimeInterval(60))
        try """
        #!/bin/sh
        echo run >> "\(moto.home)/runs"
        printf '{"Version": 1, "AccessKeyId": "%s", "SecretAccessKey": "%s", "SessionToken": "%s", "Expiration": "\(soon)"}' \
          "\(moto.session.key)" "\(moto.session.secret)" "\(moto.session.token)"
        """.write(toFile: script, atomically: true, encoding: .utf8)
        chmod(script, 0o755)
        let expiring = try moto.store(env)
        try expiring.headBucket()
        try expiring.headBucket()
        #expect(try String(contentsOfFile: moto.home + "/runs", encoding: .utf8) == "run\nrun\n")

        // A process that fails: its stderr is told, its stdout never.
        try "#!/bin/sh\necho 'SECRETOUT'\necho 'token expired, run aws sso login' >&2\nexit 2\n".write(toFile: script, atomically: true, encoding: .utf8)
        chmod(script, 0o755)
        let failed = storeError { _ = try moto.store(env).headBucket() }
        #expect(failed?.kind == .configuration)
        #expect(failed?.message.contains("credential_process of AWS profile sso failed (exit status 2): token expired, run aws sso login") == true, "\(String(describing: failed))")
        #expect(failed?.message.contains("SECRETOUT") == false)
    }

    @Test func aSessionTokenFromTheEnvironmentIsSentAndChecked() throws {
        let moto = try MotoStore()
        let session = (moto.session.key, moto.session.secret)
        let store = try moto.store(moto.env(session, ["AWS_SESSION_TOKEN": moto.session.token]))
        #expect(try store.callerIdentity().name == "bob")
        #expect(try store.putIfAbsent("team/t", Array("x".utf8)) == .created)
        // Without its token, the temporary key is refused.
        let refused = storeError { try moto.store(moto.env(session)).headBucket() }
        #expect(refused?.kind == .refused, "\(String(describing: refused))")
    }

    @Test func aRefusalNamesTheBucketAndTheIdentityAndNoSecret() throws {
        let moto = try MotoStore()
        let store = try moto.store(moto.env(moto.mallory))
        let refused = storeError { _ = try store.putIfAbsent("team/runs/r/events/000000000000.json", Array("x".utf8)) }
        #expect(refused?.kind == .refused)
        #expect(refused?.code == "AccessDenied")
        let message = refused?.message ?? ""
        #expect(message.hasPrefix("the store refused mallory's credentials (arn:aws:iam::123456789012:user/mallory) for bucket muster-runs: AccessDenied"), "\(message)")
        #expect(message.contains("PutObject"))
        #expect(!message.contains(moto.mallory.secret))

        // A wrong secret: refused too, named by where the credentials came from.
        let forged = storeError { try moto.store(moto.env((moto.alice.key, "not-the-secret"))).headBucket() }
        #expect(forged?.kind == .refused)
        #expect(forged?.message.contains("the credentials from the environment (AWS_ACCESS_KEY_ID) for bucket muster-runs") == true, "\(String(describing: forged))")
        #expect(forged?.message.contains("not-the-secret") == false)
    }

    @Test func aBucketThatDoesNotExistIsNamed() throws {
        let moto = try MotoStore()
        let store = try moto.store(moto.env(), "s3://no-such-bucket/team")
        let missing = storeError { try store.headBucket() }
        #expect(missing?.kind == .noSuchBucket)
        #expect(missing?.message.contains("bucket no-such-bucket does not exist at \(moto.endpoint)") == true, "\(String(describing: missing))")
        let put = storeError { _ = try store.putIfAbsent("team/x", []) }
        #expect(put?.kind == .noSuchBucket)
    }

    @Test func aStoppedStoreIsUnreachableNotRefused() throws {
        let moto = try MotoStore()
        let store = try moto.store(moto.env())
        try store.headBucket()
        moto.stop()
        let down = storeError { _ = try store.putIfAbsent("team/x", []) }
        #expect(down?.kind == .unreachable, "\(String(describing: down))")
        #expect(down?.message.contains("the store at http://127.0.0.1:\(moto.port) cannot be reached (PutObject on bucket muster-runs)") == true, "\(String(describing: down))")
        let sts = storeError { _ = try store.callerIdentity() }
        #expect(sts?.kind == .unreachable)
    }
}
