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
        .library(name: "MallGateIdentify", targets: ["MallGateIdentify"]),
        .library(name: "MallGateState", targets: ["MallGateState"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        // Elementary functions (exp, log) for the localizer without Foundation.
        .package(url: "https://github.com/apple/swift-numerics", from: "1.1.1"),
        // Foundation-free build: the gateway binary stays small.
        .package(url: "https://github.com/swiftlang/swift-subprocess", from: "1.0.2", traits: []),
        // HMAC-SHA256 for keyed device ids (BoringSSL underneath on Linux).
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
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
            dependencies: ["MallGateDecode", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strict),

        // The daemon's state directory: the identity key file and the opt-out list file (Glibc I/O).
        .target(name: "MallGateState", dependencies: ["MallGateIdentify"], swiftSettings: strict),

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
                "MallGateIdentify",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
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
        .testTarget(
            name: "MallGateIdentifyTests",
            dependencies: ["MallGateIdentify", "MallGateState", "MallGateDecode", "MallGateTestSupport"],
            swiftSettings: strict),
        .testTarget(name: "MallGateDecodeTests", dependencies: ["MallGateDecode"], swiftSettings: strict),
        .testTarget(
            name: "MallGateCaptureTests",
            dependencies: ["MallGateCapture", "MallGateDecode"],
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
