import MallGateVenue
import MallGateVisits
import Testing

/// A small floor: corridor C with doors into stores A and B, corridor D (open onto C) with a
/// door into store E, and an entrance X open onto D (no shop door). Every reading below is one
/// window holding that one reading (first = last reading), so the expected entry and exit times
/// are the midpoints between readings, worked out by hand in the comments.
@Suite struct StoreVisitTrackerTests {
    static let square = Polygon([Point(0, 0), Point(1, 0), Point(1, 1), Point(0, 1)])
    static let venue = Venue(
        id: "tiny", name: "Tiny", floors: [Floor(id: "0", index: 0, name: "Ground", elevation: 0)],
        zones: [
            Zone(id: "C", kind: .corridor, floor: "0", name: "C", polygon: square),
            Zone(id: "A", kind: .store, floor: "0", name: "A", polygon: square),
            Zone(id: "B", kind: .store, floor: "0", name: "B", polygon: square),
            Zone(id: "D", kind: .corridor, floor: "0", name: "D", polygon: square),
            Zone(id: "E", kind: .store, floor: "0", name: "E", polygon: square),
            Zone(id: "X", kind: .entrance, floor: "0", name: "X", polygon: square),
        ],
        connections: [
            Connection(kind: .door, from: "A", to: "C", at: Point(0.5, 0)),
            Connection(kind: .door, from: "C", to: "B", at: Point(0.5, 1)),
            Connection(kind: .open, from: "C", to: "D"),
            Connection(kind: .door, from: "E", to: "D", at: Point(1, 0.5)),
            Connection(kind: .open, from: "D", to: "X"),
        ],
        sensors: [])
    static let layout = VisitLayout(venue: venue, classZones: ["C", "A", "B", "D", "E", "X"])
    static let (C, A, B, D, E, X) = (0, 1, 2, 3, 4, 5)
    static let s: Int64 = 1_000_000_000

    /// One window commits a move, so expected times follow the readings directly; the
    /// hysteresis has tests of its own. A device falling silent leaves 30 s after its last
    /// reading inside.
    static var oneWindow: StoreVisitTracker.Options {
        var o = StoreVisitTracker.Options()
        o.enterWindows = 1
        o.enterConfidence = .infinity
        o.silentExitSeconds = 30
        return o
    }

    @Test func oneBurstInAStoreThenSilenceIsNoVisitByDefault() {
        var o = StoreVisitTracker.Options()
        o.enterConfidence = 1.9
        var f = Feed(o)
        // A MAC heard once (two overlapping windows, both sure of A), never again.
        let t = 100 * Self.s
        for end in [t + 5 * Self.s, t + 10 * Self.s] {
            f.tracker.update(device: 7, windowEnd: end, firstReading: t, lastReading: t, classIndex: Self.A, confidence: 0.99, into: &f.events)
        }
        _ = f.flush()
        // Committed (0.99 + 0.99 ≥ 1.9) from 100 s, silent exit 100 + 15 < the 30 s minimum dwell.
        #expect(f.events.isEmpty)
    }

    /// Feeds one-reading windows and collects the events.
    struct Feed {
        var tracker: StoreVisitTracker
        var events: [VisitEvent] = []

        init(_ options: StoreVisitTracker.Options = StoreVisitTrackerTests.oneWindow) {
            tracker = StoreVisitTracker(layout: StoreVisitTrackerTests.layout, options: options)
        }

        /// A reading at `seconds` placed in `zone`.
        @discardableResult
        mutating func at(_ seconds: Int64, _ zone: Int, device: UInt64 = 1, confidence: Float = 1) -> PlaceStatus {
            let t = seconds * s
            return tracker.update(device: device, windowEnd: t + s, firstReading: t, lastReading: t, classIndex: zone, confidence: confidence, into: &events)
        }

        mutating func at(_ times: StrideThrough<Int64>, _ zone: Int, device: UInt64 = 1) {
            for t in times { at(t, zone, device: device) }
        }

        mutating func flush() -> [StoreCounts] {
            tracker.flush(into: &events)
        }
    }

    static func visit(_ store: Int, _ enter: Int64, _ exit: Int64, device: UInt64 = 1) -> StoreVisit {
        StoreVisit(device: device, store: store, enterNanoseconds: enter * s, exitNanoseconds: exit * s)
    }

    static func pass(_ store: Int, _ walkway: Int, _ start: Int64, _ end: Int64, device: UInt64 = 1) -> VisitEvent {
        .passedBy(StorePass(device: device, store: store, walkway: walkway, startNanoseconds: start * s, endNanoseconds: end * s))
    }

    @Test func layoutReadsShopDoorsFromTheVenue() {
        let l = Self.layout
        #expect(l.doorStores[Self.C] == [Self.A, Self.B])  // the door B–C is listed from C's side
        #expect(l.doorStores[Self.D] == [Self.E])
        #expect(l.doorStores[Self.X].isEmpty && l.doorStores[Self.A].isEmpty)
        #expect(l.stores == [Self.A, Self.B, Self.E])
        #expect(l.status(ofClass: Self.A) == .inside)
        #expect(l.status(ofClass: Self.C) == .outsideNearStore)
        #expect(l.status(ofClass: Self.X) == .elsewhere)
        #expect(l.status(ofClass: 99) == .elsewhere)
    }

    @Test func eachWindowGetsItsThreeWayStatus() {
        var f = Feed()
        #expect(f.at(0, Self.X) == .elsewhere)
        #expect(f.at(10, Self.D) == .outsideNearStore)
        #expect(f.at(20, Self.E) == .inside)
    }

    @Test func entryAndExitAreHalfwayBetweenReadings() {
        var f = Feed()
        f.at(stride(from: 0, through: 10, by: 10), Self.C)
        f.at(stride(from: 20, through: 80, by: 10), Self.A)   // entered between 10 and 20: 15
        f.at(stride(from: 90, through: 300, by: 10), Self.C)  // left between 80 and 90: 85
        _ = f.flush()
        #expect(f.events == [
            .entered(Self.visit(Self.A, 15, 50)),  // 50 − 15 ≥ 30 s: a visitor from the reading at 50
            // Placed outside since 90; ended once 180 s passed after the last reading inside (at 270).
            .exited(Self.visit(Self.A, 15, 85)),
            // The pass along C (0 … last reading 300) went into A, not into B.
            Self.pass(Self.B, Self.C, 0, 300),
        ])
    }

    @Test func staysShorterThanTheMinimumDwellAreDroppedAndMakePassersBy() {
        var f = Feed()
        f.at(0, Self.C)
        f.at(stride(from: 20, through: 30, by: 10), Self.A)   // in A from 10 …
        f.at(stride(from: 40, through: 220, by: 10), Self.C)  // … to 35: 25 s, under 30 s
        f.at(230, Self.D)                                     // C left at 225
        _ = f.flush()
        #expect(f.events == [
            Self.pass(Self.A, Self.C, 0, 225),
            Self.pass(Self.B, Self.C, 0, 225),
            Self.pass(Self.E, Self.D, 225, 230),
        ])
    }

    @Test func aShortExcursionIsBridgedByTheExitTimeout() {
        var f = Feed()
        f.at(stride(from: 0, through: 40, by: 10), Self.A)
        f.at(50, Self.C)                                      // one window outside
        f.at(stride(from: 60, through: 100, by: 10), Self.A)
        _ = f.flush()
        // One visit from the first reading (0) to the last inside plus the silent-exit allowance (100 + 30).
        #expect(f.events.filter { if case .exited = $0 { true } else { false } } == [.exited(Self.visit(Self.A, 0, 130))])
    }

    @Test func walkwaysCrossedUnheardArePassed() {
        var f = Feed()
        f.at(stride(from: 0, through: 40, by: 10), Self.E)
        f.at(stride(from: 50, through: 90, by: 10), Self.A)   // E → A crosses D and C, at 45
        _ = f.flush()
        // Left E into D, through C into A: D's only store was visited, C's B was passed.
        #expect(f.events.contains(Self.pass(Self.B, Self.C, 45, 45)))
        #expect(f.events.filter { if case .passedBy = $0 { true } else { false } }.count == 1)
    }

    @Test func storeToStoreEndsOneVisitWhereTheNextBegins() {
        var f = Feed()
        f.at(stride(from: 0, through: 60, by: 10), Self.A)
        f.at(stride(from: 70, through: 130, by: 10), Self.B)  // A → B between 60 and 70: 65
        _ = f.flush()
        #expect(f.events == [
            .entered(Self.visit(Self.A, 0, 30)),
            .exited(Self.visit(Self.A, 0, 65)),
            .entered(Self.visit(Self.B, 65, 100)),
            .exited(Self.visit(Self.B, 65, 160)),  // silent after 130: + 30 s
        ])
    }

    @Test func silenceEndsTheVisitAndForgetsTheDevice() {
        var f = Feed()
        f.at(stride(from: 0, through: 40, by: 10), Self.A)
        #expect(f.tracker.deviceCount == 1)
        // Still within the silence timeout (600 s after the last reading at 40): nothing ends.
        _ = f.tracker.closeInterval(at: 640 * Self.s, events: &f.events)
        #expect(f.events == [.entered(Self.visit(Self.A, 0, 30))])
        _ = f.tracker.closeInterval(at: 641 * Self.s, events: &f.events)
        #expect(f.events.last == .exited(Self.visit(Self.A, 0, 70)))
        #expect(f.tracker.deviceCount == 0)
    }

    @Test func passersByAreCountedOncePerPass() {
        var f = Feed()
        f.at(stride(from: 0, through: 60, by: 5), Self.C)     // 13 windows in front of A and B
        f.at(70, Self.X)                                      // gone at 65
        f.at(80, Self.C)                                      // back at 75 …
        f.at(90, Self.X)                                      // … gone at 85: a second pass
        _ = f.flush()
        // C and X are not connected: each move crosses D unheard, in front of E.
        #expect(f.events == [
            Self.pass(Self.A, Self.C, 0, 65), Self.pass(Self.B, Self.C, 0, 65), Self.pass(Self.E, Self.D, 65, 65),
            Self.pass(Self.E, Self.D, 75, 75),
            Self.pass(Self.A, Self.C, 75, 85), Self.pass(Self.B, Self.C, 75, 85), Self.pass(Self.E, Self.D, 85, 85),
        ])
    }

    @Test func oneStrayWindowDoesNotOpenAVisitWithHysteresis() {
        var o = Self.oneWindow
        o.enterWindows = 2
        var f = Feed(o)
        f.at(stride(from: 0, through: 10, by: 10), Self.C)
        f.at(20, Self.A)                                      // one window only
        f.at(stride(from: 30, through: 40, by: 10), Self.C)
        f.at(stride(from: 50, through: 100, by: 10), Self.A)  // committed at the second (60), entry halfway 40–50
        _ = f.flush()
        // The pass along C (committed at its second window, from the first reading at 0) ends
        // with the device silent, at the last reading placed in C (40): B was passed.
        #expect(f.events == [.entered(Self.visit(Self.A, 45, 80)), Self.pass(Self.B, Self.C, 0, 40), .exited(Self.visit(Self.A, 45, 130))])
    }

    @Test func aConfidentWindowCommitsAtOnce() {
        var o = Self.oneWindow
        o.enterWindows = 3
        o.enterConfidence = 0.9
        var f = Feed(o)
        f.at(10, Self.C, confidence: 0.95)                   // a new device, committed by confidence
        f.at(20, Self.A, confidence: 0.5)
        f.at(30, Self.A, confidence: 0.5)                     // 0.5 + 0.5 ≥ 0.9: entry halfway 10–20
        f.at(60, Self.A, confidence: 0.5)
        _ = f.flush()
        #expect(f.events == [.entered(Self.visit(Self.A, 15, 60)), Self.pass(Self.B, Self.C, 10, 10), .exited(Self.visit(Self.A, 15, 90))])
    }

    @Test func aVisitorIsNoPasserByOfTheStoreVisitedButIsOfTheNeighbour() {
        var f = Feed()
        f.at(0, Self.C)
        f.at(stride(from: 10, through: 100, by: 10), Self.A)
        f.at(110, Self.C)
        f.at(120, Self.D)                                     // C left at 115; A left at 105
        _ = f.flush()
        #expect(f.events.contains(Self.pass(Self.B, Self.C, 0, 115)))
        #expect(!f.events.contains { if case .passedBy(let p) = $0 { p.store == Self.A } else { false } })
        #expect(f.events.contains(.exited(Self.visit(Self.A, 5, 105))))
    }

    @Test func countsCloseAtIntervalBoundaries() {
        var o = Self.oneWindow
        o.intervalSeconds = 60
        var f = Feed(o)
        f.at(stride(from: 0, through: 40, by: 10), Self.A, device: 1)   // visit A from 0, a visitor at 30
        f.at(10, Self.C, device: 2)
        f.at(20, Self.D, device: 2)                                     // passed A and B, 10–15 (E: still passing)
        f.at(64, Self.C, device: 3)                                     // (heard outside first:
        f.at(stride(from: 70, through: 110, by: 10), Self.A, device: 3) // visit A from 67)
        let first = f.tracker.closeInterval(at: 60 * Self.s, events: &f.events)
        #expect(first.map(\.store) == [Self.A, Self.B, Self.E])
        #expect(first.allSatisfy { $0.startNanoseconds == 0 && $0.endNanoseconds == 60 * Self.s })
        #expect(first.map(\.footfall) == [1, 0, 0])
        #expect(first.map(\.passersBy) == [1, 1, 0])
        #expect(first.map(\.captureRate) == [1, 0, nil])  // E: no passers-by, no rate
        let second = f.tracker.closeInterval(at: 120 * Self.s, events: &f.events)
        #expect(second.map(\.startNanoseconds) == [60, 60, 60].map { $0 * Self.s })
        #expect(second.map(\.footfall) == [1, 0, 0])
        #expect(second.map(\.late) == [0, 0, 0])
        // Nothing more to close yet: the next interval ends at 180 s.
        #expect(f.tracker.closeInterval(at: 179 * Self.s).isEmpty)
    }

    @Test func eventsForAClosedIntervalAreCountedLate() {
        var o = Self.oneWindow
        o.intervalSeconds = 60
        var f = Feed(o)
        f.at(stride(from: 0, through: 50, by: 10), Self.A)    // exit (silent): 50 + 30 = 80
        _ = f.tracker.closeInterval(at: 120 * Self.s, events: &f.events)
        let rest = f.flush()
        // The dwell belongs to [60, 120), closed already: counted in [120, 180), marked late.
        #expect(rest.count == 3 && rest[0].startNanoseconds == 120 * Self.s)
        #expect(rest[0].dwell.counts == [1, 0, 0, 0, 0, 0] && rest[0].late == 1)
    }

    @Test func repeatVisitsCountTwiceButOneUniqueVisitor() {
        var o = Self.oneWindow
        o.intervalSeconds = 300
        var f = Feed(o)
        f.at(stride(from: 0, through: 40, by: 10), Self.A)
        f.at(stride(from: 50, through: 90, by: 10), Self.B)
        f.at(stride(from: 100, through: 140, by: 10), Self.A)
        let counts = f.flush()
        #expect(counts.map(\.footfall) == [2, 1, 0])
        #expect(counts.map(\.uniqueVisitors) == [1, 1, 0])
        // Dwell 45 s, 50 s and 75 s (95 → 140 + 30): all under 2 min.
        #expect(counts.map { $0.dwell.counts[0] } == [2, 1, 0])
    }

    @Test func dwellBucketsHaveFixedEdges() {
        #expect(DwellHistogram.bucket(seconds: 0) == 0)
        #expect(DwellHistogram.bucket(seconds: 119.9) == 0)
        #expect(DwellHistogram.bucket(seconds: 120) == 1)
        #expect(DwellHistogram.bucket(seconds: 599) == 2)
        #expect(DwellHistogram.bucket(seconds: 2399) == 4)
        #expect(DwellHistogram.bucket(seconds: 2400) == 5)
        #expect(DwellHistogram.bucketNames.count == DwellHistogram.upperBoundsSeconds.count + 1)
    }

    @Test func memoryIsBoundedByEvictingTheLeastRecentlyHeard() {
        var o = Self.oneWindow
        o.maxDevices = 2
        var f = Feed(o)
        f.at(stride(from: 0, through: 40, by: 10), Self.A, device: 1)
        f.at(45, Self.C, device: 2)
        f.at(50, Self.E, device: 3)                            // full: device 1 (last heard 40) goes
        #expect(f.tracker.deviceCount == 2 && f.tracker.evictedDevices == 1)
        #expect(f.events.last == .exited(Self.visit(Self.A, 0, 70, device: 1)))
        // Silence frees the rest.
        _ = f.tracker.closeInterval(at: 700 * Self.s, events: &f.events)
        #expect(f.tracker.deviceCount == 0)
    }

    /// A crowd far larger than the cap: the least recently heard are evicted a sixteenth of the
    /// cap at a time (not one scan of every device per arrival), the newest are kept, and every
    /// evicted visitor's visit is closed, once.
    @Test func aCrowdLargerThanTheCapEvictsTheLeastRecentlyHeardInBulk() {
        var o = Self.oneWindow
        o.maxDevices = 160
        var f = Feed(o)
        let crowd: UInt64 = 1_000
        for device in 1...crowd { f.at(Int64(device), Self.A, device: device) }  // one second apart, all inside A
        #expect(f.tracker.deviceCount <= 160 && f.tracker.deviceCount > 150)
        #expect(f.tracker.evictedDevices == Int(crowd) - f.tracker.deviceCount)
        let exited = f.events.compactMap { if case .exited(let v) = $0 { v.device } else { nil } }
        #expect(exited.count == f.tracker.evictedDevices && Set(exited).count == exited.count)
        // Those evicted are exactly the oldest.
        #expect(Set(exited) == Set(1...UInt64(f.tracker.evictedDevices)))
    }

    /// Devices forgotten in the middle of the others (silence) leave the others' state as it
    /// was: every device's visit comes out once, with its own times. (The states are packed in
    /// one array, a forgotten device's slot taken by the last one; eviction at the cap goes the
    /// same way and has the tests above.)
    @Test func forgettingSomeDevicesLeavesTheOthersIntact() {
        var f = Feed()
        let crowd = UInt64(1)...UInt64(300)
        // Everyone walks from C into A at 10 s, in a shuffled order.
        let order = crowd.shuffled()
        for d in order { f.at(0, Self.C, device: d) }
        for d in order { f.at(10, Self.A, device: d) }
        // The odd ones fall silent; the even ones stay in A, heard every 60 s until 670 s, then
        // step out into C at 700 s. The silence timeout (600 s) forgets the odd ones mid-stay.
        let staying = crowd.filter { $0 % 2 == 0 }
        for t in stride(from: 70, through: 670, by: 60) as StrideThrough<Int64> {
            for d in staying.shuffled() { f.at(t, Self.A, device: d) }
        }
        #expect(f.tracker.deviceCount == staying.count, "the silent ones were forgotten at 610 s")
        #expect(crowd.allSatisfy { f.tracker.hasDevice($0) == ($0 % 2 == 0) })
        for d in staying.shuffled() { f.at(700, Self.C, device: d) }
        _ = f.flush()
        var exits: [UInt64: [StoreVisit]] = [:]
        for case .exited(let v) in f.events { exits[v.device, default: []].append(v) }
        #expect(exits.count == crowd.count)
        for d in crowd {
            // Entry halfway between 0 and 10 s; exit halfway to the reading in C (685 s), or 30 s
            // after the last reading inside for the silent ones.
            let expected = d % 2 == 0 ? Self.visit(Self.A, 5, 685, device: d) : Self.visit(Self.A, 5, 40, device: d)
            #expect(exits[d] == [expected], "device \(d)")
        }
    }

    @Test func aQualifiedVisitEndsHalfAProbeGapAfterTheLastReadingWhenSilent() {
        var o = Self.oneWindow
        o.silentExitSeconds = 15
        o.silentExitMaxSeconds = 120
        var f = Feed(o)
        // An idle phone probing every 60 s inside A: the usual gap is 60 s, so the visitor is
        // taken to leave 30 s after the last reading (180), not 15 s.
        f.at(stride(from: 0, through: 180, by: 60), Self.A)
        // A one-burst stay in E of another phone that was heard every 60 s before, in X:
        // under the minimum dwell on its readings, so only the 15 s allowance applies.
        f.at(stride(from: 0, through: 120, by: 60), Self.X, device: 2)
        f.at(140, Self.E, device: 2)                       // entered halfway, at 130; last reading 140
        _ = f.flush()
        #expect(f.events.contains(.exited(Self.visit(Self.A, 0, 210))))
        #expect(!f.events.contains { if case .exited(let v) = $0 { v.device == 2 } else { false } })
    }

    /// With a 60 s window and the end at 150 s, and with the default window (240 s: an idle
    /// phone scans every 1–4 minutes) and the end at 300 s: device 1, last heard at 100 s, is
    /// within the window, so still inside when the capture ends; device 2, last heard at 40 s, is
    /// not: it fell silent and leaves 30 s after its last reading, as without a capture end.
    @Test(arguments: [(60.0, Int64(150)), (nil, Int64(300))] as [(Double?, Int64)])
    func aVisitOpenWhenTheCaptureEndsLastsUntilTheEnd(window: Double?, end: Int64) {
        var o = Self.oneWindow
        if let window { o.captureEndSeconds = window } else { #expect(o.captureEndSeconds == 240) }
        var f = Feed(o)
        f.at(stride(from: 0, through: 100, by: 10), Self.A)
        f.at(stride(from: 0, through: 40, by: 10), Self.B, device: 2)
        var events: [VisitEvent] = []
        _ = f.tracker.flush(captureEnd: end * Self.s, into: &events)
        #expect(events.contains(.exited(Self.visit(Self.A, 0, end))))
        #expect(events.contains(.exited(Self.visit(Self.B, 0, 70, device: 2))))
    }

    @Test func aStayIsEstimatedHalfwayBetweenTheObservationsAroundIt() {
        let e = StoreVisitTracker.estimateStay
        // Last seen elsewhere at 100, first inside at 220, last inside at 400, first elsewhere
        // at 520: entered at 160, left at 460.
        #expect(e(100, 220, 400, 520, 50) == (160, 460))
        // Nothing before (first heard inside) or after (fell silent): the allowance (half the
        // phone's usual probe gap, 50) before the first and after the last reading inside.
        #expect(e(nil, 220, 400, nil, 50) == (170, 450))
        // Readings that do not bracket the stay (overlapping windows) leave the reading itself.
        #expect(e(220, 220, 400, 400, 50) == (220, 400))
        #expect(e(300, 220, 400, 390, 50) == (220, 400))
        // A negative allowance never ends a stay before its last reading.
        #expect(e(nil, 220, 400, nil, -10) == (220, 400))
    }

    @Test func windowEndsDoNotMoveTheEstimate() {
        // The same readings in windows ending 1 s or 10 s after them: a 10 s window ending at
        // t holds t − 10 … t, so its end is up to 10 s after the readings it stands for.
        func visits(windowLag: Int64) -> [VisitEvent] {
            var t = StoreVisitTracker(layout: Self.layout, options: Self.oneWindow)
            var events: [VisitEvent] = []
            for (time, zone) in [(0, Self.C), (20, Self.A), (60, Self.A), (100, Self.C), (300, Self.C)] as [(Int64, Int)] {
                t.update(device: 1, windowEnd: (time + windowLag) * Self.s, firstReading: time * Self.s, lastReading: time * Self.s, classIndex: zone, into: &events)
            }
            _ = t.flush(into: &events)
            return events.filter { if case .exited = $0 { true } else { false } }
        }
        #expect(visits(windowLag: 1) == [.exited(Self.visit(Self.A, 10, 80))])
        #expect(visits(windowLag: 10) == visits(windowLag: 1))
    }

    @Test func strayWindowsElsewhereBoundTheEntryAndExit() {
        // Two windows in a row commit a move; single windows elsewhere are stray but still show
        // the phone was not in A then.
        var o = Self.oneWindow
        o.enterWindows = 2
        var f = Feed(o)
        f.at(stride(from: 0, through: 5, by: 5), Self.C)      // committed in C, last reading 5
        f.at(60, Self.B)                                       // one window in B: not committed
        f.at(stride(from: 120, through: 300, by: 30), Self.A)  // A from 120 to 300
        f.at(360, Self.D)                                      // one window in D
        f.at(stride(from: 420, through: 700, by: 5), Self.C)
        _ = f.flush()
        // Entered between the stray at 60 and 120 (90, not 62.5 from C's last reading at 5); left
        // between 300 and the stray at 360 (330, not 360 from C's first reading at 420).
        #expect(f.events.contains(.exited(Self.visit(Self.A, 90, 330))))
    }

    @Test func aDeviceFirstHeardInsideEnteredHalfAProbeGapBefore() {
        var o = Self.oneWindow
        o.silentExitSeconds = 15
        o.silentExitMaxSeconds = 120
        var f = Feed(o)
        f.at(0, Self.X, device: 2)                            // the capture begins at 0
        f.at(stride(from: 100, through: 220, by: 60), Self.A)  // first heard in A, every 60 s
        f.at(stride(from: 280, through: 600, by: 60), Self.C)
        // Entered half the 60 s gap before the first reading (70); left between 220 and 280.
        #expect(f.events.contains(.entered(Self.visit(Self.A, 70, 160))))
        #expect(f.events.contains(.exited(Self.visit(Self.A, 70, 250))))
        // Never before the capture's first reading: device 3 first heard in B at 10.
        f.at(stride(from: 10, through: 250, by: 60), Self.B, device: 3)
        _ = f.flush()
        #expect(f.events.contains(.exited(Self.visit(Self.B, 0, 280, device: 3))))
    }
}
