import Testing
import MallGateVenue
@testable import MallGateSimulator

/// Propagation checked against the RadioEnvironment constants and the arcade's geometry
/// (Support.swift): stores A1 (x 0–10), A2 (10–20), A3 (20–30) at y 6–16 above the
/// corridor (y 0–6); nothing north of y 16.
@Suite struct PropagationTests {
    let venue = arcade()
    let model: PropagationModel

    init() throws {
        model = PropagationModel(map: try VenueMap(venue: venue), seed: 3)
    }

    var floor0: Int { model.map.floor(id: "L0")! }
    var floor1: Int { model.map.floor(id: "L1")! }

    @Test func pathLossFollowsTheLogDistanceLaw() {
        let r = venue.radio
        // −40 dBm at 1 m, n = 2.8: 28 dB more loss per decade of distance.
        #expect(abs(model.pathLossRSSI(distance: 1) - r.referencePowerDBm) < 1e-9)
        #expect(abs(model.pathLossRSSI(distance: 10) - (r.referencePowerDBm - 10 * r.pathLossExponent)) < 1e-9)
        #expect(abs(model.pathLossRSSI(distance: 100) - (r.referencePowerDBm - 20 * r.pathLossExponent)) < 1e-9)
        var previous = model.pathLossRSSI(distance: 1)
        for d in stride(from: 1.5, through: 200, by: 0.5) {
            let v = model.pathLossRSSI(distance: d)
            #expect(v < previous, "received power must fall with distance (at \(d) m)")
            previous = v
        }
    }

    @Test func meanRSSIFallsWithDistanceAlongAnOpenCorridor() {
        // The east corridor sensor s-C0b sits at (23, 3); walk away from it along y = 3
        // inside the corridor (no walls). Shadowing varies, so compare points 10 m apart
        // where path loss changes by ≥ 5 dB and shadowing (σ 4 dB, bounded field) cannot undo it everywhere.
        let s = venue.sensors.firstIndex { $0.id == "s-C0b" }!
        for x in stride(from: 22.0, through: 29.0, by: 1) {
            #expect(model.obstructionDB(sensor: s, floor: floor0, position: Point(x, 3)) == 0)
        }
        let near = model.pathLossRSSI(distance: model.distance(sensor: s, floor: floor0, position: Point(22, 3)))
        let far = model.pathLossRSSI(distance: model.distance(sensor: s, floor: floor0, position: Point(2, 3)))
        #expect(near > far + 20)
    }

    @Test func wallsCostWhatTheRadioEnvironmentSays() {
        let r = venue.radio
        // Corridor → inside A2 through its shopfront (y = 6): one shopfront.
        #expect(model.wallLossDB(floor: floor0, from: Point(15, 3), to: Point(15, 10)) == r.shopfrontLossDB)
        // Inside A1 → inside A2 through the party wall at x = 10: one wall (half from each store's edge).
        #expect(abs(model.wallLossDB(floor: floor0, from: Point(5, 10), to: Point(15, 10)) - r.wallLossDB) < 1e-9)
        // A1 → A3: two party walls.
        #expect(abs(model.wallLossDB(floor: floor0, from: Point(5, 10), to: Point(25, 10)) - 2 * r.wallLossDB) < 1e-9)
        // Inside A2 → outside the building through its back wall (y = 16): an outer wall.
        #expect(model.wallLossDB(floor: floor0, from: Point(15, 10), to: Point(15, 20)) == r.wallLossDB)
        // Corridor → A1 diagonally across A1's shopfront then the A1|A2 wall: shopfront + wall.
        #expect(abs(model.wallLossDB(floor: floor0, from: Point(5, 3), to: Point(15, 12)) - (r.shopfrontLossDB + r.wallLossDB)) < 1e-9)
        // Along the corridor: nothing.
        #expect(model.wallLossDB(floor: floor0, from: Point(1, 3), to: Point(29, 3)) == 0)
    }

    @Test func floorSlabsCostFloorLoss() {
        let r = venue.radio
        #expect(model.slabs(between: floor0, floor1) == 1)
        #expect(model.slabs(between: floor1, floor0) == 1)
        #expect(model.slabs(between: floor0, floor0) == 0)
        // A phone in the L0 corridor straight below the L1 west corridor sensor (7, 3):
        // no walls on either floor, one slab.
        let s = venue.sensors.firstIndex { $0.id == "s-C1a" }!
        #expect(model.obstructionDB(sensor: s, floor: floor0, position: Point(7, 3)) == r.floorLossDB)
        // Below store B1's sensor (5, 13) from corridor L0 at (5, 3): the line rises 10 m north
        // while climbing from 1.2 m to 8.5 m; it leaves L0's storey at 5 m (after 5.2/7.3 of the run,
        // y ≈ 10.1, past A1's shopfront at y = 6) and enters L1 there, inside B1: shopfront on L0 + slab.
        let b1 = venue.sensors.firstIndex { $0.id == "s-B1" }!
        #expect(abs(model.obstructionDB(sensor: b1, floor: floor0, position: Point(5, 3)) - (r.shopfrontLossDB + r.floorLossDB)) < 1e-9)
    }

    @Test func shadowingIsSpatiallyCorrelatedWithTheConfiguredSigma() {
        let s = 0
        var values: [Double] = []
        var neighbourDiffs: [Double] = []
        for x in stride(from: 0.0, through: 30, by: 0.5) {
            for y in stride(from: 0.0, through: 16, by: 0.5) {
                let v = model.shadowingDB(sensor: s, floor: floor0, position: Point(x, y))
                values.append(v)
                neighbourDiffs.append(abs(v - model.shadowingDB(sensor: s, floor: floor0, position: Point(x + 0.5, y))))
            }
        }
        let mean = values.reduce(0, +) / Double(values.count)
        let sd = (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count)).squareRoot()
        // A small area samples a few correlation lengths only: the spread is of the right order, not exact.
        #expect(sd > venue.radio.shadowingSigmaDB * 0.4 && sd < venue.radio.shadowingSigmaDB * 1.6)
        // Half a metre apart, values differ far less than the field's spread (correlated, not white noise).
        let meanDiff = neighbourDiffs.reduce(0, +) / Double(neighbourDiffs.count)
        #expect(meanDiff < sd / 3)
        // Another sensor has its own field.
        let other = model.shadowingDB(sensor: 1, floor: floor0, position: Point(10, 3))
        #expect(other != model.shadowingDB(sensor: 0, floor: floor0, position: Point(10, 3)))
    }
}

@Suite struct ThreeFloorTests {
    @Test func slabsAddUpAndPeopleReachTheTopFloor() throws {
        let venue = arcade(floorCount: 3)
        let simulation = try Simulation(venue: venue, configuration: SimulationConfiguration(seed: 4, duration: 1200, visitors: 80, staff: 0))
        let model = simulation.propagation
        let map = simulation.map
        let l0 = map.floor(id: "L0")!, l1 = map.floor(id: "L1")!, l2 = map.floor(id: "L2")!
        #expect(model.slabs(between: l0, l2) == 2)
        #expect(model.slabs(between: l2, l1) == 1)
        // Straight below the L2 west corridor sensor (7, 3), two floors down, no walls: two slabs.
        let s = venue.sensors.firstIndex { $0.id == "s-C2a" }!
        #expect(model.obstructionDB(sensor: s, floor: l0, position: Point(7, 3)) == 2 * venue.radio.floorLossDB)
        // Visitors ride up two escalators to the top floor's stores, and the walk labels them.
        let crowd = simulation.makeCrowd()
        let topStores = Set(venue.zones.indices.filter { venue.zones[$0].floor == "L2" && venue.zones[$0].kind == .store })
        let visitorsOnTop = crowd.people.filter { p in p.role == .visitor && p.trajectory.legs.contains { topStores.contains($0.zone) } }
        #expect(visitorsOnTop.count > 5)
        let labelled = Set(crowd.labels.map(\.zone))
        #expect(topStores.isSubset(of: labelled))
    }
}
