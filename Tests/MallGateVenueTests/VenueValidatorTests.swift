import Testing
@testable import MallGateVenue

private func issues(_ change: (inout Venue) -> Void) -> [VenueIssue] {
    var venue = minimalVenue()
    change(&venue)
    return VenueValidator.validate(venue)
}

/// The one issue with `code`, failing the test when there is not exactly one.
private func only(_ code: VenueIssue.Code, in found: [VenueIssue], sourceLocation: SourceLocation = #_sourceLocation) throws -> VenueIssue {
    let matching = found.filter { $0.code == code }
    #expect(matching.count == 1, "expected one \(code), got: \(found)", sourceLocation: sourceLocation)
    return try #require(matching.first, sourceLocation: sourceLocation)
}

@Test func minimalVenueIsClean() {
    #expect(VenueValidator.validate(minimalVenue()) == [])
}

@Test func duplicateIDsAcrossNamespaces() throws {
    let found = issues { $0.sensors[1].id = "s1" }
    let issue = try only(.duplicateID, in: found)
    #expect(issue.severity == .error)
    #expect(issue.path == "sensors[1]")
    #expect(issue.ids == ["s1"])
    #expect(issue.message.hasPrefix("the id \"s1\" is already used by zones[2]"))
}

@Test func invalidID() throws {
    let issue = try only(.invalidID, in: issues { $0.zones[1].id = "main walk" ; $0.connections = [] })
    #expect(issue.path == "zones[1]")
}

@Test func duplicateFloorIndex() throws {
    let issue = try only(.duplicateFloorIndex, in: issues { $0.floors.append(Floor(id: "G2", index: 0, name: "Also ground", elevation: 0)) })
    #expect(issue.path == "floors[1].index")
    #expect(issue.ids == ["G2", "G"])
}

@Test func unknownFloorForZoneAndSensor() {
    let found = issues {
        $0.zones[3].floor = "L9"
        $0.sensors[0].floor = "L7"
    }
    let unknown = found.filter { $0.code == .unknownFloor }
    #expect(unknown.map(\.path) == ["zones[3].floor", "sensors[0].floor"])
    #expect(unknown.first?.message == "zone \"s2\" is on floor \"L9\", which is not in \"floors\"; use one of: G")
}

@Test func unknownZoneInConnection() throws {
    let issue = try only(.unknownZone, in: issues { $0.connections[1].to = "c9" })
    #expect(issue.path == "connections[1].to")
    #expect(issue.ids == ["c9"])
}

@Test func tooFewPoints() throws {
    let issue = try only(.tooFewPoints, in: issues { $0.zones[3].polygon = Polygon([Point(10, 4), Point(20, 4)]) })
    #expect(issue.path == "zones[3].polygon")
    #expect(issue.message.hasPrefix("the polygon of \"s2\" has 2 points"))
}

@Test func selfIntersectingPolygon() throws {
    // s2 as a bow tie: (10,4)-(20,10) crosses (20,4)-(10,10).
    let issue = try only(.selfIntersecting, in: issues {
        $0.zones[3].polygon = Polygon([Point(10, 4), Point(20, 10), Point(20, 4), Point(10, 10)])
    })
    #expect(issue.path == "zones[3].polygon")
    #expect(issue.ids == ["s2"])
}

@Test func overlappingStores() throws {
    // s2 widened 1 m into s1.
    let issue = try only(.overlappingStores, in: issues { $0.zones[3].polygon = rect(9, 4, 20, 10) })
    #expect(issue.path == "zones[3]")
    #expect(issue.ids == ["s1", "s2"])
    #expect(issue.message.hasPrefix("stores \"s1\" and \"s2\" overlap"))
}

@Test func storeOverlappingCorridorIsAWarning() throws {
    let issue = try only(.overlappingZones, in: issues { $0.zones[2].polygon = rect(0, 3, 10, 10) })
    #expect(issue.severity == .warning)
    #expect(issue.ids == ["s1", "c1"])
}

@Test func storeWithoutDoor() throws {
    // The door becomes an open boundary: s2 is still reachable but has no door.
    let issue = try only(.storeWithoutDoor, in: issues { $0.connections[2].kind = .open })
    #expect(issue.path == "zones[3]")
    #expect(issue.message.hasPrefix("store \"s2\" has no door"))
}

@Test func unreachableZone() throws {
    // s2's door leads into a second corridor that nothing joins to c1.
    let found = issues {
        $0.zones.append(Zone(id: "c2", kind: .corridor, floor: "G", name: "Back", polygon: rect(20, 4, 24, 10)))
        $0.connections[2] = Connection(kind: .door, from: "s2", to: "c2", at: Point(20, 7))
    }
    let unreachable = found.filter { $0.code == .unreachableZone }
    #expect(unreachable.map(\.path) == ["zones[3]", "zones[4]"])
    #expect(unreachable.first?.message.hasPrefix("no path of connections leads from an entrance to store \"s2\"") == true)
}

@Test func noEntrance() throws {
    let found = issues { $0.zones[0].kind = .area }
    let issue = try only(.noEntrance, in: found)
    #expect(issue.path == "zones")
}

@Test func verticalLinksJoinFloors() {
    // A first floor reached only by a lift from the ground floor corridor's lift.
    let found = issues {
        $0.floors.append(Floor(id: "F1", index: 1, name: "First", elevation: 5))
        $0.zones.append(Zone(id: "lift0", kind: .lift, floor: "G", name: "Lift", polygon: rect(20, 0, 22, 4)))
        $0.zones.append(Zone(id: "lift1", kind: .lift, floor: "F1", name: "Lift", polygon: rect(20, 0, 22, 4)))
        $0.zones.append(Zone(id: "c1up", kind: .corridor, floor: "F1", name: "Upper walk", polygon: rect(0, 0, 20, 4)))
        $0.connections.append(Connection(kind: .open, from: "lift0", to: "c1", at: Point(20, 2)))
        $0.connections.append(Connection(kind: .vertical, from: "lift0", to: "lift1", travelSeconds: 30))
        $0.connections.append(Connection(kind: .open, from: "lift1", to: "c1up", at: Point(20, 2)))
        $0.sensors.append(Sensor(id: "x3", floor: "F1", position: Point(10, 2), channels: SensorChannels(fixed: 11)))
    }
    #expect(found == [])
}

@Test func badConnections() {
    let found = issues {
        $0.floors.append(Floor(id: "F1", index: 1, name: "First", elevation: 5))
        $0.zones.append(Zone(id: "up", kind: .corridor, floor: "F1", name: "Upper", polygon: rect(0, 0, 20, 4)))
        $0.connections.append(Connection(kind: .open, from: "c1", to: "up", at: Point(1, 1)))
        $0.connections.append(Connection(kind: .vertical, from: "c1", to: "e1"))
        $0.connections.append(Connection(kind: .open, from: "c1", to: "c1"))
        $0.sensors.append(Sensor(id: "x3", floor: "F1", position: Point(10, 2), channels: SensorChannels(fixed: 11)))
    }.filter { $0.code == .badConnection }
    #expect(found.map(\.path) == ["connections[3]", "connections[4]", "connections[5]", "connections[4]"])
    #expect(found[0].message.contains("use kind \"vertical\" between floors"))
    #expect(found[1].message.contains("are both on G"))
    #expect(found[2].message.contains("to itself"))
    #expect(found[3].severity == .warning)
}

@Test func doorWithoutPosition() throws {
    let issue = try only(.doorWithoutPosition, in: issues { $0.connections[1].at = nil })
    #expect(issue.path == "connections[1]")
}

@Test func doorOffTheSharedWall() throws {
    // (5, 8) is inside s1, 2 m from its nearest wall and 4 m from the corridor.
    let found = issues { $0.connections[1].at = Point(5, 8) }
    let issue = try only(.doorOffBoundary, in: found)
    #expect(issue.path == "connections[1].at")
    #expect(issue.message == "the door at [5, 8] is 2 m from the edge of \"s1\"; a door sits on the wall both zones share (within 1 m)")
    // Within the 1 m tolerance: accepted.
    #expect(issues { $0.connections[1].at = Point(5, 4.8) }.filter { $0.code == .doorOffBoundary } == [])
}

@Test func sensorOutsideEveryZone() throws {
    let found = issues { $0.sensors[0].position = Point(10, 30) }
    let issue = try only(.sensorOutsideFloor, in: found)
    #expect(issue.path == "sensors[0].position")
    #expect(issue.message.contains("is outside floor \"G\" (every zone of the floor)"))
}

@Test func sensorOutsideTheOutline() throws {
    let found = issues {
        $0.floors[0].outline = rect(-5, -1, 21, 11)
        $0.sensors[0].position = Point(22, 5)
    }
    let issue = try only(.sensorOutsideFloor, in: found)
    #expect(issue.message.contains("(its outline)"))
}

@Test func sensorTooFarFromEverything() throws {
    // 1 km from the venue: -40 - 28·log10(1000) = -124 dBm, far below -92.
    let found = issues {
        $0.floors[0].outline = rect(-5, -1, 1100, 11)
        $0.sensors.append(Sensor(id: "far", floor: "G", position: Point(1020, 2), channels: SensorChannels(fixed: 1)))
    }
    let issue = try only(.sensorOutOfRange, in: found)
    #expect(issue.path == "sensors[2].position")
    #expect(issue.message.hasPrefix("sensor \"far\" can hear no zone: the nearest is predicted at -124 dBm"))
}

@Test func zoneNoSensorHears() throws {
    // A store 300 m down a long corridor: -40 - 28·log10(~280) ≈ -108.5 dBm at the nearest sensor.
    let found = issues {
        $0.zones[1].polygon = rect(0, 0, 320, 4)
        $0.zones.append(Zone(id: "far", kind: .store, floor: "G", name: "Far", polygon: rect(300, 4, 320, 10)))
        $0.connections.append(Connection(kind: .door, from: "far", to: "c1", at: Point(310, 4)))
    }
    let unheard = found.filter { $0.code == .zoneUnheard }
    #expect(unheard.map(\.ids) == [["far"]])
    #expect(unheard.first?.severity == .warning)
}

@Test func noSensorsIsOneWarning() throws {
    let found = issues { $0.sensors = [] }
    #expect(found.count == 1)
    let issue = try only(.noSensors, in: found)
    #expect(issue.severity == .warning)
}

@Test func badChannelPlans() {
    let found = issues {
        $0.sensors[0].channels = SensorChannels(fixed: 15)
        $0.sensors[1].channels = SensorChannels(hop: [1, 6, 200], dwellMs: 250)
        $0.sensors[1].channels.dwellMs = nil
    }.filter { $0.code == .badChannelPlan }
    #expect(found.map(\.path) == ["sensors[0].channels", "sensors[1].channels", "sensors[1].channels"])
    #expect(found[0].message == "sensor \"x1\" channel plan: channel 15 not in 1–14 (2.4 GHz) or 32–177 (5 GHz)")
    #expect(found[1].message.contains("it hops but has no \"dwellMs\""))
    #expect(found[2].message.contains("channel 200 not in"))
    // 5 GHz channels are fine.
    #expect(issues { $0.sensors[0].channels = SensorChannels(fixed: 36) } == [])
}

@Test func badSensorInput() throws {
    let issue = try only(.badSensorInput, in: issues { $0.sensors[0].input = SensorInput(interface: "wlan1", file: "a.pcap") })
    #expect(issue.path == "sensors[0].input")
    #expect(issue.message.hasPrefix("sensor \"x1\" has 2 inputs"))
}

@Test func issuesCarryTheLineOfTheirPath() throws {
    var venue = minimalVenue()
    venue.zones[3].polygon = rect(9, 4, 20, 10)
    let text = VenueFile.encode(venue)
    let document = try VenueFile.decodeDocument(Array(text.utf8), fileName: "mini.json")
    let found = VenueValidator.validate(document.venue, locator: document.locator)
    let issue = try only(.overlappingStores, in: found)
    // zones[3] starts on the line before its "id": "s2".
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
    let idLine = try #require(lines.firstIndex { $0.contains("\"id\": \"s2\"") }) + 1
    #expect(issue.line == idLine - 1)
    #expect(issue.formatted(file: "mini.json") == "mini.json:\(idLine - 1): error: zones[3]: \(issue.message) [overlapping-stores]")
}

@Test func errorsComeBeforeWarnings() {
    let found = issues {
        $0.zones[2].polygon = rect(0, 3, 10, 10)  // warning: overlaps the corridor
        $0.sensors[0].channels = SensorChannels(fixed: 0)  // error
    }
    #expect(found.map(\.severity) == [.error, .warning])
}

@Test func predictedRSSIFollowsLogDistance() {
    let radio = RadioEnvironment()
    // 10 m away, sensor at phone height: -40 - 28 = -68 dBm.
    #expect(abs(VenueValidator.predictedRSSI(horizontalDistance: 10, sensorHeight: 1.2, radio: radio) + 68) < 1e-9)
    // Closer than 1 m counts as 1 m.
    #expect(VenueValidator.predictedRSSI(horizontalDistance: 0, sensorHeight: 1.2, radio: radio) == -40)
}
