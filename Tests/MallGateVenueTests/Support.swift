import Glibc
@testable import MallGateVenue

/// The package root, found from this file's path (Tests/MallGateVenueTests/Support.swift).
func packageRoot(_ file: String = #filePath) -> String {
    var parts = file.split(separator: "/", omittingEmptySubsequences: false)
    parts.removeLast(3)
    return parts.joined(separator: "/")
}

func fixture(_ name: String) -> String { packageRoot() + "/Tests/MallGateVenueTests/Fixtures/" + name }
func exampleVenue(_ name: String) -> String { packageRoot() + "/firmware-configs/venues/" + name }

func readText(_ path: String) throws -> String {
    String(decoding: try readFile(path), as: UTF8.self)
}

func rect(_ x0: Double, _ y0: Double, _ x1: Double, _ y1: Double) -> Polygon {
    Polygon([Point(x0, y0), Point(x1, y0), Point(x1, y1), Point(x0, y1)])
}

/// The smallest venue that validates cleanly, to break one thing at a time:
///
///     y 10 ┌──────┬──────┐
///          │ s1   │ s2   │      stores, doors at (5,4) and (15,4)
///     y 4  ├──────┴──────┤
///          │ c1 (corr.)  │      entrance e1 at x -4…0, open at (0,2)
///     y 0  └─────────────┘
///          x 0    10     20
///
/// Two sensors: one in the corridor, one in s2; both hear everything (distances ≤ 25 m).
func minimalVenue() -> Venue {
    Venue(
        id: "mini", name: "Mini",
        floors: [Floor(id: "G", index: 0, name: "Ground", elevation: 0)],
        zones: [
            Zone(id: "e1", kind: .entrance, floor: "G", name: "Door", polygon: rect(-4, 0, 0, 4)),
            Zone(id: "c1", kind: .corridor, floor: "G", name: "Walk", polygon: rect(0, 0, 20, 4)),
            Zone(id: "s1", kind: .store, floor: "G", name: "One", category: "books", polygon: rect(0, 4, 10, 10)),
            Zone(id: "s2", kind: .store, floor: "G", name: "Two", category: "toys", polygon: rect(10, 4, 20, 10)),
        ],
        connections: [
            Connection(kind: .open, from: "e1", to: "c1", at: Point(0, 2)),
            Connection(kind: .door, from: "s1", to: "c1", at: Point(5, 4), width: 2),
            Connection(kind: .door, from: "s2", to: "c1", at: Point(15, 4), width: 2),
        ],
        sensors: [
            Sensor(id: "x1", floor: "G", position: Point(10, 2), channels: SensorChannels(fixed: 6)),
            Sensor(id: "x2", floor: "G", position: Point(15, 7), channels: SensorChannels(hop: [1, 6, 11], dwellMs: 250)),
        ])
}
