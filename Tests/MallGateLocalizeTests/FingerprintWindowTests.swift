import MallGateLocalize
import Testing

/// Windows built from plain readings; expected values worked out by hand from the readings.
@Suite struct FingerprintWindowTests {
    static let second: Int64 = 1_000_000_000

    @Test func summarisesStrongestMedianAndCountPerSensor() {
        var w = FingerprintWindows(sensorCount: 3, options: WindowOptions(lengthSeconds: 10, stepSeconds: 10))
        // Device 7, window [0 s, 10 s): sensor 0 hears −60, −70, −50; sensor 2 hears −80, −90.
        var out: [WindowedSample] = []
        for (s, t, r) in [(0, 1, -60), (2, 2, -80), (0, 3, -70), (2, 4, -90), (0, 5, -50)] as [(Int, Int64, Float)] {
            out += w.add(device: 7, sensor: s, timeNanoseconds: t * Self.second, rssi: r)
        }
        #expect(out.isEmpty)
        // A reading at 12 s closes the window ending at 10 s.
        out += w.add(device: 7, sensor: 1, timeNanoseconds: 12 * Self.second, rssi: -40)
        let first = try! #require(out.first)
        #expect(out.count == 1)
        #expect(first.device == 7 && first.endNanoseconds == 10 * Self.second)
        #expect(first.sample.sensors[0] == SensorSummary(strongest: -50, median: -60, count: 3))
        #expect(first.sample.sensors[1] == .notHeard)
        #expect(first.sample.sensors[2] == SensorSummary(strongest: -80, median: -85, count: 2))
        #expect(first.firstReadingNanoseconds == 1 * Self.second && first.lastReadingNanoseconds == 5 * Self.second)
        let rest = w.flush()
        #expect(rest.count == 1)
        #expect(rest[0].endNanoseconds == 20 * Self.second && rest[0].sample.sensors[1].count == 1 && rest[0].sample.sensors[0].count == 0)
    }

    @Test func overlappingWindowsShareReadingsAndSilencesAreSkipped() {
        var w = FingerprintWindows(sensorCount: 1, options: WindowOptions(lengthSeconds: 10, stepSeconds: 5, idleTimeoutSeconds: 1000))
        var out: [WindowedSample] = []
        out += w.add(device: 1, sensor: 0, timeNanoseconds: 3 * Self.second, rssi: -50)
        out += w.add(device: 1, sensor: 0, timeNanoseconds: 7 * Self.second, rssi: -60)
        // Then silence until 100 s: windows ending 5, 10, 15 hold readings; 20…95 are empty.
        out += w.add(device: 1, sensor: 0, timeNanoseconds: 100 * Self.second, rssi: -70)
        out += w.flush()
        #expect(out.map { $0.endNanoseconds / Self.second } == [5, 10, 15, 105, 110])
        #expect(out.map { $0.sample.sensors[0].count } == [1, 2, 1, 1, 1])
    }

    @Test func devicesAreKeptApartAndIdleOnesEvicted() {
        var w = FingerprintWindows(sensorCount: 2, options: WindowOptions(lengthSeconds: 10, stepSeconds: 10, idleTimeoutSeconds: 30))
        var out: [WindowedSample] = []
        out += w.add(device: 1, sensor: 0, timeNanoseconds: 1 * Self.second, rssi: -50)
        out += w.add(device: 2, sensor: 1, timeNanoseconds: 2 * Self.second, rssi: -55)
        #expect(w.deviceCount == 2)
        // Device 2 keeps talking; device 1 falls silent and is evicted once 30 s have passed.
        for t in stride(from: 12, through: 72, by: 10) {
            out += w.add(device: 2, sensor: 1, timeNanoseconds: Int64(t) * Self.second, rssi: -55)
        }
        #expect(w.deviceCount == 1)
        let one = out.filter { $0.device == 1 }
        #expect(one.count == 1 && one[0].sample.sensors[0].count == 1 && one[0].sample.sensors[1].count == 0)
        #expect(out.filter { $0.device == 2 }.allSatisfy { $0.sample.sensors[0].count == 0 && $0.sample.sensors[1].count == 1 })
    }

    @Test func readingsPerDeviceAreCapped() {
        var w = FingerprintWindows(sensorCount: 1, options: WindowOptions(lengthSeconds: 10, stepSeconds: 10, maxReadingsPerDevice: 4))
        for i in 0..<10 { _ = w.add(device: 9, sensor: 0, timeNanoseconds: Int64(i) * 100_000_000, rssi: Float(-50 - i)) }
        let out = w.flush()
        // The six oldest are dropped; the newest four (−56…−59) remain.
        #expect(w.droppedReadings == 6)
        #expect(out.count == 1 && out[0].sample.sensors[0] == SensorSummary(strongest: -56, median: -57.5, count: 4))
    }

    @Test func sensorOutOfRangeIsIgnored() {
        var w = FingerprintWindows(sensorCount: 2)
        #expect(w.add(device: 1, sensor: 5, timeNanoseconds: 0, rssi: -50).isEmpty)
        #expect(w.add(device: 1, sensor: -1, timeNanoseconds: 0, rssi: -50).isEmpty)
        #expect(w.deviceCount == 0)
    }
}
