/// AWS's own hosts for S3 and STS when no endpoint is set: the partition
/// follows from the region (China's `cn-*` regions are under
/// `amazonaws.com.cn`; GovCloud's `us-gov-*` under `amazonaws.com` in the
/// aws-us-gov partition), and `AWS_USE_FIPS_ENDPOINT` /
/// `AWS_USE_DUALSTACK_ENDPOINT` pick the FIPS and IPv6 variants, named as
/// in the SDKs' endpoint rules.
public struct AWSEndpoints: Sendable, Equatable {
    public var region: String
    public var fips = false
    public var dualStack = false

    public init(region: String, fips: Bool = false, dualStack: Bool = false) {
        self.region = region
        self.fips = fips
        self.dualStack = dualStack
    }

    public var partition: String {
        if region.hasPrefix("cn-") { return "aws-cn" }
        if region.hasPrefix("us-gov-") { return "aws-us-gov" }
        if region.hasPrefix("us-isob-") { return "aws-iso-b" }
        if region.hasPrefix("us-iso-") { return "aws-iso" }
        return "aws"
    }

    var dnsSuffix: String {
        switch partition {
        case "aws-cn": return "amazonaws.com.cn"
        case "aws-iso": return "c2s.ic.gov"
        case "aws-iso-b": return "sc2s.sgov.gov"
        default: return "amazonaws.com"
        }
    }

    /// The dual-stack suffix of services other than S3 (`api.aws`).
    var dualStackSuffix: String { partition == "aws-cn" ? "api.amazonwebservices.com.cn" : "api.aws" }

    /// `s3[-fips][.dualstack].REGION.SUFFIX`: S3 keeps its own dual-stack
    /// names under the partition's usual suffix.
    public var s3Host: String { "s3\(fips ? "-fips" : "")\(dualStack ? ".dualstack" : "").\(region).\(dnsSuffix)" }

    public var stsHost: String {
        "sts\(fips ? "-fips" : "").\(region).\(dualStack ? dualStackSuffix : dnsSuffix)"
    }
}
