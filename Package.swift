// swift-tools-version: 6.1
// MallGate: an edge agent that turns 802.11 probe requests heard by a mall's
// sensors into anonymous store visits. Modules follow the data path:
// capture → decode → identify → localize → visits → store → sync.
import PackageDescription

let strict: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("InternalImportsByDefault"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "MallGate",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "mallgate", targets: ["mallgate"]),
        .library(name: "MallGateDecode", targets: ["MallGateDecode"]),
        .library(name: "MallGateCapture", targets: ["MallGateCapture"]),
        .library(name: "MallGateVenue", targets: ["MallGateVenue"]),
        .library(name: "MallGateSimulator", targets: ["MallGateSimulator"]),
        .library(name: "MallGateLocalize", targets: ["MallGateLocalize"]),
        .executable(name: "mallgate-collector", targets: ["mallgate-collector"]),
        .library(name: "MallGateWire", targets: ["MallGateWire"]),
        .library(name: "MallGateSync", targets: ["MallGateSync"]),
        .library(name: "MallGateCollector", targets: ["MallGateCollector"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        // Elementary functions (exp, log) for the localizer without Foundation.
        .package(url: "https://github.com/apple/swift-numerics", from: "1.1.1"),
        // Foundation-free build: the gateway binary stays small.
        .package(url: "https://github.com/swiftlang/swift-subprocess", from: "1.0.2", traits: []),
        // Sync: the wire format (generated code committed; no build plugin), SHA-256 content hashes,
        // the gateway's HTTP client with TLS options, the collector's server, SQL stores and metrics.
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        // libpcap, from the system (Debian: libpcap-dev).
        .systemLibrary(
            name: "CPcap",
            pkgConfig: "libpcap",
            providers: [.apt(["libpcap-dev"]), .brew(["libpcap"])]
        ),

        // zlib, from the system (Debian: zlib1g-dev): inflates IMDF .zip archives.
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"]), .brew(["zlib"])]),

        // Stage 1 — capture: pcap files, streams, live radios, TZSP; channel control. I/O edge.
        .target(
            name: "MallGateCapture",
            dependencies: [
                "CPcap",
                "MallGateDecode",
                .product(name: "Subprocess", package: "swift-subprocess"),
            ],
            swiftSettings: strict
        ),

        // Stage 2 — decode: radiotap, PPI, Prism/AVS, TZSP, 802.11, IEs, fingerprints. Pure.
        .target(name: "MallGateDecode", dependencies: ["CZlib"], swiftSettings: strict),

        // The venue: floors, zones, connections, sensors; validation, IMDF import, SVG plans.
        // Pure apart from reading files.
        .target(name: "MallGateVenue", dependencies: ["CZlib"], swiftSettings: strict),

        // Stage 4 — localize: windows, features, zone models, training, smoothing. Pure.
        // Optimized even in debug builds: training is numeric loops that run 20–50× slower at
        // -Onone, which would make the dataset tests take minutes instead of seconds.
        .target(
            name: "MallGateLocalize",
            dependencies: ["MallGateVenue", .product(name: "RealModule", package: "swift-numerics")], swiftSettings: strict + [.unsafeFlags(["-O"])]),

        // The simulator: people and phones walking a venue → one pcap per sensor + ground truth.
        .target(name: "MallGateSimulator", dependencies: ["MallGateVenue", "CPcap", "CZlib"], swiftSettings: strict),

        // The command-line tool: one subcommand per user task.
        .executableTarget(
            name: "mallgate",
            dependencies: [
                "MallGateCapture",
                "MallGateDecode",
                "MallGateVenue",
                "MallGateSimulator",
                "MallGateLocalize",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),

        // The sync wire format: protobuf messages (generated once by scripts/gen-proto.sh, committed),
        // gzip framing and SHA-256 content hashes. Shared by the gateway's uploader and the collector.
        .target(
            name: "MallGateWire",
            dependencies: [
                "CZlib",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            exclude: ["mallgate_sync.proto"],
            swiftSettings: strict
        ),

        // Stage 7 — sync: drains the outbox to the collector (retry, backoff, parking). I/O edge.
        .target(
            name: "MallGateSync",
            dependencies: [
                "MallGateWire",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),

        // The central collector: receives batches, authenticates gateways, deduplicates, stores
        // (SQLite by default, PostgreSQL for several collectors) and serves reports and metrics.
        .target(
            name: "MallGateCollector",
            dependencies: [
                "MallGateWire",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "mallgate-collector",
            dependencies: [
                "MallGateCollector",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),

        // scripts/bench/sync.sh's measuring tool: wire bytes per row, collector ingest and drain rates.
        .executableTarget(
            name: "mallgate-sync-bench",
            dependencies: ["MallGateWire", "MallGateSync", "MallGateCollector"],
            path: "scripts/bench/sync-bench",
            swiftSettings: strict
        ),

        // Helpers shared by test targets that run the binary and read files (not a test suite itself).
        .target(name: "MallGateTestSupport", path: "Tests/MallGateTestSupport", swiftSettings: strict),
        .testTarget(
            name: "MallGateSimulatorTests",
            dependencies: ["MallGateSimulator", "MallGateVenue", "MallGateDecode", "MallGateCapture", "MallGateTestSupport"],
            swiftSettings: strict),
        .testTarget(name: "MallGateLocalizeTests", dependencies: ["MallGateLocalize", "MallGateVenue"], swiftSettings: strict),
        .testTarget(name: "MallGateVenueTests", dependencies: ["MallGateVenue"], exclude: ["Fixtures"], swiftSettings: strict),
        .testTarget(name: "MallGateDecodeTests", dependencies: ["MallGateDecode"], swiftSettings: strict),
        .testTarget(
            name: "MallGateCaptureTests",
            dependencies: ["MallGateCapture", "MallGateDecode"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "MallGateSyncTests",
            dependencies: [
                "MallGateWire",
                "MallGateSync",
                "MallGateCollector",
                "MallGateTestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "MallGateConformanceTests",
            dependencies: ["MallGateCapture", "MallGateDecode", "MallGateTestSupport"],
            exclude: ["Expectations", "Golden"],
            swiftSettings: strict
        ),
    ]
)
