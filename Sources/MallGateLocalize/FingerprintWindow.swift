internal import OrderedCollections

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

    public init(device: UInt64, endNanoseconds: Int64, firstReadingNanoseconds: Int64, lastReadingNanoseconds: Int64, sample: Sample) {
        self.device = device
        self.endNanoseconds = endNanoseconds
        self.firstReadingNanoseconds = firstReadingNanoseconds
        self.lastReadingNanoseconds = lastReadingNanoseconds
        self.sample = sample
    }
}

/// Cuts per-device readings, arriving in time order, into sliding windows of per-sensor
/// summaries (strongest, median, count).
///
/// Windows end on a global grid (multiples of the step), so windows of different devices line
/// up and a window's time means the same for all. Only windows holding at least one reading are
/// produced. Memory is bounded per device (``WindowOptions/maxReadingsPerDevice``) and idle
/// devices are evicted after ``WindowOptions/idleTimeoutNanoseconds``.
///
/// Every reading of the daemon passes through ``add(device:sensor:timeNanoseconds:rssi:)``, so the
/// state is changed in place: a device's entry is modified inside the dictionary (no remove and
/// re-insert, which hashes twice and moves the state), the per-device cap advances a start index
/// instead of shifting the array (`removeFirst`), and a window is summarized by sorting one reused
/// buffer of packed (sensor, RSSI) keys instead of allocating an array per sensor.
/// `FingerprintWindowReferenceTests` holds it to the plain version, window for window.
public struct FingerprintWindows: Sendable {
    struct Reading: Sendable {
        var sensor: Int32
        var rssi: Float
        var time: Int64
    }

    struct DeviceState: Sendable {
        /// Readings in arrival order; `readings[..<head]` were dropped by the cap and are cut off
        /// at the next compaction.
        var readings: [Reading] = []
        var head = 0
        /// End of the next window to emit.
        var nextEnd: Int64
        var lastSeen: Int64

        init(nextEnd: Int64, lastSeen: Int64) {
            self.nextEnd = nextEnd
            self.lastSeen = lastSeen
        }

        var liveCount: Int { readings.count - head }
    }

    public let sensorCount: Int
    public let options: WindowOptions
    /// Held devices. An `OrderedDictionary` (a dense array of states and a bit-packed index):
    /// a `Dictionary` of these 40-byte entries took 262,144 buckets for 100,000 devices (at
    /// most three quarters full), 10.5 MB; removal swaps the last device into the gap.
    private var devices: OrderedDictionary<UInt64, DeviceState> = [:]
    private var lastSweep: Int64 = .min
    /// Reused by every window: (sensor << 32 | order-preserving RSSI bits), sorted.
    private var scratch: [UInt64] = []
    /// Devices still to be flushed by ``flush(limit:)``, in id order, and how many are done.
    private var flushing: [UInt64] = []
    private var flushed = 0
    /// Devices whose window ending at `advancingEnd` ``advance(to:limit:)`` still has to emit, in
    /// id order, and how many are done.
    private var advancing: [UInt64] = []
    private var advanced = 0
    private var advancingEnd: Int64 = 0
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
    /// evicted as idle). Readings of one device should come in time order (a slightly late one is
    /// counted in the windows still open); a reading with a sensor index outside `0..<sensorCount`
    /// is ignored.
    public mutating func add(device: UInt64, sensor: Int, timeNanoseconds t: Int64, rssi: Float) -> [WindowedSample] {
        guard sensor >= 0 && sensor < sensorCount else { return [] }
        var out: [WindowedSample] = []
        if t &- lastSweep >= options.idleTimeoutNanoseconds || lastSweep == .min {
            if lastSweep != .min { evictIdle(before: t - options.idleTimeoutNanoseconds, into: &out) }
            lastSweep = t
        }
        let reading = Reading(sensor: Int32(sensor), rssi: rssi, time: t)
        if let i = devices.index(forKey: device) {
            // In place: `values[i]` is modified inside the dictionary's storage.
            Self.emit(device: device, state: &devices.values[i], upTo: t, options: options, sensorCount: sensorCount, scratch: &scratch, into: &out)
            Self.append(reading, to: &devices.values[i], cap: options.maxReadingsPerDevice, dropped: &droppedReadings)
        } else {
            // A new device's first window ends after `t`: nothing to emit yet.
            var state = DeviceState(nextEnd: gridEnd(after: t), lastSeen: t)
            Self.append(reading, to: &state, cap: options.maxReadingsPerDevice, dropped: &droppedReadings)
            devices.updateValue(state, forKey: device)
        }
        return out
    }

    /// Emits the windows of every device that end at or before `t`, without waiting for each
    /// device's next reading; in (end, device) order.
    ///
    /// A window is otherwise emitted when its device's next reading passes its end: an idle
    /// phone that probes every two minutes had its last window held that long (or until the
    /// idle timeout), and a live view showed where the phone had been, not where it is. The
    /// caller passes its clock minus a margin for late readings: the windows are the same as
    /// those the next readings would emit, as long as no reading older than `t` comes later
    /// (one that does is counted in the windows still open, as any late reading).
    public mutating func advance(to t: Int64) -> [WindowedSample] {
        advance(to: t, limit: .max)
    }

    /// ``advance(to:)`` in parts: at least `limit` windows per call (all those of one device
    /// and end time together), in the same (end, device) order; empty once nothing ends by `t`.
    ///
    /// A replay's tick came after a dozen seconds of capture: with 100,000 phones the pending
    /// windows of all of them came at once, 50–100 MB of samples for a moment (the peak of one
    /// replay in three, BENCHMARKS.md session 8). In parts, each is localized before the next is
    /// built. Call it until it returns nothing. An ``add(device:sensor:timeNanoseconds:rssi:)``
    /// in between (the daemon's batches between two parts) loses no window and keeps each
    /// device's windows in time order; only the order across devices can differ.
    public mutating func advance(to t: Int64, limit: Int) -> [WindowedSample] {
        var out: [WindowedSample] = []
        while out.count < limit {
            if advanced == advancing.count {
                // The next end time due, and its devices in id order: windows of one end time
                // come out together, so the order is (end, device) across parts too.
                var earliest = Int64.max
                for state in devices.values where state.nextEnd <= t { earliest = min(earliest, state.nextEnd) }
                advancing = []
                advanced = 0
                guard earliest != .max else { break }
                for (key, state) in devices.elements where state.nextEnd == earliest { advancing.append(key) }
                advancing.sort()
                advancingEnd = earliest
            }
            while advanced < advancing.count && out.count < limit {
                let key = advancing[advanced]
                advanced += 1
                guard let i = devices.index(forKey: key) else { continue }
                Self.emit(device: key, state: &devices.values[i], upTo: advancingEnd, options: options, sensorCount: sensorCount, scratch: &scratch, into: &out)
            }
        }
        return out
    }

    /// Emits every window still pending and forgets all devices (end of a capture).
    public mutating func flush() -> [WindowedSample] {
        flush(limit: .max)
    }

    /// Ends a capture in parts: emits the pending windows of devices, in id order, until `limit`
    /// windows or more are out, and forgets those devices; empty once every device is done.
    ///
    /// At the end of a capture with 100,000 devices the windows of all of them at once took
    /// 88 MB; in parts of a few thousand, each is localized and stored before the next. Call it
    /// until it returns nothing, with no ``add(device:sensor:timeNanoseconds:rssi:)`` between.
    public mutating func flush(limit: Int) -> [WindowedSample] {
        if flushed == flushing.count {
            flushing = devices.keys.sorted()
            flushed = 0
        }
        var out: [WindowedSample] = []
        while flushed < flushing.count && out.count < limit {
            let key = flushing[flushed]
            flushed += 1
            guard var state = removeDevice(key) else { continue }
            Self.emit(device: key, state: &state, upTo: .max, options: options, sensorCount: sensorCount, scratch: &scratch, into: &out)
        }
        if flushed == flushing.count {
            flushing = []
            flushed = 0
            devices.removeAll()
        }
        return out
    }

    private mutating func evictIdle(before cutoff: Int64, into out: inout [WindowedSample]) {
        var idle: [UInt64] = []
        for (key, state) in devices.elements where state.lastSeen < cutoff { idle.append(key) }
        guard !idle.isEmpty else { return }
        idle.sort()
        for key in idle {
            var state = removeDevice(key)!
            Self.emit(device: key, state: &state, upTo: .max, options: options, sensorCount: sensorCount, scratch: &scratch, into: &out)
        }
    }

    /// Forgets a device in O(1): the last one takes its place (the order is not used).
    private mutating func removeDevice(_ key: UInt64) -> DeviceState? {
        guard let i = devices.index(forKey: key) else { return nil }
        devices.swapAt(i, devices.count - 1)
        return devices.removeLast().value
    }

    /// The first grid point strictly after `t`.
    private func gridEnd(after t: Int64) -> Int64 {
        Self.gridEnd(after: t, step: options.stepNanoseconds)
    }

    private static func gridEnd(after t: Int64, step s: Int64) -> Int64 {
        let q = t >= 0 ? t / s : (t - s + 1) / s
        return (q + 1) * s
    }

    /// Appends a reading; at the cap the oldest one (in arrival order) is dropped by moving `head`.
    private static func append(_ reading: Reading, to state: inout DeviceState, cap: Int, dropped: inout Int) {
        if state.liveCount >= cap {
            state.head += 1
            dropped += 1
        }
        state.readings.append(reading)
        state.lastSeen = max(state.lastSeen, reading.time)
        // Cut the dropped prefix once it is half the array: O(1) amortized per reading.
        if state.head > 0 && state.head * 2 >= state.readings.count {
            state.readings.removeFirst(state.head)
            state.head = 0
        }
    }

    /// Emits the windows of one device that end at or before `t` (all that hold readings when
    /// `t` is `.max`), then drops readings no later window can hold.
    private static func emit(
        device: UInt64, state: inout DeviceState, upTo t: Int64, options: WindowOptions, sensorCount: Int,
        scratch: inout [UInt64], into out: inout [WindowedSample]
    ) {
        let length = options.lengthNanoseconds
        let step = options.stepNanoseconds
        while state.nextEnd <= t {
            let end = state.nextEnd
            let start = end - length
            if let w = window(device: device, state: state, start: start, end: end, sensorCount: sensorCount, scratch: &scratch) {
                out.append(w)
            }
            // Keep, in order, the readings a later window can hold (and cut the capped prefix).
            let keepFrom = start + step
            let head = state.head
            let kept = state.readings.withUnsafeMutableBufferPointer { r -> Int in
                var k = 0
                for j in head..<r.count where r[j].time >= keepFrom {
                    r[k] = r[j]
                    k += 1
                }
                return k
            }
            state.readings.removeLast(state.readings.count - kept)
            state.head = 0
            if kept == 0 {
                // Nothing left: skip the empty windows of a silence.
                state.nextEnd = t == .max ? .max : gridEnd(after: t, step: step)
                break
            }
            state.nextEnd = end + step
        }
    }

    /// RSSI bits whose unsigned order is the Float order (sign flipped; negatives inverted).
    @inline(__always) private static func orderedBits(_ x: Float) -> UInt32 {
        let b = x.bitPattern
        return b & 0x8000_0000 != 0 ? ~b : b | 0x8000_0000
    }

    @inline(__always) private static func float(orderedBits k: UInt32) -> Float {
        k & 0x8000_0000 != 0 ? Float(bitPattern: k & 0x7FFF_FFFF) : Float(bitPattern: ~k)
    }

    private static func window(
        device: UInt64, state: DeviceState, start: Int64, end: Int64, sensorCount: Int, scratch: inout [UInt64]
    ) -> WindowedSample? {
        scratch.removeAll(keepingCapacity: true)
        var first = Int64.max
        var last = Int64.min
        for r in state.readings[state.head...] where r.time >= start && r.time < end {
            scratch.append(UInt64(UInt32(r.sensor)) << 32 | UInt64(orderedBits(r.rssi)))
            first = min(first, r.time)
            last = max(last, r.time)
        }
        guard first != .max else { return nil }
        // Sorted by sensor, then RSSI ascending: each sensor's readings are one sorted run.
        scratch.sort()
        var sensors = [SensorSummary](repeating: .notHeard, count: sensorCount)
        scratch.withUnsafeBufferPointer { keys in
            var i = 0
            while i < keys.count {
                let sensor = keys[i] >> 32
                var j = i + 1
                while j < keys.count && keys[j] >> 32 == sensor { j += 1 }
                let n = j - i
                let value = { (k: Int) in float(orderedBits: UInt32(truncatingIfNeeded: keys[i + k])) }
                let median = n % 2 == 1 ? value(n / 2) : (value(n / 2 - 1) + value(n / 2)) / 2
                sensors[Int(sensor)] = SensorSummary(strongest: value(n - 1), median: median, count: UInt32(n))
                i = j
            }
        }
        return WindowedSample(device: device, endNanoseconds: end, firstReadingNanoseconds: first, lastReadingNanoseconds: last, sample: Sample(sensors: sensors))
    }
}
