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
        .library(name: "MallGateVisits", targets: ["MallGateVisits"]),
        .library(name: "MallGateStore", targets: ["MallGateStore"]),
        .library(name: "MallGateIdentify", targets: ["MallGateIdentify"]),
        .library(name: "MallGateState", targets: ["MallGateState"]),
        .executable(name: "mallgate-collector", targets: ["mallgate-collector"]),
        .library(name: "MallGateWire", targets: ["MallGateWire"]),
        .library(name: "MallGateSync", targets: ["MallGateSync"]),
        .library(name: "MallGateCollector", targets: ["MallGateCollector"]),
        .library(name: "MallGateWeb", targets: ["MallGateWeb"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        // Elementary functions (exp, log) for the localizer without Foundation.
        .package(url: "https://github.com/apple/swift-numerics", from: "1.1.1"),
        // Per-device state as one dense array behind a compact index (OrderedDictionary): the
        // stages keep 100,000 devices in a fraction of a Dictionary's buckets.
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        // Foundation-free build: the gateway binary stays small.
        .package(url: "https://github.com/swiftlang/swift-subprocess", from: "1.0.2", traits: []),
        // The on-gateway SQLite buffer (MallGateStore), on the system libsqlite3 (Debian: libsqlite3-dev).
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        // The daemon: services with graceful shutdown, logs, metrics, the config file, the metrics endpoint.
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        // HMAC-SHA256 for keyed device ids (BoringSSL underneath on Linux).
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        // Sync: the wire format (generated code committed; no build plugin), SHA-256 content hashes,
        // the gateway's HTTP client with TLS options, the collector's server, SQL stores and metrics.
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
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

        // Stage 3 — identify: keyed device ids, rotation, opt-out, pseudo-devices for randomized MACs. Pure.
        .target(
            name: "MallGateIdentify",
            dependencies: [
                "MallGateDecode", .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "OrderedCollections", package: "swift-collections"),
            ],
            swiftSettings: strict),

        // The daemon's state directory: the identity key file and the opt-out list file (Glibc I/O).
        // Also the installed model/venue artifacts (SHA-256 names).
        .target(name: "MallGateState", dependencies: ["MallGateIdentify", .product(name: "Crypto", package: "swift-crypto")], swiftSettings: strict),

        // Whole-file reads with POSIX calls, for every module that loads a file (Glibc only).
        // glibc's malloc.h (mallopt), which the Glibc module leaves out.
        .systemLibrary(name: "CMalloc"),
        .target(name: "MallGateSystem", dependencies: ["CMalloc"], swiftSettings: strict),

        // The venue: floors, zones, connections, sensors; validation, IMDF import, SVG plans.
        // Pure apart from reading files.
        .target(name: "MallGateVenue", dependencies: ["CZlib", "MallGateSystem"], swiftSettings: strict),

        // Stage 4 — localize: windows, features, zone models, training, smoothing. Pure.
        // Optimized even in debug builds: training is numeric loops that run 20–50× slower at
        // -Onone, which would make the dataset tests take minutes instead of seconds.
        .target(
            name: "MallGateLocalize",
            dependencies: [
                "MallGateVenue", .product(name: "RealModule", package: "swift-numerics"),
                .product(name: "OrderedCollections", package: "swift-collections"),
            ], swiftSettings: strict + [.unsafeFlags(["-O"])]),

        // Stage 5 — visits: store visits, passers-by, counts per store and interval. Pure.
        .target(
            name: "MallGateVisits", dependencies: ["MallGateVenue", .product(name: "OrderedCollections", package: "swift-collections")],
            swiftSettings: strict),

        // The simulator: people and phones walking a venue → one pcap per sensor + ground truth;
        // also fingerprints synthesized from a layout (hence the localizer's Sample types).
        .target(name: "MallGateSimulator", dependencies: ["MallGateVenue", "MallGateLocalize", "CPcap", "CZlib"], swiftSettings: strict),

        // Stage 6 — store: the SQLite buffer (migrations, outbox, retention, integrity, disk full).
        // GRDB imports full Foundation; that is accepted for this module only (the buffer's
        // durability is worth it). MallGateStore's own code sticks to FoundationEssentials/Glibc.
        .target(
            name: "MallGateStore",
            dependencies: [
                .product(name: "GRDB", package: "GRDB.swift"),
                // The raw SQLite C API, for binding the bulk position inserts without boxing.
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),

        // Test and benchmark helper, not shipped: writes store batches and prints each committed
        // outbox sequence (the crash-safety test kills it), and times bulk writes (scripts/bench/store.sh).
        // The crash test moves to `mallgate replay` once that exists.
        .executableTarget(
            name: "mallgate-store-writer",
            dependencies: ["MallGateStore", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Tests/mallgate-store-writer",
            swiftSettings: strict
        ),

        // The daemon: configuration, the pipeline as a service (capture → decode → identify →
        // localize → visits → store), reload, metrics endpoint, status file, sd_notify. I/O edge.
        .target(
            name: "MallGateDaemon",
            dependencies: [
                .product(name: "OrderedCollections", package: "swift-collections"),
                "MallGateSystem",
                "MallGateCapture",
                "MallGateDecode",
                "MallGateVenue",
                "MallGateLocalize",
                "MallGateIdentify",
                "MallGateState",
                "MallGateVisits",
                "MallGateStore",
                // Sync in the daemon: the outbox as wire batches, the uploader, doctor's upstream check,
                // and the artifact puller (model files and venue layouts from the collector).
                "MallGateWire",
                "MallGateSync",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                "MallGateWeb",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "TOMLKit", package: "TOMLKit"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            swiftSettings: strict
        ),

        // The web UI (issue 8): installation view, calibration, training, "where am I", dashboard.
        // Pages are plain HTML/CSS/JS embedded in the binary; the daemon supplies live state
        // through the WebBackend protocol (so this module does not depend on the daemon).
        .target(
            name: "MallGateWeb",
            dependencies: [
                "MallGateSystem",
                "MallGateState",
                "MallGateDecode",
                "MallGateVenue",
                "MallGateLocalize",
                "MallGateIdentify",
                "MallGateSimulator",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            resources: [
                .embedInCode("Resources/login.html"),
                .embedInCode("Resources/layout.html"),
                .embedInCode("Resources/index.html"),
                .embedInCode("Resources/calibrate.html"),
                .embedInCode("Resources/train.html"),
                .embedInCode("Resources/whereami.html"),
                .embedInCode("Resources/dashboard.html"),
                .embedInCode("Resources/app.css"),
                .embedInCode("Resources/app.js"),
            ],
            swiftSettings: strict
        ),

        // The command-line tool: one subcommand per user task.
        .executableTarget(
            name: "mallgate",
            dependencies: [
                "MallGateSystem",
                "MallGateDaemon",
                .product(name: "Logging", package: "swift-log"),
                "MallGateCapture",
                "MallGateDecode",
                "MallGateVenue",
                "MallGateSimulator",
                "MallGateLocalize",
                "MallGateVisits",
                "MallGateIdentify",
                "MallGateState",
                "MallGateStore",
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
                "MallGateSystem",
                "MallGateWire",
                // Pulled model files and venue layouts are installed in the state directory.
                "MallGateState",
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
                // The venue layouts it serves to gateways; its JSON string escaper for reports.
                "MallGateVenue",
                // Checks model files before publishing them to gateways.
                "MallGateLocalize",
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
                "MallGateSystem",
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
            dependencies: ["MallGateSimulator", "MallGateVenue", "MallGateDecode", "MallGateCapture", "MallGateLocalize", "MallGateTestSupport"],
            swiftSettings: strict),
        .testTarget(name: "MallGateLocalizeTests", dependencies: ["MallGateLocalize", "MallGateVenue"], swiftSettings: strict),
        .testTarget(name: "MallGateVisitsTests", dependencies: ["MallGateVisits", "MallGateVenue"], swiftSettings: strict),
        .testTarget(name: "MallGateVenueTests", dependencies: ["MallGateVenue", "MallGateSystem", "MallGateTestSupport"], exclude: ["Fixtures"], swiftSettings: strict),
        .testTarget(
            name: "MallGateStoreTests",
            dependencies: ["MallGateStore", "MallGateTestSupport", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: strict),
        .testTarget(
            name: "MallGateIdentifyTests",
            dependencies: ["MallGateIdentify", "MallGateState", "MallGateDecode", "MallGateTestSupport"],
            swiftSettings: strict),
        .testTarget(name: "MallGateDecodeTests", dependencies: ["MallGateDecode"], swiftSettings: strict),
        .testTarget(
            name: "MallGateCaptureTests",
            dependencies: ["MallGateCapture", "MallGateDecode", "MallGateTestSupport"],
            swiftSettings: strict
        ),
        // The installation path: systemd units, install.sh, the .deb (runs the built binary).
        .testTarget(name: "MallGateDeploymentTests", dependencies: ["MallGateTestSupport"], swiftSettings: strict),
        .testTarget(
            name: "MallGateDaemonTests",
            dependencies: ["MallGateDaemon", "MallGateCapture", "MallGateDecode", "MallGateLocalize", "MallGateIdentify", "MallGateState", "MallGateStore", "MallGateTestSupport", "MallGateSync"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "MallGateSyncTests",
            dependencies: [
                "MallGateWire",
                "MallGateSync",
                "MallGateCollector",
                "MallGateTestSupport",
                // The gateway side of the end-to-end tests: the buffer database and its outbox adapter.
                "MallGateStore",
                "MallGateDaemon",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            swiftSettings: strict
        ),
        // The web UI in headless Chromium (Debian package), driven over the DevTools protocol by
        // cdp.py (python3-websocket), against `mallgate run` replaying a simulated venue.
        .testTarget(
            name: "MallGateWebUITests",
            dependencies: ["MallGateTestSupport"],
            exclude: ["cdp.py"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "MallGateWebTests",
            dependencies: [
                "MallGateWeb", "MallGateState", "MallGateVenue", "MallGateDecode", "MallGateIdentify", "MallGateLocalize", "MallGateTestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
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
