import Glibc
import MallGateTestSupport
import MallGateVenue

func rect(_ x0: Double, _ y0: Double, _ x1: Double, _ y1: Double) -> Polygon {
    Polygon([Point(x0, y0), Point(x1, y0), Point(x1, y1), Point(x0, y1)])
}

/// A two-floor arcade built in code (independent of the venue files). Both floors alike:
///
///     y 16 ┌────────┬────────┬────────┐
///          │ A1/B1  │ A2/B2  │ A3/B3  │   stores 10 × 10 m, one door each at (x0 + 5, 6)
///     y 6  ├──door──┴──door──┴──door──┤
///     EW   │  C·a (x 0–15) │ C·b (15–30) │  EE      corridor segments, entrances (L0 only)
///     y 0  └──────┬──────────┬──────────┘
///                 │ X· 12–18 │  escalator zone (y −3–0), X0 ↔ X1 vertical, 20 s
///
/// Sensors: one per store (channels 1/6/11), a hopping one in each west corridor segment,
/// a fixed channel-6 one with −3 dB RSSI offset in each east segment. Floors every 5 m
/// (stores C1–C3 on L2, D1–D3 on L3 when asked for more floors).
func arcade(floorCount: Int = 2, sensorsPerStore: Bool = true) -> Venue {
    var zones: [Zone] = []
    var connections: [Connection] = []
    var sensors: [Sensor] = []
    let floors = (0..<floorCount).map { Floor(id: "L\($0)", index: $0, name: "Level \($0)", elevation: 5 * Double($0)) }
    for (f, floor) in floors.enumerated() {
        let prefix = ["A", "B", "C", "D"][f]
        let ca = "C\(f)a", cb = "C\(f)b", esc = "X\(f)"
        zones.append(Zone(id: ca, kind: .corridor, floor: floor.id, name: "Mall \(f) west", polygon: rect(0, 0, 15, 6)))
        zones.append(Zone(id: cb, kind: .corridor, floor: floor.id, name: "Mall \(f) east", polygon: rect(15, 0, 30, 6)))
        zones.append(Zone(id: esc, kind: .escalator, floor: floor.id, name: "Escalator \(f)", polygon: rect(12, -3, 18, 0)))
        connections.append(Connection(kind: .open, from: ca, to: cb, at: Point(15, 3), width: 6))
        connections.append(Connection(kind: .open, from: esc, to: ca, at: Point(13.5, 0), width: 3))
        connections.append(Connection(kind: .open, from: esc, to: cb, at: Point(16.5, 0), width: 3))
        if f == 0 {
            zones.append(Zone(id: "EW", kind: .entrance, floor: floor.id, name: "West entrance", polygon: rect(-4, 0, 0, 6)))
            zones.append(Zone(id: "EE", kind: .entrance, floor: floor.id, name: "East entrance", polygon: rect(30, 0, 34, 6)))
            connections.append(Connection(kind: .open, from: "EW", to: ca, at: Point(0, 3), width: 6))
            connections.append(Connection(kind: .open, from: "EE", to: cb, at: Point(30, 3), width: 6))
        }
        for k in 0..<3 {
            let id = "\(prefix)\(k + 1)"
            let x0 = Double(k) * 10
            zones.append(Zone(id: id, kind: .store, floor: floor.id, name: "Store \(id)", category: "fashion", polygon: rect(x0, 6, x0 + 10, 16)))
            let corridor = x0 + 5 < 15 ? ca : cb
            connections.append(Connection(kind: .door, from: id, to: corridor, at: Point(x0 + 5, 6), width: 2))
            if sensorsPerStore {
                sensors.append(Sensor(id: "s-\(id)", floor: floor.id, position: Point(x0 + 5, 13), height: 3,
                                      channels: SensorChannels(fixed: [1, 6, 11][k])))
            }
        }
        sensors.append(Sensor(id: "s-\(ca)", floor: floor.id, position: Point(7, 3), height: 3,
                              channels: SensorChannels(hop: [1, 6, 11], dwellMs: 250)))
        sensors.append(Sensor(id: "s-\(cb)", floor: floor.id, position: Point(23, 3), height: 3, channels: SensorChannels(fixed: 6),
                              rssiOffset: -3))
    }
    for f in 1..<floorCount {
        connections.append(Connection(kind: .vertical, from: "X\(f - 1)", to: "X\(f)", travelSeconds: 20))
    }
    return Venue(id: "test-arcade", name: "Test Arcade", floors: floors, zones: zones, connections: connections, sensors: sensors)
}

/// Rows of a simple CSV (no quoted fields in what the simulator writes for the test venue).
func csvRows(_ path: String) -> [[String]] {
    guard let text = readText(path) else { return [] }
    return text.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
}
