/// Turns each device's stream of placed windows into store visits, passers-by and per-store
/// counts per interval: the visits stage of the data path (positions in, visits and counts out).
///
/// Per device it keeps a committed place (changed only when a new zone wins ``Options/enterWindows``
/// windows in a row or ``Options/enterConfidence`` of summed confidence, so one stray window
/// neither opens nor ends a visit), one open visit and one open pass, all in a fixed-size value:
///
/// - A visit opens when the committed place becomes a store; its entry is estimated halfway
///   between the last reading placed elsewhere and the first reading placed in the store (phones
///   probe every few seconds to minutes, so window ends would be late by up to an interval).
///   It ends when the device has been placed outside for ``Options/exitTimeoutSeconds`` (exit
///   halfway between the last reading inside and the first outside, so short excursions of the
///   estimate are bridged), immediately when placed in another store, or when the device is not
///   heard for ``Options/silenceTimeoutSeconds`` (exit ``Options/silentExitSeconds`` after the
///   last reading inside). Visits shorter than ``Options/minimumDwellSeconds`` are dropped.
/// - A pass starts when the committed place becomes a walkway zone with shop doors (see
///   ``VisitLayout``) and ends when the device is placed anywhere but that walkway or one of its
///   stores; every store of the walkway the device did not visit (for the minimum dwell) during
///   the pass gets one passer-by. Walkways on the shortest walk between two places are passed
///   too (an idle phone is not heard in every corridor segment it crosses).
///
/// Events feed an ``IntervalCounter``; ``closeInterval(at:)`` hands out the counts. Time is the
/// readings' capture time (nanoseconds), never a clock: the caller drives it, so tests replay
/// hand-built sequences. Memory is bounded: devices silent for the silence timeout are closed
/// and forgotten, and at most ``Options/maxDevices`` are held (the least recently heard is closed
/// first). In the steady state an update does not allocate (state is updated in place, events
/// are appended to the caller's buffer).
public struct StoreVisitTracker: Sendable {
    public struct Options: Sendable, Equatable {
        /// Visits shorter than this are not reported (a look through the door).
        public var minimumDwellSeconds: Double = 30
        /// Placed outside the store for this long ends the visit.
        public var exitTimeoutSeconds: Double = 180
        /// Not heard at all for this long ends the visit and pass and forgets the device; longer
        /// than the exit timeout because an idle phone in a store may not probe for minutes.
        public var silenceTimeoutSeconds: Double = 600
        /// Exit estimate after the last reading inside when the device falls silent. Kept under
        /// the minimum dwell, so one burst heard in a store and nothing after (a randomized MAC
        /// used once) is never a visit on its own.
        public var silentExitSeconds: Double = 15
        /// A new place is committed after this many consecutive windows in it … (a phone's
        /// burst of probes shows in two overlapping windows: 3 asks for more than one burst)
        public var enterWindows: Int = 3
        /// … or once their summed confidence reaches this (1.9: one burst the smoothed
        /// localizer is sure of). Tuned on the simulator, see docs/accuracy.md.
        public var enterConfidence: Float = 1.9
        /// Devices held at most.
        public var maxDevices: Int = 50_000
        /// Length of a counting interval.
        public var intervalSeconds: Double = 900
        public init() {}
    }

    struct DeviceState: Sendable {
        /// Newest reading time seen.
        var lastReading: Int64
        /// Committed place (class index) and the newest reading of a window placed there.
        var place: Int32 = -1
        var placeLast: Int64 = .min
        /// A zone challenging the committed place: windows in a row, summed confidence, and the
        /// first reading of the run.
        var candidate: Int32 = -1
        var candidateWindows: Int32 = 0
        var candidateMass: Float = 0
        var candidateFirst: Int64 = 0
        /// The open visit: store, entry estimate, newest reading placed in it, exit estimate
        /// once placed outside (`.min` while inside), and whether `entered` was reported.
        var visitStore: Int32 = -1
        var visitEnter: Int64 = 0
        var visitLastInside: Int64 = 0
        var visitExit: Int64 = .min
        var visitAnnounced = false
        /// The open pass: walkway, start, newest reading placed there, and per door store of
        /// the walkway (bit i = `doorStores[walkway][i]`) whether it was visited.
        var passZone: Int32 = -1
        var passStart: Int64 = 0
        var passLast: Int64 = 0
        var passVisited: UInt64 = 0

        init(lastReading: Int64) {
            self.lastReading = lastReading
        }
    }

    public let layout: VisitLayout
    public let options: Options
    private var devices: [UInt64: DeviceState] = [:]
    private var counter: IntervalCounter
    private var lastSweep: Int64 = .min
    private var scratchKeys: [UInt64] = []
    private let minimumDwell: Int64
    private let exitTimeout: Int64
    private let silenceTimeout: Int64
    private let silentExit: Int64
    private let sweepEvery: Int64
    /// Devices closed early because ``Options/maxDevices`` were held.
    public private(set) var evictedDevices = 0

    public init(layout: VisitLayout, options: Options = Options()) {
        precondition(options.enterWindows >= 1 && options.maxDevices >= 1, "enterWindows and maxDevices must be at least 1")
        self.layout = layout
        self.options = options
        counter = IntervalCounter(layout: layout, intervalSeconds: options.intervalSeconds)
        minimumDwell = Int64(options.minimumDwellSeconds * 1e9)
        exitTimeout = Int64(options.exitTimeoutSeconds * 1e9)
        silenceTimeout = Int64(options.silenceTimeoutSeconds * 1e9)
        silentExit = Int64(options.silentExitSeconds * 1e9)
        sweepEvery = max(1_000_000_000, min(exitTimeout, silenceTimeout) / 4)
    }

    /// Devices currently held.
    public var deviceCount: Int { devices.count }

    /// Feeds one window of `device` (windows of one device in time order; devices interleaved
    /// in roughly time order, as windowing emits them) and appends the events it causes — of
    /// this device, and of others whose timeouts expired — to `events`.
    /// - Parameters:
    ///   - windowEnd: end of the window, nanoseconds (drives timeouts of other devices).
    ///   - firstReading: time of the window's first reading.
    ///   - lastReading: time of its last reading.
    ///   - classIndex: the zone class the (smoothed) localizer placed the window in.
    ///   - confidence: that class's probability, for the confidence rule of the hysteresis.
    /// - Returns: the window's three-way status (from `classIndex`, before hysteresis).
    @discardableResult
    public mutating func update(
        device: UInt64, windowEnd: Int64, firstReading: Int64, lastReading: Int64,
        classIndex: Int, confidence: Float = 1, into events: inout [VisitEvent]
    ) -> PlaceStatus {
        if lastSweep == .min { lastSweep = windowEnd }
        if windowEnd - lastSweep >= sweepEvery {
            expire(at: windowEnd, into: &events)
            lastSweep = windowEnd
        }
        guard classIndex >= 0 && classIndex < layout.classCount else { return .elsewhere }
        if devices[device] == nil && devices.count >= options.maxDevices { makeRoom(at: windowEnd, into: &events) }
        let start = events.count
        let c = Int32(classIndex)
        var s = devices.removeValue(forKey: device) ?? DeviceState(lastReading: .min)
        // The first reading this device had not shown before (windows overlap).
        let newFirst = s.lastReading == .min || firstReading > s.lastReading ? firstReading : lastReading
        s.lastReading = max(s.lastReading, lastReading)
        if c == s.place {
            s.candidate = -1
            s.placeLast = max(s.placeLast, lastReading)
        } else {
            if c != s.candidate {
                s.candidate = c
                s.candidateWindows = 0
                s.candidateMass = 0
                s.candidateFirst = newFirst
            }
            s.candidateWindows += 1
            s.candidateMass += confidence
            if Int(s.candidateWindows) >= options.enterWindows || s.candidateMass >= options.enterConfidence {
                // Halfway between the last reading placed in the old place and the first in the new.
                let boundary = s.placeLast == .min || s.placeLast >= s.candidateFirst
                    ? s.candidateFirst : s.placeLast + (s.candidateFirst - s.placeLast) / 2
                move(&s, device: device, to: c, at: boundary, into: &events)
                s.place = c
                s.placeLast = lastReading
                s.candidate = -1
            }
        }
        if s.visitStore >= 0 {
            if c == s.visitStore && s.place == c { s.visitLastInside = max(s.visitLastInside, lastReading) }
            if !s.visitAnnounced && s.visitExit == .min && s.visitLastInside - s.visitEnter >= minimumDwell {
                s.visitAnnounced = true
                events.append(.entered(StoreVisit(device: device, store: Int(s.visitStore), enterNanoseconds: s.visitEnter, exitNanoseconds: s.visitLastInside)))
            }
            if s.visitExit != .min && s.lastReading - s.visitLastInside > exitTimeout { closeVisit(&s, device: device, exit: s.visitExit, into: &events) }
        }
        if s.passZone >= 0 && c == s.passZone && s.place == c { s.passLast = max(s.passLast, lastReading) }
        devices[device] = s
        record(events, from: start)
        return layout.status(ofClass: classIndex)
    }

    /// ``update(device:windowEnd:firstReading:lastReading:classIndex:confidence:into:)`` returning
    /// the events (allocates when there are any; batch callers pass a buffer instead).
    public mutating func update(device: UInt64, windowEnd: Int64, firstReading: Int64, lastReading: Int64, classIndex: Int, confidence: Float = 1) -> [VisitEvent] {
        var events: [VisitEvent] = []
        update(device: device, windowEnd: windowEnd, firstReading: firstReading, lastReading: lastReading, classIndex: classIndex, confidence: confidence, into: &events)
        return events
    }

    /// Ends the visits and passes of devices whose timeouts expired by `t`, and forgets silent
    /// devices; events in time order.
    public mutating func expire(at t: Int64, into events: inout [VisitEvent]) {
        let start = events.count
        var i = devices.startIndex
        while i != devices.endIndex {
            let key = devices.keys[i]
            if t - devices.values[i].lastReading > silenceTimeout {
                finish(&devices.values[i], device: key, into: &events)
                scratchKeys.append(key)
            } else if devices.values[i].visitExit != .min && t - devices.values[i].visitLastInside > exitTimeout {
                closeVisit(&devices.values[i], device: key, exit: devices.values[i].visitExit, into: &events)
            }
            devices.formIndex(after: &i)
        }
        for key in scratchKeys { devices[key] = nil }
        scratchKeys.removeAll(keepingCapacity: true)
        // Dictionary order is arbitrary: sort so outputs are reproducible.
        events[start...].sort { Self.order($0) < Self.order($1) }
        record(events, from: start)
    }

    /// Expires timeouts up to `t` (appending their events to `events`), then closes every
    /// counting interval that ends at or before `t` and returns its counts (one per store).
    ///
    /// A visit is counted when it reaches the minimum dwell and a pass when it ends, both in the
    /// interval of their start; events whose interval is already closed go into the next open
    /// one (``StoreCounts/late``). A daemon therefore closes an interval some minutes after its
    /// end — the silence timeout plus the minimum dwell is safe — passing that later time as `t`.
    public mutating func closeInterval(at t: Int64, events: inout [VisitEvent]) -> [StoreCounts] {
        expire(at: t, into: &events)
        return counter.close(upTo: t)
    }

    /// ``closeInterval(at:events:)`` dropping the expired events (they are counted all the same).
    public mutating func closeInterval(at t: Int64) -> [StoreCounts] {
        var events: [VisitEvent] = []
        return closeInterval(at: t, events: &events)
    }

    /// Ends every visit and pass, forgets every device and closes every interval holding counts
    /// (end of a capture).
    public mutating func flush(into events: inout [VisitEvent]) -> [StoreCounts] {
        let start = events.count
        for key in devices.keys.sorted() { finish(&devices[key]!, device: key, into: &events) }
        devices.removeAll()
        events[start...].sort { Self.order($0) < Self.order($1) }
        record(events, from: start)
        return counter.closeAll()
    }

    // MARK: - State machine

    /// The committed place changes to class `c` at `boundary`.
    private func move(_ s: inout DeviceState, device: UInt64, to c: Int32, at boundary: Int64, into events: inout [VisitEvent]) {
        let ci = Int(c)
        let isStore = layout.isStore[ci]
        // Walkways crossed unheard on the way from the old place: passes of their own.
        if s.place >= 0 && s.place != c {
            var k = layout.next(from: Int(s.place), to: ci)
            var steps = layout.classCount
            while k >= 0 && k != ci && steps > 0 {
                if !layout.isStore[k] && !layout.doorStores[k].isEmpty {
                    if s.passZone != Int32(k) {
                        endPass(&s, device: device, at: boundary, into: &events)
                        s.passZone = Int32(k)
                        s.passStart = boundary
                        s.passLast = boundary
                        s.passVisited = 0
                    }
                } else if !layout.isStore[k] {
                    endPass(&s, device: device, at: boundary, into: &events)
                }
                k = layout.next(from: k, to: ci)
                steps -= 1
            }
        }
        if isStore {
            // Into one of the walkway's own stores: the pass goes on (the store is marked visited
            // once the stay qualifies, see closeVisit and endPass).
            if s.passZone < 0 || !layout.doorStores[Int(s.passZone)].contains(ci) { endPass(&s, device: device, at: boundary, into: &events) }
        } else if !layout.doorStores[ci].isEmpty {
            if s.passZone != c {
                endPass(&s, device: device, at: boundary, into: &events)
                s.passZone = c
                s.passStart = boundary
                s.passLast = boundary
                s.passVisited = 0
            }
        } else {
            endPass(&s, device: device, at: boundary, into: &events)
        }
        // Visits after passes, so a store just left is marked visited in the pass that follows.
        if s.visitStore >= 0 && c != s.visitStore {
            if isStore {
                closeVisit(&s, device: device, exit: s.visitExit != .min ? s.visitExit : boundary, into: &events)
            } else if s.visitExit == .min {
                s.visitExit = boundary
            }
        }
        if s.visitStore == c {
            s.visitExit = .min  // back in before the exit timeout: the same visit
        } else if s.visitStore < 0 && isStore {
            s.visitStore = c
            s.visitEnter = boundary
            s.visitLastInside = boundary
            s.visitExit = .min
            s.visitAnnounced = false
        }
    }

    /// Marks the pass's door store `store` as visited when a stay there qualifies.
    private func markVisited(_ s: inout DeviceState, store: Int32) {
        guard s.passZone >= 0, let bit = layout.doorStores[Int(s.passZone)].firstIndex(of: Int(store)), bit < 64 else { return }
        s.passVisited |= 1 << UInt64(bit)
    }

    private func closeVisit(_ s: inout DeviceState, device: UInt64, exit: Int64, into events: inout [VisitEvent]) {
        guard s.visitStore >= 0 else { return }
        let visit = StoreVisit(device: device, store: Int(s.visitStore), enterNanoseconds: s.visitEnter, exitNanoseconds: max(exit, s.visitEnter))
        if s.visitAnnounced || visit.exitNanoseconds - visit.enterNanoseconds >= minimumDwell {
            if !s.visitAnnounced { events.append(.entered(StoreVisit(device: device, store: visit.store, enterNanoseconds: visit.enterNanoseconds, exitNanoseconds: s.visitLastInside))) }
            events.append(.exited(visit))
            markVisited(&s, store: s.visitStore)
        }
        s.visitStore = -1
        s.visitExit = .min
        s.visitAnnounced = false
    }

    /// Ends the open pass at `end`: a passer-by for every door store not visited meanwhile.
    private func endPass(_ s: inout DeviceState, device: UInt64, at end: Int64, into events: inout [VisitEvent]) {
        guard s.passZone >= 0 else { return }
        // A stay in one of the walkway's stores still open counts if it already qualifies.
        if s.visitStore >= 0 {
            let exit = s.visitExit != .min ? s.visitExit : s.visitLastInside
            if s.visitAnnounced || exit - s.visitEnter >= minimumDwell { markVisited(&s, store: s.visitStore) }
        }
        let zone = Int(s.passZone)
        for (i, store) in layout.doorStores[zone].enumerated() where i >= 64 || s.passVisited & (1 << UInt64(i)) == 0 {
            events.append(.passedBy(StorePass(device: device, store: store, walkway: zone, startNanoseconds: s.passStart, endNanoseconds: max(end, s.passStart))))
        }
        s.passZone = -1
        s.passVisited = 0
    }

    /// The device fell silent (or is evicted): end its visit and pass from what was heard.
    private func finish(_ s: inout DeviceState, device: UInt64, into events: inout [VisitEvent]) {
        if s.visitStore >= 0 {
            let exit = s.visitExit != .min ? s.visitExit : s.visitLastInside + silentExit
            closeVisit(&s, device: device, exit: exit, into: &events)
        }
        endPass(&s, device: device, at: s.passLast, into: &events)
    }

    /// Frees one slot: expires timeouts, and if still full closes the least recently heard device.
    private mutating func makeRoom(at t: Int64, into events: inout [VisitEvent]) {
        expire(at: t, into: &events)
        guard devices.count >= options.maxDevices, let oldest = devices.min(by: { $0.value.lastReading < $1.value.lastReading })?.key else { return }
        let start = events.count
        finish(&devices[oldest]!, device: oldest, into: &events)
        devices[oldest] = nil
        evictedDevices += 1
        record(events, from: start)
    }

    private mutating func record(_ events: [VisitEvent], from start: Int) {
        for i in start..<events.count { counter.record(events[i]) }
    }

    private static func order(_ e: VisitEvent) -> (Int64, UInt64, Int) {
        switch e {
        case .entered(let v): (v.enterNanoseconds, v.device, 0)
        case .exited(let v): (v.exitNanoseconds, v.device, 1)
        case .passedBy(let p): (p.endNanoseconds, p.device, 2)
        }
    }
}
