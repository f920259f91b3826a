@testable import MusterStore
import Testing

@Suite("Store addresses, AWS files and replies, read")
struct StoreParsingTests {
    @Test func storePathsAndTheirMistakes() throws {
        #expect(try StorePath(parsing: "s3://acme-runs/payments/team/") == StorePath(bucket: "acme-runs", prefix: "payments/team"))
        #expect(try StorePath(parsing: "s3://acme-runs") == StorePath(bucket: "acme-runs", prefix: ""))
        #expect(try StorePath(parsing: "s3://acme-runs").key("runs/") == "runs/")
        let cases: [(String, String)] = [
            ("acme-runs/x", "is not an s3:// address"),
            ("s3://", "the bucket name is missing"),
            ("s3://ab", "3 to 63 characters"),
            ("s3://Acme", "only lowercase letters"),
            ("s3://-acme", "starts and ends with a letter or a digit"),
            ("s3://a..b", "no `..`"),
            ("s3://10.0.0.1", "not an IP address"),
            ("s3://acme-runs/a//b", "empty, `.` or `..` part"),
            ("s3://acme-runs/a/../b", "empty, `.` or `..` part"),
        ]
        for (text, says) in cases {
            let e = storeError { _ = try StorePath(parsing: text) }
            #expect(e?.kind == .configuration)
            #expect(e?.message.contains(says) == true, "\(text): \(String(describing: e))")
        }
    }

    @Test func commandLinesSplitAsTheAWSCLISplitsThem() {
        #expect(CredentialProcess.split("aws configure export-credentials --profile x --format process") == ["aws", "configure", "export-credentials", "--profile", "x", "--format", "process"])
        #expect(CredentialProcess.split(#"'/opt/my tools/creds' "a \"b\" \$c" d\ e ''"#) == ["/opt/my tools/creds", #"a "b" $c"#, "d e", ""])
        #expect(CredentialProcess.split("unclosed 'quote") == nil)
        #expect(CredentialProcess.parseTime("2026-11-29T21:00:00Z")?.timeIntervalSince1970 == 1_795_986_000)
        #expect(CredentialProcess.parseTime("2026-11-29T22:00:00+01:00")?.timeIntervalSince1970 == 1_795_986_000)
        #expect(CredentialProcess.parseTime("2026-11-29T21:00:00.250Z")?.timeIntervalSince1970 == 1_795_986_000.25)
        #expect(CredentialProcess.parseTime("tomorrow") == nil)
    }

    @Test func configFilesWithNestedSettingsAndComments() {
        let file = AWSConfigFile(text: "; c\n[default]\nregion=eu-west-1\n[profile a]\n# c\nS3 =\n  addressing_style = path\n  endpoint_url = http://x\nregion = us-east-2\n")
        #expect(file.configProfile("default")?["region"] == "eu-west-1")
        #expect(file.configProfile("a") == ["s3.addressing_style": "path", "s3.endpoint_url": "http://x", "region": "us-east-2"])
    }

    @Test func repliesAreReadStrictly() {
        let xml = XMLElement.parse(Array(#"<?xml version="1.0"?><Error><Code>A&amp;B</Code><Message>x &lt;y&gt; &#233;<![CDATA[<z>]]></Message><Empty/></Error>"#.utf8))
        #expect(xml?.value("Code") == "A&B")
        #expect(xml?.value("Message") == "x <y> é<z>")
        #expect(xml?.value("Empty") == "")
        #expect(XMLElement.parse(Array("<a><b></a>".utf8)) == nil)
        #expect(XMLElement.parse(Array("<a>&bogus;</a>".utf8)) == nil)
        #expect(XMLElement.parse(Array("<a></a><b/>".utf8)) == nil)
        #expect(XMLElement.parse(Array((String(repeating: "<a>", count: 100_000) + String(repeating: "</a>", count: 100_000)).utf8)) == nil)
        #expect(XMLElement.parse(Array(("<a>&" + String(repeating: "x", count: 100_000) + "</a>").utf8)) == nil)
    }

    @Test func keysAreEncodedAsSigV4SignsThem() {
        #expect(S3Store.encode("a b/ü+?#%~", keepSlash: true) == "a%20b/%C3%BC%2B%3F%23%25~")
        #expect(S3Store.encode("a/b=", keepSlash: false) == "a%2Fb%3D")
        #expect(S3Store.decode("a+b%2Bc%C3%BC") == "a b+cü")
    }

    @Test func settingsInTheSDKsOrder() throws {
        let home = try temporaryDirectory()
        let env = ["HOME": home, "AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "s", "AWS_DEFAULT_REGION": "eu-central-1"]
        let s = try StoreSettings.resolve(environment: env)
        #expect(s.region == "eu-central-1")
        #expect(s.endpoint == nil && !s.pathStyle)
        #expect(s.stsEndpoint == "https://sts.eu-central-1.amazonaws.com")
        #expect(try StoreSettings.resolve(environment: env.merging(["AWS_REGION": "eu-west-2"]) { $1 }).region == "eu-west-2")
        let custom = try StoreSettings.resolve(environment: env.merging(["AWS_ENDPOINT_URL": "http://minio:9000/", "AWS_ENDPOINT_URL_STS": "http://sts:1"]) { $1 })
        #expect(custom.endpoint == "http://minio:9000" && custom.pathStyle && custom.stsEndpoint == "http://sts:1")
        #expect(try StoreSettings.resolve(environment: ["HOME": home]).region == "us-east-1")
        let half = storeError { _ = try StoreSettings.resolve(environment: ["HOME": home, "AWS_ACCESS_KEY_ID": "AKID"]) }
        #expect(half?.message.contains("AWS_SECRET_ACCESS_KEY is not set") == true)
        let none = storeError { _ = try StoreSettings.resolve(environment: ["HOME": home]).credentials() }
        #expect(none?.message.hasPrefix("no AWS credentials") == true)
        #expect(storeError { _ = try StoreSettings.resolve(environment: env.merging(["AWS_ENDPOINT_URL": "minio:9000"]) { $1 }) }?.kind == .configuration)
        // Virtual-hosted on AWS, path-style for a dotted bucket.
        let store = try S3Store(path: StorePath(parsing: "s3://acme-runs/p"), settings: s)
        #expect(store.objectURL("p/a b") == "https://acme-runs.s3.eu-central-1.amazonaws.com/p/a%20b")
        let dotted = try S3Store(path: StorePath(parsing: "s3://acme.runs/p"), settings: s)
        #expect(dotted.objectURL("k") == "https://s3.eu-central-1.amazonaws.com/acme.runs/k")
        let shown = "\(try s.credentials())"
        #expect(shown == "AWS credentials from the environment (AWS_ACCESS_KEY_ID) (secrets hidden)")
    }
}
