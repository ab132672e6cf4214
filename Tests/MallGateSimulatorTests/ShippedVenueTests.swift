import MallGateTestSupport
import Testing
import MallGateCapture
import MallGateDecode
import MallGateVenue
@testable import MallGateSimulator

/// The venues shipped in firmware-configs/venues simulate cleanly: every zone is reachable,
/// the calibration walk covers every store and corridor segment, and the captures decode.
@Suite struct ShippedVenueTests {
    @Test(arguments: ["demo-mall", "small-arcade"])
    func shippedVenueSimulates(name: String) throws {
        let path = packageRoot + "/firmware-configs/venues/\(name).json"
        let venue = try VenueFile.load(path: path)
        let directory = makeTemporaryDirectory(name)
        defer { removeTree(directory) }
        let simulation = try Simulation(venue: venue, configuration: SimulationConfiguration(seed: 2, duration: 300, visitors: 40, staff: 2))
        let summary = try simulation.run(writingTo: directory)
        #expect(summary.sensors.count == venue.sensors.count)
        #expect(summary.devicesHeard > 0)
        // The walk reaches every store and corridor segment (so every one is connected).
        let labelled = Set(csvRows(directory + "/labels.csv").dropFirst().map { $0[3] })
        for zone in venue.zones where zone.kind == .store || zone.kind == .corridor {
            #expect(labelled.contains(zone.id), "\(name): no calibration label for \(zone.id)")
        }
        // Every leg stays in its zone, and zones change only across connections.
        var linked = Set<[Int]>()
        for c in venue.connections {
            let a = simulation.map.zone(id: c.from)!, b = simulation.map.zone(id: c.to)!
            linked.insert([a, b])
            linked.insert([b, a])
        }
        for person in simulation.makeCrowd().people {
            for leg in person.trajectory.legs {
                for f in [0.0, 0.5, 1.0] {
                    let p = leg.from + (leg.to - leg.from) * f
                    #expect(venue.zones[leg.zone].polygon.distance(to: p) < 0.05,
                            "\(name): \(person.id) outside \(venue.zones[leg.zone].id) at (\(p.x), \(p.y))")
                }
            }
            for (previous, leg) in zip(person.trajectory.legs, person.trajectory.legs.dropFirst()) where previous.zone != leg.zone {
                #expect(linked.contains([previous.zone, leg.zone]), "\(name): \(person.id) crosses from \(venue.zones[previous.zone].id) to \(venue.zones[leg.zone].id)")
            }
        }
        // Our decoder reads every frame of every capture as a probe request.
        for (i, sensor) in venue.sensors.enumerated() {
            let source = try PcapFileSource(path: directory + "/" + summary.sensors[i].file, sensor: SensorID(sensor.id))
            var decoder = FrameDecoder(linkType: source.linkTypes[0], options: DecodeOptions(fcsPolicy: .verify))
            var probes = 0
            while case .frames = try source.read(maxFrames: 4096, { frame in
                if case .probeRequest = decoder.decode(frame.bytes) { probes += 1 }
            }) {}
            #expect(probes == summary.sensors[i].probeRequests, "\(name)/\(sensor.id)")
        }
    }
}
