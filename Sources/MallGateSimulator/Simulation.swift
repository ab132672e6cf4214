public import MallGateVenue
#if canImport(Glibc)
internal import Glibc
#endif

/// A simulated day (or hour) in a venue: people walk, phones probe, every sensor writes
/// what it hears to its own pcap, and the truth is written next to the captures.
///
/// Deterministic: the output files are a function of the venue and the configuration
/// (seed included) only — no wall clock, no system randomness, the same bytes whether
/// sensors run in parallel or not. See docs/simulator.md for the model.
public struct Simulation: Sendable {
    public let venue: Venue
    public let configuration: SimulationConfiguration
    public let map: VenueMap
    public let propagation: PropagationModel
    public let router: Router

    /// - Throws: ``SimulationError`` when the venue cannot be simulated (no sensors, a zone
    ///   on an unknown floor, …) or the configuration makes no sense.
    public init(venue: Venue, configuration: SimulationConfiguration) throws(SimulationError) {
        guard configuration.duration > 0 else { throw SimulationError(.badConfiguration("duration must be positive")) }
        guard configuration.visitors >= 0, configuration.staff >= 0 else {
            throw SimulationError(.badConfiguration("visitors and staff cannot be negative"))
        }
        guard configuration.truthInterval > 0 else { throw SimulationError(.badConfiguration("truth interval must be positive")) }
        guard !configuration.phones.models.isEmpty else { throw SimulationError(.badConfiguration("no phone models")) }
        self.venue = venue
        self.configuration = configuration
        map = try VenueMap(venue: venue)
        for sensor in venue.sensors {
            for c in sensor.channels.channels where !(1...13).contains(c) {
                throw SimulationError(.unusableVenue("sensor \(sensor.id) listens on channel \(c); the simulator covers 2.4 GHz channels 1–13"))
            }
            if sensor.channels.channels.isEmpty {
                throw SimulationError(.unusableVenue("sensor \(sensor.id) has no channel"))
            }
        }
        propagation = PropagationModel(map: map, seed: configuration.seed)
        router = Router(map: map)
    }

    /// The people of this run (same for the same seed), without writing anything.
    public func makeCrowd() -> Crowd {
        CrowdGenerator(map: map, router: router, configuration: configuration).generate()
    }

    /// Runs the simulation and writes one pcap per sensor plus the truth files into `directory`
    /// (created if missing).
    /// - Throws: ``SimulationError`` when a file cannot be written.
    public func run(writingTo directory: String) throws(SimulationError) -> SimulationSummary {
        if mkdir(directory, 0o755) != 0 && errno != EEXIST {
            throw SimulationError(.cannotCreateDirectory(path: directory, errno: errno))
        }
        let crowd = makeCrowd()
        let end = max(configuration.duration, crowd.people.filter { $0.role == .technician }.map(\.trajectory.end).max() ?? 0)
        let table = StaticLossTable(model: propagation, parallel: configuration.parallel)
        let scheduler = PhoneScheduler(configuration: configuration, map: map, table: table)
        var bursts: [ProbeBurst] = []
        for (i, person) in crowd.people.enumerated() {
            bursts.append(contentsOf: scheduler.bursts(person: i, person, end: end))
        }
        bursts.sort { ($0.time, $0.person) < ($1.time, $1.person) }

        // Each unit's elements after the DS Parameter Set (per-unit WPS UUIDs).
        let models = configuration.phones.models
        let tails: [[UInt8]] = crowd.people.enumerated().map { i, person in
            guard let phone = person.phone else { return [] }
            return models[phone.model].tail(unit: SimulationRandom.hash(configuration.seed, 0x0005_51D0, UInt64(i)))
        }
        let sensors = venue.sensors
        let slots = ResultSlots<Result<SensorPass, SimulationError>>(count: sensors.count)
        let frozenBursts = bursts
        let this = self
        let work: @Sendable (Int) -> Void = { s in
            let name = Simulation.fileName(sensor: sensors[s].id)
            slots.set(s, Result { () throws(SimulationError) -> SensorPass in
                try this.runSensor(s, bursts: frozenBursts, tails: tails, table: table, path: directory + "/" + name, name: name)
            })
        }
        if configuration.parallel { concurrentPerform(iterations: sensors.count, work) } else { (0..<sensors.count).forEach(work) }
        var passes: [SensorPass] = []
        for r in slots.values() {
            switch r {
            case .success(let p): passes.append(p)
            case .failure(let e): throw e
            }
        }
        var heardPerBurst = [UInt32](repeating: 0, count: bursts.count)
        for p in passes { for b in p.heardBursts { heardPerBurst[Int(b)] += 1 } }
        let truth = TruthWriter(simulation: self, crowd: crowd, bursts: bursts, heardPerBurst: heardPerBurst, end: end)
        var summary = try truth.write(directory: directory, passes: passes)
        summary.simulatedSeconds = end
        return summary
    }

    static func fileName(sensor id: String) -> String {
        String(id.map { $0 == "/" || $0 == " " ? "_" : $0 }) + ".pcap"
    }

    /// What one sensor heard, in time order, written to `path`.
    struct SensorPass: Sendable {
        var sensor: Int
        /// The file name, relative to the output directory.
        var file: String
        var frames: Int
        var bytes: Int
        var rssiSum: Int64
        var rssiMin: Int
        var rssiMax: Int
        /// One entry per frame written: the burst it belongs to.
        var heardBursts: [Int32]
        /// [distance bin][rssi + 128]: how many frames at that RSSI.
        var histogram: [[UInt32]]
    }

    /// A frame a sensor heard: when, which burst and frame, and at what power.
    struct HeardFrame: Sendable {
        var time: Int64
        var burst: Int32
        var frame: UInt16
        var signal: Int8
        var chain0: Int8
        var chain1: Int8
    }

    /// Distance bins of the sanity table, in metres; frames from another floor get their own bin.
    public static let distanceBins: [Double] = [0, 5, 10, 20, 30, 50]

    /// The frames sensor `s` hears from `bursts`, in time order.
    func hear(sensor s: Int, bursts: [ProbeBurst], table: StaticLossTable) -> [HeardFrame] {
        let sensor = venue.sensors[s]
        let radio = venue.radio
        let models = configuration.phones.models
        let sensorFloor = map.floor(id: sensor.floor)!
        let sz = map.floors[sensorFloor].elevation + sensor.height
        let elevations = map.floors.map { $0.elevation + PropagationModel.phoneHeight }
        let listen = sensor.channels.channels.map { UInt8($0) }
        let hop = sensor.channels.fixed == nil && listen.count > 1
        let dwell = Int64(max(sensor.channels.dwellMs ?? 250, 1)) * 1000
        let phase = Int64(SimulationRandom.hash(configuration.seed, 0x0FA5E, UInt64(s)) % UInt64(dwell * Int64(listen.count)))
        let sigma = configuration.fastFadingSigmaDB
        let seed = configuration.seed
        let slope = 10 * radio.pathLossExponent
        let loss = table.loss[s]
        var out: [HeardFrame] = []
        // A model's channel list → for each channel slot, whether this sensor can ever hear it.
        let slots = models.map { m in m.channels.map { listen.contains($0) } }
        for (b, burst) in bursts.enumerated() {
            let dx = burst.x - sensor.position.x
            let dy = burst.y - sensor.position.y
            let dz = elevations[Int(burst.floor)] - sz
            let d = max((dx * dx + dy * dy + dz * dz).squareRoot(), 1)
            let mean = radio.referencePowerDBm + Double(burst.txOffset) - slope * log10(d) - Double(loss[Int(burst.cell)])
            if mean + 4 * sigma < radio.sensitivityDBm { continue }
            let model = models[Int(burst.model)]
            let perChannel = Int(burst.perChannel)
            for (ci, channel) in model.channels.enumerated() where slots[Int(burst.model)][ci] {
                for k in 0..<perChannel {
                    let t = burst.time + Int64((Double(ci) * model.channelDwell + Double(k) * model.probeGap) * 1_000_000)
                    if hop && listen[Int(((t + phase) / dwell) % Int64(listen.count))] != channel { continue }
                    let j = ci * perChannel + k
                    let h = SimulationRandom.hash(seed, UInt64(s), UInt64(b), UInt64(j))
                    let rx = mean + sigma * gaussianFromHash(h)
                    if rx < radio.sensitivityDBm { continue }
                    let reported = Int(min(max((rx + sensor.rssiOffset).rounded(), -120), -1))
                    let h2 = SimulationRandom.hash(h, 0xC4A1)
                    out.append(HeardFrame(
                        time: t, burst: Int32(b), frame: UInt16(j), signal: Int8(reported),
                        chain0: Int8(max(reported - Int(h2 % 5), -127)), chain1: Int8(max(reported - Int((h2 >> 8) % 7), -127))))
                }
            }
        }
        out.sort { ($0.time, $0.burst, $0.frame) < ($1.time, $1.burst, $1.frame) }
        return out
    }

    private func runSensor(_ s: Int, bursts: [ProbeBurst], tails: [[UInt8]], table: StaticLossTable, path: String, name: String) throws(SimulationError) -> SensorPass {
        let heard = hear(sensor: s, bursts: bursts, table: table)
        let sensor = venue.sensors[s]
        let models = configuration.phones.models
        let sensorFloor = map.floor(id: sensor.floor)!
        var writer = try PcapWriter(path: path)
        var builder = ProbeFrameBuilder()
        let tsfBase = SimulationRandom.hash(configuration.seed, 0x75F, UInt64(s)) & 0xFF_FFFF_FFFF
        let start = configuration.start.microseconds
        var pass = SensorPass(
            sensor: s, file: name, frames: 0, bytes: 0, rssiSum: 0, rssiMin: 0, rssiMax: -128, heardBursts: [],
            histogram: [[UInt32]](repeating: [UInt32](repeating: 0, count: 129), count: Simulation.distanceBins.count + 1))
        pass.heardBursts.reserveCapacity(heard.count)
        let wildcard: [UInt8] = []
        for f in heard {
            let burst = bursts[Int(f.burst)]
            let model = models[Int(burst.model)]
            let perChannel = Int(burst.perChannel)
            let channel = model.channels[Int(f.frame) / perChannel]
            let radio = ProbeFrameBuilder.Radio(
                tsft: tsfBase &+ UInt64(f.time), rate: model.rate, channel: channel, signal: f.signal, chain0: f.chain0, chain1: f.chain1)
            let sequence = (burst.sequence &+ f.frame) & 0xFFF
            builder.build(
                radio: radio, source: burst.mac, sequence: sequence,
                ssid: burst.ssid >= 0 ? PhoneModel.directedSSIDs[Int(burst.ssid)] : wildcard,
                head: model.head, tail: tails[Int(burst.person)])
            try writer.write(microseconds: start + f.time, frame: builder.bytes)
            pass.frames += 1
            pass.rssiSum += Int64(f.signal)
            pass.rssiMin = min(pass.rssiMin, Int(f.signal))
            pass.rssiMax = max(pass.rssiMax, Int(f.signal))
            pass.heardBursts.append(f.burst)
            let bin: Int
            if Int(burst.floor) != sensorFloor {
                bin = Simulation.distanceBins.count
            } else {
                let d = propagation.distance(sensor: s, floor: sensorFloor, position: Point(burst.x, burst.y))
                bin = (Simulation.distanceBins.lastIndex { d >= $0 }) ?? 0
            }
            pass.histogram[bin][Int(f.signal) + 128] += 1
        }
        try writer.flush()
        pass.bytes = writer.bytesWritten
        try writer.close()
        return pass
    }
}
