internal import Glibc
public import MallGateCapture
internal import MallGateDecode
public import MallGateIdentify
internal import MallGateLocalize
internal import MallGateStore
internal import MallGateVenue
internal import MallGateVisits
internal import OrderedCollections

/// The pipeline's stages after capture: identify → pseudo-devices → windows → model →
/// venue-graph filter → visits and per-store counts.
///
/// An actor so that every capture source's forwarder hands its batches to one state
/// machine in turn: while a batch is processed the others wait, their capture
/// channels fill, and live sources drop at the edge (counted) instead of blocking
/// libpcap. Pure computation only: results are returned to the caller, which writes them
/// to the store, so a slow disk never holds the actor.
public actor PipelineEngine {
    /// Counters since start, for metrics, the status file and the replay summary.
    public struct Counters: Sendable, Equatable {
        public var batches: UInt64 = 0
        public var probeRequests: UInt64 = 0
        /// Probe requests dropped by the identify stage (opt-out), before any other stage saw them.
        public var optedOut: UInt64 = 0
        /// Probe requests without a plausible signal strength (cannot be localized).
        public var implausibleSignal: UInt64 = 0
        /// Probe requests from a sensor the model has no feature for (added to the venue after
        /// training): counted in the sensor's health, never identified or localized.
        public var unknownSensor: UInt64 = 0
        public var positions: UInt64 = 0
        /// Finished store visits (of at least the minimum dwell).
        public var visits: UInt64 = 0
        /// Passes in front of a store without going in.
        public var passersBy: UInt64 = 0
        public var reloads: UInt64 = 0
    }

    /// Per-sensor health, keyed by sensor id.
    public struct SensorHealth: Sendable, Equatable {
        public var probeRequests: UInt64 = 0
        /// Last time a frame of this sensor reached the pipeline (capture clock, ns since epoch); nil: never.
        public var lastHeardNanoseconds: Int64?
        public var silent = false
    }

    /// Windows built at once when many devices' windows are due together (a tick, the end of a
    /// capture): a few MB of samples, each part localized before the next is built.
    public static let windowsPerPart = 4_096

    private var model: PipelineModel
    private var configuration: DaemonConfiguration
    private var identifier: DeviceIdentifier
    /// Groups randomized MACs into pseudo-devices; nil when `[privacy] pseudo_devices = false`.
    private var grouper: PseudoDeviceGrouper?
    private var windows: FingerprintWindows
    private var filter: VenueGraphFilter?
    private var tracker: StoreVisitTracker
    private var probabilities: [Float]
    private var events: [VisitEvent] = []
    /// Capture time at which the next counting interval is closed (`.min` before the first window).
    private var nextClose = Int64.min
    /// Start of the first counting interval not yet closed: late visits are counted there, as the tracker does.
    private var openFrom = Int64.min
    /// Dwell of the visits that ended in each open interval, per store class, binned as the store's histogram.
    private var pendingDwell: [Int64: [Int: MallGateStore.DwellHistogram]] = [:]
    private var lastEviction = Int64.min
    /// The pipeline clock at the last tick, and when `current` was last swept of idle devices.
    private var lastTick = Int64.min
    private var lastCurrentSweep = Int64.min
    /// How long a device's latest position counts as "now" (the longer of the window and exit timeouts).
    private var currentIdleNanoseconds: Int64 {
        Int64(max(configuration.windows.idleTimeoutSeconds, configuration.visits.exitTimeoutSeconds) * 1e9)
    }
    /// Latest position per device (class index, time), for "devices now per store" (dense: a
    /// `Dictionary` took 262,144 buckets for 100,000 devices, 6.3 MB).
    private var current: OrderedDictionary<UInt64, (classIndex: Int, time: Int64)> = [:]
    /// Sensor names → the model's sensor index, per session sensor list (cached; reset on reload).
    private var sensorMaps: [[SensorID]: [Int]] = [:]
    private var latestNanoseconds: Int64 = .min
    private var heartbeatCount: UInt64 = 0
    public private(set) var counters = Counters()
    public private(set) var sensors: [String: SensorHealth] = [:]
    /// The web UI's watched devices; `tapped` maps the engine's device to the watched keyed id.
    private var tap: WindowTap?
    private var tapped: [UInt64: UInt64] = [:]

    /// The venue and model in use (after reloads).
    public var pipelineModel: PipelineModel { model }

    /// Watches `tap`'s devices from the next batch on (nil: none).
    public func setWindowTap(_ tap: WindowTap?) {
        self.tap = tap
        tapped = [:]
    }

    /// Fault injection for the watchdog test: `MALLGATE_FAULT_STALL_AFTER_SECONDS=N` makes the
    /// engine block its thread forever N seconds after it starts, as a pipeline caught in a
    /// bug or waiting on a hung disk would. Nothing in a configuration file can set it.
    private let stallDeadline: Int64? = getenv("MALLGATE_FAULT_STALL_AFTER_SECONDS")
        .flatMap { Double(String(cString: $0)) }
        .map { monotonicNanoseconds() + Int64($0 * 1e9) }

    private func stallIfInjected() {
        guard let stallDeadline, monotonicNanoseconds() >= stallDeadline else { return }
        while true { sleep(3600) }
    }

    /// - Parameters:
    ///   - identifier: the identify stage: keyed ids, rotation and the opt-out list.
    public init(model: PipelineModel, configuration: DaemonConfiguration, identifier: DeviceIdentifier) {
        self.model = model
        self.configuration = configuration
        self.identifier = identifier
        grouper = configuration.privacy.pseudoDevices ? PseudoDeviceGrouper() : nil
        (windows, filter, tracker, probabilities) = Self.stages(model, configuration)
        for name in model.model.features.sensorNames { sensors[name] = SensorHealth() }
    }

    private static func stages(_ model: PipelineModel, _ c: DaemonConfiguration) -> (FingerprintWindows, VenueGraphFilter?, StoreVisitTracker, [Float]) {
        let windows = FingerprintWindows(
            sensorCount: model.model.features.sensorCount,
            options: WindowOptions(lengthSeconds: c.windows.lengthSeconds, stepSeconds: c.windows.stepSeconds, idleTimeoutSeconds: c.windows.idleTimeoutSeconds))
        var filterOptions = VenueGraphFilter.Options()
        filterOptions.moveProbability = Float(c.windows.moveProbability)
        filterOptions.stepSeconds = c.windows.stepSeconds
        let filter = c.windows.smoothing
            ? VenueGraphFilter(transitions: VenueTransitions(venue: model.venue, classes: model.model.classes), options: filterOptions) : nil
        let tracker = StoreVisitTracker(layout: model.layout, options: c.visits.trackerOptions)
        return (windows, filter, tracker, [Float](repeating: 0, count: model.model.classes.count))
    }

    /// Runs one capture batch through every stage.
    ///
    /// - Parameters:
    ///   - batch: observations from one capture session.
    ///   - sensors: that session's sensors (``CaptureSession/sensors``), which `Observation.sensor` indexes.
    /// - Returns: the positions, visits, counts and events the batch completed.
    public func process(_ batch: [Observation], sensors sessionSensors: [SensorID]) -> PipelineOutput {
        stallIfInjected()
        let map = sensorMap(sessionSensors)
        var out = PipelineOutput()
        var heard = [Int64](repeating: .min, count: sessionSensors.count)
        var probes = [UInt64](repeating: 0, count: sessionSensors.count)
        for o in batch {
            guard o.isProbeRequest else { continue }
            counters.probeRequests &+= 1  // UInt64: centuries of frames
            probes[o.sensor] &+= 1
            heard[o.sensor] = max(heard[o.sensor], o.timestampNanoseconds)
            // A sensor the model has no feature for: the windows stage would ignore the reading, so
            // it is not worth an HMAC (the raw MAC is not even looked at).
            let sensor = map[o.sensor]
            guard sensor >= 0 else {
                counters.unknownSensor &+= 1
                continue
            }
            // Identify next: an opted-out device's frame goes no further than this line.
            guard let id = identifier.deviceID(o.source, unixNanoseconds: o.timestampNanoseconds) else {
                counters.optedOut &+= 1
                continue
            }
            guard let rssi = o.radio.plausibleSignalDBm else {
                counters.implausibleSignal &+= 1
                continue
            }
            let device = grouper?.assign(GroupingInput(probe: o.probeRequest, deviceID: id, timeNanoseconds: o.timestampNanoseconds, sensor: sensor)) ?? id
            if let tap, tap.devices.contains(id) { tapped[device] = id }
            latestNanoseconds = max(latestNanoseconds, o.timestampNanoseconds)
            for w in windows.add(device: device, sensor: sensor, timeNanoseconds: o.timestampNanoseconds, rssi: Float(rssi)) {
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
        let place = tracker.update(
            device: w.device, windowEnd: w.endNanoseconds, firstReading: w.firstReadingNanoseconds,
            lastReading: w.lastReadingNanoseconds, classIndex: best, confidence: confidence, into: &events)
        let zone = model.zones[best]
        out.positions.append(PositionRow(
            device: w.device, windowEndNanoseconds: w.endNanoseconds, floor: zone.floor, zoneIndex: best, zoneName: zone.id,
            placement: Placement(place), confidence: Double(confidence), clockSynchronized: true))
        counters.positions &+= 1
        current[w.device] = (best, w.endNanoseconds)
        if !tapped.isEmpty, let watched = tapped[w.device] { tap?.onWindow(watched, w, out.positions[out.positions.count - 1]) }
        drainEvents(into: &out)
        closeIntervals(now: w.endNanoseconds, into: &out)
    }

    /// Closes the counting intervals that can no longer receive events as of capture time `now`.
    ///
    /// A visit is confirmed at most a silence timeout plus the minimum dwell after its entry, plus
    /// the half probe gap a device first heard inside is taken to have entered before its first
    /// reading, so an interval is closed that long after its end (as `mallgate locate` does).
    private func closeIntervals(now: Int64, into out: inout PipelineOutput) {
        let settle = settleNanoseconds
        let interval = Int64(configuration.visits.countIntervalSeconds) * 1_000_000_000
        if nextClose == .min { nextClose = (now / interval + 1) * interval + settle }
        guard now >= nextClose else { return }
        let counts = tracker.closeInterval(at: now - settle, events: &events)
        drainEvents(into: &out)
        append(counts, into: &out)
        nextClose = ((now - settle) / interval + 1) * interval + settle
    }

    private var settleNanoseconds: Int64 {
        Int64((configuration.visits.silenceTimeoutSeconds + configuration.visits.minimumDwellSeconds
            + tracker.options.silentExitMaxSeconds) * 1e9)
    }

    /// Turns the tracker's events into visit rows (a visit once it ended, a pass) and keeps the dwell for the counts.
    private func drainEvents(into out: inout PipelineOutput) {
        guard !events.isEmpty else { return }
        let interval = Int64(configuration.visits.countIntervalSeconds) * 1_000_000_000
        for event in events {
            switch event {
            case .entered:
                continue  // counted in the interval counts; the row is written when the visit ends
            case .exited(let v):
                out.visits.append(VisitRow(
                    device: v.device, storeIndex: v.store, storeName: model.zones[v.store].id,
                    enterNanoseconds: v.enterNanoseconds, exitNanoseconds: v.exitNanoseconds, passerBy: false))
                counters.visits &+= 1
                var start = v.exitNanoseconds >= 0 ? v.exitNanoseconds / interval * interval : (v.exitNanoseconds - interval + 1) / interval * interval
                if openFrom != .min && start < openFrom { start = openFrom }
                pendingDwell[start, default: [:]][v.store, default: MallGateStore.DwellHistogram()].add(dwellSeconds: v.dwellSeconds)
            case .passedBy(let p):
                out.visits.append(VisitRow(
                    device: p.device, storeIndex: p.store, storeName: model.zones[p.store].id,
                    enterNanoseconds: p.startNanoseconds, exitNanoseconds: p.endNanoseconds, passerBy: true))
                counters.passersBy &+= 1
            }
        }
        events.removeAll(keepingCapacity: true)
    }

    private func append(_ counts: [StoreCounts], into out: inout PipelineOutput) {
        for c in counts {
            let dwell = pendingDwell[c.startNanoseconds]?[c.store] ?? MallGateStore.DwellHistogram()
            out.storeCounts.append(StoreCountRow(
                storeIndex: c.store, storeName: model.zones[c.store].id, intervalStartNanoseconds: c.startNanoseconds,
                intervalNanoseconds: c.endNanoseconds - c.startNanoseconds, footfall: c.footfall,
                passersBy: c.passersBy, uniqueDevices: c.uniqueVisitors, dwell: dwell))
            openFrom = max(openFrom, c.endNanoseconds)
        }
        if openFrom != .min { pendingDwell = pendingDwell.filter { $0.key >= openFrom } }
    }

    private func sensorMap(_ sessionSensors: [SensorID]) -> [Int] {
        if let map = sensorMaps[sessionSensors] { return map }
        let index = model.sensorIndex
        let map = sessionSensors.map { index[$0.rawValue] ?? -1 }
        sensorMaps[sessionSensors] = map
        for sensor in sessionSensors where sensors[sensor.rawValue] == nil { sensors[sensor.rawValue] = SensorHealth() }
        return map
    }

    /// The periodic step (about once a second): ends visits whose timeouts expired, closes
    /// counting intervals, forgets idle pseudo-devices and reports sensors gone silent.
    ///
    /// Also the pipeline's heartbeat when no frames arrive: it runs on this actor, so it
    /// returns only if the pipeline is not stuck.
    /// - Parameter now: the pipeline clock: wall time for live capture, the latest capture time in replay.
    public func tick(now: Int64) -> PipelineOutput {
        stallIfInjected()
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
        if latestNanoseconds != .min {
            // What the caller did not take in parts (``advanceWindows(now:limit:)``).
            while let part = advanceWindows(now: now, limit: Self.windowsPerPart) { out.append(part) }
            tracker.expire(at: now, into: &events)
            drainEvents(into: &out)
            closeIntervals(now: now, into: &out)
            if grouper != nil, lastEviction == .min || now - lastEviction >= 60_000_000_000 {
                grouper!.evictIdle(now: now)
                lastEviction = now
            }
        }
        // Sweeping `current` is O(devices): every eighth of the idle time, not every tick
        // (with 100,000 phones, a pass over all of them each second). `devicesPerStore` skips
        // stale entries in between.
        let idle = currentIdleNanoseconds
        if current.count > 0, now != .min, lastCurrentSweep == .min || now - lastCurrentSweep >= idle / 8 {
            current.removeAll { now - $0.value.time > idle }
            lastCurrentSweep = now
        }
        lastTick = now
        heartbeatCount &+= 1
        return out
    }

    /// The tick's windows in parts: localizes the windows that ended a window length before
    /// `now` until `limit` or more are placed; nil once none is due. Call it until nil, writing
    /// each part, then ``tick(now:)``.
    ///
    /// Windows that ended a window length ago are placed at the tick, not at the device's next
    /// probe: the live view follows a phone that went quiet inside a store (the margin leaves
    /// room for readings that come late, in other sources' batches). In a replay a tick comes
    /// after a dozen seconds of capture: with 100,000 phones, one output held the positions of
    /// all their windows (14.5 MB, BENCHMARKS.md session 9); in parts each is stored before the
    /// next is built. A batch processed between two parts loses no window and keeps each
    /// device's windows in time order.
    public func advanceWindows(now: Int64, limit: Int) -> PipelineOutput? {
        guard latestNanoseconds != .min else { return nil }
        let margin = Int64(configuration.windows.lengthSeconds * 1e9)
        let part = windows.advance(to: now - margin, limit: limit)
        guard !part.isEmpty else { return nil }
        var out = PipelineOutput()
        for w in part { localize(w, into: &out) }
        return out
    }

    /// Ends the capture's windows in parts: the pending windows of devices until `limit` or
    /// more are out, localized; nil once none are left. ``flush()`` then closes the visits.
    ///
    /// A part at a time keeps the end of a capture with 100,000 devices from holding every
    /// device's last windows and positions in memory at once.
    public func flushWindows(limit: Int) -> PipelineOutput? {
        let part = windows.flush(limit: limit)
        guard !part.isEmpty else { return nil }
        var out = PipelineOutput()
        for w in part { localize(w, into: &out) }
        return out
    }

    /// Emits every pending window (those ``flushWindows(limit:)`` left), ends every open visit
    /// and pass and closes every interval holding counts (shutdown, end of replay, reload).
    ///
    /// `captureEnd`: the end of the captures when they are over (a replay), so a visit still
    /// open then ends there, as in `mallgate locate` (``StoreVisitTracker/flush(captureEnd:into:)``);
    /// nil when the pipeline merely stops or reloads.
    public func flush(captureEnd: Int64? = nil) -> PipelineOutput {
        var out = PipelineOutput()
        for w in windows.flush() { localize(w, into: &out) }
        let counts = tracker.flush(captureEnd: captureEnd, into: &events)
        drainEvents(into: &out)
        append(counts, into: &out)
        pendingDwell = [:]
        current = [:]  // every visit has ended: nobody is "in a store now"
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
        (windows, filter, tracker, probabilities) = Self.stages(newModel, newConfiguration)
        if newConfiguration.privacy.pseudoDevices != (grouper != nil) { grouper = newConfiguration.privacy.pseudoDevices ? PseudoDeviceGrouper() : nil }
        sensorMaps = [:]
        current = [:]
        nextClose = .min
        openFrom = .min
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
        let idle = currentIdleNanoseconds
        for (_, position) in current where model.zones[position.classIndex].isStore && (lastTick == .min || lastTick - position.time <= idle) {
            counts[model.zones[position.classIndex].id, default: 0] += 1
        }
        return counts
    }
}

extension VisitConfiguration {
    /// The visits stage's options for this configuration.
    var trackerOptions: StoreVisitTracker.Options {
        var options = StoreVisitTracker.Options()
        options.minimumDwellSeconds = minimumDwellSeconds
        options.exitTimeoutSeconds = exitTimeoutSeconds
        options.silenceTimeoutSeconds = silenceTimeoutSeconds
        options.enterWindows = enterWindows
        options.intervalSeconds = Double(countIntervalSeconds)
        return options
    }
}
