// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "Muster",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "muster", targets: ["muster"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        .systemLibrary(name: "CYAML", pkgConfig: "yaml-0.1", providers: [.apt(["libyaml-dev"])]),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "CGit2", pkgConfig: "libgit2", providers: [.apt(["libgit2-dev"])]),
        .systemLibrary(name: "CPCRE2", pkgConfig: "libpcre2-8", providers: [.apt(["libpcre2-dev"])]),

        .target(name: "MusterYAML", dependencies: ["CYAML"]),
        .target(name: "MusterHTTP", dependencies: ["CCurl"]),
        // The shared store of team runs (S3).
        .target(name: "MusterStore", dependencies: ["MusterHTTP", "MusterCore"]),
        .target(name: "MusterGit", dependencies: ["CGit2"]),
        .target(name: "MusterCore", dependencies: ["MusterYAML", "CPCRE2", "MusterProcess"]),
        .target(name: "MusterProcess"),
        // The CI providers, behind the core's CIService (see its doc comment).
        .target(name: "MusterCI", dependencies: ["MusterCore"]),
        .target(name: "MusterTerminal", dependencies: ["MusterCore"]),
        // The shared-run protocol (store journal, lease and heartbeat, request
        // inbox, takeover) on the store and clock ports; MusterCLI wires S3 in.
        .target(name: "MusterTeam", dependencies: ["MusterCore"]),
        .target(
            name: "MusterCLI",
            dependencies: [
                "MusterCore", "MusterCI", "MusterYAML", "MusterGit", "MusterHTTP", "MusterTerminal", "MusterProcess", "MusterStore", "MusterTeam",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(name: "muster", dependencies: ["MusterCLI"]),
        // What one shared event costs (bench/store.py drives it).
        .executableTarget(name: "muster-store-bench", dependencies: ["MusterStore"], path: "bench/StoreBench"),
        // What the libFuzzer targets under Fuzz/ check, shared with the test
        // that replays their corpus (see docs/fuzzing.md).
        .target(name: "MusterFuzz", dependencies: ["MusterCore", "MusterYAML", "MusterTerminal"], path: "Fuzz/Harness"),

        .testTarget(name: "MusterYAMLTests", dependencies: ["MusterYAML"], resources: [.copy("Fixtures")]),
        .testTarget(name: "MusterCoreTests", dependencies: ["MusterCore", "MusterYAML", "MusterTerminal", "MusterFuzz", "MusterProcess"], resources: [.copy("Fixtures")]),
        .testTarget(name: "MusterGitTests", dependencies: ["MusterGit", "MusterTestSupport"]),
        .target(name: "MusterTestSupport", dependencies: ["MusterTeam", "MusterCore"], path: "Tests/MusterTestSupport", exclude: ["server.py", "ci_server.py", "recorder.py", "otlp_receiver.py", "moto_store.py", "tcp_proxy.py"]),
        .testTarget(name: "MusterCITests", dependencies: ["MusterCI", "MusterCore"]),
        .testTarget(name: "MusterHTTPTests", dependencies: ["MusterHTTP", "MusterTestSupport"]),
        .testTarget(name: "MusterTeamTests", dependencies: ["MusterTeam", "MusterCore", "MusterTestSupport"]),
        .testTarget(name: "MusterStoreTests", dependencies: ["MusterStore", "MusterTestSupport"]),
        .testTarget(name: "MusterCLITests", dependencies: ["MusterCLI", "muster", "MusterTestSupport", "MusterStore", "MusterCore"], resources: [.copy("Fixtures"), .copy("Snapshots")]),
    ],
    swiftLanguageModes: [.v6]
)
