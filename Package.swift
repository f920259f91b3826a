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
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
    ],
    targets: [
        .systemLibrary(name: "CYAML", pkgConfig: "yaml-0.1", providers: [.apt(["libyaml-dev"])]),
        // Headers only: CLazyLibraries opens the libraries on first use, so
        // nothing links them and no pkg-config `-l` flags are wanted here.
        .systemLibrary(name: "CCurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "CGit2", providers: [.apt(["libgit2-dev"])]),
        .systemLibrary(name: "CPCRE2", pkgConfig: "libpcre2-8", providers: [.apt(["libpcre2-dev"])]),

        // libcurl and libgit2 through dlopen on first use: commands that need
        // neither start without mapping them (docs/performance.md).
        .target(name: "CLazyLibraries", dependencies: ["CCurl", "CGit2"]),

        // Adapters around C libraries and the OS: they depend on nothing of Muster's.
        .target(name: "MusterYAML", dependencies: ["CYAML"]),
        .target(name: "MusterHTTP", dependencies: ["CCurl", "CLazyLibraries"]),
        .target(name: "MusterGit", dependencies: ["CGit2", "CLazyLibraries", .product(name: "Crypto", package: "swift-crypto")]),
        .target(name: "MusterProcess"),

        // The rooms of the executor, in the direction of the graph in
        // docs/architecture.md: Basics <- Format <- Engine <- {Journal, Team,
        // Drills, Preflight, CI, Render} <- App <- CLI.
        .target(name: "MusterBasics", dependencies: [.product(name: "Crypto", package: "swift-crypto")]),
        .target(name: "MusterFormat", dependencies: ["MusterBasics", "MusterYAML", "CPCRE2"]),
        .target(name: "MusterEngine", dependencies: ["MusterBasics", "MusterFormat"]),
        .target(name: "MusterJournal", dependencies: ["MusterBasics", "MusterEngine"]),
        .target(name: "MusterDrills", dependencies: ["MusterBasics", "MusterFormat", "MusterEngine", "MusterJournal"]),
        .target(name: "MusterPreflight", dependencies: ["MusterBasics", "MusterFormat", "MusterEngine", "MusterDrills"]),
        // The shared-run protocol (store journal, lease and heartbeat, request
        // inbox, takeover) on the store and clock ports; MusterApp wires S3 in.
        .target(name: "MusterTeam", dependencies: ["MusterBasics", "MusterFormat", "MusterEngine", "MusterJournal"]),
        // The CI providers, behind the engine's CIService (see its doc comment).
        .target(name: "MusterCI", dependencies: ["MusterBasics", "MusterFormat", "MusterEngine"]),
        .target(name: "MusterTerminal", dependencies: ["MusterBasics", "MusterFormat", "MusterEngine"]),
        // The shared store of team runs (S3 and STS), on MusterHTTP and swift-crypto (through MusterBasics).
        .target(name: "MusterStore", dependencies: ["MusterHTTP", "MusterBasics", "MusterProcess"]),
        // Plan and report renderers: text, Markdown, JSON, HTML.
        .target(name: "MusterRender", dependencies: ["MusterBasics", "MusterFormat", "MusterEngine", "MusterJournal", "MusterDrills", "MusterPreflight", "MusterTerminal"]),
        // Use cases and the one place real adapters are wired to the engine's ports.
        .target(
            name: "MusterApp",
            dependencies: [
                "MusterBasics", "MusterFormat", "MusterEngine", "MusterJournal", "MusterDrills", "MusterPreflight", "MusterTeam", "MusterCI",
                "MusterTerminal", "MusterRender", "MusterGit", "MusterHTTP", "MusterProcess", "MusterStore",
            ]
        ),
        .target(
            name: "MusterCLI",
            // Commands only: each parses its arguments and calls its use case.
            dependencies: [
                "MusterBasics", "MusterFormat", "MusterTerminal", "MusterApp",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(name: "muster", dependencies: ["MusterCLI"]),
        // What one shared event costs (bench/store.py drives it).
        .executableTarget(name: "muster-store-bench", dependencies: ["MusterStore"], path: "bench/StoreBench"),
        // What the libFuzzer targets under Fuzz/ check, shared with the test
        // that replays their corpus (see docs/fuzzing.md).
        .target(name: "MusterFuzz", dependencies: ["MusterBasics", "MusterFormat", "MusterEngine", "MusterJournal", "MusterDrills", "MusterYAML", "MusterTerminal", "MusterStore"], path: "Fuzz/Harness"),
        // The fakes every in-process test shares.
        .target(name: "MusterTesting", dependencies: ["MusterBasics", "MusterFormat", "MusterEngine", "MusterTeam", "MusterApp", "MusterProcess"]),

        .testTarget(name: "MusterYAMLTests", dependencies: ["MusterYAML"], resources: [.copy("Fixtures")]),
        .testTarget(name: "MusterFormatTests", dependencies: ["MusterBasics", "MusterFormat", "MusterEngine", "MusterYAML", "MusterTerminal", "MusterFuzz", "MusterStore", "MusterTesting", "MusterTestSupport"], resources: [.copy("Fixtures")]),
        .testTarget(name: "MusterRenderTests", dependencies: ["MusterRender", "MusterFormat", "MusterTerminal", "MusterTesting"]),
        .testTarget(name: "MusterEngineTests", dependencies: ["MusterBasics", "MusterFormat", "MusterEngine", "MusterJournal", "MusterDrills", "MusterPreflight", "MusterRender", "MusterTerminal", "MusterProcess", "MusterApp", "MusterTesting", "MusterTestSupport"]),
        .testTarget(name: "MusterJournalTests", dependencies: ["MusterBasics", "MusterFormat", "MusterEngine", "MusterJournal", "MusterDrills", "MusterTesting"]),
        .testTarget(name: "MusterDrillsTests", dependencies: ["MusterBasics", "MusterFormat", "MusterEngine", "MusterJournal", "MusterDrills", "MusterTesting"]),
        .testTarget(name: "MusterGitTests", dependencies: ["MusterGit", "MusterTestSupport"]),
        .target(name: "MusterTestSupport", path: "Tests/MusterTestSupport", exclude: ["server.py", "ci_server.py", "recorder.py", "otlp_receiver.py", "moto_store.py", "tcp_proxy.py", "aws_metadata.py"]),
        .testTarget(name: "MusterCITests", dependencies: ["MusterCI", "MusterBasics", "MusterFormat", "MusterEngine"]),
        .testTarget(name: "MusterHTTPTests", dependencies: ["MusterHTTP", "CLazyLibraries", "MusterTestSupport"]),
        .testTarget(name: "MusterTeamTests", dependencies: ["MusterBasics", "MusterFormat", "MusterEngine", "MusterJournal", "MusterTeam", "MusterTesting"]),
        .testTarget(name: "MusterStoreTests", dependencies: ["MusterStore", "MusterBasics", "MusterTestSupport"]),
        .testTarget(name: "MusterCLITests", dependencies: ["MusterCLI", "muster", "MusterTestSupport", "MusterStore", "MusterBasics", "MusterFormat", "MusterEngine", "MusterJournal", "MusterDrills", "MusterApp"], resources: [.copy("Fixtures"), .copy("Snapshots")]),
    ],
    swiftLanguageModes: [.v6]
)
