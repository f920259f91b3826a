#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import ArgumentParser
import MusterApp

/// `--store s3://BUCKET/PREFIX`, else `MUSTER_STORE`: where a run's events
/// are shared across machines (docs/shared-store.md).
struct StoreOption: ParsableArguments {
    @Option(help: ArgumentHelp("Share the run's events through this S3 bucket and prefix (default: MUSTER_STORE). See docs/shared-store.md.", valueName: "s3://BUCKET/PREFIX"))
    var store: String?

    /// The store this command uses, checked; nil when none is set.
    func open(_ env: [String: String] = ProcessInfo.processInfo.environment) throws -> SharedStore? {
        try SharedStore.configured(given: store, env: env)
    }
}
