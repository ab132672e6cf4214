@testable import MallGateLocalize
import MallGateVenue
import Testing

/// A two-floor venue: on floor 0, store A —door— corridor C0 —open— escalator E0; store B opens
/// onto C0 too; E0 —vertical— E1 on floor 1, which opens onto corridor C1. A and B share a
/// wall but no door.
@Suite struct VenueGraphFilterTests {
    static let square = Polygon([Point(0, 0), Point(1, 0), Point(1, 1), Point(0, 1)])
    static let venue = Venue(
        id: "tiny", name: "Tiny",
        floors: [Floor(id: "0", index: 0, name: "Ground", elevation: 0), Floor(id: "1", index: 1, name: "First", elevation: 5)],
        zones: [
            Zone(id: "A", kind: .store, floor: "0", name: "A", polygon: square),
            Zone(id: "B", kind: .store, floor: "0", name: "B", polygon: square),
            Zone(id: "C0", kind: .corridor, floor: "0", name: "C0", polygon: square),
            Zone(id: "E0", kind: .escalator, floor: "0", name: "E0", polygon: square),
            Zone(id: "E1", kind: .escalator, floor: "1", name: "E1", polygon: square),
            Zone(id: "C1", kind: .corridor, floor: "1", name: "C1", polygon: square),
        ],
        connections: [
            Connection(kind: .door, from: "A", to: "C0", at: Point(1, 0.5)),
            Connection(kind: .door, from: "B", to: "C0", at: Point(0, 0.5)),
            Connection(kind: .open, from: "C0", to: "E0"),
            Connection(kind: .vertical, from: "E0", to: "E1", travelSeconds: 30),
            Connection(kind: .open, from: "E1", to: "C1"),
        ],
        sensors: [])
    static let classes = ClassList(venue: venue)
    static let second: Int64 = 1_000_000_000

    /// Probabilities that favour `zone` with weight `p`, the rest spread evenly.
    static func favour(_ zone: String, _ p: Float) -> [Float] {
        let c = classes.count
        let i = classes.classes.firstIndex { $0[0] == zone }!
        return (0..<c).map { $0 == i ? p : (1 - p) / Float(c - 1) }
    }

    static func zone(_ r: (classIndex: Int, confidence: Float)) -> String { classes.classes[r.classIndex][0] }

    @Test func neighboursFollowConnections() {
        let t = VenueTransitions(venue: Self.venue, classes: Self.classes)
        let name = { (i: Int) in Self.classes.classes[i][0] }
        #expect(t.neighbours[0].map(name) == ["C0"])          // A: only its door
        #expect(t.neighbours[2].map(name).sorted() == ["A", "B", "E0"])
        #expect(t.neighbours[3].map(name).sorted() == ["C0", "E1"])
        #expect(t.neighbours[5].map(name) == ["E1"])
    }

    @Test func zonesWithoutAClassAreWalkedThrough() {
        // A model that never saw the corridor: A and B become neighbours through it.
        let classes = ClassList(labelNames: ["zone", "floor", "kind"], classes: [["A", "0", "store"], ["B", "0", "store"], ["C1", "1", "corridor"]])
        let t = VenueTransitions(venue: Self.venue, classes: classes)
        #expect(t.neighbours[0] == [1, 2] && t.neighbours[2] == [0, 1])
    }

    @Test func impossibleJumpIsSuppressed() {
        var f = VenueGraphFilter(transitions: VenueTransitions(venue: Self.venue, classes: Self.classes))
        // Settled in store A, then one window (5 s later) says C1, a floor up: not reachable in one step.
        var r = (classIndex: 0, confidence: Float(0))
        for k in 0..<6 { r = f.update(device: 1, timeNanoseconds: Int64(k) * 5 * Self.second, probabilities: Self.favour("A", 0.8)) }
        #expect(Self.zone(r) == "A")
        r = f.update(device: 1, timeNanoseconds: 30 * Self.second, probabilities: Self.favour("C1", 0.9))
        #expect(Self.zone(r) == "A")
        // Store B next door, through the wall: also suppressed.
        r = f.update(device: 1, timeNanoseconds: 35 * Self.second, probabilities: Self.favour("B", 0.9))
        #expect(Self.zone(r) != "B")
    }

    @Test func realWalkThroughADoorIsFollowed() {
        var f = VenueGraphFilter(transitions: VenueTransitions(venue: Self.venue, classes: Self.classes))
        var path: [String] = []
        var t: Int64 = 0
        for (zone, windows) in [("A", 6), ("C0", 4), ("E0", 3), ("E1", 3), ("C1", 4)] {
            for _ in 0..<windows {
                path.append(Self.zone(f.update(device: 7, timeNanoseconds: t, probabilities: Self.favour(zone, 0.7))))
                t += 5 * Self.second
            }
        }
        // Each zone is reached within two windows of the evidence changing, and the end is C1.
        #expect(path.last == "C1")
        #expect(path[5] == "A" && path[7] == "C0" && path[11] == "E0" && path[15] == "E1")
    }

    @Test func afterALongGapTheDeviceMayReappearAnywhere() {
        var f = VenueGraphFilter(transitions: VenueTransitions(venue: Self.venue, classes: Self.classes))
        for k in 0..<6 { _ = f.update(device: 1, timeNanoseconds: Int64(k) * 5 * Self.second, probabilities: Self.favour("A", 0.8)) }
        // Twenty minutes later, heard in store B: it left through the corridor unseen.
        let r = f.update(device: 1, timeNanoseconds: 1225 * Self.second, probabilities: Self.favour("B", 0.8))
        #expect(Self.zone(r) == "B")
    }

    @Test func devicesAreIndependentAndIdleOnesForgotten() {
        var o = VenueGraphFilter.Options()
        o.idleTimeoutSeconds = 100
        var f = VenueGraphFilter(transitions: VenueTransitions(venue: Self.venue, classes: Self.classes), options: o)
        _ = f.update(device: 1, timeNanoseconds: 0, probabilities: Self.favour("A", 0.9))
        let r = f.update(device: 2, timeNanoseconds: 0, probabilities: Self.favour("C1", 0.9))
        #expect(Self.zone(r) == "C1" && f.deviceCount == 2)
        _ = f.update(device: 2, timeNanoseconds: 150 * Self.second, probabilities: Self.favour("C1", 0.9))
        #expect(f.deviceCount == 1)
    }

    /// Forgotten devices give their belief slots back: a crowd that comes and goes does not grow
    /// the slab, and a newcomer in a reused slot starts from the uniform belief, not its predecessor's.
    @Test func forgottenDevicesSlotsAreReused() {
        var o = VenueGraphFilter.Options()
        o.idleTimeoutSeconds = 100
        var f = VenueGraphFilter(transitions: VenueTransitions(venue: Self.venue, classes: Self.classes), options: o)
        for device in 0..<500 as Range<UInt64> {
            _ = f.update(device: device, timeNanoseconds: 0, probabilities: Self.favour("A", 0.9))
        }
        #expect(f.slotCount == 500)
        // 150 s later a new crowd of 500: the first update sweeps the idle ones out.
        for device in 1000..<1500 as Range<UInt64> {
            let r = f.update(device: device, timeNanoseconds: 150 * Self.second, probabilities: Self.favour("C1", 0.6))
            #expect(Self.zone(r) == "C1")
        }
        #expect(f.deviceCount == 500 && f.slotCount == 500)
        f.forget(device: 1000)
        #expect(f.deviceCount == 499)
        // The same probabilities on a fresh filter give the same answer as in the reused slot.
        var fresh = VenueGraphFilter(transitions: VenueTransitions(venue: Self.venue, classes: Self.classes), options: o)
        let expected = fresh.update(device: 7, timeNanoseconds: 0, probabilities: Self.favour("B", 0.5))
        let reused = f.update(device: 2000, timeNanoseconds: 151 * Self.second, probabilities: Self.favour("B", 0.5))
        #expect(reused.classIndex == expected.classIndex && reused.confidence == expected.confidence)
        #expect(f.slotCount == 500)
    }

    /// The stored code keeps tiny probabilities (a zone all but ruled out) within 0.3 % instead
    /// of rounding them to zero, so strong evidence can still bring that zone back as fast as
    /// with full floats; zero stays zero and 1 stays 1.
    @Test func storedBeliefsKeepTinyProbabilities() {
        let table = VenueGraphFilter.probabilityOfCode
        for exponent in stride(from: 0, through: -140, by: -7) {
            for mantissa: Float in [1, 1.37, 1.999] {
                let p = Float(sign: .plus, exponent: exponent, significand: mantissa)
                guard p <= 1 else { continue }
                let decoded = table[Int(VenueGraphFilter.code(p))]
                #expect(decoded > 0 && abs(decoded - p) / p < 0.003, "\(p) → \(decoded)")
            }
        }
        #expect(VenueGraphFilter.code(0) == 65535 && table[65535] == 0)
        #expect(VenueGraphFilter.code(1) == 0 && table[0] == 1)
    }
}
