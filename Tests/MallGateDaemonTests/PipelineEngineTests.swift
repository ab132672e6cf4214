import MallGateCapture
import MallGateDaemon
import MallGateDecode
import MallGateIdentify
import MallGateLocalize
import MallGateStore
import MallGateTestSupport
import Testing

/// The engine between capture and sink, driven with hand-made observations and an injected clock.
@Suite(.serialized)
struct PipelineEngineTests {
    static let key = IdentityKey.random()
    static let optedOutMAC = MACAddress(0x02, 0, 0, 0, 0, 0x02)

    /// The identify stage with 02:…:02 on the opt-out list (pseudo-devices off, so ids are the keyed hashes).
    static func identifier() -> DeviceIdentifier {
        var optOut = OptOutList(key: key)
        _ = optOut.add(optedOutMAC)
        return DeviceIdentifier(key: key, rotation: .never, optOut: optOut)
    }

    static func probe(_ mac: MACAddress, sensor: Int, seconds: Int64, dBm: Int8 = -55) -> Observation {
        var p = ProbeRequest()
        p.source = mac
        p.radio.signalDBm = dBm
        return Observation(sensor: sensor, timestampNanoseconds: (1_800_000_000 + seconds) * 1_000_000_000, frameNumber: 1, event: .probeRequest(p))
    }

    static func engine() async throws -> (PipelineEngine, [SensorID]) {
        let f = try #require(await DaemonProcessTests.fixture.value, "the simulate/train fixture failed")
        let (config, _) = DaemonProcessTests.writeConfiguration(
            f, name: "engine", sources: "[[sources]]\nkind = \"directory\"\npath = \"/nonexistent\"\n[privacy]\npseudo_devices = false\n")
        let (configuration, model) = try Daemon.prepare(configPath: config)
        let sensors = model.model.features.sensorNames.map { SensorID($0) }
        return (PipelineEngine(model: model, configuration: configuration, identifier: identifier()), sensors)
    }

    @Test func optedOutDevicesNeverReachAPosition() async throws {
        let (engine, sensors) = try await Self.engine()
        let kept = MACAddress(0x02, 0, 0, 0, 0, 0x01)
        let optedOut = Self.optedOutMAC
        // The kept device's id, from an identifier with the same key and no opt-out list.
        var plain = DeviceIdentifier(key: Self.key)
        let computed = plain.deviceID(kept, unixNanoseconds: 0)
        let keptID = try #require(computed)
        var batch: [Observation] = []
        for second in 0..<60 as Range<Int64> {
            for sensor in sensors.indices {
                batch.append(Self.probe(kept, sensor: sensor, seconds: second, dBm: Int8(-50 - 5 * sensor)))
                batch.append(Self.probe(optedOut, sensor: sensor, seconds: second))
            }
        }
        var out = await engine.process(batch, sensors: sensors)
        out.append(await engine.flush())
        #expect(!out.positions.isEmpty)
        #expect(out.positions.allSatisfy { $0.device == keptID })
        let counters = await engine.counters
        #expect(counters.optedOut == UInt64(60 * sensors.count))
        #expect(counters.probeRequests == UInt64(120 * sensors.count))
        #expect(counters.positions == UInt64(out.positions.count))
    }

    @Test func aSilentSensorIsReportedOnceAndItsReturnToo() async throws {
        let (engine, sensors) = try await Self.engine()
        let mac = MACAddress(0x02, 0, 0, 0, 0, 0x01)
        _ = await engine.process([Self.probe(mac, sensor: 0, seconds: 0)], sensors: sensors)
        let heard = (1_800_000_000) * Int64(1_000_000_000)
        // 300 s is the default threshold: at 299 s nothing, at 301 s one event, then no repeat.
        #expect(await engine.tick(now: heard + 299_000_000_000).events.isEmpty)
        let silent = await engine.tick(now: heard + 301_000_000_000).events
        #expect(silent.map(\.kind) == [.sensorSilent])
        #expect(silent.first?.sensor == sensors[0].rawValue)
        #expect(await engine.tick(now: heard + 400_000_000_000).events.isEmpty)
        #expect(await engine.sensors[sensors[0].rawValue]?.silent == true)
        let back = await engine.process([Self.probe(mac, sensor: 0, seconds: 410)], sensors: sensors)
        #expect(back.events.map(\.kind) == [.sensorBack])
        #expect(await engine.sensors[sensors[0].rawValue]?.silent == false)
    }

    @Test func framesFromASensorTheModelDoesNotKnowGoNoFurtherThanTheSensorCount() async throws {
        let (engine, sensors) = try await Self.engine()
        // A session whose second sensor is not in the model (added to the venue after training).
        let session = [sensors[0], SensorID("not-in-the-model")]
        let mac = MACAddress(0x3C, 0x22, 0xFB, 0, 0, 0x01)
        var batch: [Observation] = []
        for second in 0..<60 as Range<Int64> {
            batch.append(Self.probe(mac, sensor: 1, seconds: second))
            // Even an opted-out device's frame from that sensor stops at the sensor check.
            batch.append(Self.probe(Self.optedOutMAC, sensor: 1, seconds: second))
        }
        var out = await engine.process(batch, sensors: session)
        out.append(await engine.flush())
        let counters = await engine.counters
        #expect(counters.unknownSensor == 120)
        #expect(counters.optedOut == 0 && counters.implausibleSignal == 0)
        #expect(counters.probeRequests == 120)
        #expect(out.positions.isEmpty)
        #expect(await engine.activeDevices == 0)
        // The sensor is still heard: its health counts every frame.
        #expect(await engine.sensors["not-in-the-model"]?.probeRequests == 120)

        // The same device on a known sensor is localized as before.
        let known = await engine.process((0..<60 as Range<Int64>).map { Self.probe(mac, sensor: 0, seconds: 100 + $0) }, sensors: session)
        var all = known
        all.append(await engine.flush())
        #expect(!all.positions.isEmpty)
        #expect(await engine.counters.unknownSensor == 120)
    }

    /// At the end of a replay the captures are over: a visit still open ends with them (as in
    /// `mallgate locate`), where a stop or reload ends it from the device's last readings.
    @Test func aVisitOpenWhenTheCapturesEndLastsUntilTheirEnd() async throws {
        let sensorCount = try await Self.engine().1.count
        // One phone per sensor, loud there and quieter at the next three, heard every 10 s for a minute.
        var batch: [Observation] = []
        for index in 0..<sensorCount {
            let mac = MACAddress(0x3C, 0x22, 0xFB, 0, 2, UInt8(index))
            for second in stride(from: 0, to: 60, by: 10) as StrideTo<Int64> {
                for k in 0..<4 { batch.append(Self.probe(mac, sensor: (index + k) % sensorCount, seconds: second, dBm: k == 0 ? -40 : -75)) }
            }
        }
        let end = (1_800_000_000 + 200) * Int64(1_000_000_000)  // 150 s after the last probes
        func visits(captureEnd: Int64?) async throws -> [VisitRow] {
            let (engine, sensors) = try await Self.engine()
            var out = await engine.process(batch, sensors: sensors)
            out.append(await engine.flush(captureEnd: captureEnd))
            return out.visits.filter { !$0.passerBy }
        }
        let cut = try await visits(captureEnd: end)
        let stopped = try await visits(captureEnd: nil)
        #expect(!cut.isEmpty, "some phones are placed in stores")
        #expect(cut.allSatisfy { $0.exitNanoseconds == end })
        #expect(Set(cut.map(\.device)).isSuperset(of: stopped.map(\.device)))
        #expect(stopped.allSatisfy { $0.exitNanoseconds < end })
    }

    /// "Devices now per store" counts each device by its latest position, in a store, until the
    /// idle time has passed (180 s here: the exit timeout, longer than the windows' 60 s) — also
    /// between the sweeps that rebuild the map, which run at most every eighth of it.
    @Test func devicesNowPerStoreFollowLatestPositionsAndForgetIdleOnes() async throws {
        let (engine, sensors) = try await Self.engine()
        var batch: [Observation] = []
        // One phone per sensor, loudest at its own sensor: some end in stores, some in walkways.
        for (index, _) in sensors.enumerated() {
            let mac = MACAddress(0x3C, 0x22, 0xFB, 0, 1, UInt8(index))
            for second in 0..<40 as Range<Int64> {
                for sensor in sensors.indices {
                    batch.append(Self.probe(mac, sensor: sensor, seconds: second, dBm: sensor == index ? -40 : -80))
                }
            }
        }
        var out = await engine.process(batch, sensors: sensors)
        let second: Int64 = 1_000_000_000
        let lastReading = (1_800_000_000 + 39) * second
        // The first tick places the windows still open and sweeps (the first one always does).
        out.append(await engine.tick(now: lastReading + 60 * second))
        var latest: [UInt64: PositionRow] = [:]
        for p in out.positions where (latest[p.device]?.windowEndNanoseconds ?? .min) <= p.windowEndNanoseconds { latest[p.device] = p }
        let expected = Dictionary(latest.values.filter { $0.placement == .inside }.map { ($0.zoneName, 1) }, uniquingKeysWith: +)
        #expect(!latest.isEmpty && !expected.isEmpty)
        #expect(await engine.devicesPerStore == expected)
        let oldest = try #require(latest.values.map(\.windowEndNanoseconds).min())
        let newest = try #require(latest.values.map(\.windowEndNanoseconds).max())
        try #require(newest - oldest < 10 * second)
        // 170 s after the oldest position: a sweep runs and keeps everyone (all fresh).
        _ = await engine.tick(now: oldest + 170 * second)
        #expect(await engine.devicesPerStore == expected)
        // 181 s after the newest, under 22.5 s after that sweep: no sweep yet, nobody counts.
        _ = await engine.tick(now: newest + 181 * second)
        #expect(await engine.devicesPerStore.isEmpty)
    }

    /// The loaded model carries the layout hash of the venue bytes it was loaded from (what the
    /// web page's training stamps on a new model), the same as the model's own and as a hash of
    /// the file computed here.
    @Test func theLoadedModelKnowsItsVenueFilesLayoutHash() async throws {
        let f = try #require(await DaemonProcessTests.fixture.value, "the simulate/train fixture failed")
        let (config, _) = DaemonProcessTests.writeConfiguration(f, name: "layout-hash", sources: DaemonProcessTests.replaySources)
        let (_, model) = try Daemon.prepare(configPath: config)
        let bytes = try #require(readFile(f.venue))
        #expect(model.layoutHash == LayoutHash.fnv1a64(bytes))
        #expect(model.layoutHash == model.model.layoutHash)
        // Built in memory, it is the model's.
        #expect(PipelineModel(venue: model.venue, model: model.model).layoutHash == model.model.layoutHash)
    }
}
