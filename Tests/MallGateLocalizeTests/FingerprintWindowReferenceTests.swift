import MallGateLocalize
import Testing

/// `FingerprintWindows` against a straightforward reference (the first version: per-reading copies
/// of the device's state, `removeFirst` at the cap, a `[[Float]]` sort per window) on random input:
/// the fast version must give the same windows, in the same order, frame by frame.
@Suite struct FingerprintWindowReferenceTests {
    /// The reference: written for clarity, not speed.
    struct Reference {
        struct Reading { var sensor: Int; var rssi: Float; var time: Int64 }
        struct State { var readings: [Reading] = []; var nextEnd: Int64; var lastSeen: Int64 }
        let sensorCount: Int
        let options: WindowOptions
        var devices: [UInt64: State] = [:]
        var lastSweep: Int64 = .min
        var dropped = 0

        mutating func add(device: UInt64, sensor: Int, time t: Int64, rssi: Float) -> [WindowedSample] {
            guard sensor >= 0 && sensor < sensorCount else { return [] }
            var out: [WindowedSample] = []
            if lastSweep == .min || t - lastSweep >= options.idleTimeoutNanoseconds {
                if lastSweep != .min {
                    for key in devices.keys.sorted() where devices[key]!.lastSeen < t - options.idleTimeoutNanoseconds {
                        var state = devices.removeValue(forKey: key)!
                        emit(key, &state, upTo: .max, &out)
                    }
                }
                lastSweep = t
            }
            var state = devices[device] ?? State(nextEnd: grid(after: t), lastSeen: t)
            emit(device, &state, upTo: t, &out)
            if state.readings.count >= options.maxReadingsPerDevice {
                state.readings.removeFirst()
                dropped += 1
            }
            state.readings.append(Reading(sensor: sensor, rssi: rssi, time: t))
            state.lastSeen = max(state.lastSeen, t)
            devices[device] = state
            return out
        }

        mutating func flush() -> [WindowedSample] {
            var out: [WindowedSample] = []
            for key in devices.keys.sorted() {
                var state = devices[key]!
                emit(key, &state, upTo: .max, &out)
            }
            devices = [:]
            return out
        }

        func grid(after t: Int64) -> Int64 {
            let s = options.stepNanoseconds
            return ((t >= 0 ? t / s : (t - s + 1) / s) + 1) * s
        }

        func emit(_ device: UInt64, _ state: inout State, upTo t: Int64, _ out: inout [WindowedSample]) {
            while state.nextEnd <= t {
                let end = state.nextEnd
                let start = end - options.lengthNanoseconds
                let inside = state.readings.filter { $0.time >= start && $0.time < end }
                if !inside.isEmpty {
                    var sensors = [SensorSummary](repeating: .notHeard, count: sensorCount)
                    for s in 0..<sensorCount {
                        let values = inside.filter { $0.sensor == s }.map(\.rssi).sorted()
                        guard let strongest = values.last else { continue }
                        let n = values.count
                        let median = n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2
                        sensors[s] = SensorSummary(strongest: strongest, median: median, count: UInt32(n))
                    }
                    out.append(
                        WindowedSample(
                            device: device, endNanoseconds: end, firstReadingNanoseconds: inside.map(\.time).min()!,
                            lastReadingNanoseconds: inside.map(\.time).max()!, sample: Sample(sensors: sensors)))
                }
                state.readings.removeAll { $0.time < start + options.stepNanoseconds }
                if state.readings.isEmpty {
                    state.nextEnd = t == .max ? .max : grid(after: t)
                    break
                }
                state.nextEnd = end + options.stepNanoseconds
            }
        }
    }

    /// SplitMix64, so each seed gives the same input every run.
    struct Random {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
    }

    @Test(
        "Same windows as the reference on random readings: bursts, silences, idle eviction, the cap, late readings",
        arguments: [1, 2, 3, 4, 5, 6] as [UInt64])
    func matchesReference(seed: UInt64) {
        var random = Random(state: seed)
        let options = WindowOptions(
            lengthSeconds: [10, 10, 6, 15][random.below(4)], stepSeconds: [5, 10, 3, 5][random.below(4)],
            idleTimeoutSeconds: [30, 60, 20][random.below(3)], maxReadingsPerDevice: [512, 8, 20][random.below(3)])
        let sensorCount = 1 + random.below(12)
        var fast = FingerprintWindows(sensorCount: sensorCount, options: options)
        var reference = Reference(sensorCount: sensorCount, options: options)
        var time: Int64 = random.below(2) == 0 ? 1_800_000_000_000_000_000 : -50_000_000_000  // before the epoch too
        var fastOut: [WindowedSample] = []
        var referenceOut: [WindowedSample] = []
        for i in 0..<20_000 {
            // Mostly small steps (a burst), sometimes a long silence; now and then a reading a bit
            // older than the last (two sources interleaving their batches).
            // Floods (600 readings 0-1 ms apart in every 2,000) make the per-device cap bite.
            let gap = i % 2000 < 600 ? Int64(random.below(2)) * 1_000_000 : Int64(random.below(400)) * 1_000_000
            time += i % 2000 >= 600 && random.below(50) == 0 ? Int64(random.below(120)) * 1_000_000_000 : gap
            let late = random.below(40) == 0 ? Int64(random.below(3000)) * 1_000_000 : 0
            let device = UInt64(random.below(random.below(10) == 0 ? 200 : 12))
            let sensor = random.below(60) == 0 ? sensorCount + 1 : random.below(sensorCount)
            let rssi = Float(-95 + random.below(60)) + (random.below(4) == 0 ? 0.5 : 0)
            let a = fast.add(device: device, sensor: sensor, timeNanoseconds: time - late, rssi: rssi)
            let b = reference.add(device: device, sensor: sensor, time: time - late, rssi: rssi)
            #expect(a == b, "seed \(seed), reading \(i)")
            if a != b { return }
            fastOut += a
            referenceOut += b
            #expect(fast.deviceCount == reference.devices.count)
        }
        // Even seeds end the capture in parts of at least 7 windows (the daemon's end of replay):
        // the same windows, in the same order, as one flush.
        var flushed: [WindowedSample] = []
        var parts = 0
        if seed % 2 == 0 {
            while true {
                let part = fast.flush(limit: 7)
                if part.isEmpty { break }
                flushed += part
                parts += 1
            }
        } else {
            flushed = fast.flush()
        }
        let expected = reference.flush()
        #expect(flushed == expected)
        #expect(fast.deviceCount == 0)
        if seed % 2 == 0 && expected.count > 14 { #expect(parts > 1) }
        #expect(fast.droppedReadings == reference.dropped)
        #expect(fastOut.count > 1000)  // the input did make windows
        if options.maxReadingsPerDevice < 512 { #expect(fast.droppedReadings > 0) }  // and hit the cap
    }

    /// `advance(to:)`, called now and then with the clock minus a margin longer than any reading
    /// is late, emits windows earlier but not other ones: per device, the same windows in the
    /// same order as waiting for the device's next reading.
    @Test("Advancing by the clock emits the same windows per device as waiting for readings", arguments: [7, 8, 9] as [UInt64])
    func advanceEmitsTheSameWindowsEarlier(seed: UInt64) {
        var random = Random(state: seed)
        let options = WindowOptions(lengthSeconds: 10, stepSeconds: 5, idleTimeoutSeconds: 60, maxReadingsPerDevice: [512, 8][random.below(2)])
        let sensorCount = 6
        var waiting = FingerprintWindows(sensorCount: sensorCount, options: options)
        var advancing = FingerprintWindows(sensorCount: sensorCount, options: options)
        // Advanced in parts of at least 3 windows: the same windows in the same order.
        var parted = FingerprintWindows(sensorCount: sensorCount, options: options)
        var partedCalls = 0
        var waited: [WindowedSample] = []
        var advanced: [WindowedSample] = []
        var early = 0
        var time: Int64 = 1_800_000_000_000_000_000
        let margin: Int64 = 5_000_000_000  // readings below are at most 3 s late
        for i in 0..<20_000 {
            time += random.below(50) == 0 ? Int64(random.below(90)) * 1_000_000_000 : Int64(random.below(400)) * 1_000_000
            let late = random.below(40) == 0 ? Int64(random.below(3000)) * 1_000_000 : 0
            let device = UInt64(random.below(random.below(10) == 0 ? 200 : 12))
            let sensor = random.below(sensorCount)
            let rssi = Float(-95 + random.below(60))
            waited += waiting.add(device: device, sensor: sensor, timeNanoseconds: time - late, rssi: rssi)
            let added = advancing.add(device: device, sensor: sensor, timeNanoseconds: time - late, rssi: rssi)
            advanced += added
            #expect(parted.add(device: device, sensor: sensor, timeNanoseconds: time - late, rssi: rssi) == added)
            if i % 97 == 0 {
                let part = advancing.advance(to: time - margin)
                var inParts: [WindowedSample] = []
                while true {
                    let piece = parted.advance(to: time - margin, limit: 3)
                    if piece.isEmpty { break }
                    partedCalls += 1
                    inParts += piece
                }
                #expect(inParts == part)
                #expect(part.allSatisfy { $0.endNanoseconds <= time - margin })
                #expect(zip(part, part.dropFirst()).allSatisfy { ($0.endNanoseconds, $0.device) < ($1.endNanoseconds, $1.device) })
                early += part.count
                advanced += part
            }
        }
        waited += waiting.flush()
        advanced += advancing.flush()
        #expect(early > 100, "advance emitted \(early) windows early")
        #expect(partedCalls > early / 3 / 2, "\(partedCalls) parts for \(early) windows")
        #expect(Dictionary(grouping: advanced, by: \.device) == Dictionary(grouping: waited, by: \.device))
        #expect(advancing.droppedReadings == waiting.droppedReadings)
    }

    /// The daemon takes a tick's windows in parts with batches processed in between: readings
    /// added between two parts of one `advance(to:limit:)` lose no window and keep each device's
    /// windows in time order (per device, the same windows as waiting for readings).
    @Test("Readings added between parts of an advance lose no window", arguments: [11, 12] as [UInt64])
    func readingsBetweenPartsLoseNoWindow(seed: UInt64) {
        var random = Random(state: seed)
        let options = WindowOptions(lengthSeconds: 10, stepSeconds: 5, idleTimeoutSeconds: 60, maxReadingsPerDevice: 64)
        var waiting = FingerprintWindows(sensorCount: 4, options: options)
        var interleaved = FingerprintWindows(sensorCount: 4, options: options)
        var waited: [WindowedSample] = []
        var taken: [WindowedSample] = []
        var partsWithReadingsBetween = 0
        var pending = false
        var time: Int64 = 1_800_000_000_000_000_000
        let margin: Int64 = 5_000_000_000
        for i in 0..<20_000 {
            time += random.below(50) == 0 ? Int64(random.below(90)) * 1_000_000_000 : Int64(random.below(400)) * 1_000_000
            let late = random.below(40) == 0 ? Int64(random.below(3000)) * 1_000_000 : 0
            let device = UInt64(random.below(random.below(10) == 0 ? 300 : 20))
            let sensor = random.below(4)
            let rssi = Float(-95 + random.below(60))
            waited += waiting.add(device: device, sensor: sensor, timeNanoseconds: time - late, rssi: rssi)
            taken += interleaved.add(device: device, sensor: sensor, timeNanoseconds: time - late, rssi: rssi)
            // One small part now and then, the rest of the advance after more readings.
            if i % 53 == 0 || pending {
                let part = interleaved.advance(to: time - margin, limit: 2)
                pending = !part.isEmpty
                if pending && i % 53 != 0 { partsWithReadingsBetween += 1 }
                taken += part
            }
        }
        waited += waiting.flush()
        taken += interleaved.flush()
        #expect(partsWithReadingsBetween > 100, "\(partsWithReadingsBetween) parts came after readings added mid-advance")
        let byDevice = Dictionary(grouping: taken, by: \.device)
        #expect(byDevice == Dictionary(grouping: waited, by: \.device))
        #expect(byDevice.values.allSatisfy { w in zip(w, w.dropFirst()).allSatisfy { $0.endNanoseconds < $1.endNanoseconds } })
    }

}
