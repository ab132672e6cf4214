import MallGateLocalize
import Testing

/// Classes: 0 corridor, 1 store A, 2 store B. Windows every 5 s.
@Suite struct StoreVisitTrackerTests {
    static let s: Int64 = 1_000_000_000
    static let isStore = [false, true, true]

    static func run(_ classes: [Int], options: StoreVisitTracker.Options = StoreVisitTracker.Options()) -> [StoreVisit] {
        var tracker = StoreVisitTracker(isStore: isStore, options: options)
        var out: [StoreVisit] = []
        for (i, c) in classes.enumerated() { out += tracker.update(device: 1, timeNanoseconds: Int64(i) * 5 * s, classIndex: c) }
        return out + tracker.flush()
    }

    @Test func enterDwellExit() {
        // Corridor 0–5 s, store A 10–60 s, corridor after.
        let v = Self.run([0, 0] + Array(repeating: 1, count: 11) + [0, 0, 0])
        #expect(v == [StoreVisit(device: 1, store: 1, enterNanoseconds: 10 * Self.s, exitNanoseconds: 60 * Self.s)])
        #expect(v.first?.dwellSeconds == 50)
    }

    @Test func shortExcursionIsBridgedByTheExitTimeout() {
        // In A 0–40 s, one window in the corridor at 45 s, A again 50–90 s: one visit.
        let v = Self.run(Array(repeating: 1, count: 9) + [0] + Array(repeating: 1, count: 9))
        #expect(v.count == 1 && v[0].enterNanoseconds == 0 && v[0].exitNanoseconds == 90 * Self.s)
    }

    @Test func anotherStoreEndsTheVisitAndShortStaysAreDropped() {
        var o = StoreVisitTracker.Options()
        o.minimumDwellSeconds = 20
        // A for 0–30 s (30 s, kept), then B for 35–45 s (10 s, a passer-by: dropped).
        let v = Self.run(Array(repeating: 1, count: 7) + [2, 2, 2, 0], options: o)
        #expect(v == [StoreVisit(device: 1, store: 1, enterNanoseconds: 0, exitNanoseconds: 30 * Self.s)])
    }

    @Test func silenceLongerThanTheTimeoutSplitsVisits() {
        var tracker = StoreVisitTracker(isStore: Self.isStore)
        var out: [StoreVisit] = []
        for t in stride(from: 0, through: 60, by: 5) { out += tracker.update(device: 1, timeNanoseconds: Int64(t) * Self.s, classIndex: 1) }
        // Heard again in A 200 s later: the first visit ended at 60 s.
        for t in stride(from: 260, through: 320, by: 5) { out += tracker.update(device: 1, timeNanoseconds: Int64(t) * Self.s, classIndex: 1) }
        #expect(out == [StoreVisit(device: 1, store: 1, enterNanoseconds: 0, exitNanoseconds: 60 * Self.s)])
        out += tracker.closeIdle(at: 600 * Self.s)
        #expect(out.count == 2 && out[1].enterNanoseconds == 260 * Self.s && out[1].exitNanoseconds == 320 * Self.s)
        #expect(tracker.flush().isEmpty)
    }
}
