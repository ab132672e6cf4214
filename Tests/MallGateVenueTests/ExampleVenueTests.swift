import Testing
@testable import MallGateVenue

@Test func demoMallValidatesAndHasTheAdvertisedShape() throws {
    let venue = try VenueFile.load(path: exampleVenue("demo-mall.json"))
    let found = VenueValidator.validate(venue)
    #expect(found.filter { $0.severity == .error } == [])
    #expect(venue.floors.count == 2)
    let stores = venue.zones.filter { $0.kind == .store }
    #expect((28...32).contains(stores.count))
    for floor in venue.floors {
        #expect(stores.filter { $0.floor == floor.id }.count >= 14)
    }
    #expect(venue.zones.filter { $0.kind == .entrance }.map(\.floor) == ["L0", "L0"])
    #expect(venue.connections.filter { $0.kind == .vertical }.count == 3)
    // Every store has a door; about two in three have a sensor inside.
    let doorStores = Set(venue.connections.filter { $0.kind == .door }.map(\.from))
    #expect(stores.allSatisfy { doorStores.contains($0.id) })
    let withSensor = stores.filter { store in
        venue.sensors.contains { $0.floor == store.floor && store.polygon.contains($0.position) }
    }
    #expect(withSensor.count * 3 >= stores.count * 2 - 3 && withSensor.count < stores.count)
    // Fixed channels spread over 1, 6 and 11 within one sensor of each other.
    let perChannel = [1, 6, 11].map { c in venue.sensors.filter { $0.channels.fixed == c }.count }
    #expect(perChannel.max()! - perChannel.min()! <= 1 && perChannel.reduce(0, +) == venue.sensors.count)
    // Corridor segments of 15–20 m.
    for corridor in venue.zones where corridor.kind == .corridor {
        #expect((15...20).contains(corridor.polygon.boundingBox.width))
    }
}

@Test func smallArcadeValidatesCleanly() throws {
    let venue = try VenueFile.load(path: exampleVenue("small-arcade.json"))
    #expect(VenueValidator.validate(venue) == [])
    #expect(venue.zones.filter { $0.kind == .store }.count == 6)
    #expect(venue.sensors.count == 3)
}
