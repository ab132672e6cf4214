internal import OrderedCollections

/// Turns each device's stream of placed windows into store visits, passers-by and per-store
/// counts per interval: the visits stage of the data path (positions in, visits and counts out).
///
/// Per device it keeps a committed place (changed only when a new zone wins ``Options/enterWindows``
/// windows in a row or ``Options/enterConfidence`` of summed confidence, so one stray window
/// neither opens nor ends a visit), one open visit and one open pass, all in a fixed-size value:
///
/// - A visit opens when the committed place becomes a store; its entry is estimated halfway
///   between the device's last reading before the run of windows placed in the store (in the
///   committed place or a stray window elsewhere) and the first reading of that run (phones
///   probe every few seconds to minutes, so window ends would be late by up to an interval); a
///   device first heard inside entered half its usual probe gap before (see
///   ``estimateStay(lastBefore:firstIn:lastIn:firstAfter:silentAllowance:)``).
///   It ends when the device has been placed outside for ``Options/exitTimeoutSeconds`` (exit
///   halfway between the last reading inside and the first placed elsewhere, so short excursions of the
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
        /// Once a visit has lasted the minimum dwell, a device falling silent is taken to have
        /// left half its usual gap between probe bursts after the last reading inside (an idle
        /// phone probes every minute or two, so the visit outlasts the last reading by half a
        /// gap on average) — at least ``silentExitSeconds`` and at most this. Equal to
        /// ``silentExitSeconds``: the fixed allowance. 120 s: half the longest idle scan gap
        /// worth trusting; chosen on simulator seed 2 (docs/accuracy.md), 90–180 s gave the same.
        public var silentExitMaxSeconds: Double = 120
        /// A new place is committed after this many consecutive windows in it … (a phone's
        /// burst of probes shows in two overlapping windows, so 2 is one burst placed there
        /// twice). 2 for models that include layout fingerprints (`mallgate train`'s default):
        /// against 3, recall +2 to +4 points and precision −2 to −5 (to 94–98 %) on five
        /// simulator runs; a model from the calibration walk alone flips more and wants 3
        /// (its precision 86–91 % at 3 falls to 72–86 % at 2; docs/accuracy.md, "Defaults for a
        /// model that knows the layout").
        public var enterWindows: Int = 2
        /// … or once their summed confidence reaches this (1.9: one burst the smoothed
        /// localizer is sure of). Tuned on the simulator, see docs/accuracy.md.
        public var enterConfidence: Float = 1.9
        /// Between a walkway reading and a store reading (either order), the door is taken to be
        /// crossed at most this long from the walkway reading (halfway when the gap is shorter):
        /// people walk through corridors and linger in stores, so after a long silence the
        /// crossing is nearer the walkway end of the gap. Infinite = always halfway.
        public var walkSeconds: Double = .infinity
        /// See ``flush(captureEnd:into:)`` (0: never). 240 s: the longest idle scan gap worth
        /// trusting (twice ``silentExitMaxSeconds``), so a phone heard inside during its last scan
        /// before the end is still there; chosen on simulator seed 2 (docs/accuracy.md: 120 s cut
        /// visits of phones whose last scan came 2–4 minutes before the end).
        public var captureEndSeconds: Double = 240
        /// Devices held at most.
        public var maxDevices: Int = 50_000
        /// Length of a counting interval.
        public var intervalSeconds: Double = 900
        public init() {}
    }

    /// One device's state. The 8-byte fields come first and the small ones last, so the value
    /// has no padding: 128 bytes (144 in the order of the explanation), held for up to
    /// ``Options/maxDevices`` devices.
    struct DeviceState: Sendable {
        /// Newest reading time seen.
        var lastReading: Int64
        /// Usual gap between the device's probe bursts (a running average, nanoseconds; 0
        /// until a gap was seen).
        var burstGap: Int64 = 0
        /// The newest reading of a window placed in the committed place (`place`).
        var placeLast: Int64 = .min
        /// The first reading of the run of windows placed in the `candidate` zone.
        var candidateFirst: Int64 = 0
        /// The device's newest reading before the run began (`.min`: none): its last evidence
        /// of being anywhere but the candidate zone, whether or not that place was committed.
        var candidateAfter: Int64 = .min
        /// The open visit (`visitStore`): entry estimate, newest reading placed in it, exit
        /// estimate once placed outside (`.min` while inside).
        var visitEnter: Int64 = 0
        var visitLastInside: Int64 = 0
        var visitExit: Int64 = .min
        /// The first reading placed anywhere but the visit's store after its last reading
        /// inside (`.min`: none yet), committed or not: where the exit estimate ends.
        var visitFirstAway: Int64 = .min
        /// The open pass (`passZone`): start, newest reading placed there, and per door store
        /// of the walkway (bit i = `doorStores[walkway][i]`) whether it was visited.
        var passStart: Int64 = 0
        var passLast: Int64 = 0
        var passVisited: UInt64 = 0
        /// Committed place (class index; -1: none yet).
        var place: Int32 = -1
        /// A zone challenging the committed place (-1: none), its windows in a row and their
        /// summed confidence.
        var candidate: Int32 = -1
        var candidateWindows: Int32 = 0
        var candidateMass: Float = 0
        /// The open visit's store (-1: none).
        var visitStore: Int32 = -1
        /// The open pass's walkway (-1: none).
        var passZone: Int32 = -1
        /// Whether `entered` was reported for the open visit.
        var visitAnnounced = false
        /// Whether the device was first heard in the visit's store (nothing before it): the
        /// entry is moved half a probe gap earlier once the visit qualifies.
        var visitFirstHeard = false

        init(lastReading: Int64) {
            self.lastReading = lastReading
        }
    }

    public let layout: VisitLayout
    public let options: Options
    /// The held devices: their states in one dense array behind a bit-packed index
    /// (`OrderedDictionary`; a removed device's place is taken by the last one).
    ///
    /// A `Dictionary` of the 128-byte states had 131,072 buckets at the 50,000-device cap (one is
    /// kept at most three quarters full): 19.9 MB, and 30 MB while it doubled; dense, 7 MB
    /// (BENCHMARKS.md session 9).
    private var devices: OrderedDictionary<UInt64, DeviceState> = [:]
    private var counter: IntervalCounter
    private var lastSweep: Int64 = .min
    /// The earliest reading fed: nothing is known before it (the capture began).
    private var captureStart: Int64 = .max
    private let minimumDwell: Int64
    private let exitTimeout: Int64
    private let silenceTimeout: Int64
    private let silentExit: Int64
    private let silentExitMax: Int64
    private let captureEndWindow: Int64
    private let walk: Int64
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
        silentExitMax = Int64(max(options.silentExitMaxSeconds, options.silentExitSeconds) * 1e9)
        captureEndWindow = Int64(options.captureEndSeconds * 1e9)
        walk = options.walkSeconds.isFinite ? Int64(max(0, options.walkSeconds) * 1e9) : .max
        sweepEvery = max(1_000_000_000, min(exitTimeout, silenceTimeout) / 4)
    }

    /// Devices currently held.
    public var deviceCount: Int { devices.count }

    /// Whether `device` is held (heard, and neither silent past the timeout nor evicted).
    public func hasDevice(_ device: UInt64) -> Bool { devices.index(forKey: device) != nil }

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
        captureStart = min(captureStart, firstReading)
        if windowEnd - lastSweep >= sweepEvery {
            expire(at: windowEnd, into: &events)
            lastSweep = windowEnd
        }
        guard classIndex >= 0 && classIndex < layout.classCount else { return .elsewhere }
        if devices.count >= options.maxDevices && devices.index(forKey: device) == nil { makeRoom(at: windowEnd, into: &events) }
        let start = events.count
        let c = Int32(classIndex)
        let slot = devices.index(forKey: device)
        var s = slot.map { devices.values[$0] } ?? DeviceState(lastReading: .min)
        // The first reading this device had not shown before (windows overlap).
        let newFirst = s.lastReading == .min || firstReading > s.lastReading ? firstReading : lastReading
        // A window starting after everything heard before holds a new burst: the gap to it
        // feeds the device's usual gap (readings of one burst lie within a second or two).
        if s.lastReading != .min && firstReading - s.lastReading > Self.burstSpread {
            let gap = firstReading - s.lastReading
            s.burstGap = s.burstGap == 0 ? gap : (3 * s.burstGap + gap) / 4
        }
        let previousReading = s.lastReading
        s.lastReading = max(s.lastReading, lastReading)
        // First evidence of being out of the open visit's store (a stray window too: the exit
        // is estimated from observations, the hysteresis only decides whether there was one).
        if s.visitStore >= 0 && c != s.visitStore && s.visitFirstAway == .min && newFirst > s.visitLastInside {
            s.visitFirstAway = newFirst
        }
        if c == s.place {
            s.candidate = -1
            s.placeLast = max(s.placeLast, lastReading)
        } else {
            if c != s.candidate {
                s.candidate = c
                s.candidateWindows = 0
                s.candidateMass = 0
                s.candidateFirst = newFirst
                s.candidateAfter = previousReading
            }
            s.candidateWindows += 1
            s.candidateMass += confidence
            if Int(s.candidateWindows) >= options.enterWindows || s.candidateMass >= options.enterConfidence {
                // Entry: from the last evidence elsewhere (the committed place or a stray window
                // after it) to the first reading of the run.
                let last = s.place >= 0 || s.candidateAfter != .min ? max(s.placeLast, s.candidateAfter) : .min
                let boundary = self.boundary(from: s.place, last: last, to: c, first: s.candidateFirst)
                move(&s, device: device, to: c, at: boundary, heardBefore: last != .min, into: &events)
                s.place = c
                s.placeLast = lastReading
                s.candidate = -1
            }
        }
        if s.visitStore >= 0 {
            if c == s.visitStore && s.place == c {
                s.visitLastInside = max(s.visitLastInside, lastReading)
                s.visitFirstAway = .min
            }
            if !s.visitAnnounced && s.visitExit == .min && s.visitLastInside - s.visitEnter >= minimumDwell {
                settleEnter(&s)
                s.visitAnnounced = true
                events.append(.entered(StoreVisit(device: device, store: Int(s.visitStore), enterNanoseconds: s.visitEnter, exitNanoseconds: s.visitLastInside)))
            }
            if s.visitExit != .min && s.lastReading - s.visitLastInside > exitTimeout { closeVisit(&s, device: device, exit: s.visitExit, into: &events) }
        }
        if s.passZone >= 0 && c == s.passZone && s.place == c { s.passLast = max(s.passLast, lastReading) }
        if let slot {
            devices.values[slot] = s
        } else {
            devices.updateValue(s, forKey: device)
        }
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
        var k = 0
        while k < devices.count {
            // The state is copied out and back: `finish` and `closeVisit` read `self`, and passing
            // `&devices.values[k]` to them would make Swift copy every state for each call.
            let key = devices.keys[k]
            if t - devices.values[k].lastReading > silenceTimeout {
                var state = devices.values[k]
                finish(&state, device: key, into: &events)
                remove(at: k)  // the last device moved into k: look at k again
                continue
            } else if devices.values[k].visitExit != .min && t - devices.values[k].visitLastInside > exitTimeout {
                var state = devices.values[k]
                closeVisit(&state, device: key, exit: state.visitExit, into: &events)
                devices.values[k] = state
            }
            k += 1
        }
        // The order depends on arrivals and removals: sort so outputs are reproducible.
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
    ///
    /// With `captureEnd` (nanoseconds), a device still inside a store and heard within
    /// ``Options/captureEndSeconds`` of the end is taken to be there when the capture stopped: its
    /// visit ends at `captureEnd` (the visit was cut by the recording, not by the visitor).
    public mutating func flush(captureEnd: Int64? = nil, into events: inout [VisitEvent]) -> [StoreCounts] {
        let start = events.count
        for key in devices.keys.sorted() {
            var state = devices[key]!  // a copy: see expire(at:into:)
            if let captureEnd, state.visitStore >= 0, state.visitExit == .min, captureEnd - state.lastReading <= captureEndWindow {
                closeVisit(&state, device: key, exit: captureEnd, into: &events)
            }
            finish(&state, device: key, into: &events)
        }
        devices.removeAll()
        events[start...].sort { Self.order($0) < Self.order($1) }
        record(events, from: start)
        return counter.closeAll()
    }

    // MARK: - State machine

    /// When the device moved from place `a` (last reading placed there `last`) to `b` (first
    /// reading `first`): halfway between the readings, but within ``Options/walkSeconds`` of the
    /// walkway reading when one side is a store and the other is not.
    private func boundary(from a: Int32, last: Int64, to b: Int32, first: Int64) -> Int64 {
        guard last != .min && last < first else { return first }
        let half = (first - last) / 2
        guard a >= 0 && layout.isStore[Int(a)] != layout.isStore[Int(b)] else { return last + half }
        return layout.isStore[Int(b)] ? last + min(half, walk) : first - min(half, walk)
    }

    /// The committed place changes to class `c` at `boundary`.
    private func move(_ s: inout DeviceState, device: UInt64, to c: Int32, at boundary: Int64, heardBefore: Bool, into events: inout [VisitEvent]) {
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
            let exit = exitEstimate(s, otherwise: boundary)
            if isStore {
                closeVisit(&s, device: device, exit: s.visitExit != .min ? s.visitExit : exit, into: &events)
            } else if s.visitExit == .min {
                s.visitExit = exit
            }
        }
        if s.visitStore == c {
            s.visitExit = .min  // back in before the exit timeout: the same visit
            s.visitFirstAway = .min
        } else if s.visitStore < 0 && isStore {
            s.visitStore = c
            s.visitEnter = boundary
            s.visitLastInside = boundary
            s.visitExit = .min
            s.visitAnnounced = false
            s.visitFirstAway = .min
            s.visitFirstHeard = !heardBefore
        }
    }

    /// A visit that qualified and whose device was first heard inside began before that first
    /// reading: by the same half probe gap as a silent exit (the mirror case), not before the
    /// first reading of the capture.
    private func settleEnter(_ s: inout DeviceState) {
        guard s.visitFirstHeard else { return }
        s.visitFirstHeard = false
        s.visitEnter = max(captureStart, s.visitEnter - halfGap(s))
    }

    /// Exit from the open visit: ``estimateStay(lastBefore:firstIn:lastIn:firstAfter:silentAllowance:)``
    /// from its last reading inside and the first reading placed elsewhere after it, or
    /// `otherwise` (the commit boundary) when no such reading is known.
    private func exitEstimate(_ s: DeviceState, otherwise: Int64) -> Int64 {
        guard s.visitFirstAway != .min && s.visitFirstAway > s.visitLastInside else { return otherwise }
        return Self.estimateStay(lastBefore: nil, firstIn: s.visitLastInside, lastIn: s.visitLastInside, firstAfter: s.visitFirstAway, silentAllowance: 0).exit
    }

    /// Estimates when a stay began and ended from the observations around it (nanoseconds).
    ///
    /// A phone is only heard when it probes, so the crossing into the place happened somewhere
    /// between the last observation elsewhere (`lastBefore`) and the first one inside
    /// (`firstIn`); with nothing else known, the midpoint has the least expected error (half a
    /// gap at worst, a quarter in the median when crossings fall anywhere in the gap). Likewise
    /// the exit lies between `lastIn` and the first observation elsewhere after it
    /// (`firstAfter`). With no observation before (first heard inside), the entry is
    /// `silentAllowance` before the first one inside; with none after (the phone fell silent),
    /// the exit is `silentAllowance` after the last one inside — half the phone's usual probe
    /// gap, the midpoint of the gap in which the unheard crossing lies.
    /// Times are reading times, never window ends: a window ending at `t` holds readings from
    /// `t − length` on, so stamping window ends would make both ends late by up to a window.
    public static func estimateStay(lastBefore: Int64?, firstIn: Int64, lastIn: Int64, firstAfter: Int64?, silentAllowance: Int64) -> (enter: Int64, exit: Int64) {
        let enter = lastBefore.map { $0 < firstIn ? $0 + (firstIn - $0) / 2 : firstIn } ?? firstIn - max(0, silentAllowance)
        let exit = firstAfter.map { $0 > lastIn ? lastIn + ($0 - lastIn) / 2 : lastIn } ?? lastIn + max(0, silentAllowance)
        return (enter, max(exit, enter))
    }

    /// Marks the pass's door store `store` as visited when a stay there qualifies.
    private func markVisited(_ s: inout DeviceState, store: Int32) {
        guard s.passZone >= 0, let bit = layout.doorStores[Int(s.passZone)].firstIndex(of: Int(store)), bit < 64 else { return }
        s.passVisited |= 1 << UInt64(bit)
    }

    private func closeVisit(_ s: inout DeviceState, device: UInt64, exit: Int64, into events: inout [VisitEvent]) {
        guard s.visitStore >= 0 else { return }
        if s.visitAnnounced || max(exit, s.visitEnter) - s.visitEnter >= minimumDwell { settleEnter(&s) }
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
            // A window placed elsewhere since (never committed) bounds the exit before silence does.
            let exit = s.visitExit != .min ? s.visitExit : exitEstimate(s, otherwise: s.visitLastInside + silentAllowance(s))
            closeVisit(&s, device: device, exit: exit, into: &events)
        }
        endPass(&s, device: device, at: s.passLast, into: &events)
    }

    /// How long after its last reading inside a device that fell silent is taken to have left:
    /// ``Options/silentExitSeconds``, or half its usual burst gap (within the bounds) once the
    /// visit has lasted the minimum dwell up to its last reading inside.
    private func silentAllowance(_ s: DeviceState) -> Int64 {
        guard s.visitLastInside - s.visitEnter >= minimumDwell else { return silentExit }
        return halfGap(s)
    }

    /// Half the device's usual gap between probe bursts, within ``Options/silentExitSeconds``
    /// … ``Options/silentExitMaxSeconds``.
    private func halfGap(_ s: DeviceState) -> Int64 {
        min(max(s.burstGap / 2, silentExit), silentExitMax)
    }

    /// Readings closer than this belong to one burst of probes.
    static let burstSpread: Int64 = 3_000_000_000

    /// Frees room: expires timeouts, and if still full closes the least recently heard
    /// sixteenth of the devices at once.
    ///
    /// Evicting one device per new one would scan every device for each arrival once the cap
    /// is reached (a crowd larger than the cap: 864 probe requests/s at 100,000 devices); in
    /// bulk, the scan and sort are paid once per `maxDevices / 16` arrivals.
    private mutating func makeRoom(at t: Int64, into events: inout [VisitEvent]) {
        expire(at: t, into: &events)
        guard devices.count >= options.maxDevices else { return }
        let count = min(devices.count, max(1, options.maxDevices / 16))
        var oldest: [(lastReading: Int64, device: UInt64)] = []
        oldest.reserveCapacity(devices.count)
        for (device, state) in devices.elements { oldest.append((state.lastReading, device)) }
        // Ties (same last reading) broken by id, so eviction is reproducible.
        oldest.sort { ($0.lastReading, $0.device) < ($1.lastReading, $1.device) }
        let start = events.count
        for (_, device) in oldest.prefix(count) {
            guard let k = devices.index(forKey: device) else { continue }
            var state = devices.values[k]
            remove(at: k)
            finish(&state, device: device, into: &events)
            evictedDevices += 1
        }
        events[start...].sort { Self.order($0) < Self.order($1) }
        record(events, from: start)
    }

    /// Forgets the device at `k` in O(1): the last device moves into its place.
    private mutating func remove(at k: Int) {
        devices.swapAt(k, devices.count - 1)
        devices.removeLast()
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
