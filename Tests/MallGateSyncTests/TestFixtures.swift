import Glibc
import MallGateWire

/// Deterministic rows for the sync tests: a small venue's zone table and plausible positions
/// (devices walking between zones every few seconds), visits, counts and health events.
struct RowGenerator {
    var state: UInt64

    init(seed: UInt64) { state = seed &+ 0x9E37_79B9_7F4A_7C15 }

    /// SplitMix64: a fixed, well-known generator so fixtures do not change between runs.
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15  // wraps by design (SplitMix64)
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }

    static let zones = (0..<24).map { $0 < 8 ? "L0-c\($0 + 1)" : "L0-s\(String(repeating: "0", count: $0 - 7 < 10 ? 1 : 0))\($0 - 7)" }

    /// One batch's rows: `devices` devices each reporting `perDevice` positions 5 s apart from `startMs`.
    mutating func rows(devices: Int, perDevice: Int, startMs: Int64) -> BatchRows {
        var positions: [PositionRow] = []
        var visits: [VisitRow] = []
        for _ in 0..<devices {
            let device = next()
            var zone = below(Self.zones.count)
            var time = startMs + Int64(below(5000))
            for _ in 0..<perDevice {
                if below(5) == 0 { zone = below(Self.zones.count) }
                positions.append(PositionRow(device: device, timeMs: time, zone: zone, confidence: UInt8(128 + below(128))))
                time += 5000
            }
            if below(3) == 0 {
                let enter = startMs + Int64(below(60_000))
                visits.append(VisitRow(device: device, store: 8 + below(16), enterMs: enter, exitMs: enter + Int64(30_000 + below(600_000))))
            }
        }
        let counts = (8..<12).map { store in
            StoreCountRow(
                store: store, intervalStartMs: startMs - startMs % 900_000, intervalSeconds: 900, footfall: UInt32(below(40)),
                passersBy: UInt32(below(200)), dwellSecondsSum: UInt64(below(20_000)), dwellHistogram: [UInt32(below(5)), UInt32(below(5)), 0, 1])
        }
        let events = [HealthEventRow(timeMs: startMs, sensor: "s\(below(4))", kind: "sensor_silent", message: "no frames for 60 s", value: 60)]
        return BatchRows(zoneIDs: Self.zones, positions: positions, visits: visits, storeCounts: counts, healthEvents: events)
    }
}

func environment(_ name: String) -> String? { getenv(name).map { String(cString: $0) } }

func sortedPositions(_ rows: [PositionRow]) -> [PositionRow] {
    rows.sorted { ($0.device, $0.timeMs, $0.zone, $0.confidence) < ($1.device, $1.timeMs, $1.zone, $1.confidence) }
}
