internal import Glibc
public import MallGateCapture
internal import MallGateDecode
internal import MallGateLocalize
internal import MallGateVenue

/// The pipeline's stages after capture: identify → windows → model → venue-graph filter → visits.
///
/// An actor so that every capture source's forwarder hands its batches to one state
/// machine in turn: while a batch is processed the others wait, their capture
/// channels fill, and live sources drop at the edge (counted) instead of blocking
/// libpcap. Pure computation only: results are returned to the caller, which writes them
/// to the sink, so a slow sink never holds the actor.
public actor PipelineEngine {
    /// Counters since start, for metrics, the status file and the replay summary.
    public struct Counters: Sendable, Equatable {
        public var batches: UInt64 = 0
        public var probeRequests: UInt64 = 0
        /// Probe requests dropped by the identify stage (opt-out).
        public var optedOut: UInt64 = 0
        /// Probe requests without a plausible signal strength (cannot be localized).
        public var implausibleSignal: UInt64 = 0
        public var positions: UInt64 = 0
        public var visits: UInt64 = 0
        public var reloads: UInt64 = 0
    }

    /// Per-sensor health, keyed by sensor id.
    public struct SensorHealth: Sendable, Equatable {
        public var probeRequests: UInt64 = 0
        /// Last time a frame of this sensor reached the pipeline (capture clock, ns since epoch); nil: never.
        public var lastHeardNanoseconds: Int64?
        public var silent = false
    }

    private var model: PipelineModel
    private var configuration: DaemonConfiguration
    private var identifier: any DeviceIdentifying
    private let makeTracker: @Sendable (_ isStore: [Bool], _ configuration: VisitConfiguration) -> any VisitTracking
    private var windows: FingerprintWindows
    private var filter: VenueGraphFilter?
    private var tracker: any VisitTracking
    private var probabilities: [Float]
    private var lastSweep = Int64.min
    /// Latest position per device (class index, time), for "devices now per store".
    private var current: [UInt64: (classIndex: Int, time: Int64)] = [:]
    /// Sensor names → the model's sensor index, per session sensor list (cached; reset on reload).
    private var sensorMaps: [[SensorID]: [Int]] = [:]
    private var latestNanoseconds: Int64 = .min
    private var heartbeatCount: UInt64 = 0
    public private(set) var counters = Counters()
    public private(set) var sensors: [String: SensorHealth] = [:]

    /// - Parameters:
    ///   - identifier: the identify stage (MallGateIdentify at merge; ``StandInDeviceIdentifier`` until then).
    ///   - makeTracker: builds the visits stage for a model's classes (rebuilt on reload).
    public init(
        model: PipelineModel, configuration: DaemonConfiguration, identifier: any DeviceIdentifying,
        makeTracker: @escaping @Sendable (_ isStore: [Bool], _ configuration: VisitConfiguration) -> any VisitTracking = PipelineEngine.storeVisitTracker
    ) {
        self.model = model
        self.configuration = configuration
        self.identifier = identifier
        self.makeTracker = makeTracker
        (windows, filter, tracker, probabilities) = Self.stages(model, configuration, makeTracker)
        for name in model.model.features.sensorNames { sensors[name] = SensorHealth() }
    }

    /// The visits stage on main: MallGateLocalize's StoreVisitTracker.
    public static let storeVisitTracker: @Sendable ([Bool], VisitConfiguration) -> any VisitTracking = { isStore, c in
        var options = StoreVisitTracker.Options()
        options.minimumDwellSeconds = c.minimumDwellSeconds
        options.exitTimeoutSeconds = c.exitTimeoutSeconds
        return StoreVisitTracker(isStore: isStore, options: options)
    }

    private static func stages(
        _ model: PipelineModel, _ c: DaemonConfiguration, _ makeTracker: ([Bool], VisitConfiguration) -> any VisitTracking
    ) -> (FingerprintWindows, VenueGraphFilter?, any VisitTracking, [Float]) {
        let windows = FingerprintWindows(
            sensorCount: model.model.features.sensorCount,
            options: WindowOptions(lengthSeconds: c.windows.lengthSeconds, stepSeconds: c.windows.stepSeconds, idleTimeoutSeconds: c.windows.idleTimeoutSeconds))
        var filterOptions = VenueGraphFilter.Options()
        filterOptions.moveProbability = Float(c.windows.moveProbability)
        filterOptions.stepSeconds = c.windows.stepSeconds
        let filter = c.windows.smoothing
            ? VenueGraphFilter(transitions: VenueTransitions(venue: model.venue, classes: model.model.classes), options: filterOptions) : nil
        let tracker = makeTracker(model.zones.map(\.isStore), c.visits)
        return (windows, filter, tracker, [Float](repeating: 0, count: model.model.classes.count))
    }

    /// Runs one capture batch through every stage.
    ///
    /// - Parameters:
    ///   - batch: observations from one capture session.
    ///   - sensors: that session's sensors (``CaptureSession/sensors``), which `Observation.sensor` indexes.
    /// - Returns: the positions and visits the batch completed.
    public func process(_ batch: [Observation], sensors sessionSensors: [SensorID]) -> PipelineOutput {
        let map = sensorMap(sessionSensors)
        var out = PipelineOutput()
        var heard = [Int64](repeating: .min, count: sessionSensors.count)
        var probes = [UInt64](repeating: 0, count: sessionSensors.count)
        for o in batch {
            guard case .probeRequest(let p) = o.event else { continue }
            counters.probeRequests &+= 1  // UInt64: centuries of frames
            probes[o.sensor] &+= 1
            heard[o.sensor] = max(heard[o.sensor], o.timestampNanoseconds)
            guard let rssi = p.radio.plausibleSignalDBm else {
                counters.implausibleSignal &+= 1
                continue
            }
            guard let device = identifier.deviceID(mac: p.source, timeNanoseconds: o.timestampNanoseconds) else {
                counters.optedOut &+= 1
                continue
            }
            latestNanoseconds = max(latestNanoseconds, o.timestampNanoseconds)
            for w in windows.add(device: device, sensor: map[o.sensor], timeNanoseconds: o.timestampNanoseconds, rssi: Float(rssi)) {
                localize(w, into: &out)
            }
        }
        for (i, sensor) in sessionSensors.enumerated() where probes[i] > 0 {
            self.sensors[sensor.rawValue, default: SensorHealth()].probeRequests &+= probes[i]
            if heard[i] != .min {
                let previous = self.sensors[sensor.rawValue]?.lastHeardNanoseconds ?? .min
                self.sensors[sensor.rawValue]?.lastHeardNanoseconds = max(previous, heard[i])
            }
            if self.sensors[sensor.rawValue]?.silent == true {
                self.sensors[sensor.rawValue]?.silent = false
                out.events.append(PipelineEvent(timeNanoseconds: heard[i], kind: .sensorBack, sensor: sensor.rawValue, detail: "sensor \(sensor.rawValue) is heard again"))
            }
        }
        counters.batches &+= 1
        heartbeatCount &+= 1
        return out
    }

    private func localize(_ w: WindowedSample, into out: inout PipelineOutput) {
        var (best, confidence) = probabilities.withUnsafeMutableBufferPointer { model.model.predict(w.sample, probabilities: $0) }
        if filter != nil { (best, confidence) = filter!.update(device: w.device, timeNanoseconds: w.endNanoseconds, probabilities: probabilities) }
        let zone = model.zones[best]
        out.positions.append(PositionRecord(device: w.device, timeNanoseconds: w.endNanoseconds, zone: zone.id, floor: zone.floor, isStore: zone.isStore, confidence: confidence))
        counters.positions &+= 1
        current[w.device] = (best, w.endNanoseconds)
        // A window's position stands for its middle: visits start and end there.
        let t = w.endNanoseconds - Int64(configuration.windows.lengthSeconds * 5e8)
        append(tracker.update(device: w.device, timeNanoseconds: t, classIndex: best), to: &out)
        if lastSweep == .min || t - lastSweep > Int64(configuration.visits.exitTimeoutSeconds * 1e9) {
            append(tracker.closeIdle(at: t), to: &out)
            lastSweep = t
        }
    }

    private func append(_ visits: [StoreVisit], to out: inout PipelineOutput) {
        for v in visits {
            out.visits.append(VisitRecord(device: v.device, store: model.zones[v.store].id, enterNanoseconds: v.enterNanoseconds, exitNanoseconds: v.exitNanoseconds))
        }
        counters.visits &+= UInt64(visits.count)
    }

    private func sensorMap(_ sessionSensors: [SensorID]) -> [Int] {
        if let map = sensorMaps[sessionSensors] { return map }
        let index = model.sensorIndex
        let map = sessionSensors.map { index[$0.rawValue] ?? -1 }
        sensorMaps[sessionSensors] = map
        for sensor in sessionSensors where sensors[sensor.rawValue] == nil { sensors[sensor.rawValue] = SensorHealth() }
        return map
    }

    /// The periodic step (about once a second): closes idle visits and reports sensors gone silent.
    ///
    /// Also the pipeline's heartbeat when no frames arrive: it runs on this actor, so it
    /// returns only if the pipeline is not stuck.
    /// - Parameter now: the pipeline clock: wall time for live capture, the latest capture time in replay.
    public func tick(now: Int64) -> PipelineOutput {
        var out = PipelineOutput()
        let silentAfter = Int64(configuration.health.sensorSilentAfterSeconds * 1e9)
        for name in sensors.keys.sorted() {
            guard var health = sensors[name], !health.silent else { continue }
            let last = health.lastHeardNanoseconds
            if let last, now - last > silentAfter {
                health.silent = true
                out.events.append(PipelineEvent(timeNanoseconds: now, kind: .sensorSilent, sensor: name, detail: "sensor \(name) has not been heard for \(Int((now - last) / 1_000_000_000)) s"))
                sensors[name] = health
            }
        }
        let t = now - Int64(configuration.windows.lengthSeconds * 5e8)
        if lastSweep != .min, t - lastSweep > Int64(configuration.visits.exitTimeoutSeconds * 1e9) {
            append(tracker.closeIdle(at: t), to: &out)
            lastSweep = t
        }
        let idle = Int64(max(configuration.windows.idleTimeoutSeconds, configuration.visits.exitTimeoutSeconds) * 1e9)
        if current.count > 0, now != .min { current = current.filter { now - $0.value.time <= idle } }
        heartbeatCount &+= 1
        return out
    }

    /// Emits every pending window and closes every open visit (shutdown, end of replay).
    public func flush() -> PipelineOutput {
        var out = PipelineOutput()
        for w in windows.flush() { localize(w, into: &out) }
        append(tracker.flush(), to: &out)
        return out
    }

    /// Installs a new venue, model and configuration between two batches (SIGHUP).
    ///
    /// Windows in progress are finished with the old model and open visits closed first,
    /// so nothing heard before the reload is lost or judged by a model it was not meant for.
    public func replace(model newModel: PipelineModel, configuration newConfiguration: DaemonConfiguration) -> PipelineOutput {
        var out = flush()
        model = newModel
        configuration = newConfiguration
        (windows, filter, tracker, probabilities) = Self.stages(newModel, newConfiguration, makeTracker)
        sensorMaps = [:]
        current = [:]
        lastSweep = .min
        for name in newModel.model.features.sensorNames where sensors[name] == nil { sensors[name] = SensorHealth() }
        counters.reloads &+= 1
        out.events.append(PipelineEvent(timeNanoseconds: latestNanoseconds == .min ? 0 : latestNanoseconds, kind: .reloaded, detail: "venue \(newModel.venue.id) and model reloaded"))
        return out
    }

    /// Increases with every batch and tick the pipeline completes: the watchdog's evidence of life.
    public var heartbeat: UInt64 { heartbeatCount }

    /// The latest capture time seen (ns since epoch), or nil before the first frame.
    public var latestCaptureNanoseconds: Int64? { latestNanoseconds == .min ? nil : latestNanoseconds }

    /// Devices tracked by the windows stage now.
    public var activeDevices: Int { windows.deviceCount }

    /// Devices whose latest position is in each store, keyed by store zone id.
    public var devicesPerStore: [String: Int] {
        var counts: [String: Int] = [:]
        for (_, position) in current where model.zones[position.classIndex].isStore {
            counts[model.zones[position.classIndex].id, default: 0] += 1
        }
        return counts
    }
}
