/// A synthetic calibration set of venue size: zones on a grid, sensors spread over it, RSSI
/// from a log-distance path-loss model with shadowing; for the model-size bound and the
/// training/inference benchmarks, where the shape of the problem matters, not realism.
public enum SyntheticFingerprints {
    /// - Parameters:
    ///   - zones: classes, laid out as 10 m × 10 m cells on a grid 20 cells wide.
    ///   - sensors: on a square-ish grid over the same area.
    ///   - samplesPerZone: windows per zone (15 × 200 zones ≈ a 30-minute calibration walk at
    ///     one window every 0.6 s).
    public static func make(zones: Int, sensors: Int, samplesPerZone: Int, seed: UInt64 = 0) -> FingerprintSet {
        var rng = SeededGenerator(seed: seed)
        let columns = min(20, zones)
        let rows = (zones + columns - 1) / columns
        let width = Double(columns) * 10, height = Double(rows) * 10
        let sx = max(1, Int((Double(sensors) * width / height).squareRoot().rounded()))
        let sy = (sensors + sx - 1) / sx
        var positions: [(x: Double, y: Double)] = []
        for i in 0..<sensors {
            let px: Double = (Double(i % sx) + 0.5) * width / Double(sx)
            let py: Double = (Double(i / sx) + 0.5) * height / Double(sy)
            positions.append((px, py))
        }
        var set = FingerprintSet(sensorNames: (0..<sensors).map { "s\($0)" }, labelNames: ["zone"])
        for z in 0..<zones {
            let cx = Double(z % columns) * 10, cy = Double(z / columns) * 10
            for _ in 0..<samplesPerZone {
                let x = cx + 1 + 8 * Double(rng.unit()), y = cy + 1 + 8 * Double(rng.unit())
                let offset = Double(rng.gaussian()) * 3  // phone-to-phone and body loss
                var readings = [SensorSummary](repeating: .notHeard, count: sensors)
                for (i, p) in positions.enumerated() {
                    let dx: Double = p.x - x, dy: Double = p.y - y
                    let d: Double = max(1, (dx * dx + dy * dy + 4).squareRoot())
                    let loss: Double = 28 * log(d) / log(10.0)
                    let rssi: Double = -40 - loss + Double(rng.gaussian()) * 4 + offset
                    if rssi > -92 { readings[i] = SensorSummary(rssi: Float(rssi.rounded())) }
                }
                set.samples.append(Sample(sensors: readings))
                set.labels.append(["z\(z)"])
            }
        }
        return set
    }
}
