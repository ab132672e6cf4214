public import MallGateLocalize
public import MallGateVenue
#if canImport(Glibc)
internal import Glibc
#endif

/// Labelled fingerprints synthesized from a venue's layout alone — sensor positions, store
/// walls, shopfronts and floor slabs through the propagation model — so a fresh install can
/// localize before anyone walks a calibration phone, and calibration windows then refine it.
///
/// Each sample is one visitor-like window at a point drawn uniformly over a zone's polygon
/// (near walls and shopfronts too, where a technician's standing spots never are): per sensor
/// the nominal mean RSSI of the venue's ``RadioEnvironment`` (path loss, walls, slabs), plus a
/// fresh shadowing draw, a phone offset and per-frame fading, cut at the sensor's sensitivity.
/// It uses only the venue file's nominal constants: it knows nothing of a simulation's seeded
/// shadowing field, nor of the real building's deviations from the nominal constants.
public struct LayoutFingerprints: Sendable {
    /// How many samples and how much noise.
    public struct Options: Sendable {
        /// Samples per zone (every zone gets the same count, so no class is drowned out).
        public var samplesPerZone: Int
        /// Zone kinds that become classes; by default all, escalators and lifts included (a
        /// calibration walk does not stand on them, but visitors ride them: without a class of
        /// their own, a rider next to a store row is placed in a store).
        public var zoneKinds: Set<ZoneKind>
        /// Slow fading, σ in dB, drawn afresh per sensor and sample; nil: the venue's.
        public var shadowingSigmaDB: Double?
        /// Per-frame fading, σ in dB (the simulator's default).
        public var fastFadingSigmaDB: Double
        /// Phones' transmit power relative to a typical phone, uniform in ± this many dB: wide,
        /// because a louder phone is heard by more sensors and a quieter one by fewer, which
        /// relative features do not undo (measured: σ 3 dB lost 6–11 points of store accuracy
        /// on phones ±8 dB; docs/accuracy.md).
        public var phoneOffsetRangeDB: Double
        /// Probe frames a fixed-channel sensor catches from one scan (1–3 per channel).
        public var framesPerScan: ClosedRange<Int>
        /// Chance that a window holds two scans instead of one (screen-on phones scan every ~12 s).
        public var secondScanShare: Double
        public var seed: UInt64

        public init(
            samplesPerZone: Int = 200, zoneKinds: Set<ZoneKind> = Set(ZoneKind.allCases),
            shadowingSigmaDB: Double? = nil, fastFadingSigmaDB: Double = 2.5, phoneOffsetRangeDB: Double = 12,
            framesPerScan: ClosedRange<Int> = 1...3, secondScanShare: Double = 0.3, seed: UInt64 = 1
        ) {
            self.samplesPerZone = samplesPerZone
            self.zoneKinds = zoneKinds
            self.shadowingSigmaDB = shadowingSigmaDB
            self.fastFadingSigmaDB = fastFadingSigmaDB
            self.phoneOffsetRangeDB = phoneOffsetRangeDB
            self.framesPerScan = framesPerScan
            self.secondScanShare = secondScanShare
            self.seed = seed
        }
    }

    /// The samples, labelled `zone`, `floor`, `kind` like a calibration walk's windows.
    public let set: FingerprintSet
    /// Where each sample was taken (on its zone's floor).
    public let positions: [Point]

    /// Synthesizes ``Options/samplesPerZone`` samples for every zone of a kind in ``Options/zoneKinds``.
    /// - Throws: ``SimulationError`` when the venue cannot be indexed (see ``VenueMap``).
    public init(venue: Venue, options: Options = Options()) throws(SimulationError) {
        let map = try VenueMap(venue: venue)
        // The seed only matters for the shadowing field, which is never read here.
        let propagation = PropagationModel(map: map, seed: 0)
        let radio = venue.radio
        let zones = map.zones.indices.filter { options.zoneKinds.contains(map.zones[$0].kind) }
        let sensors = venue.sensors
        let hearShare = sensors.map { s -> Double in
            // A hopping sensor listens to one of its channels at a time: it catches a probe on
            // one channel of the phone's sweep with about that share.
            s.channels.fixed != nil ? 1 : 1 / Double(max(s.channels.channels.count, 1))
        }
        let shadowSigma = options.shadowingSigmaDB ?? radio.shadowingSigmaDB
        let perZone = max(options.samplesPerZone, 1)
        let slots = ResultSlots<([Sample], [Point])>(count: zones.count)
        let work: @Sendable (Int) -> Void = { k in
            let z = zones[k]
            let floor = map.zoneFloor[z]
            var rng = SimulationRandom(seed: options.seed, stream: 0x1A70_0000_0000 &+ UInt64(z))
            var samples: [Sample] = []
            var points: [Point] = []
            samples.reserveCapacity(perZone)
            for _ in 0..<perZone {
                let p = map.samplers[z].randomPoint(using: &rng)
                let offset = rng.uniform(-options.phoneOffsetRangeDB, options.phoneOffsetRangeDB)
                let scans = rng.chance(options.secondScanShare) ? 2 : 1
                var summaries: [SensorSummary] = []
                summaries.reserveCapacity(sensors.count)
                var values: [Float] = []
                for s in sensors.indices {
                    let d = propagation.distance(sensor: s, floor: floor, position: p)
                    let mean = propagation.pathLossRSSI(distance: d)
                        - propagation.obstructionDB(sensor: s, floor: floor, position: p)
                        + shadowSigma * rng.gaussian() + offset
                    values.removeAll(keepingCapacity: true)
                    if mean + 4 * options.fastFadingSigmaDB >= radio.sensitivityDBm {
                        for _ in 0..<scans {
                            let frames = Int(rng.uniform(Double(options.framesPerScan.lowerBound), Double(options.framesPerScan.upperBound) + 1))
                            for _ in 0..<frames where rng.chance(hearShare[s]) {
                                let rx = mean + options.fastFadingSigmaDB * rng.gaussian()
                                guard rx >= radio.sensitivityDBm else { continue }
                                values.append(Float(min(max((rx + sensors[s].rssiOffset).rounded(), -120), -1)))
                            }
                        }
                    }
                    if values.isEmpty {
                        summaries.append(.notHeard)
                    } else {
                        values.sort()
                        let n = values.count
                        let median = n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2
                        summaries.append(SensorSummary(strongest: values[n - 1], median: median, count: UInt32(n)))
                    }
                }
                // A window with nothing heard never reaches a model.
                guard summaries.contains(where: \.isHeard) else { continue }
                samples.append(Sample(sensors: summaries))
                points.append(p)
            }
            slots.set(k, (samples, points))
        }
        concurrentPerform(iterations: zones.count, work)
        var set = FingerprintSet(sensorNames: sensors.map(\.id), labelNames: ["zone", "floor", "kind"])
        var positions: [Point] = []
        for (k, (samples, points)) in slots.values().enumerated() {
            let zone = map.zones[zones[k]]
            set.samples += samples
            set.labels += Array(repeating: [zone.id, zone.floor, zone.kind.rawValue], count: samples.count)
            positions += points
        }
        self.set = set
        self.positions = positions
    }
}
