import MallGateCapture
import MallGateDaemon
import MallGateDecode
import MallGateLocalize
import Testing

/// The engine between capture and sink, driven with hand-made observations and an injected clock.
@Suite(.serialized)
struct PipelineEngineTests {
    /// Identify seam for tests: MAC 02:…:01 is device 7, MAC 02:…:02 has opted out.
    struct TableIdentifier: DeviceIdentifying {
        mutating func deviceID(mac: MACAddress, timeNanoseconds: Int64) -> UInt64? {
            mac == MACAddress(0x02, 0, 0, 0, 0, 0x01) ? 7 : nil
        }
    }

    static func probe(_ mac: MACAddress, sensor: Int, seconds: Int64, dBm: Int8 = -55) -> Observation {
        var p = ProbeRequest()
        p.source = mac
        p.radio.signalDBm = dBm
        return Observation(sensor: sensor, timestampNanoseconds: (1_800_000_000 + seconds) * 1_000_000_000, frameNumber: 1, event: .probeRequest(p))
    }

    static func engine() throws -> (PipelineEngine, [SensorID]) {
        let f = try #require(DaemonProcessTests.fixture, "the simulate/train fixture failed")
        let (config, _) = DaemonProcessTests.writeConfiguration(f, name: "engine", sources: "[[sources]]\nkind = \"directory\"\npath = \"/nonexistent\"\n")
        let (configuration, model) = try Daemon.prepare(configPath: config)
        let sensors = model.model.features.sensorNames.map { SensorID($0) }
        return (PipelineEngine(model: model, configuration: configuration, identifier: TableIdentifier()), sensors)
    }

    @Test func optedOutDevicesNeverReachAPosition() async throws {
        let (engine, sensors) = try Self.engine()
        let kept = MACAddress(0x02, 0, 0, 0, 0, 0x01)
        let optedOut = MACAddress(0x02, 0, 0, 0, 0, 0x02)
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
        #expect(out.positions.allSatisfy { $0.device == 7 })
        let counters = await engine.counters
        #expect(counters.optedOut == UInt64(60 * sensors.count))
        #expect(counters.probeRequests == UInt64(120 * sensors.count))
        #expect(counters.positions == UInt64(out.positions.count))
    }

    @Test func aSilentSensorIsReportedOnceAndItsReturnToo() async throws {
        let (engine, sensors) = try Self.engine()
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
}
