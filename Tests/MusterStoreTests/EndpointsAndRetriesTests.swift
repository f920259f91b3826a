import Foundation
@testable import MusterStore
import MusterTestSupport
import Testing

@Suite("AWS hosts by partition, FIPS and dual-stack; retries with back-off")
struct EndpointsAndRetriesTests {
    @Test func hostsFollowThePartitionAndTheVariants() {
        #expect(AWSEndpoints(region: "eu-west-1").s3Host == "s3.eu-west-1.amazonaws.com")
        #expect(AWSEndpoints(region: "eu-west-1").stsHost == "sts.eu-west-1.amazonaws.com")
        #expect(AWSEndpoints(region: "cn-north-1").partition == "aws-cn")
        #expect(AWSEndpoints(region: "cn-north-1").s3Host == "s3.cn-north-1.amazonaws.com.cn")
        #expect(AWSEndpoints(region: "cn-northwest-1").stsHost == "sts.cn-northwest-1.amazonaws.com.cn")
        #expect(AWSEndpoints(region: "us-gov-west-1").partition == "aws-us-gov")
        #expect(AWSEndpoints(region: "us-gov-west-1").s3Host == "s3.us-gov-west-1.amazonaws.com")
        #expect(AWSEndpoints(region: "us-east-1", fips: true).s3Host == "s3-fips.us-east-1.amazonaws.com")
        #expect(AWSEndpoints(region: "us-east-1", fips: true).stsHost == "sts-fips.us-east-1.amazonaws.com")
        #expect(AWSEndpoints(region: "us-east-1", dualStack: true).s3Host == "s3.dualstack.us-east-1.amazonaws.com")
        #expect(AWSEndpoints(region: "us-east-1", dualStack: true).stsHost == "sts.us-east-1.api.aws")
        #expect(AWSEndpoints(region: "us-east-1", fips: true, dualStack: true).s3Host == "s3-fips.dualstack.us-east-1.amazonaws.com")
        #expect(AWSEndpoints(region: "cn-north-1", dualStack: true).s3Host == "s3.dualstack.cn-north-1.amazonaws.com.cn")
    }

    @Test func theSettingsPickTheHostsAndAnEndpointOverridesThem() throws {
        let home = try temporaryDirectory()
        let env = ["HOME": home, "AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "s", "AWS_REGION": "cn-north-1"]
        let china = try StoreSettings.resolve(environment: env)
        #expect(china.stsEndpoint == "https://sts.cn-north-1.amazonaws.com.cn")
        #expect(try S3Store(path: StorePath(parsing: "s3://runs/p"), settings: china).objectURL("p/k") == "https://runs.s3.cn-north-1.amazonaws.com.cn/p/k")
        let fips = try StoreSettings.resolve(environment: env.merging(["AWS_REGION": "us-gov-west-1", "AWS_USE_FIPS_ENDPOINT": "true"]) { $1 })
        #expect(fips.stsEndpoint == "https://sts-fips.us-gov-west-1.amazonaws.com")
        #expect(try S3Store(path: StorePath(parsing: "s3://runs/p"), settings: fips).objectURL("k") == "https://runs.s3-fips.us-gov-west-1.amazonaws.com/k")
        try "[default]\nuse_dualstack_endpoint = true\n".write(toFile: home + "/config", atomically: true, encoding: .utf8)
        let dual = try StoreSettings.resolve(environment: env.merging(["AWS_REGION": "eu-west-1", "AWS_CONFIG_FILE": home + "/config"]) { $1 })
        #expect(try S3Store(path: StorePath(parsing: "s3://a.b/p"), settings: dual).objectURL("k") == "https://s3.dualstack.eu-west-1.amazonaws.com/a.b/k")
        let custom = try StoreSettings.resolve(environment: env.merging(["AWS_USE_FIPS_ENDPOINT": "true", "AWS_ENDPOINT_URL": "http://minio:9000"]) { $1 })
        #expect(custom.stsEndpoint == "http://minio:9000" && custom.endpoint == "http://minio:9000")
    }

    @Test func pausesAreFullJitterUnderAnExponentialCapWithinTheBudget() {
        var policy = RetryPolicy(budget: 30)
        policy.random = { 0.999_999 }
        let longest = (0..<4).compactMap { policy.next(attempt: $0, connectionError: false, elapsed: 0) }
        #expect(longest.count == 4, "5 tries: 4 pauses")
        for (n, pause) in longest.enumerated() { #expect(pause <= min(5, 0.1 * Double(1 << n)) && pause > 0.099 * Double(1 << n)) }
        #expect(policy.next(attempt: 4, connectionError: false, elapsed: 0) == nil)
        #expect(policy.next(attempt: 2, connectionError: true, elapsed: 0) == nil, "3 tries for a connection that fails")
        #expect(policy.next(attempt: 20, connectionError: false, elapsed: 0) == nil)
        policy.random = { 0 }
        #expect(policy.next(attempt: 0, connectionError: false, elapsed: 0) == 0, "full jitter reaches down to no pause")
        policy.random = { 0.5 }
        #expect(policy.next(attempt: 1, connectionError: false, elapsed: 29.95) == nil, "no pause that ends past the budget")
        #expect(RetryPolicy.retryable(status: 503, code: nil) && RetryPolicy.retryable(status: 400, code: "RequestTimeout"))
        #expect(!RetryPolicy.retryable(status: 403, code: "AccessDenied") && !RetryPolicy.retryable(status: 412, code: "PreconditionFailed"))
    }

    @Test func slowDownIsAskedAgainAfterAPauseUntilItPasses() throws {
        let log = try temporaryDirectory() + "/s3.log"
        let s3 = try HTTPTestServer(script: "aws_metadata.py", environment: ["MODE": "flaky", "FAILS": "3", "LOG": log])
        let env = ["HOME": NSTemporaryDirectory(), "AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "s", "AWS_ENDPOINT_URL": s3.base]
        let store = try S3Store(path: StorePath(parsing: "s3://runs/p"), settings: StoreSettings.resolve(environment: env))
        #expect(try store.get("p/k") == [])
        let seen = ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n").map { $0.hasSuffix("OK") }
        #expect(seen == [false, false, false, true])
    }

    @Test func aStoreThatKeepsFailingIsSaidAfterTheLastTry() throws {
        let log = try temporaryDirectory() + "/s3.log"
        let s3 = try HTTPTestServer(script: "aws_metadata.py", environment: ["MODE": "flaky", "FAILS": "1000", "LOG": log])
        let env = ["HOME": NSTemporaryDirectory(), "AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "s", "AWS_ENDPOINT_URL": s3.base]
        let store = try S3Store(path: StorePath(parsing: "s3://runs/p"), settings: StoreSettings.resolve(environment: env))
        let e = storeError { _ = try store.get("p/k") }
        #expect(e?.message.contains("SlowDown") == true, "\(e?.message ?? "")")
        #expect(e?.outcomeUnknown == true)
        let tries = ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n").count
        #expect(tries == 5)
    }
}

@Suite("Stores that ignore conditional writes")
struct ConditionalWriteTests {
    @Test func googleCloudStorageIsRefusedPlainlyAtTheBucketAndAtAPut() throws {
        let log = try temporaryDirectory() + "/gcs.log"
        let gcs = try HTTPTestServer(script: "aws_metadata.py", environment: ["MODE": "gcs", "LOG": log])
        let env = ["HOME": NSTemporaryDirectory(), "AWS_ACCESS_KEY_ID": "GOOG1E", "AWS_SECRET_ACCESS_KEY": "s", "AWS_ENDPOINT_URL": gcs.base]
        let store = try S3Store(path: StorePath(parsing: "s3://runs/p"), settings: StoreSettings.resolve(environment: env))
        let head = storeError { try store.headBucket() }
        #expect(head?.kind == .configuration && head?.message.contains("Google Cloud Storage") == true, "\(head?.message ?? "")")
        let put = storeError { _ = try store.putIfAbsent("p/k", Array("x".utf8)) }
        #expect(put?.message.contains("ignores If-None-Match") == true, "\(put?.message ?? "")")
        #expect(put?.outcomeUnknown == false)
    }
}
