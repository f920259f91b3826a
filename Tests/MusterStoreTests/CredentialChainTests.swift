import Foundation
import MusterStore
import MusterTestSupport
import Testing

/// The AWS SDKs' credential chain, each source against a server speaking
/// its protocol: moto's STS for web identity and assumed roles, and
/// aws_metadata.py for IMDSv2 and the container endpoint.
@Suite("The AWS credential chain against real local servers", .serialized)
struct CredentialChainTests {
    static let oncall = "arn:aws:iam::123456789012:role/oncall"

    func tokenFile(_ dir: String, _ token: String) throws -> String {
        let path = dir + "/token"
        try token.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func lines(_ log: String) -> [String] {
        ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    @Test func webIdentityAssumesTheRoleWithTheTokenAndNothingElse() throws {
        let moto = try MotoStore(open: true)
        let token = "eyJhbGciOiJSUzI1NiJ9.pod-token-\(UUID().uuidString)"
        let env = ["HOME": moto.home, "AWS_ENDPOINT_URL": moto.endpoint, "AWS_REGION": "eu-west-1", "AWS_EC2_METADATA_DISABLED": "true",
                   "AWS_WEB_IDENTITY_TOKEN_FILE": try tokenFile(moto.home, token), "AWS_ROLE_ARN": Self.oncall, "AWS_ROLE_SESSION_NAME": "pod"]
        let settings = try StoreSettings.resolve(environment: env)
        #expect(settings.credentialSummary == "web identity, role \(Self.oncall)")
        let store = try moto.store(env)
        #expect(try store.callerIdentity().arn == "arn:aws:sts::123456789012:assumed-role/oncall/pod")
        #expect(try store.putIfAbsent("team/irsa", Array("x".utf8)) == .created)
        #expect(!store.credentialValues().contains(token), "the token is not a key: nothing masks it because nothing prints it")
        let c = try settings.credentials()
        #expect(c.sessionToken != nil && c.expiration != nil)
        #expect(!"\(c)".contains(c.secretAccessKey))
        // Without the role the variables are a mistake, said as such.
        let half = storeError { _ = try StoreSettings.resolve(environment: env.filter { $0.key != "AWS_ROLE_ARN" }) }
        #expect(half?.message.contains("AWS_ROLE_ARN") == true)
    }

    @Test func aWebIdentityRefusedByStsSaysSoWithoutTheToken() throws {
        let sts = try HTTPTestServer(script: "aws_metadata.py", environment: ["MODE": "nosts"])
        let dir = try temporaryDirectory()
        let token = "secret-oidc-token-\(UUID().uuidString)"
        let env = ["HOME": dir, "AWS_ENDPOINT_URL_STS": sts.base, "AWS_REGION": "eu-west-1",
                   "AWS_WEB_IDENTITY_TOKEN_FILE": try tokenFile(dir, token), "AWS_ROLE_ARN": Self.oncall]
        let e = storeError { _ = try StoreSettings.resolve(environment: env).credentials() }
        #expect(e?.message.contains("NotImplemented") == true, "\(e?.message ?? "")")
        #expect(e?.message.contains(token) == false)
    }

    @Test func anAssumeRoleProfileIsAssumedWithItsSourceProfilesKeys() throws {
        let moto = try MotoStore()
        let aws = moto.home + "/.aws"
        try FileManager.default.createDirectory(atPath: aws, withIntermediateDirectories: true)
        try "[base]\naws_access_key_id = \(moto.alice.key)\naws_secret_access_key = \(moto.alice.secret)\n"
            .write(toFile: aws + "/credentials", atomically: true, encoding: .utf8)
        try """
        [profile oncall]
        role_arn = \(Self.oncall)
        source_profile = middle
        role_session_name = carol
        [profile middle]
        source_profile = base
        role_arn = \(Self.oncall)
        [profile loop]
        role_arn = \(Self.oncall)
        source_profile = loop2
        [profile loop2]
        role_arn = \(Self.oncall)
        source_profile = loop
        [profile mfa]
        role_arn = \(Self.oncall)
        source_profile = base
        mfa_serial = arn:aws:iam::123456789012:mfa/carol
        """.write(toFile: aws + "/config", atomically: true, encoding: .utf8)
        let env = ["HOME": moto.home, "AWS_PROFILE": "oncall", "AWS_ENDPOINT_URL": moto.endpoint, "AWS_REGION": "eu-west-1"]
        let settings = try StoreSettings.resolve(environment: env)
        #expect(settings.credentialSummary.hasPrefix("assume role \(Self.oncall) (profile oncall) with assume role"))
        let store = try moto.store(env)
        // A role of a role: middle is assumed with base's keys, oncall with middle's.
        #expect(try store.callerIdentity().arn == "arn:aws:sts::123456789012:assumed-role/oncall/carol")
        #expect(try store.putIfAbsent("team/role", Array("x".utf8)) == .created)
        let loop = storeError { _ = try StoreSettings.resolve(environment: env.merging(["AWS_PROFILE": "loop"]) { $1 }) }
        #expect(loop?.message.contains("in a circle") == true, "\(loop?.message ?? "")")
        let mfa = storeError { _ = try StoreSettings.resolve(environment: env.merging(["AWS_PROFILE": "mfa"]) { $1 }) }
        #expect(mfa?.message.contains("mfa_serial") == true)
        // With someone to ask, the code is asked for the profile's device.
        let asked = AskedSerials()
        let withCode = try StoreSettings.resolve(environment: env.merging(["AWS_PROFILE": "mfa"]) { $1 }) { serial, _ in asked.add(serial); return "123456" }
        #expect(try S3Store(path: StorePath(parsing: "s3://muster-runs/team"), settings: withCode).callerIdentity().arn.hasPrefix("arn:aws:sts::123456789012:assumed-role/oncall/"))
        #expect(asked.all == ["arn:aws:iam::123456789012:mfa/carol"])
        let badCode = try StoreSettings.resolve(environment: env.merging(["AWS_PROFILE": "mfa"]) { $1 }) { _, _ in "12ab" }
        #expect(storeError { _ = try badCode.credentials() }?.message.contains("six digits") == true)
    }

    @Test func credentialProcessComesBeforeKeysInTheConfigFile() throws {
        let dir = try temporaryDirectory()
        try """
        [default]
        aws_access_key_id = AKIDCONFIG
        aws_secret_access_key = config-secret
        credential_process = /bin/echo '{"Version": 1, "AccessKeyId": "AKIDPROCESS", "SecretAccessKey": "process-secret"}'
        """.write(toFile: dir + "/config", atomically: true, encoding: .utf8)
        let c = try StoreSettings.resolve(environment: ["HOME": dir, "AWS_CONFIG_FILE": dir + "/config", "PATH": "/usr/bin:/bin"]).credentials()
        #expect(c.accessKeyID == "AKIDPROCESS")
        // Keys in the credentials file still come first.
        try "[default]\naws_access_key_id = AKIDFILE\naws_secret_access_key = file-secret\n".write(toFile: dir + "/credentials", atomically: true, encoding: .utf8)
        let file = try StoreSettings.resolve(environment: ["HOME": dir, "AWS_CONFIG_FILE": dir + "/config", "AWS_SHARED_CREDENTIALS_FILE": dir + "/credentials"]).credentials()
        #expect(file.accessKeyID == "AKIDFILE")
    }

    @Test func imdsV2GivesTheInstanceRoleTokenFirst() throws {
        let moto = try MotoStore()
        let log = try temporaryDirectory() + "/imds.log"
        let imds = try HTTPTestServer(script: "aws_metadata.py", environment: ["MODE": "imds", "KEY": moto.alice.key, "SECRET": moto.alice.secret, "TOKEN": "", "LOG": log])
        let env = ["HOME": moto.home, "AWS_ENDPOINT_URL": moto.endpoint, "AWS_REGION": "eu-west-1", "AWS_EC2_METADATA_SERVICE_ENDPOINT": imds.base + "/"]
        let settings = try StoreSettings.resolve(environment: env)
        #expect(settings.credentialSummary == "EC2 instance metadata (IMDSv2) at \(imds.base)")
        let store = try moto.store(env)
        #expect(try store.callerIdentity().name == "alice")
        try store.headBucket()
        // One token, then the role and its credentials, each with the
        // token (a GET without it is answered 401 and logged REFUSED);
        // fetched once: they are good for an hour.
        #expect(lines(log) == ["PUT /latest/api/token OK", "GET /latest/meta-data/iam/security-credentials/ OK",
                               "GET /latest/meta-data/iam/security-credentials/muster-role OK"])
    }

    @Test func credentialsAboutToExpireAreFetchedAgainBeforeTheNextRequest() throws {
        let moto = try MotoStore()
        let log = try temporaryDirectory() + "/imds.log"
        // Two minutes left: inside the five-minute margin, so never reused.
        let imds = try HTTPTestServer(script: "aws_metadata.py", environment: ["MODE": "imds", "KEY": moto.alice.key, "SECRET": moto.alice.secret,
                                                                               "TOKEN": "", "LOG": log, "EXPIRES_IN": "120"])
        let store = try moto.store(["HOME": moto.home, "AWS_ENDPOINT_URL": moto.endpoint, "AWS_REGION": "eu-west-1", "AWS_EC2_METADATA_SERVICE_ENDPOINT": imds.base])
        try store.headBucket()
        try store.headBucket()
        #expect(lines(log).filter { $0.hasSuffix("muster-role OK") }.count == 2)
    }

    @Test func imdsThatDoesNotAnswerMeansNoCredentialsAndDisabledMeansNotAsked() throws {
        let dir = try temporaryDirectory()
        // A port nothing listens on.
        let e = storeError { _ = try StoreSettings.resolve(environment: ["HOME": dir, "AWS_EC2_METADATA_SERVICE_ENDPOINT": "http://127.0.0.1:9"]).credentials() }
        #expect(e?.message.hasPrefix("no AWS credentials") == true)
        #expect(e?.message.contains("AWS_EC2_METADATA_DISABLED") == true)
        let off = try StoreSettings.resolve(environment: ["HOME": dir, "AWS_EC2_METADATA_DISABLED": "true"])
        #expect(off.credentialSummary == "none found")
    }

    @Test func containerCredentialsSendTheAuthorizationTokenFromItsFile() throws {
        let moto = try MotoStore()
        let dir = try temporaryDirectory()
        let log = dir + "/container.log"
        let auth = "pod-identity-\(UUID().uuidString)"
        let agent = try HTTPTestServer(script: "aws_metadata.py", environment: ["MODE": "container", "AUTH": auth, "LOG": log,
                                                                                "KEY": moto.alice.key, "SECRET": moto.alice.secret, "TOKEN": ""])
        try auth.write(toFile: dir + "/auth", atomically: true, encoding: .utf8)
        var env = ["HOME": moto.home, "AWS_ENDPOINT_URL": moto.endpoint, "AWS_REGION": "eu-west-1",
                   "AWS_CONTAINER_CREDENTIALS_FULL_URI": agent.base + "/v1/credentials", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": dir + "/auth"]
        #expect(try moto.store(env).callerIdentity().name == "alice")
        #expect(lines(log) == ["GET /v1/credentials OK"])
        // A wrong token is refused; the message does not repeat it.
        env["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"] = nil
        env["AWS_CONTAINER_AUTHORIZATION_TOKEN"] = "wrong-\(auth)"
        let e = storeError { _ = try StoreSettings.resolve(environment: env).credentials() }
        #expect(e?.kind == .refused && e?.message.contains("401") == true, "\(e?.message ?? "")")
        #expect(e?.message.contains(auth) == false)
        // Plain http to a host on the network would hand it the token.
        for elsewhere in ["http://example.com/creds", "http://127.0.0.1.example.com/creds", "http://169.254.170.2.example.com/"] {
            env["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = elsewhere
            #expect(storeError { _ = try StoreSettings.resolve(environment: env) }?.message.contains("loopback") == true, "\(elsewhere)")
        }
        env["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = "http://169.254.170.23/v1/credentials"
        #expect(try StoreSettings.resolve(environment: env).credentialSummary == "container credentials from http://169.254.170.23/v1/credentials")
    }

    @Test func anIdentityCenterSignInIsExchangedAtThePortalForTheRole() throws {
        let moto = try MotoStore()
        let log = try temporaryDirectory() + "/sso.log"
        let bearer = "sso-access-token-\(UUID().uuidString)"
        let portal = try HTTPTestServer(script: "aws_metadata.py", environment: ["MODE": "sso", "SSO_TOKEN": bearer, "LOG": log,
                                                                                 "KEY": moto.alice.key, "SECRET": moto.alice.secret, "TOKEN": ""])
        let aws = moto.home + "/.aws"
        try FileManager.default.createDirectory(atPath: aws + "/sso/cache", withIntermediateDirectories: true)
        try """
        [profile oncall]
        sso_session = acme
        sso_account_id = 111122223333
        sso_role_name = OnCall
        [sso-session acme]
        sso_region = eu-north-1
        sso_start_url = https://acme.awsapps.com/start
        """.write(toFile: aws + "/config", atomically: true, encoding: .utf8)
        // botocore's name for the cache of session "acme": SHA-1 of the name.
        let name = "\(aws)/sso/cache/\(try Self.sha1("acme")).json"
        let later = ISO8601DateFormatter().string(from: Date().addingTimeInterval(3600))
        try "{\"startUrl\": \"https://acme.awsapps.com/start\", \"region\": \"eu-north-1\", \"accessToken\": \"\(bearer)\", \"expiresAt\": \"\(later)\"}"
            .write(toFile: name, atomically: true, encoding: .utf8)
        let env = ["HOME": moto.home, "AWS_PROFILE": "oncall", "AWS_ENDPOINT_URL": moto.endpoint, "AWS_REGION": "eu-west-1", "AWS_ENDPOINT_URL_SSO": portal.base]
        let settings = try StoreSettings.resolve(environment: env)
        #expect(settings.credentialSummary == "IAM Identity Center (profile oncall), role OnCall in account 111122223333")
        #expect(try moto.store(env).callerIdentity().name == "alice")
        #expect(((try? String(contentsOfFile: log, encoding: .utf8)) ?? "") == "GET /federation/credentials?account_id=111122223333&role_name=OnCall OK\n")
        // An expired sign-in says to log in again, without the token.
        let earlier = ISO8601DateFormatter().string(from: Date().addingTimeInterval(-60))
        try "{\"accessToken\": \"\(bearer)\", \"expiresAt\": \"\(earlier)\"}".write(toFile: name, atomically: true, encoding: .utf8)
        let e = storeError { _ = try StoreSettings.resolve(environment: env).credentials() }
        #expect(e?.message.contains("aws sso login --profile oncall") == true, "\(e?.message ?? "")")
        #expect(e?.message.contains(bearer) == false)
    }

    /// SHA-1 by the system's `sha1sum`, to check the cache name Muster derives.
    static func sha1(_ text: String) throws -> String {
        String(try sh("printf %s '\(text)' | sha1sum", cwd: "/").prefix(40))
    }

    @Test func aTokenAnswerLostToTheHopLimitFallsBackToIMDSv1OrSaysWhy() throws {
        let moto = try MotoStore()
        let log = try temporaryDirectory() + "/imds.log"
        let v1 = try HTTPTestServer(script: "aws_metadata.py", environment: ["MODE": "imds", "HOPS": "1", "V1": "1", "LOG": log,
                                                                             "KEY": moto.alice.key, "SECRET": moto.alice.secret, "TOKEN": ""])
        let env = ["HOME": moto.home, "AWS_ENDPOINT_URL": moto.endpoint, "AWS_REGION": "eu-west-1", "AWS_EC2_METADATA_SERVICE_ENDPOINT": v1.base]
        #expect(try moto.store(env).callerIdentity().name == "alice")
        #expect(lines(log).first == "PUT /latest/api/token REFUSED")
        // IMDSv1 forbidden by the settings: not asked without a token.
        let before = lines(log).count
        let off = storeError { _ = try StoreSettings.resolve(environment: env.merging(["AWS_EC2_METADATA_V1_DISABLED": "true"]) { $1 }).credentials() }
        #expect(off?.message.contains("AWS_EC2_METADATA_V1_DISABLED") == true, "\(off?.message ?? "")")
        #expect(lines(log).count == before + 1, "only the token was asked for")
        // IMDSv2 required: the message says what to change.
        let v2 = try HTTPTestServer(script: "aws_metadata.py", environment: ["MODE": "imds", "HOPS": "1"])
        let e = storeError { _ = try StoreSettings.resolve(environment: env.merging(["AWS_EC2_METADATA_SERVICE_ENDPOINT": v2.base]) { $1 }).credentials() }
        #expect(e?.message.contains("hop limit") == true, "\(e?.message ?? "")")
    }
}

/// The serials an MFA prompt was asked for.
final class AskedSerials: @unchecked Sendable {
    private let lock = NSLock()
    private var serials: [String] = []
    func add(_ s: String) { lock.lock(); serials.append(s); lock.unlock() }
    var all: [String] { lock.lock(); defer { lock.unlock() }; return serials }
}
