/// How readings are cut into windows: length, step, and the bounds that keep memory flat.
public struct WindowOptions: Sendable, Equatable {
    /// Window length; a window ending at `t` holds the readings in `[t − length, t)`.
    public var lengthNanoseconds: Int64
    /// Distance between consecutive window ends; windows overlap when it is below the length.
    public var stepNanoseconds: Int64
    /// A device not heard for this long is closed (its last windows emitted) and forgotten.
    public var idleTimeoutNanoseconds: Int64
    /// At most this many readings are kept per device (the oldest go first); a phone probing
    /// in bursts at 10 sensors gives a few dozen per 10 s, so the cap only bites on floods.
    public var maxReadingsPerDevice: Int

    public init(lengthSeconds: Double = 10, stepSeconds: Double = 5, idleTimeoutSeconds: Double = 60, maxReadingsPerDevice: Int = 512) {
        self.lengthNanoseconds = Int64(lengthSeconds * 1e9)
        self.stepNanoseconds = Int64(stepSeconds * 1e9)
        self.idleTimeoutNanoseconds = Int64(idleTimeoutSeconds * 1e9)
        self.maxReadingsPerDevice = maxReadingsPerDevice
    }
}

/// One device's evidence over one window, ready for a model.
public struct WindowedSample: Sendable, Equatable {
    /// The caller's device key (a MAC today, a pseudo-device id later).
    public var device: UInt64
    /// End of the window (exclusive), nanoseconds.
    public var endNanoseconds: Int64
    /// Times of the first and last reading inside the window, so a caller can tell whether
    /// the window straddles two labelled intervals.
    public var firstReadingNanoseconds: Int64
    public var lastReadingNanoseconds: Int64
    public var sample: Sample
}

/// Cuts per-device readings, arriving in time order, into sliding windows of per-sensor
/// summaries (strongest, median, count).
///
/// Windows end on a global grid (multiples of the step), so windows of different devices line
/// up and a window's time means the same for all. Only windows holding at least one reading are
/// produced. Memory is bounded per device (``WindowOptions/maxReadingsPerDevice``) and idle
/// devices are evicted after ``WindowOptions/idleTimeoutNanoseconds``.
public struct FingerprintWindows: Sendable {
    struct Reading: Sendable {
        var sensor: Int32
        var rssi: Float
        var time: Int64
    }

    struct DeviceState: Sendable {
        var readings: [Reading] = []
        /// End of the next window to emit.
        var nextEnd: Int64
        var lastSeen: Int64
    }

    public let sensorCount: Int
    public let options: WindowOptions
    private var devices: [UInt64: DeviceState] = [:]
    private var lastSweep: Int64 = .min
    /// Readings dropped because a device exceeded the per-device cap.
    public private(set) var droppedReadings: Int = 0

    public init(sensorCount: Int, options: WindowOptions = WindowOptions()) {
        precondition(options.stepNanoseconds > 0 && options.lengthNanoseconds > 0, "window length and step must be positive")
        self.sensorCount = sensorCount
        self.options = options
    }

    /// Devices currently held.
    public var deviceCount: Int { devices.count }

    /// Adds one reading and returns the windows it completes (for this device, and for devices
    /// evicted as idle). Readings of one device must come in time order; a reading with a sensor
    /// index outside `0..<sensorCount` is ignored.
    public mutating func add(device: UInt64, sensor: Int, timeNanoseconds t: Int64, rssi: Float) -> [WindowedSample] {
        guard sensor >= 0 && sensor < sensorCount else { return [] }
        var out: [WindowedSample] = []
        if t &- lastSweep >= options.idleTimeoutNanoseconds || lastSweep == .min {
            if lastSweep != .min { evictIdle(before: t - options.idleTimeoutNanoseconds, into: &out) }
            lastSweep = t
        }
        var state = devices.removeValue(forKey: device) ?? DeviceState(nextEnd: gridEnd(after: t), lastSeen: t)
        emit(device: device, state: &state, upTo: t, into: &out)
        if state.readings.count >= options.maxReadingsPerDevice {
            state.readings.removeFirst()
            droppedReadings += 1
        }
        state.readings.append(Reading(sensor: Int32(sensor), rssi: rssi, time: t))
        state.lastSeen = max(state.lastSeen, t)
        devices[device] = state
        return out
    }

    /// Emits every window still pending and forgets all devices (end of a capture).
    public mutating func flush() -> [WindowedSample] {
        var out: [WindowedSample] = []
        for key in devices.keys.sorted() {
            var state = devices[key]!
            emit(device: key, state: &state, upTo: .max, into: &out)
        }
        devices.removeAll()
        return out
    }

    private mutating func evictIdle(before cutoff: Int64, into out: inout [WindowedSample]) {
        let idle = devices.filter { $0.value.lastSeen < cutoff }.keys.sorted()
        for key in idle {
            var state = devices.removeValue(forKey: key)!
            emit(device: key, state: &state, upTo: .max, into: &out)
        }
    }

    /// The first grid point strictly after `t`.
    private func gridEnd(after t: Int64) -> Int64 {
        let s = options.stepNanoseconds
        let q = t >= 0 ? t / s : (t - s + 1) / s
        return (q + 1) * s
    }

    /// Emits the windows of one device that end at or before `t` (all that hold readings when
    /// `t` is `.max`), then drops readings no later window can hold.
    private func emit(device: UInt64, state: inout DeviceState, upTo t: Int64, into out: inout [WindowedSample]) {
        let length = options.lengthNanoseconds
        while state.nextEnd <= t {
            let end = state.nextEnd
            let start = end - length
            if let w = window(device: device, readings: state.readings, start: start, end: end) { out.append(w) }
            state.readings.removeAll { $0.time < start + options.stepNanoseconds }
            if state.readings.isEmpty {
                // Nothing left: skip the empty windows of a silence.
                state.nextEnd = t == .max ? .max : gridEnd(after: t)
                break
            }
            state.nextEnd = end + options.stepNanoseconds
        }
    }

    private func window(device: UInt64, readings: [Reading], start: Int64, end: Int64) -> WindowedSample? {
        var perSensor = [[Float]](repeating: [], count: sensorCount)
        var first = Int64.max
        var last = Int64.min
        for r in readings where r.time >= start && r.time < end {
            perSensor[Int(r.sensor)].append(r.rssi)
            first = min(first, r.time)
            last = max(last, r.time)
        }
        guard first != .max else { return nil }
        let sensors = perSensor.map { values -> SensorSummary in
            guard !values.isEmpty else { return .notHeard }
            let sorted = values.sorted()
            let n = sorted.count
            let median = n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2
            return SensorSummary(strongest: sorted[n - 1], median: median, count: UInt32(n))
        }
        return WindowedSample(device: device, endNanoseconds: end, firstReadingNanoseconds: first, lastReadingNanoseconds: last, sample: Sample(sensors: sensors))
    }
}
